"""Floor areas in exact hundredths of a square metre, and the vote law's area fallback."""
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from core.errors import RuleViolation

MAX_AREA_CM2 = 10_000 * 100  # no single exclusive part is larger than 10,000 m²
_UNIT_SUFFIXES = re.compile(r"(平方米|平米|m2|m²|sqm)$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def counted_area(registered, surveyed, contract):
    """The area the vote law counts: registered, else surveyed, else contract (None if none)."""
    for area in (registered, surveyed, contract):
        if area is not None:
            return area
    return None


def parse_area(value):
    """Parse '85.6', '85.60㎡', '85.6平方米' or '８５.６' into hundredths of m² (None if blank)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "").replace(",", "")
        if not text:
            return None
        text = _UNIT_SUFFIXES.sub("", text)
    if not _NUMBER.match(text):
        raise RuleViolation("roll.bad_area", value=str(value))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RuleViolation("roll.bad_area", value=str(value)) from None
    hundredths = amount * 100
    if hundredths != hundredths.to_integral_value():
        # Excel stores 85.6 as 85.59999999999999; accept float noise, refuse real extra digits.
        if isinstance(value, float) and abs(hundredths - hundredths.to_integral_value()) < Decimal("1e-6"):
            hundredths = hundredths.to_integral_value()
        else:
            raise RuleViolation("roll.area_precision", value=str(value))
    result = int(hundredths)
    if result <= 0 or result > MAX_AREA_CM2:
        raise RuleViolation("roll.area_range", value=str(value))
    return result


def format_area(hundredths):
    """Render hundredths of m² as a decimal string with two places ('85.60')."""
    if hundredths is None:
        return None
    sign = "-" if hundredths < 0 else ""
    whole, part = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{part:02d}"
