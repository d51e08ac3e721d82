"""Benchmark: the bot's wish flow under gunicorn against a bare wechatpy echo handler.

Both run under gunicorn with 2 sync workers; a second process on loopback sends signed text
messages. For each: requests/s at saturation, then p50/p99 latency at half that rate, and the
ratio of the bot's saturation throughput to the echo's. Usage:
    python bench/bot_throughput.py [--seconds 10] [--concurrency 8] [--database-url URL]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOW = ["楼道灯坏了，晚上看不见", "1", "好", "1"]  # the wish flow, as a resident types it


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def loadgen(url, users, seconds, concurrency, rate):
    """Send the wish flow from `users` (round robin) for `seconds`; rate None = as fast as possible."""
    import requests
    from simulator.sender import Envelope, text_xml
    envelope = Envelope(os.environ.get("WECHAT_TOKEN", "gongjian-dev-token"), "wx0000000000000000")
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + seconds
    interval = concurrency / rate if rate else 0

    def worker(index):
        session = requests.Session()
        step, user = 0, users[index % len(users)]
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            if interval:
                next_at += interval
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            params, body = envelope.wrap(text_xml(user, FLOW[step % len(FLOW)]))
            started = time.perf_counter()
            try:
                response = session.post(url, params=params, data=body, timeout=10)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            step += 1
            if step % len(FLOW) == 0:
                user = users[(users.index(user) + concurrency) % len(users)]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors[0], "rps": len(latencies) / wall,
            "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


def run_loadgen(url, users, seconds, concurrency, rate=None):
    """The load generator in its own process, so it does not share our interpreter."""
    out = subprocess.run([sys.executable, __file__, "--loadgen", url, "--seconds", str(seconds),
                          "--concurrency", str(concurrency), "--rate", str(rate or 0), "--users", ",".join(users)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_gunicorn(app_spec, port, env):
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import requests
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn for {app_spec} did not start")


def prepare_database(url, users):
    """Migrate, seed the demo and bind `users` WeChat accounts to demo dwellings."""
    from flask_migrate import upgrade
    from core import MIGRATIONS, create_app, demo
    from core.config import Config
    from core.extensions import db
    from core.models import Dwelling, Ownership, WechatAccount
    app = create_app(Config(env={"GONGJIAN_ENV": "development", "DATABASE_URL": url}))
    with app.app_context():
        if url.startswith("postgresql"):
            from sqlalchemy import text
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=MIGRATIONS)
        demo.seed()
        owned = db.session.query(Ownership).filter(Ownership.developer_held.is_(False)).limit(len(users)).all()
        for openid, ownership in zip(users, owned):
            db.session.add(WechatAccount(openid=openid, person_id=ownership.person_id,
                                         dwelling_id=ownership.dwelling_id, kind="owner", locale="zh_Hans_CN"))
        db.session.commit()
        db.engine.dispose()
    return Dwelling


def measure(name, url, users, args):
    saturated = run_loadgen(url, users, args.seconds, args.concurrency)
    paced = run_loadgen(url, users, args.seconds, args.concurrency, rate=saturated["rps"] / 2)
    print(f"{name:>5}: saturation {saturated['rps']:7.1f} req/s (p50 {saturated['p50_ms']:.1f} ms, "
          f"p99 {saturated['p99_ms']:.1f} ms, errors {saturated['errors']}); at half of it "
          f"({paced['rps']:.1f} req/s): p50 {paced['p50_ms']:.1f} ms, p99 {paced['p99_ms']:.1f} ms, "
          f"errors {paced['errors']}")
    return saturated, paced


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--loadgen", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--users", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        print(json.dumps(loadgen(args.loadgen, args.users.split(","), args.seconds, args.concurrency,
                                 args.rate or None)))
        return
    users = [f"bench-user-{i}" for i in range(200)]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        prepare_database(url, users)
        env = dict(os.environ, GONGJIAN_ENV="development", DATABASE_URL=url, LOG_LEVEL="WARNING",
                   BOT_RATE="1000000")  # the load is a few users sending fast: not what the limit is for
        bot = start_gunicorn("wsgi:app", 5301, env)
        try:
            bot_sat, bot_paced = measure("bot", "http://127.0.0.1:5301/wechat", users, args)
        finally:
            bot.terminate()
            bot.wait()
        echo = start_gunicorn("bench.echo_app:app", 5302, env)
        try:
            echo_sat, _ = measure("echo", "http://127.0.0.1:5302/", users, args)
        finally:
            echo.terminate()
            echo.wait()
    print(f"database {url.split(':', 1)[0]}; ratio bot/echo throughput: {bot_sat['rps'] / echo_sat['rps']:.2f}x "
          f"(aim >= 0.5x); bot p99 at half saturation {bot_paced['p99_ms']:.1f} ms (aim < 200 ms)")


if __name__ == "__main__":
    main()
