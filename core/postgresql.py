"""PostgreSQL connections that died while they sat in the pool are dropped before anyone uses them."""
import select

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError


def connection_is_dead(dbapi_connection):
    """Whether a psycopg connection taken from the pool can no longer be used, asked without a round trip.

    An idle connection has nothing to read: when the server ends a session (a restart, a terminated backend) it
    sends its last words and closes the socket, which makes the socket readable. A connection that is merely
    slow to answer is not idle, and is not checked here."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # noqa: BLE001 - psycopg raises when the connection has no socket any more
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def drop_dead_connections(engine):
    """Check each pooled connection as it is handed out, instead of pinging the server (pool_pre_ping costs a
    round trip on every checkout): the pool replaces a dead one with a new connection."""
    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, _record, _proxy):
        if connection_is_dead(dbapi_connection):
            raise DisconnectionError("the server closed this connection")
