"""Conversation state per WeChat user, in the database so that it survives a restart.

Read and written as rows, one statement each: a turn never loads the conversation as an object."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, literal_column, select, text

from core import accounts
from core.commits import conversation_only, relaxing
from core.extensions import db
from core.models import Conversation, WechatAccount, aware, utcnow

IDLE_LIMIT = timedelta(minutes=30)
TABLE = Conversation.__table__
# Built once: a statement made anew each turn costs more to key for the compiled cache than to run.
LOAD = (select(WechatAccount, TABLE.c.flow, TABLE.c.step, TABLE.c.data, TABLE.c.updated_at)
        .outerjoin(TABLE, TABLE.c.openid == WechatAccount.openid).where(WechatAccount.openid == bindparam("openid")))
# On PostgreSQL the same read lets the turn commit without waiting for the disk (core/commits.py): the commit
# waits after all if the turn wrote anything but conversation moves.
LOAD_RELAXED = relaxing(LOAD.add_columns(literal_column("set_config('synchronous_commit', 'off', true)")))
# PostgreSQL and SQLite say an upsert alike; their dialects' own INSERT constructs are never cached.
SAVE = conversation_only(text("INSERT INTO conversations (openid, flow, step, data, updated_at) "
            "VALUES (:openid, :flow, :step, :data, :updated_at) ON CONFLICT (openid) DO UPDATE "
            "SET flow = excluded.flow, step = excluded.step, data = excluded.data, updated_at = excluded.updated_at"
            ).bindparams(bindparam("data", type_=TABLE.c.data.type),
                         bindparam("updated_at", type_=TABLE.c.updated_at.type)))
CLEAR = conversation_only(delete(TABLE).where(TABLE.c.openid == bindparam("openid")))


@dataclass(frozen=True)
class Saved:
    """Where a user's conversation stood after their last message."""

    flow: str
    step: str
    data: dict
    updated_at: datetime


def account_and_saved(openid):
    """The user's account (created on first sight) and their saved conversation or None, in one query."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    row = db.session.execute(LOAD_RELAXED if postgresql else LOAD, {"openid": openid}).first()
    if row is None:
        return accounts.account_for(openid), None
    return row[0], Saved(*row[1:5]) if row.flow is not None else None


def load(openid, saved):
    """The user's open conversation, or None (an idle one is forgotten)."""
    if saved is None:
        return None
    if utcnow() - aware(saved.updated_at) > IDLE_LIMIT:
        clear(openid)
        return None
    return saved


def save(openid, flow, step, data):
    """Remember where the user is."""
    db.session.execute(SAVE, {"openid": openid, "flow": flow, "step": step, "data": dict(data),
                              "updated_at": utcnow()})


def clear(openid):
    """End the user's conversation."""
    db.session.execute(CLEAR, {"openid": openid})
