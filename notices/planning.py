"""Planning deliveries within WeChat's daily quotas. Pure: counts in, a plan out; no Flask, no database.

WeChat limits what an official account may push in a day (template messages about 100,000 a day;
customer-service messages only inside 48 hours of the resident's last message; a subscribe message only
once per acceptance). The outbox spends each channel's daily budget in priority order (vote deadlines,
water, power and gas cuts, safety first; general news last; then oldest first), so an urgent notice
overtakes queued general ones; what a day's budgets cannot carry waits for the next day, and the inbox
holds every notice from the moment it is sent. A day is a Beijing calendar day (WeChat's quotas reset
at midnight in Beijing)."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from core.times import BEIJING
from notices.channels import CUSTOMER_SERVICE

URGENT, NORMAL, GENERAL = 0, 1, 2     # lower goes first
PRIORITIES = (URGENT, NORMAL, GENERAL)
MAX_DAYS = 366


def priority_of(kind, urgent):
    """A notice's priority: urgent ones (vote deadlines, cuts, safety) first, staff's general news last."""
    if urgent:
        return URGENT
    return GENERAL if kind == "free_text" else NORMAL


def budget_day(moment):
    """The Beijing calendar day a moment's sends count against."""
    return moment.astimezone(BEIJING).date()


def next_reset(moment):
    """When the next day's budgets start: the coming midnight in Beijing (aware, in UTC)."""
    day = budget_day(moment) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(timezone.utc)


def left_today(budgets, used):
    """{channel: sends left today, None for no daily limit}."""
    return {channel: None if limit is None else max(0, limit - used.get(channel, 0))
            for channel, limit in budgets.items()}


@dataclass(frozen=True)
class Queued:
    """A notice's deliveries still to push: {channel order (best first): how many residents}."""

    notice_id: int
    priority: int
    groups: dict


@dataclass
class NoticePlan:
    """When a notice's pushes go out: per day the number sent, and those only the inbox can reach."""

    notice_id: int
    per_day: dict = field(default_factory=dict)     # date -> count pushed that day
    inbox_only: int = 0

    @property
    def last_day(self):
        return max(self.per_day) if self.per_day else None


@dataclass
class Plan:
    notices: dict                                    # notice id -> NoticePlan
    spent: dict                                      # date -> {channel: count}


def plan(queue, budgets, used, now):
    """Plan the queue (any order; it is sorted by priority, then notice id) from `now` on.

    `budgets`: {channel: daily limit or None}; `used`: {channel: already sent today}. A customer-service
    message is only planned today (the resident's 48-hour window may close before tomorrow); a resident
    whose every channel has a zero budget is reached through the inbox only."""
    ordered = sorted(queue, key=lambda q: (q.priority, q.notice_id))
    waiting = [(q.notice_id, order, count) for q in ordered for order, count in q.groups.items() if count > 0]
    plans = {q.notice_id: NoticePlan(q.notice_id) for q in ordered}
    spent = {}
    day, left = budget_day(now), left_today(budgets, used)
    for offset in range(MAX_DAYS):
        if not waiting:
            break
        if offset:
            day, left = day + timedelta(days=1), dict(budgets)
        today, still = spent.setdefault(day, {}), []
        for notice_id, order, count in waiting:
            usable = [c for c in order if (offset == 0 or c != CUSTOMER_SERVICE) and budgets.get(c) != 0]
            if not usable:
                plans[notice_id].inbox_only += count
                continue
            for channel in usable:
                room = left.get(channel)
                take = count if room is None else min(count, room)
                if take:
                    if room is not None:
                        left[channel] = room - take
                    today[channel] = today.get(channel, 0) + take
                    plans[notice_id].per_day[day] = plans[notice_id].per_day.get(day, 0) + take
                    count -= take
                if not count:
                    break
            if count:
                still.append((notice_id, order, count))
        waiting = still
    for notice_id, _order, count in waiting:   # beyond a year: as good as never, say inbox only
        plans[notice_id].inbox_only += count
    return Plan(plans, {day: channels for day, channels in spent.items() if channels})
