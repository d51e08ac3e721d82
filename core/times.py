"""Times as a resident reads them: Beijing time, the way a notice board writes them. Pure.

One helper for every door (bot lines, notice texts, the API's readable fields, pages):
`12月2日（周二）上午9:00`, a span `12月2日（周二）9:00-12:00`, never UTC, never seconds. Stored times stay
aware UTC; only what a person reads is converted.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
_WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_beijing(moment):
    """An aware datetime (or a naive one meaning UTC) in Beijing time; None stays None."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING)


def _english(locale):
    return str(locale or "").lower().startswith("en")


def _clock_zh(local, with_period=True):
    if not with_period:
        return f"{local.hour}:{local.minute:02d}"
    hour = local.hour
    period = "凌晨" if hour < 6 else "上午" if hour < 12 else "中午" if hour < 13 else "下午" if hour < 18 else "晚上"
    shown = hour if hour <= 12 else hour - 12
    return f"{period}{shown}:{local.minute:02d}"


def _clock_en(local):
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def format_day(moment, locale="zh_Hans_CN", year=None):
    """'12月2日（周二）' (with '2026年' when `year`, or when not this year), or 'Tue 2 Dec' in English; a date is
    a calendar day."""
    local = moment if isinstance(moment, date) and not isinstance(moment, datetime) else to_beijing(moment)
    if year is None:
        year = local.year != datetime.now(BEIJING).year
    if _english(locale):
        text = f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]}"
        return f"{text} {local.year}" if year else text
    text = f"{local.month}月{local.day}日（周{_WEEKDAYS_ZH[local.weekday()]}）"
    return f"{local.year}年{text}" if year else text


def format_moment(moment, locale="zh_Hans_CN", year=None):
    """'12月2日（周二）上午9:00' / 'Tue 2 Dec, 9:00 am', in Beijing time ('' for None)."""
    if moment is None:
        return ""
    local = to_beijing(moment)
    if _english(locale):
        return f"{format_day(local, locale, year)}, {_clock_en(local)}"
    return f"{format_day(local, locale, year)}{_clock_zh(local)}"


def format_span(start, end, locale="zh_Hans_CN", year=None):
    """'12月2日（周二）9:00-12:00' within a day, else two moments joined by '至' / 'to'."""
    if start is None or end is None:
        return format_moment(start or end, locale, year)
    first, last = to_beijing(start), to_beijing(end)
    if first.date() == last.date():
        day = format_day(first, locale, year)
        if _english(locale):
            return f"{day}, {first.hour}:{first.minute:02d}-{last.hour}:{last.minute:02d}"
        return f"{day}{_clock_zh(first, False)}-{_clock_zh(last, False)}"
    joiner = " to " if _english(locale) else "至"
    return f"{format_moment(first, locale, year)}{joiner}{format_moment(last, locale, year)}"


def format_clock(moment, locale="zh_Hans_CN"):
    """Only the time of day: '上午9:00' / '9:00 am'."""
    local = to_beijing(moment)
    return _clock_en(local) if _english(locale) else _clock_zh(local)


def wechat_time(moment):
    """A WeChat subscribe-message `time` field: '2026年12月2日 09:00', Beijing time."""
    local = to_beijing(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}"


def wechat_date(moment):
    """A WeChat subscribe-message `date` field: '2026年12月2日', Beijing time."""
    local = to_beijing(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def iso_beijing(moment):
    """ISO 8601 with the +08:00 offset, for API fields a mini-program shows as they are."""
    return to_beijing(moment).isoformat(timespec="minutes") if moment is not None else None


def year_span(year):
    """The UTC instants at which a Beijing calendar year begins and the next one begins: a stored time is in
    `year` as officials count it when start <= time < end (2026-12-31 17:00 UTC is 2027 in Beijing)."""
    start = datetime(year, 1, 1, tzinfo=BEIJING).astimezone(timezone.utc)
    return start, datetime(year + 1, 1, 1, tzinfo=BEIJING).astimezone(timezone.utc)


def days_left(moment, now):
    """Whole days from `now` until `moment` in Beijing calendar days (0 = today)."""
    return (to_beijing(moment).date() - to_beijing(now).date()) // timedelta(days=1)


def time_left(moment, now):
    """(days, hours) from `now` until `moment`, rounded down; (0, 0) once past (a countdown)."""
    seconds = max(0, int((to_beijing(moment) - to_beijing(now)).total_seconds()))
    return seconds // 86400, seconds % 86400 // 3600
