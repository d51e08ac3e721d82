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


def among(column, ids):
    """`column IN (ids)` for a page's worth of ids. On PostgreSQL one bound array (`= ANY`): a 500-row page's
    follow-up queries are then compiled once and sent with one parameter, not expanded and parsed with 500."""
    from sqlalchemy import any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    from core.extensions import db
    ids = list(ids)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)
