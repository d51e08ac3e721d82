"""Notices on a real database against the WeChat simulator: fan-out, channels, ledger, errors."""
from datetime import timedelta

import requests
from sqlalchemy import func, select

from core.extensions import db
from core.models import Building, Unit, WechatAccount, utcnow
from notices import services
from notices.models import ChannelBlock, Delivery, SenderPause, SubscriptionCredit
from notices.sender import drain, fan_out_due
from tests.builders import bind_accounts, roll_rows, roll_with_owner
from tests.builders import simulator_calls as calls


def inject(simulator, path, **rule):
    requests.post(f"{simulator.url}/sim/inject", json=dict(rule, path=path), timeout=5)


def setup_compound(world, count=6, **kwargs):
    roll_with_owner(world.compound_a.id, roll_rows(count))
    return bind_accounts(world.compound_a.id, count, **kwargs)


def notice_to_compound(world, scheduled_at=None):
    notice, recipients = services.compose_notice(world.committee_a, "compound", world.compound_a.id, "停水通知",
                                                 "明天 9:00-12:00 停水", scheduled_at)
    db.session.commit()
    return notice, recipients


def test_a_compound_notice_reaches_every_follower_once_by_template(app, world, simulator):
    openids = setup_compound(world)
    notice, recipients = notice_to_compound(world)
    assert recipients == 6
    assert drain() == 6
    sent = calls(simulator, "/cgi-bin/message/template/send")
    assert sorted(c["body"]["touser"] for c in sent) == sorted(openids)
    assert db.session.scalar(select(func.count()).where(Delivery.state == "sent")) == 6
    assert fan_out_due() == 0 and drain() == 0  # nothing twice


def test_fan_out_twice_creates_no_second_delivery(app, world, simulator):
    setup_compound(world, 3)
    notice, _ = notice_to_compound(world)
    fan_out_due()
    notice.fanned_out_at = None  # as if a crash happened before the notice was marked
    db.session.commit()
    fan_out_due()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 3


def test_a_unit_notice_reaches_only_that_stairwell(app, world, simulator):
    roll_with_owner(world.compound_a.id, roll_rows(4, unit="1") + roll_rows(4, unit="2"))
    bind_accounts(world.compound_a.id, 8)
    unit_id = db.session.scalar(select(Unit.id).join(Building).where(Unit.name == "2"))
    services.compose_notice(world.committee_a, "unit", unit_id, "电梯加装说明会", "周六上午在2单元门口")
    db.session.commit()
    drain()
    assert len(calls(simulator, "/cgi-bin/message/template/send")) == 4


def test_an_empty_audience_is_refused(app, world, simulator):
    import pytest
    from core.errors import InvalidInput
    with pytest.raises(InvalidInput) as caught:
        services.compose_notice(world.committee_a, "compound", world.compound_a.id, "x", "y")
    assert caught.value.key == "notice.empty_audience"


def test_a_subscribe_credit_is_used_once_then_the_template_takes_over(app, world, simulator):
    (openid,) = setup_compound(world, 1)
    account = db.session.scalar(select(WechatAccount))
    services.record_subscription_results(account, [(app.config["NOTICE_SUBSCRIBE_TEMPLATE"], "accept")], "test")
    db.session.commit()
    notice_to_compound(world)
    notice_to_compound(world)
    drain()
    assert len(calls(simulator, "/cgi-bin/message/subscribe/send")) == 1
    assert len(calls(simulator, "/cgi-bin/message/template/send")) == 1
    assert db.session.scalar(select(SubscriptionCredit.remaining)) == 0
    body = calls(simulator, "/cgi-bin/message/subscribe/send")[0]["body"]
    assert body["data"]["thing1"]["value"] == "停水通知：玉林小区" and "年" in body["data"]["time3"]["value"]
    assert body["page"].startswith("pages/notice/notice?id=")


def test_outside_every_channel_the_notice_waits_in_the_inbox(app, world, simulator):
    setup_compound(world, 2, follows=False)
    notice_to_compound(world)
    drain()
    assert calls(simulator, "/cgi-bin/message/") == []
    assert set(db.session.scalars(select(Delivery.state))) == {"inbox"}


