"""Rows that workers take in turn: an outbox's deliveries, the photos to fetch from WeChat."""
from sqlalchemy import text

from core.extensions import db


def claim_due(table, waiting, taken, order, batch, now):
    """Mark up to `batch` rows of `table` in state `waiting` whose next attempt is due as `taken` by this
    process (claimed_at = now), in `order`, and commit; returns their ids. Processes claiming at once never take
    the same row: SKIP LOCKED on PostgreSQL, the database's write lock on SQLite. `table`, the states and `order`
    are the caller's constants, never input."""
    lock = " FOR UPDATE SKIP LOCKED" if db.engine.dialect.name == "postgresql" else ""
    ids = db.session.execute(text(
        f"UPDATE {table} SET state = :taken, claimed_at = :now WHERE id IN ("
        f" SELECT id FROM {table} WHERE state = :waiting"
        f" AND (next_attempt_at IS NULL OR next_attempt_at <= :now) ORDER BY {order} LIMIT :n{lock})"
        " RETURNING id"), {"now": now, "n": batch, "waiting": waiting, "taken": taken}).scalars().all()
    db.session.commit()
    return sorted(ids)
