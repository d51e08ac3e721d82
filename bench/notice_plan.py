"""Benchmark: a 1,000,000-recipient notice planned across days within WeChat's daily budgets while an urgent
one overtakes it; then the real outbox sends a (scaled-down) day against the simulator.

Residents: every one follows the official account; 5% wrote to it in the last 48 hours (customer-service
window), 10% accepted one subscribe message. Prints the fan-out time, the plan (days, the day everyone is
reached) and its time, checks that no planned day exceeds a channel's budget, that the urgent notice is
planned first, and that the outbox, with every budget at --send-budget, sends no more than that per channel,
urgent residents first, and moves the rest to the next day. Usage:
    python bench/notice_plan.py [--recipients 1000000] [--urgent 50000] [--send-budget 2000] [--database-url URL]
Given a PostgreSQL URL it drops and rebuilds that database's schema.
"""
import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

SIM_PORT = 5710


def residents(compound, count, first, now, template):
    """`count` following residents in one dwelling of a compound; some in the window, some with a credit."""
    from core.extensions import db
    from core.models import WechatAccount
    from notices.models import SubscriptionCredit
    from bench.common import bench_flat
    dwelling = bench_flat(compound)
    for start in range(first, first + count, 20_000):
        stop = min(first + count, start + 20_000)
        ids = db.session.execute(insert(WechatAccount.__table__).returning(WechatAccount.__table__.c.id), [
            {"openid": f"bench-{i}", "dwelling_id": dwelling.id, "kind": "owner", "follows": True,
             "locale": "zh_Hans_CN", "created_at": now,
             "last_inbound_at": now - timedelta(hours=1) if i % 20 == 0 else None}
            for i in range(start, stop)]).scalars().all()
        credits = [{"account_id": ident, "template_id": template, "remaining": 1} for n, ident in enumerate(ids)
                   if (start + n) % 10 == 3]
        if credits:
            db.session.execute(insert(SubscriptionCredit.__table__), credits)
    db.session.commit()


def check_plan(found, budgets):
    """No planned day spends more than a channel's budget."""
    for day, spent in found.spent.items():
        for channel, count in spent.items():
            limit = budgets.get(channel)
            assert limit is None or count <= limit, (day, channel, count, limit)


def overtaken(general_id, urgent_id, template):
    """Channels through which a general push went out while an urgent resident it could carry still waits."""
    from core.extensions import db
    from core.models import WechatAccount, utcnow
    from notices.models import Delivery, SubscriptionCredit
    from notices.sender import CS_WINDOW
    used = set(db.session.scalars(select(Delivery.channel).where(Delivery.notice_id == general_id,
                                                                 Delivery.state == "sent").distinct()))
    waiting = (select(func.count()).select_from(Delivery).join(WechatAccount, Delivery.account_id == WechatAccount.id)
               .where(Delivery.notice_id == urgent_id, Delivery.state == "pending"))
    reach = {"template": WechatAccount.follows.is_(True),
             "customer_service": WechatAccount.last_inbound_at > utcnow() - CS_WINDOW,
             "subscribe": select(SubscriptionCredit.id).where(SubscriptionCredit.account_id == WechatAccount.id,
                                                              SubscriptionCredit.template_id == template,
                                                              SubscriptionCredit.remaining > 0).exists()}
    return [channel for channel in used if db.session.scalar(waiting.where(reach[channel]))]


