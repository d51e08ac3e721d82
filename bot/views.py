"""The official-account endpoint: verify, parse, dispatch, reply."""
import logging
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from functools import partial
from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale
from redis.exceptions import RedisError
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from bot import dispatcher, flows, protocol, replay, state
from core.commits import conversation_only
from core.errors import DomainError
from core.extensions import db, redis_client
from core.i18n import translate
from core.models import WechatAccount, aware, utcnow
from core.wechat import WeChatError, wechat
from notices.services import record_subscription_events

bp = Blueprint("bot", __name__)
log = logging.getLogger(__name__)
RECENT = timedelta(minutes=1)
# The customer-service window's mark moves a conversation along only: an older time kept after a crash of the
# database makes the 48-hour window shorter, never longer.
TOUCH = conversation_only(update(WechatAccount.__table__).where(WechatAccount.__table__.c.id == bindparam("account"))
                          .values(last_inbound_at=bindparam("now")))
SUBSCRIBE_EVENTS = {"subscribe_msg_popup_event", "subscribe_msg_change_event", "subscribe_msg_sent_event"}


def _guard():
    client = redis_client()
    return replay.RedisGuard(client) if client is not None else replay.DatabaseGuard()


def _config():
    c = current_app.config
    return c["WECHAT_TOKEN"], c["WECHAT_APPID"], c["WECHAT_AES_KEY"]


@bp.get("/wechat")
def handshake():
    """WeChat's server verification: echo echostr when the signature matches."""
    token, _appid, _key = _config()
    try:
        echo = protocol.verify_handshake(token, request.args)
    except protocol.Rejected:
        return Response("forbidden", status=403, mimetype="text/plain")
    return Response(echo, mimetype="text/plain")


@bp.post("/wechat")
def receive():
    """One message or event from WeChat; always answered well inside WeChat's five seconds."""
    token, appid, aes_key = _config()
    limit = current_app.config["WECHAT_MAX_BODY"]
    if request.content_length is None or request.content_length > limit:
        return Response("too large", status=413 if request.content_length else 411, mimetype="text/plain")
    body = request.get_data(cache=False)
    try:
        incoming = protocol.open_envelope(request.args, body, token, appid, aes_key,
                                          current_app.config["WECHAT_CLOCK_SKEW"])
    except protocol.Rejected as exc:
        log.warning("wechat request rejected", extra={"fields": {"reason": str(exc)}})
        return Response("forbidden", status=403, mimetype="text/plain")
    except protocol.Malformed as exc:
        log.warning("wechat request malformed", extra={"fields": {"reason": str(exc)}})
        return Response("bad request", status=400, mimetype="text/plain")
    message = protocol.parse(incoming.xml)
    if message is None or not message.source:
        return Response("success", mimetype="text/plain")  # not a message we can answer: no reply
    guard, rate = _guard(), current_app.config["BOT_RATE"]
    try:
        try:
            outcome, reply = guard.begin(protocol.dedupe_key(message), incoming.nonce, message.source, rate)
        except RedisError:  # Redis away: the database remembers messages instead
            log.warning("redis unavailable: replay guard in the database")
            guard = replay.DatabaseGuard()
            outcome, reply = guard.begin(protocol.dedupe_key(message), incoming.nonce, message.source, rate)
    except protocol.Rejected:
        return Response("forbidden", status=403, mimetype="text/plain")
    if outcome == "throttled":
        log.warning("wechat user throttled")
        reply = _in_their_words(message.source, "bot.too_fast")  # the message itself is not handled
        reply = commit_turn(guard, reply)
    if outcome == "pending":  # WeChat's retry of a message still being handled
        reply = guard.twin_reply(current_app.config["BOT_DEADLINE"])
    if outcome == "new":
        app = current_app._get_current_object()
        future = _executor(app).submit(run_turn, app, message, guard)
        try:
            reply = future.result(timeout=app.config["BOT_DEADLINE"])
        except FutureTimeout:
            # WeChat gives up after five seconds: say nothing now, send the answer when it is ready.
            guard.answered_later()
            future.add_done_callback(partial(reply_later, app, message.source))
            return Response("success", mimetype="text/plain")
    body = protocol.render_reply(reply, message, incoming, token, appid, aes_key)
    return Response(body, mimetype="application/xml" if reply else "text/plain")


def _in_their_words(openid, key, **params):
    """A message key said to a WeChat user, in their language."""
    locale = db.session.scalar(select(WechatAccount.locale).where(WechatAccount.openid == openid))
    with force_locale(locale or "zh_Hans_CN"):
        return translate(key, **params)


