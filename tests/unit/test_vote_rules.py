"""The Civil Code count at every boundary the law draws."""
from fractions import Fraction

import pytest

from core.errors import RuleViolation
from votes.rules import ABSTAIN, AGREE, DEVELOPER, DISAGREE, Part, count, head_of


def flats(n, area=10000):
    """n parts of equal area (100.00 m²), each its own owner."""
    return [Part(i, area, f"owner{i}") for i in range(n)]


def votes(choices):
    """{dwelling: choice} from a list of (dwelling ids, choice)."""
    ballots = {}
    for ids, choice in choices:
        for i in ids:
            ballots[i] = choice
    return ballots


def test_exactly_two_thirds_meets_the_quorum():
    result = count(flats(300), votes([(range(200), AGREE)]), "rebuild")
    assert result.participating_heads == 200 and result.quorum_met


def test_one_short_of_two_thirds_misses_the_quorum_and_says_by_how_much():
    result = count(flats(300), votes([(range(199), AGREE)]), "rebuild")
    assert not result.quorum_met and not result.approved
    assert result.reason_key == "vote.reason.quorum_area" and result.reason_params["short"] == "100.00"


def test_exactly_three_quarters_approves_a_special_matter():
    result = count(flats(400), votes([(range(300), AGREE), (range(300, 400), DISAGREE)]), "raise_maintenance_fund")
    assert result.approved


def test_just_under_three_quarters_does_not():
    result = count(flats(400), votes([(range(299), AGREE), (range(299, 400), DISAGREE)]), "raise_maintenance_fund")
    assert not result.approved and result.reason_key == "vote.reason.approval_area"


def test_exactly_half_does_not_approve_an_ordinary_matter():
    result = count(flats(10), votes([(range(5), AGREE), (range(5, 10), DISAGREE)]), "property_manager")
    assert result.quorum_met and not result.approved


def test_more_than_half_approves_an_ordinary_matter():
    result = count(flats(10), votes([(range(6), AGREE), (range(6, 10), DISAGREE)]), "property_manager")
    assert result.approved


def test_abstaining_takes_part_but_does_not_agree():
    result = count(flats(10), votes([(range(5), AGREE), (range(5, 10), ABSTAIN)]), "management_covenant")
    assert result.quorum_met and result.abstain_heads == 5 and not result.approved


def test_one_buyer_with_several_flats_is_one_head_but_all_their_area():
    parts = [Part(1, 10000, "buyer"), Part(2, 10000, "buyer"), Part(3, 10000, "buyer"), Part(4, 10000, "other")]
    result = count(parts, {1: AGREE, 2: AGREE, 3: AGREE}, "rebuild")
    assert (result.total_heads, result.participating_heads, result.participating_area) == (2, 1, 30000)
    assert not result.quorum_met  # 1 of 2 heads is less than two thirds


def test_all_developer_held_or_undelivered_flats_are_one_head():
    assert head_of(["a"], developer_held=True, delivered=False) == DEVELOPER
    assert head_of(["a"], developer_held=False, delivered=False) == DEVELOPER
    parts = [Part(i, 10000, DEVELOPER) for i in range(5)] + [Part(10, 10000, "x"), Part(11, 10000, "y")]
    assert count(parts, {}, "rebuild").total_heads == 3


def test_co_owners_share_one_head():
    assert head_of(["b", "a"], False, True) == head_of(["a", "b", "a"], False, True) == "a+b"


def test_a_unit_scope_lift_vote_counts_only_that_stairwell():
    unit = [Part(i, 9000, f"o{i}") for i in range(12)]
    result = count(unit, votes([(range(9), AGREE), (range(9, 12), DISAGREE)]), "rebuild")
    assert result.total_heads == 12 and result.approved


def test_a_case_floating_point_gets_wrong():
    # 10.00 + 10.26 m² of 10.00 + 10.13 + 10.26 = 40.39 m² is exactly two thirds: the quorum is met.
    floats_say = (10.00 + 10.26) >= (10.00 + 10.13 + 10.26) * 2 / 3
    assert floats_say is False  # 20.259999999999998 < 20.26
    parts = [Part(1, 1000, "a"), Part(2, 1013, "b"), Part(3, 1026, "c")]
    result = count(parts, {1: AGREE, 3: AGREE}, "rebuild")
    assert result.participating_area * 3 == result.total_area * 2
    assert result.quorum_met is True


def test_a_head_whose_flats_voted_differently_counts_once_by_the_larger_area():
    parts = [Part(1, 20000, "buyer"), Part(2, 10000, "buyer"), Part(3, 10000, "other")]
    result = count(parts, {1: AGREE, 2: DISAGREE, 3: DISAGREE}, "property_manager")
    assert (result.agree_heads, result.disagree_heads, result.participating_heads) == (1, 1, 2)
    assert (result.agree_area, result.disagree_area) == (20000, 20000)


def test_the_willingness_poll_uses_the_countys_threshold():
    result = count(flats(10), votes([(range(8), AGREE), (range(8, 10), DISAGREE)]), "renovation_willingness",
                   custom_threshold=Fraction(4, 5))
    assert result.approved
    with pytest.raises(RuleViolation):
        count(flats(10), {}, "renovation_willingness")


def test_unknown_choices_and_ballots_out_of_scope_are_refused():
    with pytest.raises(RuleViolation):
        count(flats(3), {0: "maybe"}, "rebuild")
    with pytest.raises(RuleViolation):
        count(flats(3), {99: AGREE}, "rebuild")


def test_nobody_voting_is_no_quorum():
    result = count(flats(3), {}, "rebuild")
    assert not result.quorum_met and result.participating_heads == 0


def test_totals_from_the_databases_head_rows_equal_the_pure_count():
    import random
    from collections import defaultdict
    from votes.rules import CHOICES, aggregate, totals_from_heads
    rng = random.Random(7)
    for _ in range(200):
        parts = [Part(i, rng.randint(1, 5) * 1000, f"h{rng.randint(0, 12)}") for i in range(rng.randint(1, 30))]
        ballots = {p.dwelling_id: rng.choice(CHOICES) for p in parts if rng.random() < 0.8}
        summed = defaultdict(int)
        for part in parts:
            if part.dwelling_id in ballots:
                summed[(part.head, ballots[part.dwelling_id])] += part.area
        rows = sorted((head, choice, area) for (head, choice), area in summed.items())
        expected = aggregate(parts, ballots)
        assert totals_from_heads(expected.total_area, expected.total_heads, rows) == expected


def test_the_quorum_needs_two_thirds_rounded_up_in_area_and_heads():
    from votes.rules import quorum_needs
    assert quorum_needs(64000, 7) == (42667, 5)  # 640 m² and 7 owners: 426.67 m² and 5 owners
    assert quorum_needs(300, 3) == (200, 2)  # exactly two thirds is enough
