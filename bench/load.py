"""Load: a province on vote day, against the production profile on loopback (gunicorn, PostgreSQL, Redis).

The data are those of bench/admin_pages.py (4,000 compounds, 460,000 dwellings, 100,000 wishes) plus an
open vote of a 2,000-dwelling compound whose owners are on WeChat and an open survey. Client threads
send a mix, bounded by count and by time: bot messages (40%), mini-program reads (25%), ballots (15%),
survey answers (10%), staff pages (10%). Prints throughput, p50/p99 and errors by endpoint, and the
server processes' peak memory. Usage:
    python bench/load.py [--database-url URL] [--requests 6000] [--seconds 60] [--clients 32] [--workers 4]
The database named in the URL is dropped and created again.
"""
import argparse
import hashlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

BIN = Path(sys.executable).parent
SURVEY = {"version": 1, "sections": [{"id": "s", "title": "满意度", "questions": [
    {"id": "overall", "type": "rating", "title": "总体满意度", "required": True},
    {"id": "note", "type": "text", "title": "意见"}]}]}


def prepare(url, compounds, dwellings, env):
    """The province, then owners of compound 1 on WeChat with mini-program sessions, an open vote, a survey."""
    os.environ.update(env)
    from bench import admin_pages
    from core.extensions import db
    from core.models import Ownership, ResidentSession, Staff, WechatAccount, utcnow
    from surveys import services as surveys
    from votes import services as votes
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
        if url.startswith("postgresql"):
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('wechat_accounts', 'id'), "
                                    "(SELECT max(id) FROM wechat_accounts))"))
        staff = Staff.query.filter_by(username="committee").one()
        vote = votes.create_vote(staff, "compound", 1, "rebuild", "加装电梯（投票日）")
        votes.open_vote(staff, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=3))
        survey = surveys.create_survey(staff, "compound", 1, "满意度调查", SURVEY, kind="satisfaction")
        surveys.open_survey(staff, survey.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=3))
        db.session.commit()
        db.engine.dispose()
        return tokens, vote.id, survey.id


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(int)

    def add(self, name, ms, ok):
        with self.lock:
            self.times[name].append(ms)
            if not ok:
                self.errors[name] += 1


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/gongjian_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--compounds", type=int, default=4000)
    parser.add_argument("--dwellings", type=int, default=460000)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "deploy"))
    from prod_check import Staff, free_port, recreate, wait_for
    import redis
    redis.Redis.from_url(args.redis_url).flushdb()
    sim_port, port = free_port(), free_port()
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
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).status_code == 200, 60, "gunicorn")
        run_load(args, env, base, tokens, vote_id, survey_id, web, Staff)
    finally:
        for proc in (web, sim):
            proc.terminate()
            proc.wait(20)


def run_load(args, env, base, tokens, vote_id, survey_id, web, Staff):
    from simulator.sender import Envelope, text_xml
    staff = Staff(base)
    staff.login("committee", "bench-password-2026")
    envelope = Envelope(env["WECHAT_TOKEN"], env["WECHAT_APPID"])
    recorder = Recorder()
    deadline = time.time() + args.seconds
    budget = iter(range(args.requests))
    budget_lock = threading.Lock()
    voters = list(range(len(tokens)))
    random.Random(3).shuffle(voters)
    voter_lock = threading.Lock()
    mix = [("bot", 40), ("read", 25), ("ballot", 15), ("survey", 10), ("staff", 10)]

    def next_voter():
        with voter_lock:
            return voters.pop() if voters else random.randrange(len(tokens))

    def one(http, rng, kind):
        if kind == "bot":
            user = rng.randrange(len(tokens))
            params, body = envelope.wrap(text_xml(f"voter-{user}", rng.choice(("帮助", "进度", "我的诉求"))))
            return "POST /wechat", http.post(base + "/wechat", params=params, data=body, timeout=15)
        if kind == "read":
            path = rng.choice(("/api/v1/me", "/api/v1/votes", "/api/v1/wishes", "/api/v1/surveys"))
            headers = {"Authorization": "Bearer " + tokens[rng.randrange(len(tokens))]}
            return f"GET {path}", http.get(base + path, headers=headers, timeout=15)
        if kind == "ballot":
            headers = {"Authorization": "Bearer " + tokens[next_voter()]}
            return "PUT ballot", http.put(f"{base}/api/v1/votes/{vote_id}/ballot", headers=headers, timeout=15,
                                          json={"choice": rng.choice(("agree", "agree", "disagree", "abstain"))})
        if kind == "survey":
            headers = {"Authorization": "Bearer " + tokens[rng.randrange(len(tokens))]}
            return "PUT survey answer", http.put(f"{base}/api/v1/surveys/{survey_id}/response", headers=headers,
                                                 timeout=15, json={"answers": {"overall": rng.randint(1, 5)},
                                                                   "submit": True})
        path = rng.choice((f"/admin/votes/{vote_id}/live", f"/admin/votes/{vote_id}", "/admin/wishes"))
        return f"GET {path.split('?')[0].replace(str(vote_id), '<id>')}", http.get(
            base + path, headers={"Cookie": staff.cookie}, timeout=15)

    def client(seed):
        rng = random.Random(seed)
        http = requests.Session()
        kinds = [k for k, w in mix for _ in range(w)]
        while time.time() < deadline:
            with budget_lock:
                if next(budget, None) is None:
                    return
            kind = rng.choice(kinds)
            start = time.perf_counter()
            try:
                name, response = one(http, rng, kind)
                ok = response.status_code < 400 or (kind == "survey" and response.status_code == 409)
                recorder.add(name, (time.perf_counter() - start) * 1000, ok and response.status_code != 500)
            except requests.RequestException:
                recorder.add(kind, (time.perf_counter() - start) * 1000, False)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in recorder.times.values())
    errors = sum(recorder.errors.values())
    print(f"{total} requests in {elapsed:.1f} s with {args.clients} clients and {args.workers} gunicorn workers: "
          f"{total / elapsed:.0f} req/s, {errors} errors")
    print(f"{'endpoint':<28} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, times in sorted(recorder.times.items()):
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{name:<28} {len(times):>6} {statistics.median(times):8.1f} {p99:8.1f} {recorder.errors[name]:>7}")
    print(f"server peak memory (gunicorn master + workers, VmHWM): {peak_memory_mb(children(web.pid)):.0f} MB")
    check = subprocess.run([str(BIN / "flask"), "votes", "verify", str(vote_id)], cwd=ROOT,
                           env=dict(os.environ, **env, FLASK_APP="wsgi"), capture_output=True, text=True)
    print("vote after the load:", " / ".join((check.stdout + check.stderr).strip().splitlines()[-3:]))


if __name__ == "__main__":
    main()
