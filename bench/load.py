"""Load: a province on vote day, against the production profile on loopback (gunicorn, PostgreSQL, Redis).

The data are those of bench/admin_pages.py (4,000 compounds, 460,000 dwellings, 100,000 wishes) plus an
open vote of a 2,000-dwelling compound whose owners are on WeChat (with 0 to 3 wishes each) and an open survey. wrk replays a
pre-signed corpus in the mix: bot messages (40%), mini-program reads (25%), ballots (15%), survey answers
(10%), staff pages (10%), one wrk per endpoint at once with connections in proportion, so every endpoint
has its own percentiles. Prints throughput, p50/p99, errors by endpoint and the server's peak memory,
verifies the vote, then replays the same mix against the floor (bare Flask and wechatpy echo on the
same database) and prints the ratio. Usage:
    python bench/load.py [--database-url URL] [--redis-url URL] [--seconds 60] [--clients 32] [--workers 4]
The database named in the URL is dropped and created again.
"""
import argparse
import hashlib
import os
import random
import secrets
import json
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import delete, insert, select, text  # noqa: E402

from bench import wrk  # noqa: E402

BIN = Path(sys.executable).parent
PORT, SIM_PORT, FLOOR_PORT = 5640, 5641, 5642
SURVEY = {"version": 1, "sections": [{"id": "s", "title": "满意度", "questions": [
    {"id": "overall", "type": "rating", "title": "总体满意度", "required": True},
    {"id": "note", "type": "text", "title": "意见"}]}]}


