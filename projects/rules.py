"""A project's life as pure rules: stage order, dates, progress roll-up. No database, no Flask."""
from dataclasses import dataclass
from fractions import Fraction

from core.errors import RuleViolation

STAGES = ("reserve", "planned", "design", "publicity", "approval", "construction", "acceptance", "handover",
          "management")


@dataclass(frozen=True)
class ItemProgress:
    """One item's budget (in fen) and progress (0-100)."""

    budget: int
    progress: int


def check_progress(value):
    """Progress is a whole percentage from 0 to 100."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise RuleViolation("project.bad_progress", value=value)
    return value


def rolled_up_progress(items):
    """The project's progress, each item weighted by its budget (equal weights when no budgets).

    Returned as an exact Fraction of 100; callers round for display."""
    return progress_from_totals(len(items), sum(i.budget for i in items), sum(i.budget * i.progress for i in items),
                                sum(i.progress for i in items))


def progress_from_totals(count, budget, weighted, plain):
    """rolled_up_progress from the items' totals: how many, their budgets, budget times progress, and progress."""
    if not count:
        return Fraction(0)
    if budget == 0:
        return Fraction(plain, count)
    return Fraction(weighted, budget)


def check_transition(current, target, skip_reason=None):
    """Moving from `current` to `target`: the next stage, or further with a reason; never backwards."""
    if target not in STAGES:
        raise RuleViolation("project.unknown_stage", stage=target)
    here, there = STAGES.index(current), STAGES.index(target)
    if there <= here:
        raise RuleViolation("project.stage_backwards", stage=target)
    if there > here + 1 and not (skip_reason and skip_reason.strip()):
        raise RuleViolation("project.stage_skipped", stage=STAGES[here + 1])
    return STAGES[here + 1:there]  # the stages skipped, if any


def check_dates(start, end):
    """A period whose end is not before its start (either may be open)."""
    if start is not None and end is not None and end < start:
        raise RuleViolation("project.dates_out_of_order")


# Reports and disputes: a deadline per kind, escalated community -> street -> county when missed.
ESCALATION = ("community", "street", "county")


def next_level(level):
    """The level a missed deadline escalates to, or None at the top (the county keeps it)."""
    here = ESCALATION.index(level)
    return ESCALATION[here + 1] if here + 1 < len(ESCALATION) else None


def deadline_hours(deadlines, kind):
    """The response deadline in hours for a kind of report, from the configured {kind: hours}."""
    hours = deadlines.get(kind)
    if not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0:
        raise RuleViolation("report.no_deadline", kind=kind)
    return hours


# Acceptance: handover only when every defect is closed, or waived with a reason.
DEFECT_DONE = ("closed", "waived")


def handover_blockers(defects):
    """The ids of defects that still block handover, from (id, status) pairs."""
    return [defect_id for defect_id, status in defects if status not in DEFECT_DONE]


@dataclass(frozen=True)
class ItemMoney:
    """One item's money in fen: budget, change orders (signed) and spending."""

    code: str
    budget: int
    changes: int
    spent: int


def final_accounts(items, funding):
    """The final accounts: per item the revised budget (budget + change orders), spending and the
    difference; totals; and the money by source. All in fen, exact."""
    rows = [{"code": i.code, "budget": i.budget, "changes": i.changes, "revised": i.budget + i.changes,
             "spent": i.spent, "difference": i.budget + i.changes - i.spent} for i in items]
    totals = {key: sum(r[key] for r in rows) for key in ("budget", "changes", "revised", "spent", "difference")}
    return {"items": rows, "totals": totals, "funding": dict(funding), "funded": sum(funding.values())}
