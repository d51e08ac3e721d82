"""Benchmark: the bot's wish flow under gunicorn against a bare wechatpy echo handler, both driven by wrk.

Both run under gunicorn with the same workers; wrk (in its own process, written in C) replays a corpus of
signed text messages written just before each run: the wish flow of many bound residents, every message
with its own nonce and MsgId and a timestamp inside WeChat's five-minute window, each resident's steps far
apart so they arrive in order. For each server: requests/s at saturation, then p50/p99 at half that rate
(paced by wrk), and the ratio of the bot's saturation throughput to the echo's measured in the same run.
Usage:
    python bench/bot_throughput.py [--seconds 10] [--connections 16] [--users 2000] [--workers 2]
                                   [--database-url URL] [--redis-url URL]
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402

FLOW = ["楼道灯坏了，晚上看不见", "1", "好", "1"]  # the wish flow, as a resident types it
TOKEN = os.environ.get("WECHAT_TOKEN", "gongjian-dev-token")
PORT_BOT, PORT_ECHO = 5601, 5602


def corpus(users, count, path):
    """`count` signed messages: every user's first step, then every user's second step, and so on."""
    from simulator.sender import Envelope, text_xml
    envelope = Envelope(TOKEN, "wx0000000000000000")
    return [wrk.wechat_line(envelope, text_xml(users[i % len(users)], FLOW[(i // len(users)) % len(FLOW)]), path)
            for i in range(count)]


def prepare_database(url, users):
    """Migrate, seed the demo and bind `users` WeChat accounts to demo dwellings (owners when there are
    enough, the dwellings' other residents otherwise)."""
    from sqlalchemy import insert, select
    from bench.common import migrated_app, planner_statistics
    from core import demo
    from core.extensions import db
    from core.models import Ownership, WechatAccount, utcnow
    app = migrated_app(url)
    with app.app_context():
        demo.seed()
        owned = db.session.execute(select(Ownership.dwelling_id, Ownership.person_id)
                                   .where(Ownership.developer_held.is_(False))).all()
        start = db.session.scalar(select(db.func.max(WechatAccount.id))) or 0
        rows = [{"id": start + 1 + i, "openid": openid, "person_id": owned[i % len(owned)][1],
                 "dwelling_id": owned[i % len(owned)][0], "kind": "owner" if i < len(owned) else "tenant",
                 "locale": "zh_Hans_CN", "follows": True, "created_at": utcnow(), "privacy_consented_at": utcnow()}
                for i, openid in enumerate(users)]
        for row in rows[len(owned):]:
            row["person_id"] = None
        db.session.execute(insert(WechatAccount.__table__), rows)
        if url.startswith("postgresql"):
            from sqlalchemy import text
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('wechat_accounts', 'id'), "
                                    "(SELECT max(id) FROM wechat_accounts))"))
        db.session.commit()
        planner_statistics()
        db.engine.dispose()


def measure(name, base, path, users, args):
    before = wrk.cpu_snapshot()
    saturated = wrk.run(base, corpus(users, int(args.max_rate * args.seconds), path), args.seconds, args.connections)
    cpu = wrk.cpu_per_request(before, wrk.cpu_snapshot(), saturated["received"])
    # Paced: every connection waits between requests so that all of them together send about half as fast.
    pace = max(0.0, args.connections / max(saturated["rps"] / 2, 1) * 1000 - saturated["p50_ms"] / 2)
    paced = wrk.run(base, corpus(users, int(args.max_rate * args.seconds), path), args.seconds, args.connections,
                    pace_ms=pace)
    print(f"{name:>5}: saturation {wrk.describe(saturated)}\n       {cpu}\n       at half of it: {wrk.describe(paced)}")
    return saturated, paced


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-rate", type=float, default=8000, help="the corpus holds this many requests a second (more than the echo answers: a corpus used up ends the run with errors)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="the bot's replay guard and rate limits (else the database)")
    args = parser.parse_args()
    users = [f"bench-user-{i}" for i in range(args.users)]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        prepare_database(url, users)
        if args.redis_url:
            import redis
            redis.Redis.from_url(args.redis_url).flushdb()
        env = dict(os.environ, GONGJIAN_ENV="development", DATABASE_URL=url, LOG_LEVEL="WARNING",
                   WECHAT_TOKEN=TOKEN, BOT_RATE="1000000")  # many users sending fast: not what the limit is for
        if args.redis_url:
            env["REDIS_URL"] = args.redis_url
        # gthread with one thread: a sync worker, but with keep-alive (wrk keeps its connections open)
        bot = wrk.start_gunicorn("wsgi:app", PORT_BOT, env, workers=args.workers, worker_class="gthread",
                                 health="/healthz")
        try:
            bot_sat, bot_paced = measure("bot", f"http://127.0.0.1:{PORT_BOT}", "/wechat", users, args)
        finally:
            wrk.stop(bot)
        echo = wrk.start_gunicorn("bench.echo_app:app", PORT_ECHO, env, workers=args.workers, worker_class="gthread")
        try:
            echo_sat, _ = measure("echo", f"http://127.0.0.1:{PORT_ECHO}", "/", users, args)
        finally:
            wrk.stop(echo)
    print(f"database {url.split(':', 1)[0]}, redis {'yes' if args.redis_url else 'no'}, {args.workers} workers, "
          f"{args.connections} connections; floor (echo) {echo_sat['rps']:.1f} req/s, bot {bot_sat['rps']:.1f} "
          f"req/s: ratio {bot_sat['rps'] / echo_sat['rps']:.3f}x (aim >= 0.25x); bot p99 at half saturation "
          f"{bot_paced['p99_ms']:.1f} ms (aim < 100 ms)")
    if bot_sat["errors"] or echo_sat["errors"]:
        raise SystemExit("errors during the run")


if __name__ == "__main__":
    main()