def describe(found, notice_id, label):
    plan = found.notices[notice_id]
    days = ", ".join(f"{day.isoformat()} {count:,}" for day, count in sorted(plan.per_day.items()))
    print(f"  {label}: reaches everyone by {plan.last_day} ({days}); inbox only {plan.inbox_only}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--urgent", type=int, default=50_000)
    parser.add_argument("--send-budget", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from bench.common import bench_database, wechat_simulator
    with wechat_simulator(SIM_PORT), bench_database(args.database_url) as url:
        run(url, args)


def run(url, args):
    from bench.common import bench_community, migrated_app
    from core import registry
    from core.extensions import db
    from core.models import utcnow
    from core.staff import create_staff
    from notices import planning, services
    from notices.models import Delivery, SendBudgetUsage
    from notices.sender import budgets, drain, fan_out_due, used_on
    app = migrated_app(url, WECHAT_API_BASE=f"http://127.0.0.1:{SIM_PORT}")
    requests.post(f"http://127.0.0.1:{SIM_PORT}/sim/reset", timeout=5)
    with app.app_context():
        template = app.config["NOTICE_SUBSCRIBE_TEMPLATE"]
        region = bench_community()
        general_compound = registry.add_compound(region, None, name="全省")
        urgent_compound = registry.add_compound(region, None, name="停水小区")
        staff = create_staff(None, "bench", "bench", "committee", region.id, "Quota-planner-2026")
        now = utcnow()
        started = time.perf_counter()
        residents(general_compound, args.recipients, 0, now, template)
        residents(urgent_compound, args.urgent, args.recipients, now, template)
        print(f"{args.recipients:,} + {args.urgent:,} residents on {url.split(':', 1)[0]} "
              f"in {time.perf_counter() - started:.0f} s; daily budgets {budgets()}")

        general, _n = services.compose_notice(staff, "compound", general_compound.id, "社区新闻", "本周社区活动安排")
        db.session.commit()
        started = time.perf_counter()
        fan_out_due()
        print(f"fan-out of the general notice (the inbox of every resident): {time.perf_counter() - started:.1f} s")

        def plan_now():
            started = time.perf_counter()
            queue = services.queue_before(general)
            found = planning.plan(queue, budgets(), used_on(planning.budget_day(utcnow())), utcnow())
            return found, time.perf_counter() - started
        found, took = plan_now()
        check_plan(found, budgets())
        print(f"plan of {args.recipients:,} pushes: {took:.2f} s (query + planner); no day over a budget")
        describe(found, general.id, "general notice")
        started = time.perf_counter()
        report = services.delivery_report(staff, general.id)
        print(f"the committee's delivery report with the plan: {time.perf_counter() - started:.2f} s")

        urgent, _n = services.compose_notice(staff, "compound", urgent_compound.id, "停水通知", "明天9点至12点停水",
                                             urgent=True)
        db.session.commit()
        fan_out_due()
        found, took = plan_now()
        check_plan(found, budgets())
        assert found.notices[urgent.id].last_day == planning.budget_day(utcnow()), "the urgent notice waits"
        print(f"an urgent notice to {args.urgent:,} residents queued after it: planned in {took:.2f} s; "
              f"no day over a budget")
        describe(found, urgent.id, "urgent notice ")
        describe(found, general.id, "general notice")
        assert report["plan"]["reaches_everyone_by"] is not None

        # the real outbox, every budget scaled down to --send-budget
        for key in ("NOTICE_BUDGET_TEMPLATE", "NOTICE_BUDGET_CUSTOMER_SERVICE", "NOTICE_BUDGET_SUBSCRIBE"):
            app.config[key] = args.send_budget
        started = time.perf_counter()
        drain(batch=500, concurrency=8)
        took = time.perf_counter() - started
        calls = {path: len(requests.get(f"http://127.0.0.1:{SIM_PORT}/sim/calls", params={"path": path},
                                        timeout=30).json())
                 for path in ("/cgi-bin/message/template/send", "/cgi-bin/message/custom/send",
                              "/cgi-bin/message/subscribe/send")}
        usage = dict(db.session.execute(select(SendBudgetUsage.channel, SendBudgetUsage.used)).all())
        sent = dict(db.session.execute(select(Delivery.notice_id, func.count()).where(Delivery.state == "sent")
                                       .group_by(Delivery.notice_id)).all())
        waiting = db.session.scalar(select(func.count()).where(Delivery.state == "pending",
                                                               Delivery.next_attempt_at > utcnow()))
        print(f"outbox with every budget at {args.send_budget:,}: {took:.1f} s; WeChat calls {calls}; "
              f"usage {usage}; sent per notice {sent}; {waiting:,} moved to the next day")
        assert all(count <= args.send_budget for count in calls.values()), "a budget was exceeded"
        assert all(count <= args.send_budget for count in usage.values()), "a budget was exceeded"
        assert not overtaken(general.id, urgent.id, template), "a general push went before an urgent one"
        print("checks: no planned day and no real send over a budget; no general push went through a channel "
              "while an urgent resident it could carry waited")
        db.engine.dispose()


if __name__ == "__main__":
    main()
