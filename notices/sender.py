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
from sqlalchemy import delete, select, update

from core.extensions import db
from core.models import InboundMessage, WechatAccount, aware, utcnow
from core.queues import claim_due
from core.scopes import accounts_in
from core.wechat import WeChatError, wechat
from notices import channels
from notices.fitting import fit_data, push_fields
from notices.models import ChannelBlock, Delivery, Notice, SendBudgetUsage, SenderPause, SubscriptionCredit
from notices.planning import budget_day, next_reset
from notices.services import forget_messages_to
from notices.texts import full_text, render

log = logging.getLogger(__name__)
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
        label = _("Open the notice")  # outside the f-strings, where the catalogue's extractor finds it
        if link["appid"]:
            anchor = (f'<a href="{link["url"]}" data-miniprogram-appid="{link["appid"]}" '
                      f'data-miniprogram-path="{link["page"]}">{label}</a>')
        else:
            anchor = f'<a href="{link["url"]}">{label}</a>'
        return f"{text}\n{anchor}"


# fan-out ------------------------------------------------------------------------------------------
def fan_out_due(limit=20):
    """Create the deliveries of notices that are due, urgent ones first; idempotent (one delivery per notice
    and account)."""
    now = utcnow()
    due = (Notice.query.filter(Notice.fanned_out_at.is_(None), Notice.scope_kind != "account")
           .filter((Notice.scheduled_at.is_(None)) | (Notice.scheduled_at <= now))
           .order_by(Notice.priority, Notice.id)
           .limit(limit).all())
    for notice in due:
        recipients = accounts_in(notice.scope_kind, notice.scope_id).where(~select(Delivery.id).where(
            Delivery.notice_id == notice.id, Delivery.account_id == WechatAccount.id).exists())
        db.session.execute(Delivery.__table__.insert().from_select(
            ["notice_id", "account_id", "state", "attempts", "priority"],
            select(db.literal(notice.id), recipients.subquery().c.id, db.literal("pending"), db.literal(0),
                   db.literal(notice.priority))))
        notice.fanned_out_at = now
        db.session.commit()
    return len(due)


# claiming -----------------------------------------------------------------------------------------
def claim(batch):
    """Mark up to `batch` due deliveries as being sent by this process, most urgent first (an urgent notice
    overtakes general ones already queued), then oldest; returns their ids."""
    return claim_due("deliveries", "pending", "sending", "priority, id", batch, utcnow())


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


# daily budgets ------------------------------------------------------------------------------------
def budgets(config=None):
    """{channel: daily limit or None} as configured for the official account."""
    config = config or current_app.config
    return {channels.TEMPLATE: config["NOTICE_BUDGET_TEMPLATE"],
            channels.CUSTOMER_SERVICE: config["NOTICE_BUDGET_CUSTOMER_SERVICE"],
            channels.SUBSCRIBE: config["NOTICE_BUDGET_SUBSCRIBE"]}


def used_on(day):
    """{channel: sends spent} on a Beijing calendar day."""
    return dict(db.session.execute(select(SendBudgetUsage.channel, SendBudgetUsage.used)
                                   .where(SendBudgetUsage.day == day)).all())