def test_inside_the_window_a_customer_service_message_is_sent(app, world, simulator):
    setup_compound(world, 2, follows=False, window=True)
    notice_to_compound(world)
    drain()
    sent = calls(simulator, "/cgi-bin/message/custom/send")
    assert len(sent) == 2
    # The whole notice in Chinese, and the link to it says so in Chinese too.
    content = sent[0]["body"]["text"]["content"]
    assert "查看通知全文</a>" in content and "Open" not in content


def test_a_refusal_drops_the_channel_for_that_resident(app, world, simulator):
    setup_compound(world, 1, window=True)
    inject(simulator, "/cgi-bin/message/custom/send", errcode=43101, times=1)
    notice_to_compound(world)
    drain()
    assert db.session.scalar(select(ChannelBlock.channel)) == "customer_service"
    assert db.session.scalar(select(Delivery.channel)) == "template"  # the next channel reached them
    notice_to_compound(world)
    drain()
    assert len(calls(simulator, "/cgi-bin/message/custom/send")) == 1  # never tried again


def test_a_timeout_is_retried_later_with_backoff(app, world, simulator):
    setup_compound(world, 1)
    app.config["WECHAT_API_BASE"] = simulator.url
    from core.wechat import wechat
    client = wechat()
    client.timeout = client.client.timeout = (1, 0.3)
    client.backoff = 0.01
    inject(simulator, "/cgi-bin/message/template/send", delay=0.6, times=3)
    notice_to_compound(world)
    drain()
    delivery = db.session.scalar(select(Delivery))
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.next_attempt_at is not None
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    drain()
    assert db.session.scalar(select(Delivery.state)) == "sent"


def test_the_daily_quota_pauses_the_sender_and_it_resumes_later(app, world, simulator):
    from notices.planning import budget_day
    from notices.sender import used_on
    setup_compound(world, 4)
    app.config["OUTBOX_CONCURRENCY"] = 1
    inject(simulator, "/cgi-bin/message/template/send", errcode=45009, times=1)
    notice_to_compound(world)
    drain()
    assert db.session.get(SenderPause, "wechat") is not None
    assert db.session.scalar(select(func.count()).where(Delivery.state == "sent")) < 4
    assert used_on(budget_day(utcnow())) == {"template": 1}  # the sends held for the others went back
    assert drain() == 0  # paused
    db.session.get(SenderPause, "wechat").until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    drain()
    assert db.session.scalar(select(func.count()).where(Delivery.state == "sent")) == 4
    assert db.session.scalar(select(func.max(Delivery.attempts))) == 1  # the paused ones were not counted


def test_a_scheduled_notice_waits_for_its_time(app, world, simulator):
    setup_compound(world, 2)
    notice, _ = notice_to_compound(world, scheduled_at=utcnow() + timedelta(hours=1))
    assert drain() == 0
    notice.scheduled_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert drain() == 2


def test_a_claim_abandoned_by_a_dead_process_is_sent_again(app, world, simulator):
    from notices.sender import claim, recover_stale
    setup_compound(world, 3)
    notice_to_compound(world)
    fan_out_due()
    claimed = claim(10)
    assert len(claimed) == 3 and drain() == 0  # claimed by "another process"
    assert recover_stale(timedelta(seconds=0)) == 3
    assert drain() == 3


def test_popup_events_feed_the_ledger(app, world, simulator):
    from notices.services import record_subscription_events
    record_subscription_events("pop-1", [{"TemplateId": "tpl-x", "SubscribeStatusString": "accept"},
                                         {"TemplateId": "tpl-x", "SubscribeStatusString": "accept"}],
                               "subscribe_msg_popup_event")
    db.session.commit()
    assert db.session.scalar(select(SubscriptionCredit.remaining)) == 2