def _executor(app):
    executor = app.extensions.get("bot_executor")
    if executor is None:
        executor = app.extensions["bot_executor"] = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bot")
    return executor


def run_turn(app, message, guard):
    """Handle a new message and commit its effects with the record of it; returns the reply text."""
    with app.app_context():
        try:
            try:
                reply, sender = handle(message)
            except DomainError as exc:  # a rule no flow expected (the home unlinked mid-conversation): said in
                db.session.rollback()  # chat with the turn's effects undone, never an error status to WeChat
                reply, sender = _in_their_words(message.source, exc.key, **exc.params), message.source
        except Exception:
            db.session.rollback()
            guard.abandon()
            raise
        return commit_turn(guard, reply, sender)


def commit_turn(guard, reply, sender=None):
    """Commit a message's effects with the record of it (under `sender`, the openid its account has now, if not
    the one it came from), and only then mark it done where retries look (Redis): a retry is never answered
    with the reply of a turn that was not saved. Returns the reply to give."""
    try:
        guard.finish(reply, sender)
        db.session.commit()  # without waiting for the disk when the turn only moved a conversation along
    except IntegrityError:
        db.session.rollback()
        if guard.lost_race():  # the same message was handled by another worker meanwhile
            return guard.duplicate_reply()
        guard.abandon()
        raise
    except Exception:
        db.session.rollback()
        guard.abandon()  # WeChat's retry runs the turn again
        raise
    guard.done(reply)
    return reply


def reply_later(app, openid, future):
    """Send a late reply as a customer-service message (the user has just written: inside the window)."""
    if future.exception() is not None or not future.result():
        return
    with app.app_context():
        client = wechat()
        try:
            client.call(client.client.message.send_text, openid, future.result())
        except WeChatError as exc:
            log.warning("late reply not sent", extra={"fields": {"errcode": exc.errcode}})


def handle(message):
    """The reply text for a message (None for no reply), in the resident's language, and the openid to remember
    the message under: the sender's, or once they deleted their data in this very turn the made-up one their
    account has now (the record kept for WeChat's retries then names nobody, and a retry still hears that the
    deletion is done)."""
    account, saved = state.account_and_saved(message.source)
    now = utcnow()
    if account.last_inbound_at is None or now - aware(account.last_inbound_at) > RECENT:
        # The customer-service window only needs minute precision. One UPDATE of one column: the account's
        # other changes, if any, still go through the session.
        db.session.execute(TOUCH, {"account": account.id, "now": now})
        set_committed_value(account, "last_inbound_at", now)
    turn = dispatcher.Turn(account=account, message=message, stored=saved is not None)
    with force_locale(account.locale or "zh_Hans_CN"):
        reply = on_event(turn) if message.type == "event" else on_message(turn, saved)
    return reply, account.openid


def on_message(turn, saved):
    """The reply to a text, voice, photo or location message, where the user's conversation stands."""
    message = turn.message
    turn.conversation = state.load(turn.account.openid, saved)
    turn.stored = turn.conversation is not None  # an idle one was deleted just now
    if message.type == "text":
        turn.text = (message.content or "").strip()
        return dispatcher.handle_text(turn, flows.idle)
    if message.type == "voice":
        turn.text = (message.recognition or "").strip()
        if not turn.text:
            return flows.voice_not_understood()
        return dispatcher.handle_text(turn, flows.idle)
    if message.type in ("image", "location"):
        return dispatcher.handle_media(turn, lambda t: flows.help_text())
    return flows.unsupported()


def on_event(turn):
    message, account = turn.message, turn.account
    event = (message.event or "").lower()
    if event in ("subscribe", "subscribe_scan", "scan"):
        account.follows = True
        scene = (protocol.event_key(message) or "").removeprefix("qrscene_")
        if scene.startswith("unit:") and scene[5:].isdigit():
            return dispatcher.start_flow("bind", turn, unit_id=int(scene[5:]))
        return flows.welcome(turn) if event != "scan" else flows.help_text()
    if event == "unsubscribe":
        account.follows = False
        return None
    if event == "click":
        chosen = dispatcher.flow_for_menu(protocol.event_key(message) or "")
        if chosen is not None:
            turn.end()
            return dispatcher.begin(chosen, turn)
        return flows.help_text()
    if event in SUBSCRIBE_EVENTS:
        items = protocol.list_items(message)
        record_subscription_events(account.openid, items, event)
        return None
    return None
