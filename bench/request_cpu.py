"""Benchmark: the CPU each vote-day request costs, the app's and PostgreSQL's, measured in one process.

The data are bench/load.py's (a province of 4,000 compounds, a 2,000-owner compound on WeChat with an open vote
and an open survey). Each endpoint of the vote-day mix is called through the WSGI app itself, one request at a
time, with a real session token, signed WeChat messages or a committee member's signed-in session: the app's CPU
is this process's time (time.process_time), PostgreSQL's is its processes' time read from /proc. Unlike requests per
second under wrk, these figures barely move with what else the machine is doing, so two versions of the code can be
compared on a shared machine. The floor is the app's cheapest request that reaches the database (GET /healthz,
one SELECT 1).
Usage:
    python bench/request_cpu.py --database-url URL --redis-url URL [--requests 200] [--compounds 4000]
The database named in the URL has its schema dropped and rebuilt.
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/gongjian_request_cpu")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--compounds", type=int, default=4000)
    parser.add_argument("--dwellings", type=int, default=460000)
    parser.add_argument("--requests", type=int, default=200, help="requests measured per endpoint")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    env = {"GONGJIAN_ENV": "development", "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "WECHAT_TOKEN": "bench-token", "WECHAT_APPID": "wx0000000000000000", "BOT_RATE": "1000000",
           "LOG_LEVEL": "WARNING", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    os.environ.update(env)
    import redis
    redis.Redis.from_url(args.redis_url).flushdb()
    from bench import admin_pages, load
    tokens, vote_id, survey_id = load.prepare(args.database_url, args.compounds, args.dwellings, env)
    from werkzeug.test import EnvironBuilder
    import wsgi
    from simulator.sender import Envelope, text_xml
    app, envelope, rng = wsgi.app, Envelope(env["WECHAT_TOKEN"], env["WECHAT_APPID"]), random.Random(5)

    def resident(method, path, token, body=None):
        return EnvironBuilder(method=method, path=path, headers={"Authorization": "Bearer " + token},
                              json=body).get_environ()

    def chat(text):
        params, body = envelope.wrap(text_xml(f"voter-{rng.randrange(len(tokens))}", text))
        return EnvironBuilder(method="POST", path="/wechat", query_string=urlencode(params), data=body,
                              headers={"Content-Type": "text/xml"}).get_environ()

    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={admin_pages.signed_in(app, 'committee').get_cookie(name).value}"

    def page(path):
        return EnvironBuilder(method="GET", path=path, headers={"Cookie": cookie}).get_environ()

    cases = [
        ("floor: GET /healthz", lambda i: EnvironBuilder(method="GET", path="/healthz").get_environ()),
        ("chat: 帮助 (help)", lambda i: chat("帮助")),
        ("chat: 进度 (progress)", lambda i: chat("进度")),
        ("chat: 我的诉求 (my wishes)", lambda i: chat("我的诉求")),
        ("GET /api/v1/me", lambda i: resident("GET", "/api/v1/me", rng.choice(tokens))),
        ("GET /api/v1/votes", lambda i: resident("GET", "/api/v1/votes", rng.choice(tokens))),
        ("GET /api/v1/wishes", lambda i: resident("GET", "/api/v1/wishes", rng.choice(tokens))),
        ("GET /api/v1/surveys", lambda i: resident("GET", "/api/v1/surveys", rng.choice(tokens))),
        ("PUT ballot", lambda i: resident("PUT", f"/api/v1/votes/{vote_id}/ballot", tokens[i % len(tokens)],
                                          {"choice": "agree"})),
        ("PUT survey answer", lambda i: resident("PUT", f"/api/v1/surveys/{survey_id}/response",
                                                 tokens[(len(tokens) // 2 + i) % len(tokens)],
                                                 {"answers": {"overall": 4}, "submit": True})),
        ("GET /admin/votes/<id>/live", lambda i: page(f"/admin/votes/{vote_id}/live")),
        ("GET /admin/votes/<id>", lambda i: page(f"/admin/votes/{vote_id}")),
        ("GET /admin/wishes", lambda i: page("/admin/wishes")),
    ]
    statuses = {}

    def answered(status, _headers, _exc_info=None):
        statuses[status.split()[0]] = statuses.get(status.split()[0], 0) + 1

    warm, count = 10, args.requests
    print(f"{'request':<30} {'app ms':>8} {'database ms':>12}  (CPU per request, {count} requests each)")
    floor = None
    for name, make in cases:
        environs = [make(i) for i in range(warm + count)]
        for environ in environs[:warm]:
            b"".join(app(environ, answered))
        database_before, started = wrk.cpu_snapshot().get("database", 0), time.process_time()
        for environ in environs[warm:]:
            b"".join(app(environ, answered))
        spent = (time.process_time() - started) * 1000 / count
        database = (wrk.cpu_snapshot().get("database", 0) - database_before) * 1000 / count
        floor = floor or spent
        print(f"{name:<30} {spent:8.2f} {database:12.2f}  {spent / floor:5.1f}x floor")
    print(f"statuses: {statuses}")
    if set(statuses) != {"200"}:
        raise SystemExit("a request was not answered 200")


if __name__ == "__main__":
    main()