def _usage_row(day, channel):
    """Today's usage row of a channel, created if missing and locked until the transaction ends."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(SendBudgetUsage.__table__).values(day=day, channel=channel, used=0)
                       .on_conflict_do_nothing())
    return db.session.execute(select(SendBudgetUsage).where(SendBudgetUsage.day == day,
                                                            SendBudgetUsage.channel == channel)
                              .with_for_update()).scalar_one()


class Allowance:
    """The sends a batch may make per channel (reserved from today's budgets); channels without a daily
    limit are not counted. Held in priority order before the threads start, then shared by them."""

    def __init__(self, day, granted):
        self.day, self.granted, self.left = day, dict(granted), dict(granted)
        self.lock = threading.Lock()

    def hold(self, order):
        """Take one send of the first channel in `order` with budget left, for one delivery; None if none has."""
        for channel in order:
            if self.take(channel):
                return channel
        return None

    def take(self, channel):
        with self.lock:
            if channel not in self.left:
                return True
            if self.left[channel] <= 0:
                return False
            self.left[channel] -= 1
            return True

    def put_back(self, channel):
        """A held send that was never tried is free again."""
        with self.lock:
            if channel in self.left:
                self.left[channel] += 1


def reserve(demand, now=None):
    """Reserve up to `demand` ({channel: sends}) from today's budgets, never beyond a limit even with
    several senders at once (the usage rows are locked); returns the Allowance. Caller commits."""
    now = now or utcnow()
    day, limits, granted = budget_day(now), budgets(), {}
    for channel in sorted(demand):
        limit = limits.get(channel)
        if limit is None or not demand[channel]:
            continue
        row = _usage_row(day, channel)
        granted[channel] = max(0, min(demand[channel], limit - row.used))
        row.used += granted[channel]
    return Allowance(day, granted)


def give_back(allowance):
    """Return what a batch reserved and did not send to its day's budgets."""
    for channel, left in allowance.left.items():
        if left > 0:
            db.session.execute(update(SendBudgetUsage).where(
                SendBudgetUsage.day == allowance.day, SendBudgetUsage.channel == channel)
                .values(used=SendBudgetUsage.used - left))


def exhausted_today(now=None):
    """The channels with a daily limit and nothing left of today's budget."""
    now = now or utcnow()
    used = used_on(budget_day(now))
    return {channel for channel, limit in budgets().items() if limit is not None and used.get(channel, 0) >= limit}


def defer_over_budget(now=None):
    """Once a channel's budget is spent, move every waiting delivery that only spent channels could carry
    to the next day in one statement (instead of claiming and deferring them a batch at a time); those
    another channel can still reach stay due. Returns how many were deferred."""
    now = now or utcnow()
    spent = exhausted_today(now)
    if not spent:
        return 0
    config = current_app.config
    template = config["NOTICE_SUBSCRIBE_TEMPLATE"]
    account = WechatAccount.__table__.c

    def blocked(channel):
        return select(ChannelBlock.id).where(ChannelBlock.account_id == Delivery.account_id,
                                             ChannelBlock.channel == channel).exists()

    reachable = {  # whether a channel can carry a push to the delivery's resident now
        channels.CUSTOMER_SERVICE: (account.last_inbound_at > now - CS_WINDOW) & ~blocked(channels.CUSTOMER_SERVICE),
        channels.SUBSCRIBE: select(SubscriptionCredit.id).where(
            SubscriptionCredit.account_id == Delivery.account_id, SubscriptionCredit.template_id == (template or ""),
            SubscriptionCredit.remaining > 0).exists() & ~blocked(channels.SUBSCRIBE),
        channels.TEMPLATE: account.follows.is_(True) & ~blocked(channels.TEMPLATE)}
    if not template:
        reachable.pop(channels.SUBSCRIBE)
    if not config["NOTICE_OA_TEMPLATE"]:
        reachable.pop(channels.TEMPLATE)
    still_open = [condition for channel, condition in reachable.items() if channel not in spent]
    only_spent = [condition for channel, condition in reachable.items() if channel in spent]
    if not only_spent:
        return 0
    accounts = select(account.id).where(account.id == Delivery.account_id, db.or_(*only_spent))
    if still_open:
        accounts = accounts.where(~db.or_(*still_open))
    count = db.session.execute(update(Delivery).where(
        Delivery.state == "pending", (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now),
        accounts.exists()).values(next_attempt_at=next_reset(now)).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count


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
    held: str = ""      # the channel whose send was set aside for this delivery (in priority order)
    outcome: str = ""
    channel: str = ""
    errors: list = field(default_factory=list)


def _reach(account, blocked, credit, config):
    in_window = account.last_inbound_at is not None and utcnow() - aware(account.last_inbound_at) < CS_WINDOW
    return channels.Reach(has_credit=credit, follows=account.follows, in_window=in_window, blocked=blocked,
                          subscribe_configured=bool(config["NOTICE_SUBSCRIBE_TEMPLATE"]),
                          template_configured=bool(config["NOTICE_OA_TEMPLATE"]))


def plan_batch(ids, now=None):
    """Load the batch and choose channels; reserves one subscribe credit where one will be used and the
    sends the batch may make from today's budgets, then holds one send for each delivery, most urgent first
    (then oldest), so the threads' race cannot hand general news the budget an urgent notice needs.
    Returns (plans, allowance); a delivery none of whose channels has budget left today is planned as
    deferred without rendering it, and one to an account whose holder deleted their data as dropped."""
    config = current_app.config
    template = config["NOTICE_SUBSCRIBE_TEMPLATE"]
    rows = db.session.execute(select(Delivery, WechatAccount, Notice)
                              .join(WechatAccount, Delivery.account_id == WechatAccount.id)
                              .join(Notice, Delivery.notice_id == Notice.id).where(Delivery.id.in_(ids))
                              .order_by(Delivery.priority, Delivery.id)).all()
    account_ids = [a.id for _d, a, _n in rows]
    blocked = {}
    for account_id, channel in db.session.execute(select(ChannelBlock.account_id, ChannelBlock.channel)
                                                  .where(ChannelBlock.account_id.in_(account_ids))):
        blocked.setdefault(account_id, set()).add(channel)
    with_credit = set(db.session.scalars(select(SubscriptionCredit.account_id).where(
        SubscriptionCredit.account_id.in_(account_ids), SubscriptionCredit.template_id == template,
        SubscriptionCredit.remaining > 0))) if template else set()
    chosen, plans = [], []
    for delivery, account, notice in rows:
        if account.deleted_at is not None:
            # Queued after its holder deleted their data, by an earlier release that still addressed such
            # accounts: let go of, never tried under the made-up openid the account now has.
            plans.append(Plan(delivery.id, account.id, "", [], {}, "", {}, outcome="dropped"))
            continue
        credit = False
        if account.id in with_credit and channels.SUBSCRIBE not in blocked.get(account.id, ()):
            credit = db.session.execute(update(SubscriptionCredit).where(
                SubscriptionCredit.account_id == account.id, SubscriptionCredit.template_id == template,
                SubscriptionCredit.remaining > 0).values(remaining=SubscriptionCredit.remaining - 1)).rowcount == 1
        reach = _reach(account, frozenset(blocked.get(account.id, ())), credit, config)
        chosen.append((delivery, account, notice, channels.channel_order(reach)))
    demand = {}
    for *_rest, order in chosen:
        for channel in order:
            demand[channel] = demand.get(channel, 0) + 1
    allowance = reserve(demand, now)
    for delivery, account, notice, order in chosen:
        held = allowance.hold(order)
        if order and held is None:
            plans.append(Plan(delivery.id, account.id, account.openid, order, {}, "", {}, outcome="deferred"))
            continue
        words = render(notice, account.locale)
        fields = push_fields(words.title, words.where, words.detail, words.body, words.when or notice.created_at,
                             layouts=words.layouts)
        link = notice_link(delivery.id, config)
        plans.append(Plan(delivery.id, account.id, account.openid, order, fields,
                          full_text_with_link(words, account.locale, link), link, held=held or ""))
    db.session.commit()  # the reserved credits and budgets
    return plans, allowance


def _send(client, plan, config, quota_hit, allowance):
    """Try the plan's channels in order within the batch's budgets (runs in a worker thread); the send held
    for it goes back to the batch if it was never tried."""
    _try_channels(client, plan, config, quota_hit, allowance)
    if plan.held and plan.held != plan.channel and all(channel != plan.held for channel, *_ in plan.errors):
        allowance.put_back(plan.held)
    return plan


def _try_channels(client, plan, config, quota_hit, allowance):
    over_budget = False
    for channel in plan.order:
        if quota_hit.is_set():
            plan.outcome = "paused"
            return plan
        if channel != plan.held and not allowance.take(channel):
            over_budget = True
            continue
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
    plan.outcome = "retry" if transient else "deferred" if over_budget else "inbox"
    return plan


def apply_outcomes(plans, allowance=None):
    """Record what happened to each delivery of the batch (in a few statements, not one per row); return
    the budget it reserved and did not spend."""
    now = utcnow()
    template = current_app.config["NOTICE_SUBSCRIBE_TEMPLATE"]
    pause = None
    sent, inbox, paused, retry, deferred, dropped = {}, [], [], [], [], set()
    live = _still_addressed({plan.account_id for plan in plans if plan.outcome != "dropped" and any(
        kind == "permanent" and channel != channels.SUBSCRIBE for channel, _e, kind in plan.errors)})
    for plan in plans:
        if plan.outcome == "dropped":
            dropped.add(plan.account_id)
            continue
        for channel, errcode, kind in plan.errors:
            if kind != "permanent":
                continue
            if channel == channels.SUBSCRIBE:
                SubscriptionCredit.query.filter_by(account_id=plan.account_id, template_id=template).update(
                    {"remaining": 0})
            elif plan.account_id in live and not ChannelBlock.query.filter_by(  # none for an account deleted
                    account_id=plan.account_id, channel=channel).first():  # while its message was out
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
        elif plan.outcome == "deferred":
            deferred.append(plan.delivery_id)  # not an attempt: today's budget is spent, tomorrow's is not
        else:
            inbox.append(plan.delivery_id)
    forget_messages_to(sorted(dropped))
    table = Delivery.__table__
    for channel, ids in sent.items():
        db.session.execute(table.update().where(table.c.id.in_(ids)).values(
            state="sent", channel=channel, sent_at=now, attempts=table.c.attempts + 1))
    if inbox:
        db.session.execute(table.update().where(table.c.id.in_(inbox)).values(
            state="inbox", channel=channels.INBOX, attempts=table.c.attempts + 1))
    if paused:
        db.session.execute(table.update().where(table.c.id.in_(paused)).values(state="pending"))
    if deferred:
        db.session.execute(table.update().where(table.c.id.in_(deferred)).values(
            state="pending", next_attempt_at=next_reset(now)))
    if allowance is not None:
        give_back(allowance)
    for plan in retry:
        delivery = db.session.get(Delivery, plan.delivery_id)
        if delivery is None:
            continue  # gone while it was being sent: its resident deleted their data
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


def _still_addressed(account_ids):
    """Those of the accounts whose holders have not deleted their data. On PostgreSQL their rows stay share-locked
    (FOR KEY SHARE, as notices.services.still_addressable does) until the outcomes commit: a deletion under way
    is waited for and then seen, and one starting later waits and then takes what is recorded here. First of
    the outcomes' statements, so that they lock in a deletion's order: the account, then what is kept of it."""
    if not account_ids:
        return set()
    return set(db.session.scalars(select(WechatAccount.id).where(
        WechatAccount.id.in_(sorted(account_ids)), WechatAccount.deleted_at.is_(None))
        .order_by(WechatAccount.id).with_for_update(read=True, key_share=True)))


def send_batch(ids, concurrency):
    """Send one claimed batch with at most `concurrency` requests in flight."""
    plans, allowance = plan_batch(ids)
    app = current_app._get_current_object()
    client = wechat()
    config = app.config
    quota_hit = threading.Event()

    def work(plan):
        if plan.outcome in ("deferred", "dropped"):
            return plan
        if not plan.order:
            plan.outcome = "inbox"
            return plan
        with app.app_context():
            return _send(client, plan, config, quota_hit, allowance)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(work, plans))
    apply_outcomes(done, allowance)
    if any(plan.outcome == "deferred" for plan in done):
        defer_over_budget()
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
