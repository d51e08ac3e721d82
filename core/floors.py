"""Which floor a dwelling is on: as the roll or the committee says, else read from its room number."""
import re
import unicodedata

MAX_FLOOR = 99


def floor_from_room(room):
    """The floor a room number names: '501' → 5, '1203' → 12, '3-2-502' → 5, 'B101' → 1, '5' → None.

    Chinese room numbers are the floor followed by a two-digit door number; anything else gives None
    (the committee then sets the floor by hand)."""
    text = unicodedata.normalize("NFKC", str(room or "")).strip()
    text = re.sub(r"(室|号|房)$", "", text)
    match = re.search(r"(\d{3,4})$", text)
    if not match:
        return None
    digits = match.group(1)
    floor = int(digits[:-2])
    return floor if 1 <= floor <= MAX_FLOOR else None


def check_floor(value):
    """A floor as the committee types it: a whole number from -5 (basements) to 99, or None to clear it."""
    if isinstance(value, float) and value.is_integer():  # a number cell of a spreadsheet
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    text = re.sub(r"(层|楼|f|F)$", "", text)
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,2}", text) or not -5 <= int(text) <= MAX_FLOOR or int(text) == 0:
        from core.errors import RuleViolation
        raise RuleViolation("dwelling.bad_floor", value=value)
    return int(text)