def test_the_sender_never_exceeds_the_daily_template_budget_and_the_rest_waits_for_tomorrow(app, world, simulator):
    from notices.models import SendBudgetUsage
    from notices.planning import budget_day, next_reset
    setup_compound(world, 5)
    app.config["NOTICE_BUDGET_TEMPLATE"] = 3
    notice, _ = notice_to_compound(world)
    drain()
    assert len(calls(simulator, "/cgi-bin/message/template/send")) == 3
    waiting = db.session.scalars(select(Delivery).where(Delivery.state == "pending")).all()
    assert len(waiting) == 2 and all(d.attempts == 0 for d in waiting)
    assert {d.next_attempt_at.replace(tzinfo=None) for d in waiting} == {next_reset(utcnow()).replace(tzinfo=None)}
    assert db.session.get(SendBudgetUsage, (budget_day(utcnow()), "template")).used == 3
    assert drain() == 0  # nothing more today
    inbox = requests_inbox_counts(world)
    assert inbox == 5  # every resident has it in the inbox already
    # the next day
    for delivery in waiting:
        delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.query(SendBudgetUsage).delete()
    db.session.commit()
    drain()
    assert len(calls(simulator, "/cgi-bin/message/template/send")) == 5


def requests_inbox_counts(world):
    """How many residents have the notice in their inbox (a delivery of any state)."""
    return db.session.scalar(select(func.count()).select_from(Delivery))


def test_an_urgent_notice_overtakes_general_news_already_waiting(app, world, simulator):
    openids = setup_compound(world, 4)
    app.config["NOTICE_BUDGET_TEMPLATE"] = 4
    app.config["OUTBOX_BATCH"] = 2
    services.compose_notice(world.committee_a, "compound", world.compound_a.id, "社区新闻", "本周活动安排")
    db.session.commit()
    fan_out_due()
    services.compose_notice(world.committee_a, "compound", world.compound_a.id, "停水通知", "明天9点停水",
                            urgent=True)
    db.session.commit()
    drain()
    sent = calls(simulator, "/cgi-bin/message/template/send")
    assert len(sent) == 4 and sorted(c["body"]["touser"] for c in sent) == sorted(openids)
    texts = " ".join(str(c["body"]) for c in sent)
    assert "停水" in texts and "社区新闻" not in texts
    assert db.session.scalar(select(func.count()).where(Delivery.state == "pending")) == 4


def test_an_urgent_notice_claimed_in_one_batch_with_general_news_gets_each_budget_first(app, world, simulator):
    from notices.models import SendBudgetUsage
    # general news to 40 residents, an urgent notice to the 10 of stairwell 2; every fifth resident is inside
    # the customer-service window
    roll_with_owner(world.compound_a.id, roll_rows(30, unit="1") + roll_rows(10, unit="2"))
    bind_accounts(world.compound_a.id, 40)
    accounts = db.session.scalars(select(WechatAccount).order_by(WechatAccount.id)).all()
    for account in accounts[::5]:
        account.last_inbound_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    # one batch holds both notices (general news first by id), the budgets are smaller than the batch
    app.config.update(NOTICE_BUDGET_TEMPLATE=10, NOTICE_BUDGET_CUSTOMER_SERVICE=10, OUTBOX_BATCH=100)
    services.compose_notice(world.committee_a, "compound", world.compound_a.id, "社区新闻", "本周活动安排")
    db.session.commit()
    fan_out_due()
    unit_id = db.session.scalar(select(Unit.id).join(Building).where(Unit.name == "2"))
    urgent, _n = services.compose_notice(world.committee_a, "unit", unit_id, "停水通知", "明天9点停水", urgent=True)
    db.session.commit()
    drain()
    waiting = db.session.scalar(select(func.count()).where(Delivery.notice_id == urgent.id, Delivery.state != "sent"))
    assert waiting == 0  # 2 by customer service, 8 by template: every urgent resident first
    templates, custom = (calls(simulator, f"/cgi-bin/message/{kind}/send") for kind in ("template", "custom"))
    assert sum("停水" in str(c["body"]) for c in templates) == 8
    # each channel spends its own budget, no more (20 pushes in all, 10 per channel)
    assert len(templates) == 10 and len(custom) == 10
    assert dict(db.session.execute(select(SendBudgetUsage.channel, SendBudgetUsage.used)).all()) == {
        "template": 10, "customer_service": 10}


