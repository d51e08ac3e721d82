from fractions import Fraction

import pytest

from core.errors import RuleViolation
from projects.rules import ItemProgress, check_dates, check_progress, check_transition, rolled_up_progress


def test_progress_is_weighted_by_budget():
    items = [ItemProgress(budget=900_000, progress=100), ItemProgress(budget=100_000, progress=0)]
    assert rolled_up_progress(items) == 90


def test_progress_without_budgets_weighs_items_equally():
    assert rolled_up_progress([ItemProgress(0, 50), ItemProgress(0, 0), ItemProgress(0, 100)]) == 50


def test_progress_is_exact():
    items = [ItemProgress(1, 100), ItemProgress(2, 0)]
    assert rolled_up_progress(items) == Fraction(100, 3)


@pytest.mark.parametrize("value", [-1, 101, 50.5, True])
def test_progress_outside_0_to_100_is_refused(value):
    with pytest.raises(RuleViolation):
        check_progress(value)


def test_the_next_stage_needs_no_reason():
    assert check_transition("planned", "design") == ()


def test_skipping_a_stage_needs_a_reason():
    with pytest.raises(RuleViolation) as caught:
        check_transition("planned", "publicity")
    assert caught.value.params == {"stage": "design"}
    assert check_transition("planned", "publicity", "一区一策方案已在前期完成") == ("design",)


def test_a_project_never_goes_back():
    with pytest.raises(RuleViolation):
        check_transition("construction", "design", "any")


def test_dates_out_of_order_are_refused():
    from datetime import date
    with pytest.raises(RuleViolation):
        check_dates(date(2026, 5, 1), date(2026, 4, 1))
    check_dates(date(2026, 4, 1), None)
