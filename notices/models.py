"""The outbox: a notice, and one delivery per resident it is for."""
from core.extensions import db
from core.models import utcnow


class Notice(db.Model):
    """Something to tell residents; written in the same transaction as the change that caused it."""

    __tablename__ = "notices"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(32), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class Delivery(db.Model):
    """One notice to one resident: at most one per (notice, account), which is the idempotency key."""

    __tablename__ = "deliveries"
    id = db.Column(db.Integer, primary_key=True)
    notice_id = db.Column(db.Integer, db.ForeignKey("notices.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    state = db.Column(db.String(16), nullable=False, default="pending", index=True)
    channel = db.Column(db.String(16))
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(255))
    next_attempt_at = db.Column(db.DateTime(timezone=True))
    sent_at = db.Column(db.DateTime(timezone=True))
    read_at = db.Column(db.DateTime(timezone=True))
    notice = db.relationship("Notice")
    __table_args__ = (db.UniqueConstraint("notice_id", "account_id"),)


class SubscriptionEvent(db.Model):
    """What a resident said to a subscribe-message popup or settings change (accept / reject)."""

    __tablename__ = "subscription_events"
    id = db.Column(db.Integer, primary_key=True)
    openid = db.Column(db.String(64), nullable=False, index=True)
    template_id = db.Column(db.String(128), nullable=False)
    status = db.Column(db.String(16), nullable=False)
    source = db.Column(db.String(32), nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
