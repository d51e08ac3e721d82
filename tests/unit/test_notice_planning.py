"""The delivery planner: daily budgets per channel, priorities, days in Beijing time."""
from datetime import date, datetime, timezone

from notices.channels import CUSTOMER_SERVICE, SUBSCRIBE, TEMPLATE
from notices.planning import GENERAL, NORMAL, URGENT, Queued, budget_day, next_reset, plan, priority_of

BUDGETS = {TEMPLATE: 100_000, CUSTOMER_SERVICE: 500_000, SUBSCRIBE: None}
# 20:00 on Monday 30 November 2026 in Beijing
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def test_vote_deadlines_and_cuts_go_first_and_general_news_last():
    assert priority_of("vote_reminder", True) == URGENT
    assert priority_of("free_text", True) == URGENT
    assert priority_of("survey_open", False) == NORMAL
    assert priority_of("free_text", False) == GENERAL


def test_a_day_is_a_beijing_calendar_day():
    assert budget_day(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)) == date(2026, 12, 1)
    assert next_reset(NOW) == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)


def test_a_million_residents_by_template_take_ten_days_and_no_day_exceeds_the_budget():
    found = plan([Queued(1, GENERAL, {(TEMPLATE,): 1_000_000})], BUDGETS, {}, NOW)
    mine = found.notices[1]
    assert sum(mine.per_day.values()) == 1_000_000 and mine.inbox_only == 0
    assert mine.last_day == date(2026, 12, 9)
    assert all(day[TEMPLATE] <= 100_000 for day in found.spent.values())


def test_what_was_spent_today_counts():
    found = plan([Queued(1, GENERAL, {(TEMPLATE,): 10})], BUDGETS, {TEMPLATE: 99_995}, NOW)
    assert found.notices[1].per_day == {date(2026, 11, 30): 5, date(2026, 12, 1): 5}


def test_an_urgent_notice_overtakes_a_general_one_queued_before_it():
    found = plan([Queued(1, GENERAL, {(TEMPLATE,): 250_000}), Queued(2, URGENT, {(TEMPLATE,): 30_000})],
                 BUDGETS, {}, NOW)
    assert found.notices[2].per_day == {date(2026, 11, 30): 30_000}
    assert found.notices[1].per_day[date(2026, 11, 30)] == 70_000
    assert found.notices[1].last_day == date(2026, 12, 2)


def test_a_resident_falls_back_to_the_next_channel_with_budget_and_the_window_is_only_today():
    queue = [Queued(1, NORMAL, {(CUSTOMER_SERVICE, TEMPLATE): 30, (SUBSCRIBE, TEMPLATE): 10})]
    found = plan(queue, {TEMPLATE: 20, CUSTOMER_SERVICE: 5, SUBSCRIBE: None}, {}, NOW)
    today, tomorrow = date(2026, 11, 30), date(2026, 12, 1)
    assert found.spent[today] == {CUSTOMER_SERVICE: 5, TEMPLATE: 20, SUBSCRIBE: 10}
    assert found.spent[tomorrow] == {TEMPLATE: 5}   # no customer-service message planned after today
    assert found.notices[1].last_day == tomorrow


def test_no_channel_with_budget_means_the_inbox_only():
    found = plan([Queued(1, NORMAL, {(TEMPLATE,): 3, (): 2})], {TEMPLATE: 0}, {}, NOW)
    assert found.notices[1].inbox_only == 5 and found.notices[1].per_day == {}
