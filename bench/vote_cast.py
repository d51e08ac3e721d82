"""Benchmark: owners casting at once through gunicorn on PostgreSQL, driven by wrk.

Two runs: owners of one vote casting through --connections connections at once, then the owners of
--votes votes at once. Every owner signs in with a mini-program session token and casts once; a quarter
change their mind once, later in the run. wrk replays the casts (each request once) and keeps every
answer. Prints ballots/s (from the first to the last ballot received), p50/p99 from wrk, and the floor: a
bare Flask endpoint on the same database writing one row per cast, driven the same way. After each run it
checks that nothing was lost or doubled: one ballot per owner who cast, every receipt handed out is a link
of the chain, the log has one entry per cast, the chain verifies and the tally equals the recount. Usage:
    python bench/vote_cast.py [--owners 2000] [--votes 20] [--connections 200] [--seconds 60]
                              [--database-url postgresql://postgres@127.0.0.1:5432/bench]
"""
import argparse
import hashlib
import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402

PORT, FLOOR_PORT = 5620, 5621


def prepare(url, votes_owners):
    """One compound per vote with its owners on WeChat, each with a session token; the votes open.
    Returns the app and [(vote_id, [(token, dwelling_id), ...]), ...]."""
    from sqlalchemy import insert, select
    from bench.common import bench_community, bench_stairwell, migrated_app, planner_statistics
    from core import registry
    from core.extensions import db
    from core.models import Dwelling, Ownership, Person, ResidentSession, WechatAccount, utcnow
    from core.staff import create_staff
    from votes import services as votes
    app = migrated_app(url)
    with app.app_context():
        region = bench_community()
        staff = create_staff(None, "committee", "社区", "committee", region.id, "bench-password-2026")
        result, serial = [], 0
        for v, owners in enumerate(votes_owners):
            compound = registry.add_compound(region, None, name=f"bench-{v}")
            unit = bench_stairwell(compound)
            first = (db.session.scalar(select(db.func.max(Dwelling.id))) or 0) + 1
            people = (db.session.scalar(select(db.func.max(Person.id))) or 0) + 1
            accounts = (db.session.scalar(select(db.func.max(WechatAccount.id))) or 0) + 1
            db.session.execute(insert(Dwelling.__table__), [
                {"id": first + i, "unit_id": unit.id, "room": str(1000 + i), "registered_area": 8000 + i,
                 "use": "residential"} for i in range(owners)])
            db.session.execute(insert(Person.__table__), [
                {"id": people + i, "name": f"owner{serial + i}", "id_key": f"key{serial + i}"} for i in range(owners)])
            db.session.execute(insert(Ownership.__table__), [
                {"dwelling_id": first + i, "person_id": people + i, "developer_held": False, "delivered": True}
                for i in range(owners)])
            db.session.execute(insert(WechatAccount.__table__), [
                {"id": accounts + i, "openid": f"cast-{serial + i}", "person_id": people + i,
                 "dwelling_id": first + i, "kind": "owner", "locale": "zh_Hans_CN", "follows": True,
                 "created_at": utcnow(), "privacy_consented_at": utcnow()} for i in range(owners)])
            tokens = [secrets.token_urlsafe(24) for _ in range(owners)]
            db.session.execute(insert(ResidentSession.__table__), [
                {"token_hash": hashlib.sha256(t.encode()).hexdigest(), "account_id": accounts + i,
                 "created_at": utcnow(), "expires_at": utcnow() + timedelta(days=1)} for i, t in enumerate(tokens)])
            serial += owners
            if url.startswith("postgresql"):
                from sqlalchemy import text
                for table in ("dwellings", "people", "wechat_accounts"):
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))
            vote = votes.create_vote(staff, "compound", compound.id, "rebuild", f"加装电梯 {v + 1}")
            votes.open_vote(staff, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=1))
            result.append((vote.id, [(t, first + i) for i, t in enumerate(tokens)]))
        db.session.commit()
        planner_statistics()
        db.engine.dispose()
    return app, result


def corpus(plan):
    """Every owner casts once (votes interleaved), then a quarter of them change their mind."""
    first, second = [], []
    longest = max(len(owners) for _vote, owners in plan)
    for i in range(longest):
        for vote_id, owners in plan:
            if i < len(owners):
                token, _dwelling = owners[i]
                choice = "agree" if i % 3 else "abstain"
                path = f"/api/v1/votes/{vote_id}/ballot"
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                first.append(wrk.line("PUT", path, headers, json.dumps({"choice": choice})))
                if i % 4 == 0:
                    second.append(wrk.line("PUT", path, headers, json.dumps({"choice": "disagree"})))
    return first + second


def check(app, plan, bodies, summary):
    """Nothing lost or doubled; returns (ballots, first received, last received, problems)."""
    from core.commits import one_snapshot
    from core.extensions import db
    receipts = []
    for body in bodies:
        try:
            answer = json.loads(body)
        except ValueError:
            continue
        receipts += [flat["receipt"] for flat in answer.get("flats", [])]
    chained = set()
    problems, ballots, times = [], 0, []
    unanswered = summary["sent"] - summary["received"]
    with app.app_context():
        for vote_id, _owners in plan:
            # casts still in flight as wrk stopped may commit while this reads: each vote is read at one moment
            with one_snapshot(db.session):
                ballots += _check_vote(vote_id, problems, chained, times)
        db.engine.dispose()
    if any(r not in chained for r in receipts):
        problems.append("a receipt handed out is not a link of the chain")
    if len(set(receipts)) != len(receipts):
        problems.append("a receipt was handed out twice")
    answered = summary["statuses"].get("200", 0)
    total_events = len(times)
    if not answered <= total_events <= answered + unanswered:
        problems.append(f"{total_events} log entries for {answered} casts answered ({unanswered} unanswered)")
    times.sort()
    return ballots, total_events, times, problems


