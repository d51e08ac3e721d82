"""Commits that need not wait for the disk: a transaction that only moved a conversation along.

A bot turn that files nothing (no wish, no ballot, no binding, no consent: nothing a resident or staff relies on)
only moves where a conversation stands. On PostgreSQL such a transaction commits with synchronous_commit off:
the commit returns before its WAL reaches the disk, and a crash of the database server may lose the last
fraction of a second of such transactions (each one whole: a conversation position with the record of its
message, never half of one). A fact is never committed this way.

A transaction asks for it with a read marked `relaxing` that also says `set_config('synchronous_commit',
'off', true)` (the bot turn's first statement: no round trip of its own). What it then writes decides:
statements marked `conversation_only` (the conversation's upsert and delete, the customer-service window's
mark, the record of the message) keep it light; any other insert, update or delete (also one inside a SELECT's
WITH), any ORM flush and any text or driver statement not marked makes it durable again, by `SET LOCAL
synchronous_commit TO on` just before its COMMIT, whichever code commits. Reads never count.

The same watch lets a transaction that only read end with COMMIT where it would be rolled back (a GET's, at the
end of its request), which keeps the statements psycopg prepared on the connection (_end_reads_with_commit)."""
from contextlib import contextmanager

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

CONVERSATION_ONLY = "conversation_only"
RELAXES = "relaxes_commit"
_WROTE = "wrote_facts"  # in the connection's info: this transaction wrote something not marked
_RELAXED = "commit_relaxed"  # in the connection's info: this transaction set synchronous_commit off
_TOUCHED = "wrote_anything"  # in the connection's info: this transaction ran something other than a plain read
DURABLE = "SET LOCAL synchronous_commit TO on"


def conversation_only(statement):
    """Mark a statement as one that only moves a conversation along (it never records a fact)."""
    return statement.execution_options(**{CONVERSATION_ONLY: True})


def relaxing(statement):
    """Mark a read that sets synchronous_commit off for its transaction (PostgreSQL)."""
    return statement.execution_options(**{RELAXES: True})


@event.listens_for(Engine, "before_cursor_execute")
def _watch(conn, cursor, statement, parameters, context, executemany):
    options = context.execution_options if context is not None else {}
    if options.get(RELAXES):
        conn.info[_RELAXED] = True
    if conn.info.get(_WROTE):
        return
    if _reads_only(context):
        return
    conn.info[_TOUCHED] = True
    if options.get(CONVERSATION_ONLY):
        return  # marked as a conversation move
    conn.info[_WROTE] = True


def _reads_only(context):
    """Whether a statement is a SELECT that writes nothing: PostgreSQL lets a SELECT write only through a
    data-modifying WITH at its top (WITH made AS (INSERT ... RETURNING ...) SELECT ...)."""
    compiled = context.compiled if context is not None else None
    if compiled is None or not isinstance(compiled.statement, Select):
        return False
    return not any(isinstance(cte.element, UpdateBase) for cte in compiled.ctes or ())


@event.listens_for(Engine, "begin")
def _reset(conn):
    conn.info.pop(_WROTE, None)
    conn.info.pop(_RELAXED, None)
    conn.info.pop(_TOUCHED, None)


@event.listens_for(Engine, "rollback")
def _end_reads_with_commit(conn):
    """A transaction that only read ends with COMMIT instead of ROLLBACK (PostgreSQL): the same for the database,
    but at a ROLLBACK psycopg forgets every statement it prepared on the connection and has the server deallocate
    them all, so that after each request that only read (every GET ends so), the next requests' statements were
    parsed and planned again at every execution. A transaction that wrote anything, or failed, is rolled back;
    one whose connection was lost has nothing to end."""
    if conn.invalidated or conn.info.get(_TOUCHED) or conn.dialect.name != "postgresql":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None or dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
        return  # idle (nothing to end), or failed: the rollback ends it
    dbapi_connection.commit()  # the rollback that follows finds no transaction, and keeps the prepared statements


@event.listens_for(Engine, "commit")
def _before_commit(conn):
    if conn.info.get(_RELAXED) and conn.info.get(_WROTE):
        make_durable(conn.connection.dbapi_connection)


def waits_for_disk(conn):
    """Whether the connection's transaction, committed now, waits for the disk."""
    return not conn.info.get(_RELAXED) or bool(conn.info.get(_WROTE))


def make_durable(dbapi_connection):
    """This transaction wrote a fact: its commit waits for the disk after all."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(DURABLE)
    finally:
        cursor.close()


@contextmanager
def one_snapshot(session):
    """`session`: a scoped session (db.session). Reads that see the database as it stood at one moment, however many statements they take: on PostgreSQL, a
    read-only repeatable-read transaction of their own, ended (rolled back: it wrote nothing) as the block ends.
    Begun only outside a transaction: inside one, the block reads in the caller's transaction as it is (at read
    committed, each statement sees what was committed when it ran)."""
    if session().in_transaction() or session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    try:
        yield
    finally:
        session.rollback()
