"""Counties' lift rules and each stairwell's lift scheme, as stored."""
from core.extensions import db
from core.models import utcnow


class LiftRuleRecord(db.Model):
    """What a county adds to art. 278 for lift votes in its region (none: art. 278 alone)."""

    __tablename__ = "lift_rules"
    id = db.Column(db.Integer, primary_key=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, unique=True)
    min_owner_share = db.Column(db.String(16))  # e.g. "2/3" of the unit's owners must agree
    affected_must_agree = db.Column(db.Boolean, nullable=False, default=False)
    updated_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class LiftScheme(db.Model):
    """A stairwell's lift: cost, deductions, coefficients per floor, affected dwellings, its vote and item.

    The scheme is fixed when its vote opens: the rule in force then is copied in, and so are the shares."""

    __tablename__ = "lift_schemes"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False, index=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    total_cost = db.Column(db.BigInteger, nullable=False)  # fen
    subsidy = db.Column(db.BigInteger, nullable=False, default=0)
    provident_fund = db.Column(db.BigInteger, nullable=False, default=0)
    coefficients = db.Column(db.JSON, nullable=False)  # {"1": "0", "2": "3/5", ...}
    by_area = db.Column(db.Boolean, nullable=False, default=False)
    affected = db.Column(db.JSON, nullable=False, default=list)  # dwelling ids whose part the shaft occupies
    rule = db.Column(db.JSON)  # the county's rule, copied when the vote opens
    shares = db.Column(db.JSON)  # {dwelling id: fen}, fixed when the vote opens
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), unique=True)
    project_item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"), unique=True)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
