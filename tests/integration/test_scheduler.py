"""The scheduler: jobs kept in the database survive a restart; on PostgreSQL exactly one process leads."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core import create_app
from core.extensions import db
from core.models import utcnow
from core.scheduler import schedule_once
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_restart_loses_no_job(database_url, simulator):
    first = create_app(make_config(database_url, SCHEDULER_ENABLED=True, SCHEDULER_RETRY=0.2,
                                   WECHAT_API_BASE=simulator.url))
    runner = first.extensions["scheduler"]
    assert wait_until(lambda: runner.running)
    with first.app_context():
        assert schedule_once("test.later", utcnow() + timedelta(hours=1), "notices.sender:forget_old_inbound")
    runner.stop()
    second = create_app(make_config(database_url, SCHEDULER_ENABLED=True, SCHEDULER_RETRY=0.2,
                                    WECHAT_API_BASE=simulator.url))
    runner = second.extensions["scheduler"]
    try:
        assert wait_until(lambda: runner.running)
        job = runner.scheduler.get_job("test.later")
        assert job is not None and job.next_run_time > utcnow() + timedelta(minutes=59)
        assert runner.scheduler.get_job("notices.outbox") is not None
    finally:
        runner.stop()
        with second.app_context():
            db.engine.dispose()
        with first.app_context():
            db.engine.dispose()


def probe(database_url, seconds):
    env = dict(os.environ, GONGJIAN_ENV="test", DATABASE_URL=database_url, SCHEDULER_ENABLED="1",
               SCHEDULER_RETRY="0.3", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "tests/scheduler_probe.py", str(seconds)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_exactly_one_of_two_processes_runs_the_scheduler_and_the_other_takes_over(database, database_url):
    if database["kind"] != "postgresql":
        pytest.skip("leader election is PostgreSQL's (SQLite runs one process)")
    processes = [probe(database_url, 60), probe(database_url, 60)]
    try:
        # Starting the app takes a few seconds on a busy machine: wait for one to lead, then a little more.
        assert wait_until(lambda: any(_said_leader(p) for p in processes), 30)
        time.sleep(2)
        leaders = [p for p in processes if _said_leader(p)]
        assert len(leaders) == 1
        leaders[0].send_signal(signal.SIGKILL)
        leaders[0].communicate()
        follower = next(p for p in processes if p is not leaders[0])
        assert wait_until(lambda: _said_leader(follower), 15)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                process.communicate()


def _said_leader(process):
    import selectors
    if getattr(process, "leader", False):
        return True
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if selector.select(timeout=0.05):
        line = process.stdout.readline()
        process.leader = "LEADER" in line
    selector.close()
    return getattr(process, "leader", False)


def test_the_leader_lock_is_held_by_one_session(database, database_url):
    if database["kind"] != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine
    from core.scheduler import LEADER_LOCK
    engine = create_engine(database_url)
    with engine.connect() as a, engine.connect() as b:
        assert a.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
        assert not b.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
    engine.dispose()
