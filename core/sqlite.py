"""SQLite settings that make it behave like the production database where it matters."""
from sqlalchemy import event


def enable_sqlite_pragmas(engine):
    """Foreign keys on, WAL for concurrent readers, a busy timeout instead of 'database is locked'."""
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe against crashes of the app
        cursor.close()
