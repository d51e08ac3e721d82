"""A pooled PostgreSQL connection whose session the server ended (as a restart ends them all) is replaced when it
is next handed out, without a ping on every checkout and without failing the request that gets it."""
import time

import pytest
from sqlalchemy import create_engine, text

from core.config import sqlalchemy_url
from core.extensions import db


@pytest.mark.postgresql_only
def test_a_connection_the_server_ended_in_the_pool_is_replaced_before_use(app, database_url):
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    ended = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.remove()  # the connection goes back to the pool
    admin = create_engine(sqlalchemy_url(database_url))
    try:
        with admin.begin() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended})
        deadline = time.monotonic() + 10
        while True:
            with admin.begin() as conn:  # pg_stat_activity is read once a transaction
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": ended}):
                    break
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)
    finally:
        admin.dispose()
    # The next request's first statement runs on a live connection.
    assert db.session.scalar(text("SELECT pg_backend_pid()")) != ended
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"
