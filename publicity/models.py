"""Publicity periods and the objections lodged in them, as stored."""
from core.errors import Conflict
from core.extensions import db
from core.models import utcnow

SUBJECTS = ("vote_result", "plan", "final_accounts")


class PublicityState:
    OPEN, ENDED = "open", "ended"


class Publicity(db.Model):
    """What is published, to whom (a list of compound/building/unit scopes), from when to when."""

    __tablename__ = "publicity_periods"
    id = db.Column(db.Integer, primary_key=True)
    subject_kind = db.Column(db.String(32), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    scopes = db.Column(db.JSON, nullable=False, default=list)  # [[kind, id], ...]
    title = db.Column(db.String(200), nullable=False)
    summary = db.Column(db.Text, nullable=False, default="")
    record = db.Column(db.JSON)  # what was published, fixed at opening (items, budgets, funding, result)
    starts_at = db.Column(db.DateTime(timezone=True), nullable=False)
    ends_at = db.Column(db.DateTime(timezone=True), nullable=False)
    state = db.Column(db.String(16), nullable=False, default=PublicityState.OPEN)
    extensions = db.Column(db.Integer, nullable=False, default=0)
    ended_at = db.Column(db.DateTime(timezone=True))
    ended_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    objections = db.relationship("Objection", order_by="Objection.id", back_populates="publicity")
    __table_args__ = (db.Index("ix_publicity_subject", "subject_kind", "subject_id"),)

    def require_open(self):
        """Raise Conflict unless objections are still taken."""
        if self.state != PublicityState.OPEN:
            raise Conflict("publicity.ended")

    @property
    def unanswered(self):
        """Objections still waiting for an answer."""
        return [o for o in self.objections if o.answered_at is None]


class Objection(db.Model):
    """A resident's objection (text, photos) and the committee's answer."""

    __tablename__ = "publicity_objections"
    id = db.Column(db.Integer, primary_key=True)
    publicity_id = db.Column(db.Integer, db.ForeignKey("publicity_periods.id"), nullable=False, index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    channel = db.Column(db.String(16), nullable=False, default="miniprogram")  # miniprogram | bot
    text = db.Column(db.Text, nullable=False)
    photos = db.Column(db.JSON, nullable=False, default=list)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    answer = db.Column(db.Text)
    answered_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    answered_at = db.Column(db.DateTime(timezone=True))
    publicity = db.relationship("Publicity", back_populates="objections")
