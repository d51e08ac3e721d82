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


def _terminate(database_url, pids):
    """End these backends as an administrator would (pg_terminate_backend), and wait until they are gone."""
    admin = create_engine(sqlalchemy_url(database_url))
    try:
        with admin.begin() as conn:
            for pid in pids:
                assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while True:
            with admin.begin() as conn:
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                                   {"pids": list(pids)}):
                    break
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.02)
    finally:
        admin.dispose()


@pytest.mark.postgresql_only
@pytest.mark.parametrize("seen_by", ["socket", "ping"])
def test_every_pooled_connection_ended_at_once_fails_no_request(app, client, database_url, simulator, monkeypatch,
                                                                 seen_by):
    import threading
    from core import pool, postgresql
    from tests.builders import sign_in
    me = sign_in(client, simulator, "pool-1")  # a resident signed in to the mini-program: each request reads the database
    db.session.remove()
    held = [db.engine.connect() for _ in range(4)]  # four connections in the pool, as after a busy moment
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in held]
    for conn in held:
        conn.close()
    found_dead, pings = [], []
    if seen_by == "socket":  # used moments ago: no ping, the socket says the server closed it
        is_dead = postgresql.connection_is_dead
        monkeypatch.setattr(postgresql, "connection_is_dead", lambda c: is_dead(c) and not found_dead.append(1))
    else:  # the socket says nothing (a link that dropped silently), but they rested longer than DB_PING_AFTER
        monkeypatch.setattr(postgresql, "connection_is_dead", lambda c: False)
        records = list(db.engine.pool._pool.queue)
        assert len(records) == 4
        for record in records:
            record.info[pool.RESTED] -= app.config["DB_PING_AFTER"] + 1
        ping = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(1) or ping(c))
    _terminate(database_url, pids)
    answers, barrier = [], threading.Barrier(4)

    def ask():
        barrier.wait()
        answers.append(client.get("/api/v1/me", headers=me))
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [200] * 4, [a.get_data(as_text=True)[:200] for a in answers]
    assert (len(found_dead), len(pings)) == ((4, 0) if seen_by == "socket" else (0, 4))
    fresh = [db.engine.connect() for _ in range(4)]
    try:
        assert not {conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in fresh} & set(pids)
    finally:
        for conn in fresh:
            conn.close()
