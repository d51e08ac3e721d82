"""Contributions and apportionment rules, as stored."""
from core.errors import Conflict
from core.extensions import db
from core.models import utcnow

KINDS = ("money", "maintenance_fund", "labour", "goods")
MONEY_KINDS = ("money", "maintenance_fund")
RULES = ("area", "floor", "equal")


class ContributionState:
    PLEDGED, RECEIVED, REFUNDED, CANCELLED = "pledged", "received", "refunded", "cancelled"
    FLOW = {PLEDGED: {RECEIVED, CANCELLED}, RECEIVED: {REFUNDED}, REFUNDED: set(), CANCELLED: set()}


class Contribution(db.Model):
    """One dwelling's contribution to a project (or one item of it): money or maintenance fund in fen,
    labour in hours, or goods."""

    __tablename__ = "contributions"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"))
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False, index=True)
    kind = db.Column(db.String(32), nullable=False)
    amount = db.Column(db.BigInteger)
    hours = db.Column(db.Integer)
    description = db.Column(db.String(200), nullable=False, default="")
    state = db.Column(db.String(16), nullable=False, default=ContributionState.PLEDGED)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), index=True)  # who pledged, from WeChat
    pledged_by = db.Column(db.Integer, db.ForeignKey("staff.id"))  # or recorded by staff
    pledged_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    received_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    receipt_no = db.Column(db.String(64))
    received_at = db.Column(db.DateTime(timezone=True))
    closed_by = db.Column(db.Integer, db.ForeignKey("staff.id"))  # refunded or cancelled by
    closed_at = db.Column(db.DateTime(timezone=True))
    reason = db.Column(db.String(200))
    __table_args__ = (
        db.CheckConstraint("state <> 'received' OR (received_by IS NOT NULL AND receipt_no IS NOT NULL)",
                           name="received_has_recorder"),
        db.CheckConstraint("state IN ('pledged', 'received', 'refunded', 'cancelled')", name="known_state"),
    )

    def move(self, target):
        """Raise Conflict unless the ledger allows going from the current state to `target`."""
        if target not in ContributionState.FLOW.get(self.state, set()):
            raise Conflict("contribution.bad_transition", state=self.state, target=target)


class Apportionment(db.Model):
    """How an item's cost to residents is shared among the dwellings of a scope."""

    __tablename__ = "item_apportionments"
    item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"), primary_key=True)
    rule = db.Column(db.String(16), nullable=False)  # area | floor | equal
    amount = db.Column(db.BigInteger, nullable=False)  # fen the residents pay together
    coefficients = db.Column(db.JSON)  # for "floor": {"1": "0", ...}
    scope_kind = db.Column(db.String(16), nullable=False)
    scope_id = db.Column(db.Integer, nullable=False)
    set_by = db.Column(db.Integer, db.ForeignKey("staff.id"))

