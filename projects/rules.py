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
    if not items:
        return Fraction(0)
    total = sum(i.budget for i in items)
    if total == 0:
        return Fraction(sum(i.progress for i in items), len(items))
    return Fraction(sum(i.budget * i.progress for i in items), total)


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
