"""Money in whole fen, split exactly: shares by weight that always add up to the total."""
import math
from decimal import Decimal
from fractions import Fraction

from core.errors import RuleViolation


def split_by_weight(total, weights):
    """Split `total` fen among keys by their weights (ints or Fractions), largest remainder first.

    Returns {key: fen}; the amounts add up to `total` exactly. Ties in the remainder go to the key that
    sorts first, so the same inputs always give the same split. A zero weight pays nothing."""
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise RuleViolation("money.bad_total", value=total)
    weights = {key: Fraction(w) for key, w in weights.items()}
    if any(w < 0 for w in weights.values()):
        raise RuleViolation("money.negative_weight")
    whole = sum(weights.values(), Fraction(0))
    if total and whole == 0:
        raise RuleViolation("money.no_weight")
    if not total:
        return {key: 0 for key in weights}
    # Exact in integers: scale every weight by the common denominator, then each key is owed
    # total * w / W fen, its whole part now and the remainders (numerators over W) ranked for the rest.
    scale = math.lcm(*(w.denominator for w in weights.values()))
    ints = {key: int(w * scale) for key, w in weights.items()}
    whole_int = sum(ints.values())
    shares, remainders = {}, {}
    for key, weight in ints.items():
        shares[key], remainders[key] = divmod(total * weight, whole_int)
    left = total - sum(shares.values())
    order = sorted(ints, key=lambda key: (-remainders[key], _sort_key(key)))
    for key in order[:left]:
        shares[key] += 1
    return shares


def _sort_key(key):
    return (0, key) if isinstance(key, int) else (1, str(key))


def format_yuan(fen):
    """'1,234.56' from 123456 fen (exact; no floating point)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def yuan(fen):
    """Yuan as an exact Decimal (123456 fen -> Decimal('1234.56')), for a spreadsheet cell that stays a number."""
    return Decimal(int(fen or 0)).scaleb(-2)
