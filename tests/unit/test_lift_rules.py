"""Lifts as pure rules: the county's additions to art. 278 and who pays what, exactly to the fen."""
from fractions import Fraction

import pytest

from contributions.rules import apportion
from core.errors import RuleViolation
from core.floors import check_floor, floor_from_room
from core.money import format_yuan, split_by_weight
from votes import rules
from votes.lifts import (CIVIL_CODE, LiftRule, check_rule, cost_shares, decide_lift, net_cost,
                         parse_coefficients)

SIX_FLOORS = {1: "0", 2: "0.5", 3: "0.8", 4: "1", 5: "1.2", 6: "1.5"}


# splitting money -----------------------------------------------------------------------------------------
def test_shares_add_up_to_the_total_when_it_does_not_divide():
    shares = split_by_weight(100, {1: 1, 2: 1, 3: 1})
    assert sum(shares.values()) == 100
    assert sorted(shares.values()) == [33, 33, 34]


def test_the_remainder_goes_to_the_largest_fractions_then_to_the_first_key():
    # 1000 by 1:2:3:4 is 100, 200, 300, 400 exactly; 1001 leaves one fen for the largest fraction (all .1,
    # .2, .3, .4): the last key.
    assert split_by_weight(1001, {1: 1, 2: 2, 3: 3, 4: 4}) == {1: 100, 2: 200, 3: 300, 4: 401}
    assert split_by_weight(2, {"b": 1, "a": 1, "c": 1}) == {"a": 1, "b": 1, "c": 0}


def test_a_zero_weight_never_receives_a_remainder_fen():
    shares = split_by_weight(7, {1: 0, 2: 1, 3: 1, 4: 1})
    assert shares[1] == 0 and sum(shares.values()) == 7


def test_fractions_of_a_fen_are_never_lost_over_many_owners():
    weights = {d: Fraction(d % 7 + 1, 3) for d in range(1, 38)}
    for total in (0, 1, 37, 999_999, 123_456_789):
        assert sum(split_by_weight(total, weights).values()) == total


def test_every_share_is_its_exact_amount_rounded_down_or_up_by_one_fen():
    import random
    rng = random.Random(278)
    for _trial in range(200):
        weights = {d: Fraction(rng.randint(0, 30), rng.randint(1, 12)) for d in range(rng.randint(1, 40))}
        if not any(weights.values()):
            continue
        total = rng.randint(0, 10**9)
        shares = split_by_weight(total, weights)
        whole = sum(weights.values())
        assert sum(shares.values()) == total
        for key, weight in weights.items():
            exact = total * weight / whole
            assert shares[key] - exact < 1 and exact - shares[key] < 1
            assert weight or shares[key] == 0


def test_splitting_refuses_negative_totals_and_weights_and_nobody_to_pay():
    with pytest.raises(RuleViolation) as caught:
        split_by_weight(-1, {1: 1})
    assert caught.value.key == "money.bad_total"
    with pytest.raises(RuleViolation):
        split_by_weight(10, {1: -1, 2: 2})
    with pytest.raises(RuleViolation) as caught:
        split_by_weight(10, {1: 0})
    assert caught.value.key == "money.no_weight"
    assert split_by_weight(0, {1: 0}) == {1: 0}


def test_yuan_are_written_exactly():
    assert format_yuan(123456) == "1,234.56" and format_yuan(5) == "0.05" and format_yuan(0) == "0.00"


# floors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("room,floor", [("501", 5), ("1203", 12), ("101室", 1), ("５０２", 5), ("3-2-602", 6),
                                        ("B101", 1), ("5", None), ("", None), ("0001", None), ("商铺A", None)])
def test_the_floor_is_read_from_the_room_number(room, floor):
    assert floor_from_room(room) == floor


def test_a_floor_typed_by_the_committee_is_checked():
    assert check_floor("6") == 6 and check_floor("-1") == -1 and check_floor("") is None
    assert check_floor(6.0) == 6 and check_floor("６层") == 6 and check_floor(None) is None
    for bad in ("0", "100", "六", "2.5"):
        with pytest.raises(RuleViolation):
            check_floor(bad)


# the cost scheme -------------------------------------------------------------------------------------------
def test_subsidy_and_provident_fund_come_off_the_cost_first():
    assert net_cost(60_000_000, 20_000_000, 5_000_000) == 35_000_000
    assert net_cost(100, 100, 0) == 0
    with pytest.raises(RuleViolation) as caught:
        net_cost(100, 60, 41)
    assert caught.value.key == "lift.deductions_exceed_cost"
    with pytest.raises(RuleViolation):
        net_cost(100, -1)


def test_the_ground_floor_pays_nothing_and_the_shares_sum_to_the_net_cost_to_the_fen():
    floors = {10 + f * 2 + i: f for f in range(1, 7) for i in range(2)}  # two flats a floor, six floors
    shares = cost_shares(35_000_001, floors, parse_coefficients(SIX_FLOORS))
    assert shares[12] == shares[13] == 0
    assert sum(shares.values()) == 35_000_001
    # weights add up to 10: a flat on floor 4 is owed 3,500,000.1 fen, on floor 6 5,250,000.15; the one fen
    # left over after rounding down goes to the largest fraction, the first flat on the top floor
    assert shares[18] == shares[19] == 3_500_000
    assert (shares[22], shares[23]) == (5_250_001, 5_250_000)
    assert shares[14] == 1_750_000 and shares[16] == 2_800_000 and shares[20] == 4_200_000


