"""The outbox: a notice, and one delivery per resident it is for."""
from core.extensions import db
from core.models import utcnow


class Notice(db.Model):
    """Something to tell residents; written in the same transaction as the change that caused it.

    Its audience is one account, or the residents of a compound, building or stairwell unit; the
    deliveries are created from the audience when it is due (fan-out)."""

    __tablename__ = "notices"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(32), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    scope_kind = db.Column(db.String(16), nullable=False, default="account",
                           server_default="account")  # account | compound | building | unit
    scope_id = db.Column(db.Integer)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), index=True)
    scheduled_at = db.Column(db.DateTime(timezone=True))
    priority = db.Column(db.SmallInteger, nullable=False, default=1, server_default="1")  # notices.planning
    fanned_out_at = db.Column(db.DateTime(timezone=True), index=True)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class StaffNotice(db.Model):
    """An alert to one staff member: kept in their panel inbox, and pushed through the outbox (`notice_id`) to
    the WeChat account they linked, if any."""

    __tablename__ = "staff_notices"
    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False, index=True)
    kind = db.Column(db.String(32), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    notice_id = db.Column(db.Integer, db.ForeignKey("notices.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    read_at = db.Column(db.DateTime(timezone=True))


class Delivery(db.Model):
    """One notice to one resident: at most one per (notice, account), which is the idempotency key."""

    __tablename__ = "deliveries"
    id = db.Column(db.Integer, primary_key=True)
    notice_id = db.Column(db.Integer, db.ForeignKey("notices.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    state = db.Column(db.String(16), nullable=False, default="pending", index=True)
    priority = db.Column(db.SmallInteger, nullable=False, default=1, server_default="1")  # the notice's
    channel = db.Column(db.String(16))
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(255))
    next_attempt_at = db.Column(db.DateTime(timezone=True))
    claimed_at = db.Column(db.DateTime(timezone=True))
    sent_at = db.Column(db.DateTime(timezone=True))
    read_at = db.Column(db.DateTime(timezone=True))
    notice = db.relationship("Notice")
    __table_args__ = (db.UniqueConstraint("notice_id", "account_id"),
                      db.Index("ix_deliveries_due", "state", "priority", "id"))


class SubscriptionEvent(db.Model):
    """What a resident said to a subscribe-message popup or settings change (accept / reject)."""

    __tablename__ = "subscription_events"
    id = db.Column(db.Integer, primary_key=True)
    openid = db.Column(db.String(64), nullable=False, index=True)
    template_id = db.Column(db.String(128), nullable=False)
    status = db.Column(db.String(16), nullable=False)
    source = db.Column(db.String(32), nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class SubscriptionCredit(db.Model):
    """The ledger: how many more subscribe messages a resident has accepted for a template.

    WeChat keeps no count we can ask for; each "accept" in the popup allows one message."""

    __tablename__ = "subscription_credits"
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False)
    template_id = db.Column(db.String(128), nullable=False)
    remaining = db.Column(db.Integer, nullable=False, default=0)
    __table_args__ = (db.UniqueConstraint("account_id", "template_id"),
                      db.CheckConstraint("remaining >= 0", name="remaining_not_negative"))


class ChannelBlock(db.Model):
    """A channel that failed permanently for a resident (refused, unsubscribed, bad openid)."""

    __tablename__ = "channel_blocks"
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False)
    channel = db.Column(db.String(32), nullable=False)
    reason = db.Column(db.String(64), nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("account_id", "channel"),)


class SenderPause(db.Model):
    """WeChat's daily quota was hit (45009): the sender waits until `until`."""

    __tablename__ = "sender_pauses"
    name = db.Column(db.String(32), primary_key=True)
    until = db.Column(db.DateTime(timezone=True), nullable=False)
    reason = db.Column(db.String(64), nullable=False)


class SendBudgetUsage(db.Model):
    """How many sends a WeChat channel has spent of its daily budget on a Beijing calendar day."""

    __tablename__ = "send_budget_usage"
    day = db.Column(db.Date, primary_key=True)
    channel = db.Column(db.String(32), primary_key=True)
    used = db.Column(db.Integer, nullable=False, default=0, server_default="0")
