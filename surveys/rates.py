"""Satisfaction as practice reports it: the satisfaction rate (满意 + 基本满意 over respondents) beside the
response rate. Pure; exact Fractions."""
from dataclasses import dataclass
from fractions import Fraction

# The five-point overall rating: 5 满意, 4 基本满意, 3 一般, 2 不太满意, 1 不满意.
SATISFIED = (4, 5)


@dataclass(frozen=True)
class Rates:
    """Respondents, those satisfied or basically satisfied, the audience asked, and the two rates."""

    respondents: int
    rated: int
    satisfied: int
    audience: int
    satisfaction_rate: Fraction | None
    response_rate: Fraction | None


def satisfaction_rates(overall_ratings, audience):
    """Rates from each respondent's overall rating (None: no overall answer) and the audience's size."""
    overall_ratings = list(overall_ratings)
    answered = [r for r in overall_ratings if isinstance(r, int) and not isinstance(r, bool)]
    respondents = len(overall_ratings)
    satisfied = sum(1 for r in answered if r in SATISFIED)
    return Rates(respondents, len(answered), satisfied, audience,
                 Fraction(satisfied, len(answered)) if answered else None,
                 Fraction(respondents, audience) if audience else None)


def combine(rates):
    """Several projects' rates as one (a region): sums, then the rates of the sums."""
    respondents = sum(r.respondents for r in rates)
    satisfied = sum(r.satisfied for r in rates)
    rated = sum(r.rated for r in rates)
    audience = sum(r.audience for r in rates)
    return Rates(respondents, rated, satisfied, audience, Fraction(satisfied, rated) if rated else None,
                 Fraction(respondents, audience) if audience else None)