def prepare(url, compounds, dwellings, env):
    """The province, then owners of compound 1 on WeChat with mini-program sessions, an open vote, a survey."""
    os.environ.update(env)
    from bench import admin_pages
    from bench.common import planner_statistics
    from core.extensions import db
    from core.models import Ownership, ResidentSession, Staff, WechatAccount, utcnow
    from surveys import services as surveys
    from votes import services as votes
    from wishes.counts import fresh_counts
    from wishes.models import Wish, WishCount
    app, _vote_id, _city = admin_pages.build(url, compounds, dwellings)
    with app.app_context():
        owners = db.session.execute(select(Ownership.dwelling_id, Ownership.person_id)
                                    .join(Ownership.dwelling).order_by(Ownership.dwelling_id)
                                    .where(Ownership.person_id <= admin_pages.VOTE_COMPOUND_DWELLINGS)).all()
        start = db.session.scalar(select(db.func.max(WechatAccount.id))) or 0
        rows, tokens = [], []
        for i, (dwelling_id, person_id) in enumerate(owners):
            rows.append({"id": start + 1 + i, "openid": f"voter-{i}", "dwelling_id": dwelling_id,
                         "person_id": person_id, "kind": "owner", "follows": True, "locale": "zh_Hans_CN",
                         "created_at": utcnow(), "privacy_consented_at": utcnow()})
        db.session.execute(insert(WechatAccount.__table__), rows)
        sessions = []
        for row in rows:
            token = secrets.token_urlsafe(24)
            tokens.append(token)
            sessions.append({"token_hash": hashlib.sha256(token.encode()).hexdigest(), "account_id": row["id"],
                             "created_at": utcnow(), "expires_at": utcnow() + timedelta(days=1)})
        db.session.execute(insert(ResidentSession.__table__), sessions)
        # Owners who open their wishes on vote day have filed some: none, one, two or three each (the chat's
        # 我的诉求 and the mini-program's list read them with their stories: the compound's votes and works).
        wishes = [{"account_id": row["id"], "dwelling_id": row["dwelling_id"], "compound_id": 1,
                   "catalogue_code": admin_pages.CODES[(i + k) % len(admin_pages.CODES)], "text": "楼道灯坏了",
                   "channel": "bot", "status": "classified", "created_at": utcnow(), "suggested_codes": [],
                   "photos": []} for i, row in enumerate(rows) for k in range(i % 4)]
        db.session.execute(insert(Wish.__table__), wishes)
        db.session.execute(delete(WishCount.__table__).where(WishCount.compound_id == 1))
        db.session.execute(insert(WishCount.__table__), [
            {"compound_id": c, "catalogue_code": code, "wishes": n} for (c, code), n in fresh_counts([1]).items()])
        if url.startswith("postgresql"):
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('wechat_accounts', 'id'), "
                                    "(SELECT max(id) FROM wechat_accounts))"))
        staff = Staff.query.filter_by(username="committee").one()
        vote = votes.create_vote(staff, "compound", 1, "rebuild", "加装电梯（投票日）")
        votes.open_vote(staff, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=3))
        survey = surveys.create_survey(staff, "compound", 1, "满意度调查", SURVEY, kind="satisfaction")
        surveys.open_survey(staff, survey.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=3))
        db.session.commit()
        planner_statistics()
        db.engine.dispose()
        return tokens, vote.id, survey.id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/gongjian_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--compounds", type=int, default=4000)
    parser.add_argument("--dwellings", type=int, default=460000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-rate", type=float, default=1500, help="the corpus holds this many requests a second")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "deploy"))
    from prod_check import Staff, recreate, wait_for
    import redis
    redis.Redis.from_url(args.redis_url).flushdb()
    sim_port, port = SIM_PORT, PORT
    env = {"GONGJIAN_ENV": "production", "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "SECRET_KEY": secrets.token_urlsafe(32), "PII_KEY": secrets.token_urlsafe(32),
           "VOTE_CHAIN_KEY": secrets.token_urlsafe(32),
           "WECHAT_TOKEN": secrets.token_hex(8), "WECHAT_APPID": "wx" + secrets.token_hex(8),
           "WECHAT_SECRET": secrets.token_hex(16), "WECHAT_API_BASE": f"http://127.0.0.1:{sim_port}",
           "BOT_RATE": "1000000", "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(args.workers),
           "BIND": f"127.0.0.1:{port}", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    started = time.perf_counter()
    recreate(args.database_url)
    tokens, vote_id, survey_id = prepare(args.database_url, args.compounds, args.dwellings, env)
    print(f"data ready in {time.perf_counter() - started:.0f} s: {args.compounds} compounds, {args.dwellings} "
          f"dwellings, {len(tokens)} owners on WeChat, vote {vote_id}, survey {survey_id}")
    full_env = dict(os.environ, **env, FLASK_APP="wsgi")
    sim = subprocess.Popen([str(BIN / "flask"), "wechat", "simulator", "--port", str(sim_port)], cwd=ROOT,
                           env=dict(full_env, GONGJIAN_ENV="development"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                           env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).status_code == 200, 240, "gunicorn")
        rps, errors, worst = run_load(args, env, base, tokens, vote_id, survey_id, web, Staff)
    finally:
        for proc in (web, sim):
            proc.terminate()
            proc.wait(20)
    floor_rps, _floor_errors, _floor_worst = run_floor(args, env, tokens, vote_id, survey_id)
    print(f"vote day {rps:.0f} req/s (aim >= 400), worst p99 {worst:.0f} ms (aim < 300 ms), {errors} errors; floor "
          f"{floor_rps:.0f} req/s: ratio {rps / floor_rps:.2f}x")


def peak_memory_mb(pids):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(p) for p in out]


MIX = [("bot", 40), ("read", 25), ("ballot", 15), ("survey", 10), ("staff", 10)]
READS = ("/api/v1/me", "/api/v1/votes", "/api/v1/wishes", "/api/v1/surveys")


def corpora(env, tokens, vote_id, survey_id, cookie, count, seed=3):
    """{endpoint: corpus lines}: `count` requests in the mix, each endpoint's share in its own corpus (each
    is replayed by its own wrk, so that every endpoint has its own percentiles). Every message is signed
    now, with its own nonce and MsgId; each owner casts once before anyone casts again."""
    from simulator.sender import Envelope, text_xml
    envelope = Envelope(env["WECHAT_TOKEN"], env["WECHAT_APPID"])
    rng = random.Random(seed)
    voters = list(range(len(tokens)))
    rng.shuffle(voters)
    out = defaultdict(list)
    total = sum(w for _k, w in MIX)
    for kind, weight in MIX:
        for i in range(count * weight // total):
            if kind == "bot":
                user = rng.randrange(len(tokens))
                text = rng.choice(("帮助", "进度", "我的诉求"))
                out["POST /wechat"].append(wrk.wechat_line(envelope, text_xml(f"voter-{user}", text)))
            elif kind == "read":
                path = READS[i % len(READS)]
                out[f"GET {path}"].append(wrk.line("GET", path, {"Authorization": "Bearer " + rng.choice(tokens)}))
            elif kind == "ballot":
                voter = voters[i] if i < len(voters) else rng.randrange(len(tokens))
                out["PUT ballot"].append(wrk.line(
                    "PUT", f"/api/v1/votes/{vote_id}/ballot",
                    {"Authorization": "Bearer " + tokens[voter], "Content-Type": "application/json"},
                    json.dumps({"choice": rng.choice(("agree", "agree", "disagree", "abstain"))})))
            elif kind == "survey":
                out["PUT survey answer"].append(wrk.line(
                    "PUT", f"/api/v1/surveys/{survey_id}/response",
                    {"Authorization": "Bearer " + rng.choice(tokens), "Content-Type": "application/json"},
                    json.dumps({"answers": {"overall": rng.randint(1, 5)}, "submit": True})))
            else:
                page = (f"/admin/votes/{vote_id}/live", f"/admin/votes/{vote_id}", "/admin/wishes")[i % 3]
                out[f"GET {page.replace(str(vote_id), '<id>')}"].append(wrk.line("GET", page, {"Cookie": cookie}))
    return out


def replay_all(base, lines_by_endpoint, seconds, clients):
    """One wrk per endpoint, all at once, with connections in proportion to the endpoint's share of the mix;
    returns {endpoint: summary}."""
    from concurrent.futures import ThreadPoolExecutor
    total = sum(len(v) for v in lines_by_endpoint.values())
    with ThreadPoolExecutor(len(lines_by_endpoint)) as pool:
        futures = {name: pool.submit(wrk.run, base, lines, seconds, max(1, round(clients * len(lines) / total)),
                                     threads=1, timeout=15)
                   for name, lines in lines_by_endpoint.items()}
        return {name: future.result() for name, future in futures.items()}


def report(title, results):
    """Prints the table; returns (req/s in all, errors, worst p99)."""
    rps = sum(r["rps"] for r in results.values())
    errors = sum(r["errors"] for r in results.values())
    print(f"{title}: {rps:.0f} req/s in all, {errors} errors")
    print(f"  {'endpoint':<28} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
    for name, r in sorted(results.items()):
        print(f"  {name:<28} {r['received']:>6} {r['rps']:7.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
              f"{r['errors']:>7}  {r['statuses']}" + ("  (corpus used up)" if r["exhausted"] else ""))
    return rps, errors, max(r["p99_ms"] for r in results.values())


def run_load(args, env, base, tokens, vote_id, survey_id, web, Staff):
    staff = Staff(base)
    staff.login("committee", "bench-password-2026")
    count = int(args.max_rate * args.seconds)
    lines = corpora(env, tokens, vote_id, survey_id, staff.cookie, count)
    before = wrk.cpu_snapshot()
    results = replay_all(base, lines, args.seconds, args.clients)
    cpu = wrk.cpu_per_request(before, wrk.cpu_snapshot(), sum(r["received"] for r in results.values()))
    survey = results.get("PUT survey answer")
    if survey:  # a second submission of one's survey is refused (409): expected, not an error
        survey["errors"] -= survey["statuses"].get("409", 0)
    rps, errors, worst = report(f"vote day ({args.workers} gunicorn workers, {args.clients} connections)", results)
    print(f"  {cpu}")
    print(f"server peak memory (gunicorn master + workers, VmHWM): {peak_memory_mb(children(web.pid)):.0f} MB")
    check = subprocess.run([str(BIN / "flask"), "votes", "verify", str(vote_id)], cwd=ROOT,
                           env=dict(os.environ, **env, FLASK_APP="wsgi"), capture_output=True, text=True)
    print("vote after the load:", " / ".join((check.stdout + check.stderr).strip().splitlines()[-3:]))
    return rps, errors, worst


def run_floor(args, env, tokens, vote_id, survey_id):
    """The same corpora against the bare floor app on the same database, workers and connections."""
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    from bench import floor_app
    floor_app.create_schema()
    floor_app.engine.dispose()
    floor = wrk.start_gunicorn("bench.floor_app:app", FLOOR_PORT, dict(os.environ, **env), workers=args.workers,
                               worker_class="gthread", threads=4, health="/healthz")
    try:
        results = replay_all(f"http://127.0.0.1:{FLOOR_PORT}",
                             corpora(env, tokens, vote_id, survey_id, "session=none",
                                     int(args.max_rate * args.seconds), seed=4), args.seconds, args.clients)
    finally:
        wrk.stop(floor)
    return report("floor (bare Flask + wechatpy echo on the same database)", results)


if __name__ == "__main__":
    main()
