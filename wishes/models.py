"""Wishes as stored."""
from core.extensions import db
from core.models import utcnow


class WishStatus:
    """A wish's life."""

    SUBMITTED, CLASSIFIED, ANSWERED, MERGED = "submitted", "classified", "answered", "merged"
    ALL = (SUBMITTED, CLASSIFIED, ANSWERED, MERGED)


class Wish(db.Model):
    """What a resident wants renovated, in their words, with the committee's handling."""

    __tablename__ = "wishes"
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    catalogue_code = db.Column(db.String(32))
    suggested_codes = db.Column(db.JSON, nullable=False, default=list)
    text = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    channel = db.Column(db.String(16), nullable=False)  # bot | miniprogram
    status = db.Column(db.String(16), nullable=False, default=WishStatus.SUBMITTED)
    answer = db.Column(db.Text)
    answered_at = db.Column(db.DateTime(timezone=True))
    merged_into_id = db.Column(db.Integer, db.ForeignKey("wishes.id"))
    # The keys of the steps of its story its author has been told of (stories/).
    story_told = db.Column(db.JSON, nullable=False, default=list, server_default="[]")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # A compound's demand counts (demand_counts) read only this index (compound, status, item), not the wishes;
    # a region's are kept in wish_counts (wishes.counts).
    __table_args__ = (db.Index("ix_wishes_demand", "compound_id", "status", "catalogue_code"),)

    @property
    def reference(self):
        """The number a resident quotes."""
        return f"W{self.id:06d}"


class WishCount(db.Model):
    """How many of a compound's wishes ask for one catalogue item (merged duplicates not counted; '' for the
    wishes not yet classified): kept in the same transaction as each wish changes (wishes.counts), so officials'
    figures read a row per compound and item, not every wish of a province."""

    __tablename__ = "wish_counts"
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), primary_key=True)
    catalogue_code = db.Column(db.String(32), primary_key=True)
    wishes = db.Column(db.Integer, nullable=False, default=0)
