"""Apportioning an item's cost among dwellings, as a pure rule: whole fen that add up to the amount."""
from core.errors import RuleViolation
from core.money import split_by_weight

RULES = ("area", "floor", "equal")


def apportion(amount, rule, dwellings, coefficients=None):
    """{dwelling id: fen} of `amount` by `rule`.

    `dwellings` is [(dwelling id, counted area, floor)]; "area" weighs by area, "floor" by the floor's
    coefficient ({floor: Fraction}), "equal" gives each dwelling the same (to the fen)."""
    if rule not in RULES:
        raise RuleViolation("contribution.bad_rule", rule=rule)
    if not dwellings:
        raise RuleViolation("contribution.no_dwellings")
    if rule == "area":
        missing = [d for d, area, _f in dwellings if not area]
        if missing:
            raise RuleViolation("contribution.no_area", dwelling=missing[0])
        weights = {d: area for d, area, _f in dwellings}
    elif rule == "floor":
        weights = {}
        for d, _area, floor in dwellings:
            if floor is None:
                raise RuleViolation("lift.floor_unknown", dwelling=d)
            if floor not in (coefficients or {}):
                raise RuleViolation("lift.no_coefficient", floor=floor)
            weights[d] = coefficients[floor]
    else:
        weights = {d: 1 for d, _area, _f in dwellings}
    return split_by_weight(amount, weights)
