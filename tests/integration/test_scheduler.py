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


def test_killing_the_leading_scheduler_during_a_vote_closes_it_once_on_the_other(
        app, world, database, database_url, simulator, tmp_path):
    """Two `flask scheduler run` processes; the leader reminds the non-voters, then is SIGKILLed before
    the vote's time is up. The other takes over, closes the vote once, and does not remind again."""
    if database["kind"] != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import func, select

    from core.models import AuditLog, Dwelling
    from notices.models import Notice
    from tests.builders import bind_accounts, roll_with_owner
    from tests.functional.test_votes import ROWS
    from votes import services as votes
    from votes.models import Vote
    roll_with_owner(world.compound_a.id, ROWS)
    bind_accounts(world.compound_a.id, 4, prefix="sched")
    unit_id = db.session.scalar(select(Dwelling.unit_id))
    vote = votes.create_vote(world.committee_a, "unit", unit_id, "rebuild", "加装电梯")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(seconds=8))
    db.session.commit()
    vote_id = vote.id
    env = dict(os.environ, GONGJIAN_ENV="test", DATABASE_URL=database_url, FLASK_APP="wsgi", SCHEDULER_RETRY="0.3",
               VOTES_INTERVAL="1", OUTBOX_INTERVAL="1", WECHAT_API_BASE=simulator.url, LOG_LEVEL="INFO")
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    handles = [open(log, "w") for log in logs]
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=handle) for handle in handles]

    def reminders():
        db.session.rollback()
        return db.session.scalar(select(func.count(Notice.id)).where(Notice.kind == "vote_reminder"))

    try:
        assert wait_until(lambda: any("scheduler elected" in log.read_text() for log in logs), 20)
        leader = next(i for i, log in enumerate(logs) if "scheduler elected" in log.read_text())
        assert wait_until(lambda: reminders() > 0, 20)
        processes[leader].send_signal(signal.SIGKILL)
        processes[leader].wait(10)
        follower = 1 - leader

        def closed():
            db.session.rollback()
            return db.session.get(Vote, vote_id).state == "closed"
        assert wait_until(closed, 40)
        assert "scheduler elected" in logs[follower].read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(15)
        for handle in handles:
            handle.close()
    assert reminders() == 4  # the four owners on WeChat who had not voted, once, not again after the takeover
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "vote.close")) == 1
    assert votes.verify(vote_id) == []
