"""Faults during a vote: an app worker is SIGKILLed while owners cast and change ballots, then PostgreSQL
itself restarts. Clients retry what got no answer; afterwards every owner has exactly the ballot they last
got an answer for, nothing is doubled, and the vote's hash chain verifies."""
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, insert, select

from core.extensions import db
from core.models import Ownership, ResidentSession, Unit, WechatAccount, utcnow
from tests.builders import roll_rows, roll_with_owner
from votes import services as votes
from votes.models import Ballot

ROOT = Path(__file__).resolve().parents[2]
OWNERS, ROUNDS = 60, 4


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voters(compound_id):
    """A mini-program session for the owner of each dwelling."""
    rows = db.session.execute(select(Ownership.dwelling_id, Ownership.person_id).order_by(Ownership.dwelling_id)).all()
    tokens = []
    for i, (dwelling_id, person_id) in enumerate(rows):
        account = WechatAccount(openid=f"killer-{i}", dwelling_id=dwelling_id, person_id=person_id, kind="owner",
                                locale="zh_Hans_CN", privacy_consented_at=utcnow())
        db.session.add(account)
        db.session.flush()
        token = secrets.token_urlsafe(16)
        db.session.execute(insert(ResidentSession.__table__).values(
            token_hash=hashlib.sha256(token.encode()).hexdigest(), account_id=account.id, created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1)))
        tokens.append((dwelling_id, token))
    db.session.commit()
    return tokens


def gunicorn(database_url, simulator, port):
    env = dict(os.environ, GONGJIAN_ENV="test", DATABASE_URL=database_url, WECHAT_API_BASE=simulator.url,
               LOG_LEVEL="WARNING", BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", WEB_THREADS="4")
    return subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def wait_until(condition, failures, seconds=120):
    deadline = time.time() + seconds
    while not condition():
        assert not failures and time.time() < deadline, failures[:3] or "timed out"
        time.sleep(0.05)


def restart_postgres():
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=60)


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_ballots_survive_a_killed_worker_and_a_database_restart(app, world, simulator, database, database_url):
    can_restart = shutil.which("pg_ctlcluster") is not None and os.path.isdir("/etc/postgresql") and os.geteuid() == 0
    if not can_restart and os.environ.get("CI") == "true":
        pytest.fail("CI=true: the database restart needs pg_ctlcluster as root")
    roll_with_owner(world.compound_a.id, roll_rows(OWNERS))
    unit_id = db.session.scalar(select(Unit.id))
    vote = votes.create_vote(world.committee_a, "unit", unit_id, "rebuild", "加装电梯")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=1))
    db.session.commit()
    vote_id = vote.id
    tokens = voters(world.compound_a.id)
    db.session.remove()
    port = free_port()
    server = gunicorn(database_url, simulator, port)
    base = f"http://127.0.0.1:{port}"
    last_answered, lock, progress, failures = {}, threading.Lock(), [], []
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)

        def owner(dwelling_id, token, seed):
            try:
                cast(dwelling_id, token, seed)
            except Exception as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(repr(exc))

        def cast(dwelling_id, token, seed):
            choices = ["agree", "disagree", "abstain", "agree"][seed % 4:] + ["agree", "disagree"]
            for round_ in range(ROUNDS):
                choice = choices[round_ % len(choices)]
                for _attempt in range(60):  # retry until answered: the worker may die, the database restart
                    try:
                        response = requests.put(f"{base}/api/v1/votes/{vote_id}/ballot", timeout=10, json={
                            "choice": choice}, headers={"Authorization": "Bearer " + token})
                    except requests.RequestException:
                        time.sleep(0.3)
                        continue
                    if response.status_code == 200:
                        with lock:
                            last_answered[dwelling_id] = choice
                            progress.append(1)
                        break
                    assert response.status_code in (500, 502, 503), response.text
                    time.sleep(0.3)
                else:
                    raise AssertionError(f"dwelling {dwelling_id} never got an answer")
                time.sleep(0.05)

        threads = [threading.Thread(target=owner, args=(d, t, i)) for i, (d, t) in enumerate(tokens)]
        for t in threads:
            t.start()
        wait_until(lambda: len(progress) >= OWNERS * ROUNDS // 4, failures)
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        os.kill(int(workers[0]), signal.SIGKILL)  # the master forks a new worker
        if can_restart:
            wait_until(lambda: len(progress) >= OWNERS * ROUNDS // 2, failures)
            restart_postgres()
        for t in threads:
            t.join(180)
        assert not any(t.is_alive() for t in threads) and not failures, failures[:3]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert len(progress) == OWNERS * ROUNDS
    db.engine.dispose()  # the test's own pooled connections did not survive the restart
    stored = dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all())
    assert stored == last_answered  # each owner's last answered choice, one ballot each
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.vote_id == vote_id)) == OWNERS
    assert votes.verify(vote_id) == []
