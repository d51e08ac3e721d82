"""Delivering the outbox: fan out due notices, claim pending deliveries, send through the best
channel with bounded concurrency, record each outcome. Safe to run in several processes at once
on PostgreSQL (claims use FOR UPDATE SKIP LOCKED); a crash re-sends at most the batch in flight."""
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import delete, select, text, update

from core.extensions import db
from core.models import InboundMessage, WechatAccount, aware, utcnow
from core.scopes import accounts_in
from core.wechat import WeChatError, wechat
from notices import channels
from notices.fitting import fit_data, push_fields
from notices.models import ChannelBlock, Delivery, Notice, SenderPause, SubscriptionCredit
from notices.texts import full_text, render

log = logging.getLogger("gongjian")
CS_WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 6




def notice_link(delivery_id, config):
    """Where the full text is: the mini-program's notice page, or the signed resident page on the web."""
    from notices.links import link_for
    return link_for(delivery_id, config)


def full_text_with_link(words, locale, link):
    """The customer-service message: the whole notice, then a link to its page."""
    with force_locale(locale or "zh_Hans_CN"):
        text = full_text(words, locale)
        if link["appid"]:
            anchor = (f'<a href="{link["url"]}" data-miniprogram-appid="{link["appid"]}" '
                      f'data-miniprogram-path="{link["page"]}">{_("Open the notice")}</a>')
        else:
            anchor = f'<a href="{link["url"]}">{_("Open the notice")}</a>'
        return f"{text}\n{anchor}"


# fan-out ------------------------------------------------------------------------------------------
def fan_out_due(limit=20):
    """Create the deliveries of notices that are due; idempotent (one delivery per notice and account)."""
    now = utcnow()
    due = (Notice.query.filter(Notice.fanned_out_at.is_(None), Notice.scope_kind != "account")
           .filter((Notice.scheduled_at.is_(None)) | (Notice.scheduled_at <= now)).order_by(Notice.id)
           .limit(limit).all())
    for notice in due:
        recipients = accounts_in(notice.scope_kind, notice.scope_id).where(~select(Delivery.id).where(
            Delivery.notice_id == notice.id, Delivery.account_id == WechatAccount.id).exists())
        db.session.execute(Delivery.__table__.insert().from_select(
            ["notice_id", "account_id", "state", "attempts"],
            select(db.literal(notice.id), recipients.subquery().c.id, db.literal("pending"), db.literal(0))))
        notice.fanned_out_at = now
        db.session.commit()
    return len(due)


# claiming -----------------------------------------------------------------------------------------
def claim(batch):
    """Mark up to `batch` due deliveries as being sent by this process; returns their ids."""
    now = utcnow()
    lock = " FOR UPDATE SKIP LOCKED" if db.engine.dialect.name == "postgresql" else ""
    ids = db.session.execute(text(
        "UPDATE deliveries SET state = 'sending', claimed_at = :now WHERE id IN ("
        " SELECT id FROM deliveries WHERE state = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= :now) ORDER BY id LIMIT :n" + lock + ")"
        " RETURNING id"), {"now": now, "n": batch}).scalars().all()
    db.session.commit()
    return sorted(ids)


def recover_stale(older_than):
    """Deliveries claimed by a process that died are pending again (they may be sent twice)."""
    count = db.session.execute(update(Delivery).where(
        Delivery.state == "sending", Delivery.claimed_at < utcnow() - older_than).values(state="pending")).rowcount
    db.session.commit()
    return count


def paused_until():
    """When the quota pause ends, or None."""
    pause = db.session.get(SenderPause, "wechat")
    if pause is not None and aware(pause.until) > utcnow():
        return aware(pause.until)
    return None


# sending ------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What to send to whom through which channels, decided before any thread starts."""

    delivery_id: int
    account_id: int
    openid: str
    order: list
    fields: dict
    text: str
    link: dict
    outcome: str = ""
    channel: str = ""
    errors: list = field(default_factory=list)