def _check_vote(vote_id, problems, chained, times):
    """One vote's checks (problems, links and entry times added to the lists); returns its ballots."""
    from dataclasses import asdict
    from sqlalchemy import func, select
    from core.extensions import db
    from votes.models import Ballot, BallotEvent, Vote
    from votes.services import recount, tally, verify
    stored = db.session.execute(select(func.count(), func.count(func.distinct(Ballot.dwelling_id)))
                                .where(Ballot.vote_id == vote_id)).one()
    events = db.session.execute(select(BallotEvent.dwelling_id, BallotEvent.hash, BallotEvent.at)
                                .where(BallotEvent.vote_id == vote_id)).all()
    cast_by = {e.dwelling_id for e in events}
    times += [e.at for e in events]
    if stored[0] != stored[1]:
        problems.append(f"vote {vote_id}: a dwelling has two ballots")
    if stored[0] != len(cast_by):
        problems.append(f"vote {vote_id}: {stored[0]} ballots for {len(cast_by)} owners who cast")
    chained |= {e.hash[:16] for e in events}
    problems += [f"vote {vote_id}: verify: {p}" for p in verify(vote_id)]
    vote = db.session.get(Vote, vote_id)
    if asdict(tally(vote)) != asdict(recount(vote)):
        problems.append(f"vote {vote_id}: the tally differs from the recount")
    return stored[0]


def run_casts(name, args, plan, app):
    lines = corpus(plan)
    before = wrk.cpu_snapshot()
    summary, bodies = wrk.run(f"http://127.0.0.1:{PORT}", lines, args.seconds, args.connections, keep_bodies=True,
                              timeout=30)
    cpu = wrk.cpu_per_request(before, wrk.cpu_snapshot(), summary["received"])
    ballots, events, times, problems = check(app, plan, bodies, summary)
    rate = summary["statuses"].get("200", 0) / summary["seconds"]
    print(f"{name}: {summary['sent']} of {len(lines)} casts sent, {summary['received']} answered "
          f"({summary['statuses']}) in {summary['seconds']:.2f} s = {rate:.0f} ballots/s; p50 {summary['p50_ms']:.0f} ms, "
          f"p99 {summary['p99_ms']:.0f} ms; {ballots} ballots stored; checks: {'ok' if not problems else problems}\n"
          f"  {cpu}")
    return rate, summary, problems


def run_floor(name, args, plan):
    lines = corpus(plan)
    before = wrk.cpu_snapshot()
    summary = wrk.run(f"http://127.0.0.1:{FLOOR_PORT}", lines, args.seconds, args.connections, timeout=30)
    cpu = wrk.cpu_per_request(before, wrk.cpu_snapshot(), summary["received"])
    print(f"{name} floor (bare Flask, one row per cast): {wrk.describe(summary)} in {summary['seconds']:.2f} s {summary['statuses']} read errors {summary['read_errors']} timeouts {summary['timeouts']}\n  {cpu}")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=2000, help="owners of the one vote")
    parser.add_argument("--votes", type=int, default=20, help="votes at once in the second run")
    parser.add_argument("--owners-per-vote", type=int, default=500, help="owners of each vote in the second run")
    parser.add_argument("--connections", type=int, default=200, help="owners casting at once")
    parser.add_argument("--seconds", type=float, default=60, help="the longest a run may take")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/bench"))
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    app, plan = prepare(args.database_url, [args.owners] + [args.owners_per_vote] * args.votes)
    one, many = plan[:1], plan[1:]
    env = dict(os.environ, GONGJIAN_ENV="development", DATABASE_URL=args.database_url, LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)
    failed = []
    server = wrk.start_gunicorn("wsgi:app", PORT, env, workers=args.workers, worker_class="gthread",
                                threads=args.threads, health="/healthz")
    try:
        rate_one, sum_one, problems = run_casts(f"1 vote, {args.connections} owners at once", args, one, app)
        failed += problems
        rate_many, sum_many, problems = run_casts(f"{len(many)} votes at once", args, many, app)
        failed += problems
    finally:
        wrk.stop(server)
    os.environ["DATABASE_URL"] = args.database_url
    from bench import floor_app
    floor_app.create_schema()
    floor_app.engine.dispose()
    floor = wrk.start_gunicorn("bench.floor_app:app", FLOOR_PORT, env, workers=args.workers, worker_class="gthread",
                               threads=args.threads, health="/healthz")
    try:
        floor_one = run_floor("1 vote", args, one)
        floor_many = run_floor(f"{len(many)} votes", args, many)
    finally:
        wrk.stop(floor)
    print(f"one vote: {rate_one:.0f} ballots/s (aim >= 500), p99 {sum_one['p99_ms']:.0f} ms (aim < 500 ms); floor "
          f"{floor_one['rps']:.0f} req/s: ratio {rate_one / floor_one['rps']:.2f}x")
    print(f"{len(many)} votes: {rate_many:.0f} ballots/s in all (aim >= 1000), p99 {sum_many['p99_ms']:.0f} ms; floor "
          f"{floor_many['rps']:.0f} req/s: ratio {rate_many / floor_many['rps']:.2f}x")
    if failed:
        raise SystemExit("a ballot was lost or doubled, or the chain does not verify")


if __name__ == "__main__":
    main()
