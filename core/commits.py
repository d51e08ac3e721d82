"""Commits that need not wait for the disk: a transaction that only moved a conversation along.

A bot turn that files nothing (no wish, no ballot, no binding, no consent: nothing a resident or staff relies on)
only moves where a conversation stands. On PostgreSQL such a transaction commits with
`SET LOCAL synchronous_commit TO off`: the commit returns before its WAL reaches the disk, and a crash of the
database server may lose the last fraction of a second of such transactions (each one whole: a conversation
position with the record of its message, never half of one). A fact is never committed this way.

What decides is what the transaction wrote, not what the caller says: statements marked `conversation_only`
(the conversation's upsert and delete, the customer-service window's mark, the record of the message) keep a
transaction light; any other insert, update or delete, any ORM flush and any text or driver statement not
marked makes it durable. Reads never count."""
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from core.extensions import db

OPTION = "conversation_only"
_WROTE = "wrote_facts"  # in the connection's info: this transaction wrote something not marked


def conversation_only(statement):
    """Mark a statement as one that only moves a conversation along (it never records a fact)."""
    return statement.execution_options(**{OPTION: True})


ASYNC_SQL = "SET LOCAL synchronous_commit TO off"
ASYNC = conversation_only(text(ASYNC_SQL))


@event.listens_for(Engine, "before_cursor_execute")
def _watch(conn, cursor, statement, parameters, context, executemany):
    if conn.info.get(_WROTE):
        return
    if context is not None and (context.execution_options.get(OPTION) or (
            context.compiled is not None and isinstance(context.compiled.statement, Select))):
        return  # marked as a conversation move, or a read
    conn.info[_WROTE] = True


@event.listens_for(Engine, "begin")
def _reset(conn):
    conn.info.pop(_WROTE, None)


def wrote_facts(connection):
    """Whether the connection's transaction so far wrote anything but conversation moves."""
    return bool(connection.info.get(_WROTE))


def commit():
    """Commit the session's transaction: without waiting for the disk when it only moved conversations along
    (PostgreSQL), durably otherwise."""
    session = db.session()  # the request's own, behind the scoped registry
    if not session.in_transaction():
        return
    session.flush()  # an object changed in memory is written now, and counted
    connection = session.connection()
    if connection.dialect.name == "postgresql" and not wrote_facts(connection):
        _commit_without_waiting(session, connection)
    else:
        session.commit()


def _commit_without_waiting(session, connection):
    driver = connection.connection.driver_connection
    if hasattr(driver, "pipeline"):  # psycopg 3: the setting and the commit in one round trip
        with driver.pipeline():
            driver.execute(ASYNC_SQL)
            session.commit()
    else:
        session.execute(ASYNC)
        session.commit()