def _reach(account, blocked, credit, config):
    in_window = account.last_inbound_at is not None and utcnow() - aware(account.last_inbound_at) < CS_WINDOW
    return channels.Reach(has_credit=credit, follows=account.follows, in_window=in_window, blocked=blocked,
                          subscribe_configured=bool(config["NOTICE_SUBSCRIBE_TEMPLATE"]),
                          template_configured=bool(config["NOTICE_OA_TEMPLATE"]))


def plan_batch(ids):
    """Load the batch and choose channels; reserves one subscribe credit where one will be used."""
    config = current_app.config
    template = config["NOTICE_SUBSCRIBE_TEMPLATE"]
    rows = db.session.execute(select(Delivery, WechatAccount, Notice)
                              .join(WechatAccount, Delivery.account_id == WechatAccount.id)
                              .join(Notice, Delivery.notice_id == Notice.id).where(Delivery.id.in_(ids))).all()
    account_ids = [a.id for _d, a, _n in rows]
    blocked = {}
    for account_id, channel in db.session.execute(select(ChannelBlock.account_id, ChannelBlock.channel)
                                                  .where(ChannelBlock.account_id.in_(account_ids))):
        blocked.setdefault(account_id, set()).add(channel)
    with_credit = set(db.session.scalars(select(SubscriptionCredit.account_id).where(
        SubscriptionCredit.account_id.in_(account_ids), SubscriptionCredit.template_id == template,
        SubscriptionCredit.remaining > 0))) if template else set()
    plans = []
    for delivery, account, notice in rows:
        credit = False
        if account.id in with_credit and channels.SUBSCRIBE not in blocked.get(account.id, ()):
            credit = db.session.execute(update(SubscriptionCredit).where(
                SubscriptionCredit.account_id == account.id, SubscriptionCredit.template_id == template,
                SubscriptionCredit.remaining > 0).values(remaining=SubscriptionCredit.remaining - 1)).rowcount == 1
        reach = _reach(account, frozenset(blocked.get(account.id, ())), credit, config)
        words = render(notice, account.locale)
        fields = push_fields(words.title, words.where, words.detail, words.body, words.when or notice.created_at)
        link = notice_link(delivery.id, config)
        plans.append(Plan(delivery.id, account.id, account.openid, channels.channel_order(reach), fields,
                          full_text_with_link(words, account.locale, link), link))
    db.session.commit()  # the reserved credits
    return plans


def _send(client, plan, config, quota_hit):
    """Try the plan's channels in order (runs in a worker thread)."""
    for channel in plan.order:
        if quota_hit.is_set():
            plan.outcome = "paused"
            return plan
        try:
            if channel == channels.SUBSCRIBE:
                client.post("/cgi-bin/message/subscribe/send", {
                    "touser": plan.openid, "template_id": config["NOTICE_SUBSCRIBE_TEMPLATE"],
                    "page": plan.link["page"], "data": fit_data(plan.fields)})
            elif channel == channels.TEMPLATE:
                mini = {"appid": plan.link["appid"], "pagepath": plan.link["page"]} if plan.link["appid"] else None
                client.call(client.client.message.send_template, plan.openid, config["NOTICE_OA_TEMPLATE"],
                            fit_data(plan.fields), url=plan.link["url"], mini_program=mini)
            else:
                client.call(client.client.message.send_text, plan.openid, plan.text)
        except WeChatError as exc:
            kind = channels.classify(exc.errcode)
            plan.errors.append((channel, exc.errcode, kind))
            if kind == "quota":
                quota_hit.set()
                plan.outcome = "paused"
                return plan
            continue
        plan.outcome, plan.channel = "sent", channel
        return plan
    transient = any(kind == "transient" for _c, _e, kind in plan.errors)
    plan.outcome = "retry" if transient else "inbox"
    return plan


