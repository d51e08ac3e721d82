"""Notices: composing and queueing them, the subscription ledger, the inbox, the delivery report."""
from sqlalchemy import case, delete, func, select, update

from core import audit
from core.auth import authorize
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.models import Region, WechatAccount, as_utc, utcnow
from core.scopes import SCOPES, accounts_in, scope_compound
from notices.models import Delivery, Notice, SubscriptionCredit, SubscriptionEvent
from notices.planning import priority_of
from notices.texts import is_urgent

MAX_TITLE, MAX_BODY = 60, 1000


def still_addressable(account_id):
    """Whether messages may still be addressed to this account: it exists and whoever held it has not deleted
    their data. On PostgreSQL the answer holds until the caller's transaction ends: the account's row is
    share-locked (FOR KEY SHARE, as a message's foreign key locks it anyway), so a deletion under way is waited
    for and then seen, and one that starts later waits for this transaction and takes what it queued."""
    deleted_at = db.session.execute(select(WechatAccount.deleted_at).where(WechatAccount.id == account_id)
                                    .with_for_update(read=True, key_share=True)).first()
    return deleted_at is not None and deleted_at[0] is None


def queue_direct_message(account_id, kind, params, created_by=None, not_before=None):
    """A notice for one resident, in the caller's transaction (sent from `not_before` if given); nothing, and
    None, for an account whose holder deleted their data (every message to one person passes here)."""
    if account_id is None or not still_addressable(account_id):
        return None
    priority = priority_of(kind, is_urgent(kind, params))
    notice = Notice(kind=kind, params=params, scope_kind="account", scope_id=account_id, created_by=created_by,
                    fanned_out_at=utcnow(), scheduled_at=not_before, priority=priority)
    db.session.add(notice)
    db.session.flush()
    db.session.add(Delivery(notice_id=notice.id, account_id=account_id, next_attempt_at=not_before,
                            priority=priority))
    db.session.flush()
    return notice


def queue_scoped_notice(scope_kind, scope_id, kind, params, created_by=None, scheduled_at=None, region_id=None):
    """A notice for everyone in a compound, building or unit; deliveries are created when it is due."""
    notice = Notice(kind=kind, params=params, scope_kind=scope_kind, scope_id=scope_id, created_by=created_by,
                    scheduled_at=scheduled_at, region_id=region_id, priority=priority_of(kind, is_urgent(kind, params)))
    db.session.add(notice)
    db.session.flush()
    return notice


def forget_messages_to(account_ids):
    """The messages addressed to these accounts leave their inbox (a link to one opens nothing any more), and
    the words of those written to one of them alone leave the outbox (a staff member's panel keeps its own copy
    of an alert)."""
    if not account_ids:
        return
    for account_id in account_ids:
        # Every message written to one account has its one delivery, found by the account's index.
        to_them = select(Delivery.notice_id).where(Delivery.account_id == account_id)
        db.session.execute(update(Notice).where(Notice.id.in_(to_them), Notice.scope_kind == "account",
                                                Notice.scope_id == account_id).values(params={}))
    db.session.execute(delete(Delivery).where(Delivery.account_id.in_(account_ids)))


def compose_notice(staff, scope_kind, scope_id, title, body, scheduled_at=None, urgent=False):
    """Staff write to the residents of a compound, building or unit, now or at a set time; an urgent notice
    (a water, power or gas cut, safety) goes out before general news already waiting."""
    if scope_kind not in SCOPES:
        raise InvalidInput([{"field": "scope_kind", "key": "error.invalid"}])
    compound = scope_compound(scope_kind, scope_id)
    authorize(staff, "notices.send", compound.community)
    faults = []
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > MAX_TITLE:
        faults.append({"field": "title", "key": "notice.bad_title", "params": {"limit": MAX_TITLE}})
    if not body or len(body) > MAX_BODY:
        faults.append({"field": "body", "key": "notice.bad_body", "params": {"limit": MAX_BODY}})
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        faults.append({"field": "scheduled_at", "key": "notice.naive_time"})
    if faults:
        raise InvalidInput(faults)
    scheduled_at = as_utc(scheduled_at)
    count = db.session.scalar(select(func.count()).select_from(accounts_in(scope_kind, scope_id).subquery()))
    if count == 0:
        raise InvalidInput([{"field": "scope_id", "key": "notice.empty_audience"}], key="notice.empty_audience")
    params = {"title": title, "body": body, **({"urgent": True} if urgent else {})}
    notice = queue_scoped_notice(scope_kind, scope_id, "free_text", params,
                                 created_by=staff.id, scheduled_at=scheduled_at, region_id=compound.community_id)
    audit.record(staff, "notice.compose", "notice", notice.id, compound.community_id,
                 after={"scope": f"{scope_kind}:{scope_id}", "title": title, "recipients": count,
                        "urgent": bool(urgent),
                        "scheduled_at": scheduled_at.isoformat() if scheduled_at else None})
    return notice, count


