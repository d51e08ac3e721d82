"""Queueing notices and delivering them through the WeChat channel that can reach the resident."""
import logging
from datetime import timedelta

from flask_babel import force_locale, gettext as _

from core.extensions import db
from core.models import WechatAccount, utcnow
from core.wechat import WeChatError, wechat
from notices.models import Delivery, Notice, SubscriptionEvent

CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 5
OUT_OF_WINDOW = 45015
PERMANENT = {43101, 40003, 43004}
log = logging.getLogger("gongjian")


def queue_direct_message(account_id, kind, params, created_by=None):
    """A notice for one resident, in the caller's transaction."""
    notice = Notice(kind=kind, params=params, created_by=created_by)
    db.session.add(notice)
    db.session.flush()
    db.session.add(Delivery(notice_id=notice.id, account_id=account_id))
    db.session.flush()
    return notice


def record_subscription_events(openid, items, source):
    """Store accept/reject answers from subscribe_msg_* events (the sending ledger builds on these)."""
    for item in items:
        template_id = item.get("TemplateId") or item.get("template_id")
        status = item.get("SubscribeStatusString") or item.get("ErrorStatus") or item.get("status") or ""
        if template_id:
            db.session.add(SubscriptionEvent(openid=openid, template_id=template_id[:128],
                                             status=status[:16], source=source))
    db.session.flush()


def render(notice, locale):
    """The notice as text in the resident's language."""
    with force_locale(locale or "zh_Hans_CN"):
        if notice.kind == "wish_answer":
            return _("The committee answered your wish %(reference)s: %(answer)s", **notice.params)
        return notice.params.get("text", "")


def _aware(moment):
    from datetime import timezone
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def deliver(delivery):
    """Try one delivery: a customer-service message inside the window, otherwise the inbox only."""
    account = db.session.get(WechatAccount, delivery.account_id)
    text = render(delivery.notice, account.locale)
    delivery.attempts += 1
    in_window = account.last_inbound_at and utcnow() - _aware(account.last_inbound_at) < CUSTOMER_SERVICE_WINDOW
    if not in_window:
        delivery.state, delivery.channel = "inbox", "inbox"
        return delivery
    client = wechat()
    try:
        client.call(client.client.message.send_text, account.openid, text)
    except WeChatError as exc:
        delivery.last_error = f"{exc.errcode}: {exc.errmsg}"[:255]
        if exc.errcode == OUT_OF_WINDOW or exc.errcode in PERMANENT:
            delivery.state, delivery.channel = "inbox", "inbox"
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = "failed"
        else:
            delivery.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** delivery.attempts)
        return delivery
    delivery.state, delivery.channel, delivery.sent_at = "sent", "customer_service", utcnow()
    return delivery


def drain(batch=100):
    """Deliver pending notices; returns how many were attempted."""
    now = utcnow()
    pending = (Delivery.query.filter(Delivery.state == "pending")
               .filter((Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now))
               .order_by(Delivery.id).limit(batch).all())
    for delivery in pending:
        deliver(delivery)
        db.session.commit()  # one delivery, one commit: a crash never resends a finished one
    return len(pending)


def inbox(account, limit=50):
    """The resident's in-app inbox, newest first."""
    return (Delivery.query.filter_by(account_id=account.id).order_by(Delivery.id.desc()).limit(limit).all())