def test_shares_by_floor_and_area_weigh_both():
    shares = cost_shares(9000, {1: 2, 2: 2, 3: 3}, {2: Fraction(1), 3: Fraction(2)}, areas={1: 5000, 2: 10000,
                                                                                            3: 7500})
    # weights 5000, 10000, 15000 → 1500, 3000, 4500
    assert shares == {1: 1500, 2: 3000, 3: 4500}


def test_a_missing_floor_or_coefficient_is_an_error_not_a_zero():
    with pytest.raises(RuleViolation) as caught:
        cost_shares(100, {1: None}, {1: Fraction(1)})
    assert caught.value.key == "lift.floor_unknown"
    with pytest.raises(RuleViolation) as caught:
        cost_shares(100, {1: 7}, parse_coefficients(SIX_FLOORS))
    assert caught.value.key == "lift.no_coefficient" and caught.value.params == {"floor": 7}


def test_coefficients_are_exact_fractions_within_bounds():
    parsed = parse_coefficients({"2": "0.6", "3": "2/3"})
    assert parsed == {2: Fraction(3, 5), 3: Fraction(2, 3)}
    for bad in ({"2": "-0.1"}, {"2": "10.01"}, {"x": "1"}, {"2": "abc"}, {}):
        with pytest.raises(RuleViolation):
            parse_coefficients(bad)


# the county's rule ---------------------------------------------------------------------------------------
def _unit(agree, disagree=0, abstain=0, total=12):
    """A unit of `total` equal flats (100.00 m² each) with ballots in order: agree, disagree, abstain."""
    parts = [rules.Part(d, 10_000, f"owner-{d}") for d in range(1, total + 1)]
    choices = ["agree"] * agree + ["disagree"] * disagree + ["abstain"] * abstain
    ballots = {d: c for d, c in zip(range(1, total + 1), choices)}
    return rules.count(parts, ballots, "rebuild"), ballots


def test_civil_code_alone_is_the_default_rule():
    result, ballots = _unit(agree=6, disagree=2)  # 8 of 12 take part (2/3), 6 of 8 agree (3/4)
    outcome = decide_lift(result, CIVIL_CODE, ballots, affected=[])
    assert result.approved and outcome.approved and outcome.reason_key == "lift.approved"


def test_a_minimum_share_of_the_units_owners_is_met_exactly_at_the_boundary():
    rule = check_rule("2/3", False)
    result, ballots = _unit(agree=8)  # exactly 8 of 12 = 2/3 agree
    assert decide_lift(result, rule, ballots, []).approved
    result, ballots = _unit(agree=7, abstain=1)  # 7 of 12 agree: art. 278 passes (7/8), the county's rule not
    outcome = decide_lift(result, rule, ballots, [])
    assert result.approved and not outcome.approved and not outcome.owner_share_met
    assert outcome.reason_key == "lift.owner_share_not_met" and outcome.reason_params == {"share": "2/3"}


def test_owners_whose_home_the_shaft_occupies_must_agree_when_the_county_says_so():
    result, ballots = _unit(agree=11, abstain=1)  # flat 12 abstains
    assert decide_lift(result, CIVIL_CODE, ballots, affected=[12]).approved
    outcome = decide_lift(result, LiftRule(None, True), ballots, affected=[1, 12])
    assert not outcome.approved and outcome.affected_missing == (12,)
    assert outcome.reason_key == "lift.affected_not_agreed"
    assert decide_lift(result, LiftRule(None, True), ballots, affected=[1, 2]).approved


def test_a_failed_civil_code_count_keeps_its_own_reason():
    result, ballots = _unit(agree=5, disagree=2)  # 7 of 12 take part: no quorum
    outcome = decide_lift(result, check_rule("1/2", True), ballots, [])
    assert not outcome.approved and not outcome.civil_code_approved
    assert outcome.reason_key == result.reason_key


def test_the_rule_is_stored_and_read_back_unchanged():
    rule = check_rule(" 3/4 ", True)
    assert LiftRule.from_dict(rule.as_dict()) == rule
    assert LiftRule.from_dict(None) == CIVIL_CODE
    for bad in ("0", "5/4", "x", "1/0"):
        with pytest.raises(RuleViolation):
            check_rule(bad, False)


# apportioning an item ---------------------------------------------------------------------------------------
def test_apportioning_by_area_floor_or_equally_adds_up_to_the_amount():
    dwellings = [(1, 8560, 1), (2, 8560, 2), (3, 12000, 3)]
    for rule in ("area", "equal"):
        assert sum(apportion(100_001, rule, dwellings).values()) == 100_001
    assert apportion(300, "equal", dwellings) == {1: 100, 2: 100, 3: 100}
    by_floor = apportion(1000, "floor", dwellings, {1: Fraction(0), 2: Fraction(1), 3: Fraction(3)})
    assert by_floor == {1: 0, 2: 250, 3: 750}
    with pytest.raises(RuleViolation) as caught:
        apportion(100, "area", [(1, None, 1)])
    assert caught.value.key == "contribution.no_area"
    with pytest.raises(RuleViolation):
        apportion(100, "weekday", dwellings)