def list_notices(staff, limit=100):
    """Notices to residents in the staff member's region, newest first, with their delivery counts."""
    authorize(staff, "notices.read")
    notices = (Notice.query.join(Region, Notice.region_id == Region.id)
               .filter(Region.path.startswith(staff.region.path, autoescape=True), Notice.scope_kind != "account")
               .order_by(Notice.id.desc()).limit(limit).all())
    counts = {}
    if notices:
        for notice_id, state, n in db.session.execute(
                select(Delivery.notice_id, Delivery.state, func.count())
                .where(Delivery.notice_id.in_([n.id for n in notices])).group_by(Delivery.notice_id, Delivery.state)):
            counts.setdefault(notice_id, {})[state] = n
    return [(notice, counts.get(notice.id, {})) for notice in notices]


def get_notice(staff, notice_id):
    """A notice of the staff member's region."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.region_id is None:
        raise NotFound()
    authorize(staff, "notices.read", db.session.get(Region, notice.region_id))
    return notice


def notice_by_link(token, secret):
    """What a resident's signed link opens: (the notice in their words, their locale, when it was sent), or
    None for a link that is forged, or whose delivery is gone."""
    from core.models import WechatAccount
    from notices import links
    from notices.texts import render
    delivery_id = links.read(token, secret)
    delivery = db.session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None:
        return None
    locale = db.session.scalar(select(WechatAccount.locale).where(WechatAccount.id == delivery.account_id))
    locale = locale or "zh_Hans_CN"
    return render(delivery.notice, locale), locale, delivery.notice.created_at


def delivery_report(staff, notice_id):
    """Counts by state and channel, and the failures with their reasons."""
    notice = get_notice(staff, notice_id)
    rows = db.session.execute(select(Delivery.state, Delivery.channel, func.count())
                              .where(Delivery.notice_id == notice_id)
                              .group_by(Delivery.state, Delivery.channel)).all()
    failures = db.session.execute(select(Delivery.account_id, Delivery.last_error)
                                  .where(Delivery.notice_id == notice_id, Delivery.state == "failed")
                                  .limit(200)).all()
    plan = delivery_plan(notice)
    return {"notice_id": notice.id, "fanned_out": notice.fanned_out_at is not None,
            "by_state": [{"state": s, "channel": c, "count": n} for s, c, n in rows],
            "failures": [{"account_id": a, "reason": r} for a, r in failures],
            "priority": notice.priority,
            "plan": None if plan is None else {
                "pending": plan["pending"], "inbox_only": plan["inbox_only"], "today": plan["today"].isoformat(),
                "reaches_everyone_by": plan["last_day"].isoformat() if plan["last_day"] else None,
                "per_day": [{"day": day.isoformat(), "count": n} for day, n in plan["per_day"]]}}


def queue_before(notice):
    """The pushes still to make ahead of and including this notice's, for the planner: one Queued per
    notice, residents grouped by the channels that can reach them now (best first)."""
    from notices import channels
    from notices.models import ChannelBlock
    from notices.planning import Queued
    from notices.sender import CS_WINDOW
    from core.models import WechatAccount
    from flask import current_app
    config = current_app.config
    template = config["NOTICE_SUBSCRIBE_TEMPLATE"]
    now = utcnow()

    # what can reach each resident, joined once (not looked up per delivery)
    credits = (select(SubscriptionCredit.account_id).where(SubscriptionCredit.template_id == (template or ""),
                                                          SubscriptionCredit.remaining > 0).subquery())

    def blocked(channel):
        return func.max(case((ChannelBlock.channel == channel, 1), else_=0))
    blocks = (select(ChannelBlock.account_id, blocked(channels.TEMPLATE).label("template"),
                     blocked(channels.CUSTOMER_SERVICE).label("cs"), blocked(channels.SUBSCRIBE).label("subscribe"))
              .group_by(ChannelBlock.account_id).subquery())
    in_window = WechatAccount.last_inbound_at > now - CS_WINDOW
    flags = [WechatAccount.follows.label("follows"), func.coalesce(in_window, False).label("in_window"),
             credits.c.account_id.is_not(None).label("credit"), func.coalesce(blocks.c.template, 0).label("b_template"),
             func.coalesce(blocks.c.cs, 0).label("b_cs"), func.coalesce(blocks.c.subscribe, 0).label("b_subscribe")]
    ahead = (Delivery.priority < notice.priority) | ((Delivery.priority == notice.priority)
                                                     & (Delivery.notice_id <= notice.id))
    inner = (select(Delivery.notice_id, Delivery.priority, *flags)
             .join(WechatAccount, Delivery.account_id == WechatAccount.id)
             .outerjoin(credits, credits.c.account_id == WechatAccount.id)
             .outerjoin(blocks, blocks.c.account_id == WechatAccount.id)
             .where(Delivery.state.in_(("pending", "sending")), ahead).subquery())
    rows = db.session.execute(select(inner, func.count()).group_by(*inner.c)).all()
    queue = {}
    for notice_id, priority, follows, window, has_credit, b_template, b_cs, b_subscribe, count in rows:
        reach = channels.Reach(has_credit=bool(has_credit), follows=bool(follows), in_window=bool(window),
                               blocked=frozenset(c for c, b in ((channels.TEMPLATE, b_template),
                                                                (channels.CUSTOMER_SERVICE, b_cs),
                                                                (channels.SUBSCRIBE, b_subscribe)) if b),
                               subscribe_configured=bool(template),
                               template_configured=bool(config["NOTICE_OA_TEMPLATE"]))
        groups = queue.setdefault((notice_id, priority), {})
        order = tuple(channels.channel_order(reach))
        groups[order] = groups.get(order, 0) + count
    return [Queued(notice_id, priority, groups) for (notice_id, priority), groups in queue.items()]


def delivery_plan(notice, now=None):
    """When this notice's pushes are expected to go out within the daily budgets, after the notices
    ahead of it: {"pending", "per_day": [(date, count)], "last_day" (Beijing date or None), "inbox_only"}."""
    from notices import planning
    from notices.sender import budgets, used_on
    now = now or utcnow()
    if notice.fanned_out_at is None:
        return None
    queue = queue_before(notice)
    found = planning.plan(queue, budgets(), used_on(planning.budget_day(now)), now)
    mine = found.notices.get(notice.id) or planning.NoticePlan(notice.id)
    pending = sum(sum(q.groups.values()) for q in queue if q.notice_id == notice.id)
    return {"pending": pending, "per_day": sorted(mine.per_day.items()), "last_day": mine.last_day,
            "inbox_only": mine.inbox_only, "today": planning.budget_day(now)}


def add_credit(account_id, template_id, count=1):
    """The resident accepted `count` more messages for a template."""
    credit = SubscriptionCredit.query.filter_by(account_id=account_id, template_id=template_id).first()
    if credit is None:
        credit = SubscriptionCredit(account_id=account_id, template_id=template_id, remaining=0)
        db.session.add(credit)
    credit.remaining += count
    db.session.flush()
    return credit


def clear_credit(account_id, template_id):
    """The resident refused or switched the template off: no more sends."""
    SubscriptionCredit.query.filter_by(account_id=account_id, template_id=template_id).update({"remaining": 0})


def record_subscription_results(account, results, source):
    """Apply wx.requestSubscribeMessage results or subscribe_msg_* events to the ledger."""
    for template_id, status in results:
        template_id, status = template_id[:128], (status or "")[:16]
        db.session.add(SubscriptionEvent(openid=account.openid, template_id=template_id, status=status,
                                         source=source))
        if status == "accept":
            add_credit(account.id, template_id)
        elif status in ("reject", "ban", "filter"):
            clear_credit(account.id, template_id)
    db.session.flush()


def record_subscription_events(openid, items, source):
    """Store accept/reject answers from the bot's subscribe_msg_* events and feed the ledger."""
    from core.accounts import account_for
    results = []
    for item in items:
        template_id = item.get("TemplateId") or item.get("template_id")
        status = item.get("SubscribeStatusString") or item.get("status") or ""
        if source == "subscribe_msg_sent_event":
            continue  # a report of a send we made, not a new acceptance
        if template_id:
            results.append((template_id, status))
    if results:
        record_subscription_results(account_for(openid), results, source)
    else:
        for item in items:
            if item.get("TemplateId"):
                db.session.add(SubscriptionEvent(openid=openid, template_id=item["TemplateId"][:128],
                                                 status=(item.get("ErrorStatus") or "sent")[:16], source=source))
        db.session.flush()


def inbox(account, limit=50):
    """The resident's in-app inbox, newest first (a notice held until a set time appears from then)."""
    now = utcnow()
    return (Delivery.query.join(Notice, Delivery.notice_id == Notice.id)
            .filter(Delivery.account_id == account.id, (Notice.scheduled_at.is_(None)) | (Notice.scheduled_at <= now))
            .order_by(Delivery.id.desc()).limit(limit).all())


def my_delivery(account, delivery_id):
    """One entry of the resident's own inbox (NotFound for anyone else's)."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.account_id != account.id:
        raise NotFound()
    return delivery


def mark_read(account, delivery_id):
    """Mark one inbox entry as read."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.account_id != account.id:
        raise NotFound()
    if delivery.read_at is None:
        delivery.read_at = utcnow()
    db.session.flush()
    return delivery
