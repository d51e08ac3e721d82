"""Adding a lift to a stairwell (加装电梯): the county's rule on top of art. 278, and who pays what.

Pure functions on plain values: no database, no Flask. Amounts are whole fen, shares exact Fractions."""
from dataclasses import dataclass, field
from fractions import Fraction

from core.errors import RuleViolation
from core.money import split_by_weight
from votes import rules

MAX_COEFFICIENT = Fraction(10)


@dataclass(frozen=True)
class LiftRule:
    """What a county adds to art. 278 for a lift: a minimum share of the unit's owners agreeing, and the
    explicit consent of the owners whose part the shaft or its footprint occupies."""

    min_owner_share: Fraction | None = None
    affected_must_agree: bool = False

    def as_dict(self):
        """The rule as stored with the vote when it opens."""
        share = self.min_owner_share
        return {"min_owner_share": None if share is None else f"{share.numerator}/{share.denominator}",
                "affected_must_agree": self.affected_must_agree}

    @classmethod
    def from_dict(cls, data):
        """The rule as stored (None or {} is art. 278 alone)."""
        data = data or {}
        share = data.get("min_owner_share")
        return cls(Fraction(share) if share else None, bool(data.get("affected_must_agree")))


CIVIL_CODE = LiftRule()


def check_rule(min_owner_share, affected_must_agree):
    """A county's rule as typed: the share is a fraction in (0, 1] such as '2/3', or empty."""
    if min_owner_share in (None, ""):
        return LiftRule(None, bool(affected_must_agree))
    try:
        share = Fraction(str(min_owner_share).strip())
    except (ValueError, ZeroDivisionError):
        raise RuleViolation("lift.bad_share", value=min_owner_share) from None
    if not 0 < share <= 1:
        raise RuleViolation("lift.bad_share", value=min_owner_share)
    return LiftRule(share, bool(affected_must_agree))


@dataclass(frozen=True)
class LiftOutcome:
    """The art. 278 result and the county's additions, each stated."""

    approved: bool
    civil_code_approved: bool
    owner_share_met: bool
    affected_missing: tuple = ()
    reason_key: str = ""
    reason_params: dict = field(default_factory=dict)


def decide_lift(result, rule, ballots, affected):
    """Apply `rule` to a unit's art. 278 `result` (special matter) exactly.

    `ballots` is {dwelling_id: choice}; `affected` the dwellings whose part the shaft occupies."""
    owner_share_met = True
    if rule.min_owner_share is not None:
        owner_share_met = result.total_heads > 0 and \
            Fraction(result.agree_heads, result.total_heads) >= rule.min_owner_share
    missing = tuple(sorted(d for d in affected if ballots.get(d) != rules.AGREE)) if rule.affected_must_agree else ()
    approved = result.approved and owner_share_met and not missing
    if not result.approved:
        key, params = result.reason_key, result.reason_params
    elif not owner_share_met:
        key, params = "lift.owner_share_not_met", {"share": f"{rule.min_owner_share.numerator}/"
                                                            f"{rule.min_owner_share.denominator}"}
    elif missing:
        key, params = "lift.affected_not_agreed", {"count": len(missing)}
    else:
        key, params = "lift.approved", {}
    return LiftOutcome(approved, result.approved, owner_share_met, missing, key, params)


# paying ------------------------------------------------------------------------------------------------
def parse_coefficients(mapping):
    """{floor: Fraction} from {'1': '0', '2': '0.6', '6': '1.4'}; each between 0 and 10."""
    result = {}
    for floor, value in (mapping or {}).items():
        try:
            key, coefficient = int(floor), Fraction(str(value).strip())
        except (TypeError, ValueError, ZeroDivisionError):
            raise RuleViolation("lift.bad_coefficient", floor=floor, value=value) from None
        if not 0 <= coefficient <= MAX_COEFFICIENT:
            raise RuleViolation("lift.bad_coefficient", floor=floor, value=value)
        result[key] = coefficient
    if not result:
        raise RuleViolation("lift.no_coefficients")
    return result


def net_cost(total, subsidy=0, provident_fund=0):
    """What the owners pay together: the cost less the government subsidy and provident-fund withdrawals."""
    for name, value in (("total", total), ("subsidy", subsidy), ("provident_fund", provident_fund)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RuleViolation("lift.bad_amount", field=name)
    if subsidy + provident_fund > total:
        raise RuleViolation("lift.deductions_exceed_cost")
    return total - subsidy - provident_fund


def cost_shares(net, floors, coefficients, areas=None):
    """Each dwelling's share of `net` fen by its floor's coefficient (times its area when `areas` is given).

    `floors` is {dwelling_id: floor}. Shares are whole fen and add up to `net` exactly (largest remainder).
    A dwelling without a floor, or on a floor without a coefficient, is an error to fix, not a zero."""
    weights = {}
    for dwelling_id, floor in floors.items():
        if floor is None:
            raise RuleViolation("lift.floor_unknown", dwelling=dwelling_id)
        if floor not in coefficients:
            raise RuleViolation("lift.no_coefficient", floor=floor)
        weight = coefficients[floor]
        if areas is not None:
            weight *= areas.get(dwelling_id) or 0
        weights[dwelling_id] = weight
    return split_by_weight(net, weights)
