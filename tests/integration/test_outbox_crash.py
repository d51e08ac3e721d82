"""A fan-out to 10,000 residents survives SIGKILL: afterwards each has exactly one delivery, and
WeChat (the simulator) saw at most the batch in flight twice."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from core.extensions import db
from notices import services
from notices.models import Delivery
from tests.builders import bind_accounts, roll_rows, roll_with_owner

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS, BATCH = 10_000, 100


def drain_process(database_url, simulator, stale_after):
    env = dict(os.environ, GONGJIAN_ENV="test", DATABASE_URL=database_url, WECHAT_API_BASE=simulator.url,
               FLASK_APP="wsgi", SENDING_STALE_AFTER=str(stale_after), LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "flask", "notices", "drain", "--batch", str(BATCH),
                             "--concurrency", "8"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def sent_count(simulator):
    return requests.get(f"{simulator.url}/sim/state", timeout=5).json()["calls"]


def test_sigkill_midway_then_restart_delivers_each_exactly_once(app, world, simulator, database_url):
    roll_with_owner(world.compound_a.id, roll_rows(100))
    openids = bind_accounts(world.compound_a.id, RECIPIENTS)
    notice, count = services.compose_notice(world.committee_a, "compound", world.compound_a.id, "停电通知",
                                            "周五 8:00-18:00 更换变压器")
    db.session.commit()
    assert count == RECIPIENTS

    first = drain_process(database_url, simulator, stale_after=300)
    deadline = time.monotonic() + 120
    while sent_count(simulator) < RECIPIENTS // 3:
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    killed_at = sent_count(simulator)
    assert killed_at < RECIPIENTS

    # Restarted after the crash: claims left 'sending' by the dead process are taken up again.
    second = drain_process(database_url, simulator, stale_after=0)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == RECIPIENTS
    assert db.session.scalar(select(func.count(func.distinct(Delivery.account_id)))) == RECIPIENTS
    assert db.session.scalar(select(func.count()).where(Delivery.state != "sent")) == 0
    calls = requests.get(f"{simulator.url}/sim/calls", params={"path": "/cgi-bin/message/template/send"},
                         timeout=30).json()
    per_user = Counter(call["body"]["touser"] for call in calls)
    assert set(per_user) == set(openids)
    twice = [user for user, n in per_user.items() if n > 1]
    assert len(twice) <= BATCH and max(per_user.values()) <= 2
