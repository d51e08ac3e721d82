"""Ids as doors receive them (forms, links, scope values): a database id is a positive 32-bit integer."""

MAX_ROW_ID = 2 ** 31 - 1


def row_id(value):
    """The id a form or link sent, or None when it is not one a row can have (not digits, 0, or beyond
    32 bits: PostgreSQL would refuse to compare such a number with an id column)."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None
