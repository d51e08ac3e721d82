"""The works' pure rules: the owners' committee count per candidate, escalation, the handover gate,
final accounts, and the satisfaction rate beside the response rate. No app, exact arithmetic."""
from fractions import Fraction

import pytest

from core.errors import RuleViolation
from surveys.rates import combine, satisfaction_rates
from projects import rules
from votes.rules import DEVELOPER, Part, count_election


def parts(n, area=10000):
    return [Part(i, area, f"owner-{i}") for i in range(1, n + 1)]


def test_a_candidate_named_by_more_than_half_of_participants_is_elected():
    counted = count_election(parts(4), {1: {10, 11}, 2: {10, 11}, 3: {10, 11}, 4: {12}}, [10, 11, 12], 2)
    assert [(c.candidate_id, c.elected) for c in counted] == [(10, True), (11, True), (12, False)]
    assert (counted[2].result.agree_heads, counted[2].result.participating_heads) == (1, 4)


def test_exactly_half_is_not_more_than_half():
    counted = count_election(parts(4), {1: {10}, 2: {10}, 3: {11}, 4: {11}}, [10, 11], 1)
    assert [c.elected for c in counted] == [False, False]
    assert counted[0].result.reason_key == "vote.reason.approval_area"  # half the area, not more


def test_a_ballot_naming_nobody_takes_part_without_agreeing():
    # 3 of 4 take part (quorum met: 3 >= 2/3 of 4); the blank ballot counts in the participants
    counted = count_election(parts(4), {1: {10}, 2: {10}, 3: set()}, [10], 1)
    assert counted[0].result.participating_heads == 3 and counted[0].result.abstain_heads == 1
    assert counted[0].elected


def test_without_the_quorum_nobody_is_elected():
    counted = count_election(parts(4), {1: {10}, 2: {10}}, [10], 1)
    assert not counted[0].result.quorum_met and not counted[0].elected


def test_a_tie_for_the_last_seat_leaves_it_empty():
    ballots = {1: {10, 11}, 2: {10, 12}, 3: {10, 11}, 4: {10, 12}, 5: {11, 12}}
    counted = count_election(parts(5), ballots, [10, 11, 12], 2)
    assert [c.elected for c in counted] == [True, False, False]  # 11 and 12 tie at 3 heads and equal area


def test_area_breaks_a_tie_in_heads():
    owners = [Part(1, 20000, "a"), Part(2, 10000, "b"), Part(3, 10000, "c")]
    counted = count_election(owners, {1: {10, 11}, 2: {10, 12}, 3: {11, 12}}, [10, 11, 12], 1)
    # every candidate has 2 of 3 heads; 10 and 11 have 30000 of 40000 area, 12 has 20000: 10 and 11 tie
    assert [c.elected for c in counted] == [False, False, False]
    counted = count_election(owners, {1: {10}, 2: {10, 12}, 3: {12}}, [10, 12], 1)
    assert [c.elected for c in counted] == [True, False]


def test_the_developer_parts_count_as_one_head():
    owners = [Part(1, 10000, DEVELOPER), Part(2, 10000, DEVELOPER), Part(3, 10000, "a"), Part(4, 10000, "b")]
    counted = count_election(owners, {1: {10}, 2: {10}, 3: {10}, 4: set()}, [10], 1)
    assert counted[0].result.total_heads == 3 and counted[0].result.agree_heads == 2


def test_unknown_candidates_and_bad_seats_are_refused():
    with pytest.raises(RuleViolation) as fault:
        count_election(parts(2), {1: {99}}, [10], 1)
    assert fault.value.key == "election.unknown_candidate"
    with pytest.raises(RuleViolation):
        count_election(parts(2), {}, [10], 0)


def test_a_missed_deadline_goes_to_the_street_then_the_county():
    assert rules.next_level("community") == "street"
    assert rules.next_level("street") == "county"
    assert rules.next_level("county") is None


def test_deadlines_come_from_configuration_by_kind():
    assert rules.deadline_hours({"report": 72, "dispute": 168}, "dispute") == 168
    with pytest.raises(RuleViolation):
        rules.deadline_hours({"report": 72}, "dispute")


def test_handover_waits_for_every_defect_closed_or_waived():
    assert rules.handover_blockers([(1, "closed"), (2, "waived")]) == []
    assert rules.handover_blockers([(1, "closed"), (2, "rectified"), (3, "open")]) == [2, 3]


def test_final_accounts_add_change_orders_to_the_budget():
    figures = rules.final_accounts([rules.ItemMoney("I03", 40_000_000, 0, 38_500_000),
                                    rules.ItemMoney("I02", 60_000_000, 5_000_000, 65_000_000)],
                                   {"central_subsidy": 100_000_000})
    assert figures["totals"] == {"budget": 100_000_000, "changes": 5_000_000, "revised": 105_000_000,
                                 "spent": 103_500_000, "difference": 1_500_000}
    assert figures["items"][0]["difference"] == 1_500_000 and figures["funded"] == 100_000_000


def test_everyone_answering_so_so_is_zero_satisfied_not_sixty():
    rates = satisfaction_rates([3, 3, 3], 10)
    assert rates.satisfaction_rate == 0 and rates.response_rate == Fraction(3, 10)


def test_satisfied_and_basically_satisfied_count_over_respondents():
    rates = satisfaction_rates([5, 4, 3, 2, None], 8)
    assert rates.satisfaction_rate == Fraction(2, 4) and rates.respondents == 5
    assert rates.response_rate == Fraction(5, 8)
    assert satisfaction_rates([], 0).satisfaction_rate is None


def test_a_region_combines_its_projects_by_sums():
    region = combine([satisfaction_rates([5, 5], 4), satisfaction_rates([1], 6)])
    assert region.satisfaction_rate == Fraction(2, 3) and region.response_rate == Fraction(3, 10)
