"""Benchmark: deliver a notice to N residents through the outbox, against a bare loop of wechatpy sends.

The WeChat API simulator runs in its own process on loopback. Both sides send template messages with
the same bounded concurrency; the ratio shows what the bookkeeping (fan-out, claims, channel choice,
outcomes, one delivery per resident) costs. Usage:
    python bench/notice_fanout.py [--deliveries 100000] [--concurrency 8] [--database-url URL]
"""
import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

SIM_PORT = 5310


def prepare(url, count):
    from bench.common import bench_community, bench_flat, migrated_app
    from core import registry
    from core.extensions import db
    from core.models import WechatAccount, utcnow
    from core.staff import create_staff
    app = migrated_app(url, WECHAT_API_BASE=f"http://127.0.0.1:{SIM_PORT}")
    with app.app_context():
        region = bench_community()
        compound = registry.add_compound(region, None, name="bench")
        dwelling = bench_flat(compound)
        now = utcnow()
        for start in range(0, count, 10_000):
            db.session.execute(insert(WechatAccount.__table__), [
                {"openid": f"bench-{i}", "dwelling_id": dwelling.id, "kind": "owner", "follows": True,
                 "locale": "zh_Hans_CN", "created_at": now} for i in range(start, min(count, start + 10_000))])
        staff = create_staff(None, "committee-fanout", "bench", "committee", region.id, "bench-password-2026")
        db.session.commit()
        return app, staff.id, compound.id


def run_outbox(app, staff_id, compound_id, concurrency):
    from core.extensions import db
    from core.models import Staff
    from notices import services
    from notices.models import Delivery
    from notices.sender import drain
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        started = time.perf_counter()
        services.compose_notice(staff, "compound", compound_id, "停水通知", "明日 9:00-12:00 停水")
        db.session.commit()
        drain(batch=500, concurrency=concurrency)
        elapsed = time.perf_counter() - started
        sent = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
        db.engine.dispose()
    return elapsed, sent


def run_bare(count, concurrency):
    from wechatpy import WeChatClient
    token = requests.post(f"http://127.0.0.1:{SIM_PORT}/cgi-bin/stable_token", timeout=5, json={
        "grant_type": "client_credential", "appid": "wx0000000000000000", "secret": "dev-wechat-secret"}).json()
    client = WeChatClient("wx0000000000000000", "dev-wechat-secret", access_token=token["access_token"],
                          timeout=(3, 5), auto_retry=False)
    client.API_BASE_URL = f"http://127.0.0.1:{SIM_PORT}/cgi-bin/"
    data = {"thing1": {"value": "停水通知"}, "thing2": {"value": "明日 9:00-12:00 停水"}}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda i: client.message.send_template(f"bare-{i}", "gongjian-notice-template", data),
                      range(count)))
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from bench.common import bench_database, wechat_simulator
    with wechat_simulator(SIM_PORT), bench_database(args.database_url) as url:
        app, staff_id, compound_id = prepare(url, args.deliveries)
        ours, sent = run_outbox(app, staff_id, compound_id, args.concurrency)
        requests.post(f"http://127.0.0.1:{SIM_PORT}/sim/reset", timeout=5)
        bare = run_bare(args.deliveries, args.concurrency)
    print(f"{args.deliveries} deliveries, concurrency {args.concurrency}, database {url.split(':', 1)[0]}")
    print(f"outbox: {ours:.1f} s = {sent / ours:,.0f} deliveries/s ({sent} sent, fan-out included)")
    print(f"bare wechatpy loop: {bare:.1f} s = {args.deliveries / bare:,.0f} sends/s")
    print(f"ratio outbox/bare: {(sent / ours) / (args.deliveries / bare):.2f}x (aim >= 0.7x)")


if __name__ == "__main__":
    main()
