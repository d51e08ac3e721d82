"""Targets as stored."""
from core.extensions import db


class YearTarget(db.Model):
    """How many compounds and households a region plans to start renovating in a year."""

    __tablename__ = "year_targets"
    id = db.Column(db.Integer, primary_key=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False)
    year = db.Column(db.Integer, nullable=False)
    compounds = db.Column(db.Integer, nullable=False, default=0)
    households = db.Column(db.Integer, nullable=False, default=0)
    set_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    __table_args__ = (db.UniqueConstraint("region_id", "year"),)