def test_an_urgent_notice_is_fanned_out_before_general_news_due_earlier(app, world, simulator):
    setup_compound(world, 2)
    general, _n = services.compose_notice(world.committee_a, "compound", world.compound_a.id, "社区新闻", "本周活动")
    urgent, _n = services.compose_notice(world.committee_a, "compound", world.compound_a.id, "停水通知", "明天停水",
                                         urgent=True)
    db.session.commit()
    assert fan_out_due(limit=1) == 1
    assert urgent.fanned_out_at is not None and general.fanned_out_at is None


def test_the_committee_sees_when_a_notice_reaches_everyone(app, world, simulator):
    from core.times import format_day
    from notices.planning import budget_day
    from tests.builders import login
    setup_compound(world, 5)
    app.config["NOTICE_BUDGET_TEMPLATE"] = 2
    notice, _ = notice_to_compound(world)
    fan_out_due()
    client = app.test_client()
    login(client, world.committee_a.username)
    report = client.get(f"/api/v1/admin/notices/{notice.id}/report").get_json()
    last = budget_day(utcnow()) + timedelta(days=2)
    assert report["plan"]["pending"] == 5 and report["priority"] == 2
    assert report["plan"]["reaches_everyone_by"] == last.isoformat()
    assert [row["count"] for row in report["plan"]["per_day"]] == [2, 2, 1]
    assert report["plan_text"] == f"预计{format_day(last)}前全部送达（微信每日限额）。"
    page = client.get(f"/admin/notices/{notice.id}").get_data(as_text=True)
    assert f"预计{format_day(last)}前全部送达" in page


def test_once_the_template_budget_is_spent_a_resident_with_a_subscribe_credit_is_still_reached(app, world,
                                                                                              simulator):
    from notices.sender import defer_over_budget
    setup_compound(world, 6)
    app.config["NOTICE_BUDGET_TEMPLATE"] = 2
    app.config["OUTBOX_BATCH"] = 3
    accounts = db.session.scalars(select(WechatAccount).order_by(WechatAccount.id)).all()
    services.record_subscription_results(accounts[-1], [(app.config["NOTICE_SUBSCRIBE_TEMPLATE"], "accept")],
                                         "test")
    db.session.commit()
    notice_to_compound(world)
    drain()
    assert len(calls(simulator, "/cgi-bin/message/template/send")) == 2
    subscribed = calls(simulator, "/cgi-bin/message/subscribe/send")
    assert [c["body"]["touser"] for c in subscribed] == [accounts[-1].openid]
    waiting = db.session.scalars(select(Delivery).where(Delivery.state == "pending")).all()
    assert len(waiting) == 3 and all(d.next_attempt_at is not None for d in waiting)
    assert defer_over_budget() == 0  # nothing due is left that only the template could carry


def test_the_plan_counts_a_subscribe_credit_and_a_blocked_channel(app, world, simulator):
    from notices.planning import budget_day
    setup_compound(world, 5)
    app.config["NOTICE_BUDGET_TEMPLATE"] = 2
    accounts = db.session.scalars(select(WechatAccount).order_by(WechatAccount.id)).all()
    services.record_subscription_results(accounts[0], [(app.config["NOTICE_SUBSCRIBE_TEMPLATE"], "accept")],
                                         "test")
    db.session.add(ChannelBlock(account_id=accounts[1].id, channel="template", reason="43101"))
    db.session.commit()
    notice, _ = notice_to_compound(world)
    fan_out_due()
    plan = services.delivery_report(world.committee_a, notice.id)["plan"]
    today = budget_day(utcnow())
    # one by subscribe and two by template today, one by template tomorrow, one reachable by none
    assert plan["pending"] == 5 and plan["inbox_only"] == 1
    assert [(row["day"], row["count"]) for row in plan["per_day"]] == [
        (today.isoformat(), 3), ((today + timedelta(days=1)).isoformat(), 1)]
