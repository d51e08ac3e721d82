"""Times as residents read them: Beijing time, a notice board's way (pure)."""
from datetime import datetime, timezone

from core.times import format_day, format_moment, format_span, wechat_time


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_a_utc_evening_is_the_next_beijing_morning():
    assert format_moment(utc(2026, 11, 26, 20, 21), year=False) == "11月27日（周五）凌晨4:21"
    assert wechat_time(utc(2026, 11, 26, 20, 21)) == "2026年11月27日 04:21"


def test_morning_and_afternoon_as_a_notice_board_writes_them():
    assert format_moment(utc(2026, 12, 2, 1, 0), year=False) == "12月2日（周三）上午9:00"
    assert format_moment(utc(2026, 12, 2, 7, 30), year=False) == "12月2日（周三）下午3:30"
    assert format_moment(utc(2026, 12, 2, 1, 0), "en", year=False) == "Wed 2 Dec, 9:00 am"


def test_a_span_within_one_day_names_the_day_once():
    assert format_span(utc(2026, 12, 2, 1), utc(2026, 12, 2, 4), year=False) == "12月2日（周三）9:00-12:00"
    assert (format_span(utc(2026, 12, 2, 1), utc(2026, 12, 3, 4), year=False)
            == "12月2日（周三）上午9:00至12月3日（周四）中午12:00")


def test_another_years_day_carries_its_year():
    from datetime import date
    today = datetime.now(timezone.utc)
    assert format_day(date(today.year + 1, 1, 10)).startswith(f"{today.year + 1}年1月10日")
    assert not format_day(date(today.year, 1, 10)).startswith(f"{today.year}年")


def test_naive_times_are_utc_as_stored_and_days_carry_the_weekday():
    assert format_day(datetime(2026, 12, 1, 16, 0), year=False) == "12月2日（周三）"
    assert format_day(utc(2026, 12, 2, 1), year=True) == "2026年12月2日（周三）"


def test_a_calendar_date_is_shown_as_it_is():
    from datetime import date
    assert format_day(date(2026, 12, 2), year=False) == "12月2日（周三）"


def test_a_beijing_year_runs_from_four_pm_utc_on_new_years_eve():
    from core.times import year_span
    assert year_span(2027) == (utc(2026, 12, 31, 16), utc(2027, 12, 31, 16))