def apply_outcomes(plans):
    """Record what happened to each delivery of the batch (in a few statements, not one per row)."""
    now = utcnow()
    template = current_app.config["NOTICE_SUBSCRIBE_TEMPLATE"]
    pause = None
    sent, inbox, paused, retry = {}, [], [], []
    for plan in plans:
        for channel, errcode, kind in plan.errors:
            if kind != "permanent":
                continue
            if channel == channels.SUBSCRIBE:
                SubscriptionCredit.query.filter_by(account_id=plan.account_id, template_id=template).update(
                    {"remaining": 0})
            elif not ChannelBlock.query.filter_by(account_id=plan.account_id, channel=channel).first():
                db.session.add(ChannelBlock(account_id=plan.account_id, channel=channel, reason=str(errcode)))
            if errcode == 43004:
                WechatAccount.query.filter_by(id=plan.account_id).update({"follows": False})
        if channels.SUBSCRIBE in plan.order and plan.channel != channels.SUBSCRIBE and not any(
                c == channels.SUBSCRIBE and k == "permanent" for c, _e, k in plan.errors):
            # the reserved subscribe credit was not spent: give it back
            SubscriptionCredit.query.filter_by(account_id=plan.account_id, template_id=template).update(
                {"remaining": SubscriptionCredit.remaining + 1})
        if plan.outcome == "sent":
            sent.setdefault(plan.channel, []).append(plan.delivery_id)
        elif plan.outcome == "paused":
            paused.append(plan.delivery_id)  # not an attempt: WeChat refused everyone for the day
            pause = now + timedelta(seconds=current_app.config["QUOTA_PAUSE"])
        elif plan.outcome == "retry":
            retry.append(plan)
        else:
            inbox.append(plan.delivery_id)
    table = Delivery.__table__
    for channel, ids in sent.items():
        db.session.execute(table.update().where(table.c.id.in_(ids)).values(
            state="sent", channel=channel, sent_at=now, attempts=table.c.attempts + 1))
    if inbox:
        db.session.execute(table.update().where(table.c.id.in_(inbox)).values(
            state="inbox", channel=channels.INBOX, attempts=table.c.attempts + 1))
    if paused:
        db.session.execute(table.update().where(table.c.id.in_(paused)).values(state="pending"))
    for plan in retry:
        delivery = db.session.get(Delivery, plan.delivery_id)
        delivery.attempts += 1
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = "failed"
        else:
            delivery.state = "pending"
            delivery.next_attempt_at = now + timedelta(seconds=channels.backoff_seconds(delivery.attempts))
    for plan in plans:
        if plan.errors:
            db.session.execute(table.update().where(table.c.id == plan.delivery_id).values(
                last_error="; ".join(f"{c}:{e}" for c, e, _k in plan.errors)[:255]))
    if pause is not None:
        existing = db.session.get(SenderPause, "wechat")
        if existing is None:
            db.session.add(SenderPause(name="wechat", until=pause, reason="45009"))
        else:
            existing.until, existing.reason = pause, "45009"
        log.warning("WeChat quota reached; sending paused", extra={"fields": {"until": pause.isoformat()}})
    db.session.commit()


def send_batch(ids, concurrency):
    """Send one claimed batch with at most `concurrency` requests in flight."""
    plans = plan_batch(ids)
    app = current_app._get_current_object()
    client = wechat()
    config = app.config
    quota_hit = threading.Event()

    def work(plan):
        if not plan.order:
            plan.outcome = "inbox"
            return plan
        with app.app_context():
            return _send(client, plan, config, quota_hit)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(work, plans))
    apply_outcomes(done)
    return len(done)


def run_once(batch=None, concurrency=None):
    """One round: fan out, recover abandoned claims, send one batch. Returns deliveries handled."""
    config = current_app.config
    if paused_until() is not None:
        return 0
    fan_out_due()
    recover_stale(timedelta(seconds=config["SENDING_STALE_AFTER"]))
    ids = claim(batch or config["OUTBOX_BATCH"])
    if not ids:
        return 0
    return send_batch(ids, concurrency or config["OUTBOX_CONCURRENCY"])


def drain(batch=None, concurrency=None, max_rounds=None):
    """Run rounds until nothing is due (or the sender is paused); returns deliveries handled."""
    total, rounds = 0, 0
    while max_rounds is None or rounds < max_rounds:
        handled = run_once(batch, concurrency)
        total += handled
        rounds += 1
        if handled == 0:
            break
    return total


def forget_old_inbound(age=timedelta(days=1)):
    """Inbound-message records only need to outlive WeChat's retries."""
    db.session.execute(delete(InboundMessage).where(InboundMessage.received_at < utcnow() - age))
    db.session.commit()
