"""Benchmark: 200 owners casting at once through gunicorn on PostgreSQL.

Each owner signs in with a session token, casts, and a quarter change their mind once. Prints
ballots/s and p50/p99 latency, then checks that no ballot was lost or doubled: one ballot per
dwelling, equal to that owner's last successful cast, and the vote's hash chain verifies. Usage:
    python bench/vote_cast.py [--owners 200] [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""
import argparse
import hashlib
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 5320


def prepare(url, owners):
    from bench.common import bench_community, bench_stairwell, migrated_app
    from core import registry
    from core.extensions import db
    from core.models import Dwelling, Ownership, Person, ResidentSession, WechatAccount, utcnow
    from core.staff import create_staff
    from votes import services as votes
    app = migrated_app(url)
    with app.app_context():
        region = bench_community()
        compound = registry.add_compound(region, None, name="bench")
        unit = bench_stairwell(compound)
        tokens = []
        for i in range(owners):
            dwelling = Dwelling(unit_id=unit.id, room=str(100 + i), registered_area=8000 + i)
            person = Person(name=f"owner{i}", id_key=f"key{i}")
            db.session.add_all([dwelling, person])
            db.session.flush()
            db.session.add(Ownership(dwelling_id=dwelling.id, person_id=person.id))
            account = WechatAccount(openid=f"cast-{i}", person_id=person.id, dwelling_id=dwelling.id, kind="owner",
                                    locale="zh_Hans_CN", privacy_consented_at=utcnow())
            db.session.add(account)
            db.session.flush()
            token = secrets.token_urlsafe(24)
            db.session.add(ResidentSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), account=account,
                                           expires_at=utcnow() + timedelta(days=1)))
            tokens.append((token, dwelling.id))
        staff = create_staff(None, "bench", "bench", "committee", region.id, "bench-password")
        vote = votes.create_vote(staff, "compound", compound.id, "rebuild", "加装电梯")
        votes.open_vote(staff, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=1))
        db.session.commit()
        return app, vote.id, tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    app, vote_id, tokens = prepare(args.database_url, args.owners)
    env = dict(os.environ, GONGJIAN_ENV="development", DATABASE_URL=args.database_url, LOG_LEVEL="WARNING")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "8", "-b",
                               f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        last, latencies, failures, lock = {}, [], [0], threading.Lock()
        barrier = threading.Barrier(len(tokens))

        def owner(index, token, dwelling_id):
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            choices = ["agree", "disagree"] if index % 4 == 0 else ["agree" if index % 3 else "abstain"]
            barrier.wait()
            for choice in choices:
                started = time.perf_counter()
                response = session.put(f"http://127.0.0.1:{PORT}/api/v1/votes/{vote_id}/ballot",
                                       json={"choice": choice}, timeout=30)
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                        last[dwelling_id] = choice
                    else:
                        failures[0] += 1

        threads = [threading.Thread(target=owner, args=(i, t, d)) for i, (t, d) in enumerate(tokens)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    from sqlalchemy import select
    from core.extensions import db
    from votes.models import Ballot, Vote
    from votes.services import verify
    with app.app_context():
        stored = dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all())
        events = db.session.get(Vote, vote_id).event_count
        problems = verify(vote_id)
        db.engine.dispose()
    latencies.sort()
    print(f"{len(tokens)} owners, {len(latencies)} casts in {wall:.2f} s = {len(latencies) / wall:.0f} ballots/s; "
          f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms; "
          f"failed requests {failures[0]}")
    lost = [d for d in last if d not in stored]
    wrong = [d for d in last if stored.get(d) != last[d]]
    print(f"ballots stored {len(stored)} for {len(last)} dwellings; log entries {events} for {len(latencies)} casts; "
          f"lost {len(lost)}, differing from the owner's last cast {len(wrong)}; verify: "
          f"{'ok' if not problems else problems}")
    if lost or wrong or problems or events != len(latencies) or len(stored) != len(last):
        raise SystemExit("a ballot was lost or doubled")


if __name__ == "__main__":
    main()
