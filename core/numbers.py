"""Exact values written for people, one way everywhere. Pure.

Counts stay exact (ints and Fractions); only the text a person reads is rounded, and how is said here once:
a share of a whole rounds down (never shows a quorum as met before it is), any other value rounds half up."""
from fractions import Fraction


def decimal_text(value, places=2):
    """7/3 -> '2.33', 5/2 -> '2.5', 4 -> '4': rounded half up, no trailing zeros, no float on the way."""
    value = Fraction(value)
    scale = 10 ** places
    scaled = abs(value) * scale
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = "-" if value < 0 and whole else ""
    text = f"{whole // scale}.{whole % scale:0{places}d}" if places else str(whole)
    return sign + (text.rstrip("0").rstrip(".") if places else text)


def percent_text(part, whole, places=1):
    """part/whole as a percentage rounded down: (2, 3) -> '66.6' (0 for an empty whole)."""
    if not whole:
        return "0." + "0" * places if places else "0"
    scale = 10 ** places
    units = Fraction(part) * 100 * scale // Fraction(whole)
    return f"{units // scale}.{units % scale:0{places}d}" if places else str(units)
