"""Pooled PostgreSQL connections are checked only after they sat idle, not at every checkout.

SQLAlchemy's pool_pre_ping asks the server `SELECT 1` each time a request takes a connection: one more round
trip on every request, for connections that were in use a few milliseconds before. Here a connection is
pinged when it comes out of the pool after resting there longer than `seconds` (a restart of the database or a
dropped network link happens while connections rest); a dead one is replaced before the request sees it. A
connection the server closed sooner is seen on its socket at checkout (core/postgresql.py); one whose link
dropped silently less than `seconds` after its last use fails that request's statement instead, and SQLAlchemy
then recognises the disconnect and replaces every connection of the pool."""
import time

from sqlalchemy import event, exc

RESTED = "returned_at"  # in a connection record's info: when it went back into the pool


def ping_when_rested(engine, seconds):
    """Ping a connection at checkout when it rested in the pool more than `seconds`."""
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        if record is not None:
            record.info[RESTED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        returned = record.info.get(RESTED)
        if returned is None or time.monotonic() - returned <= seconds:
            return  # new, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (or connects anew).
            raise exc.DisconnectionError() from error
