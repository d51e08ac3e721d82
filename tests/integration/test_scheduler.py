"""The scheduler: jobs kept in the database survive a restart; on PostgreSQL exactly one process leads."""
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core import create_app
from core.extensions import db
from core.models import utcnow
from core.scheduler import schedule_once
from tests.builders import wait_until
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_exactly_one_of_two_processes_runs_the_scheduler_and_the_other_takes_over(database, database_url):
    processes = [probe(database_url, 60), probe(database_url, 60)]
    try:
        # Starting the app takes a few seconds on a busy machine: wait until both have bid for the lead.
        assert wait_until(lambda: all(_said(p) for p in processes), 60), [_said(p) for p in processes]
        assert sorted(word for p in processes for word in _said(p)) == ["FOLLOWER", "LEADER"]
        leader = next(p for p in processes if "LEADER" in _said(p))
        leader.send_signal(signal.SIGKILL)
        leader.communicate()
        follower = next(p for p in processes if p is not leader)
        assert wait_until(lambda: "LEADER" in _said(follower), 15)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                process.communicate()


def _said(process):
    """What a probe has said so far (LEADER, FOLLOWER), reading what it printed since the last look."""
    import selectors
    said = process.__dict__.setdefault("said", set())
    if process.returncode is not None:
        return said
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    while selector.select(timeout=0.05):
        line = process.stdout.readline()
        if not line:
            break
        said.add(line.strip())
    selector.close()
    return said


@pytest.mark.postgresql_only
def test_the_leader_lock_is_held_by_one_session(database, database_url):
    from sqlalchemy import create_engine
    from core.scheduler import LEADER_LOCK
    from core.config import sqlalchemy_url
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as a, engine.connect() as b:
        assert a.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
        assert not b.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
    engine.dispose()


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_killing_the_leading_scheduler_during_a_vote_closes_it_once_on_the_other(
        app, world, database, database_url, simulator, tmp_path):
    """Two `flask scheduler run` processes; the leader reminds the non-voters, then is SIGKILLed before
    the vote's time is up. The other takes over, closes the vote once, and does not remind again."""
    from sqlalchemy import func, select

    from core.models import AuditLog, Dwelling
    from notices.models import Notice
    from tests.builders import STAIRWELL_ROWS as ROWS
    from tests.builders import bind_accounts, roll_with_owner
    from votes import services as votes
    from votes.models import Vote
    roll_with_owner(world.compound_a.id, ROWS)
    bind_accounts(world.compound_a.id, 4, prefix="sched")
    unit_id = db.session.scalar(select(Dwelling.unit_id))
    vote = votes.create_vote(world.committee_a, "unit", unit_id, "rebuild", "加装电梯")
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
        # Starting two apps takes a while on a busy machine: the vote opens once one of them leads.
        assert wait_until(lambda: any("scheduler elected" in log.read_text() for log in logs), 90)
        leader = next(i for i, log in enumerate(logs) if "scheduler elected" in log.read_text())
        votes.open_vote(world.committee_a, vote_id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(seconds=15))
        db.session.commit()
        assert wait_until(lambda: reminders() > 0, 30)
        processes[leader].send_signal(signal.SIGKILL)
        processes[leader].wait(10)
        follower = 1 - leader

        def closed():
            db.session.rollback()
            return db.session.get(Vote, vote_id).state == "closed"
        assert wait_until(closed, 60)
        assert wait_until(lambda: "scheduler elected" in logs[follower].read_text(), 30)
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
