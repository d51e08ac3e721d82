"""The official-account protocol: verify, decrypt, parse, reply. No rules of our own here."""
import time
from dataclasses import dataclass

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot import events  # noqa: F401 - registers the subscribe_msg_* event classes


class Rejected(Exception):
    """The request is not from WeChat (forged, stale, replayed): answer 403."""


class Malformed(Exception):
    """The body is not acceptable XML (entities, garbage): answer 400."""


@dataclass(frozen=True)
class Incoming:
    """A verified request: its plaintext XML and how to answer it."""

    xml: str
    encrypted: bool
    nonce: str
    timestamp: str


def _refuse_entities(data):
    head = data[:4096].lower() if isinstance(data, bytes) else data[:4096].lower().encode()
    if b"<!doctype" in head or b"<!entity" in head:
        raise Malformed("entity declarations are not accepted")


def check_timestamp(timestamp, now, skew):
    """Refuse a timestamp that is not a number or is further than `skew` seconds from now."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        raise Rejected("bad timestamp") from None
    if abs(now - moment) > skew:
        raise Rejected("stale timestamp")


def verify_handshake(token, args):
    """The GET handshake: echostr back when the signature matches."""
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        raise Rejected("bad signature") from None
    return args.get("echostr", "")


def open_envelope(args, body, token, appid, aes_key, skew, now=None):
    """Verify a POST in plaintext, compatible or safe mode and return its plaintext XML."""
    now = time.time() if now is None else now
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    check_timestamp(timestamp, now, skew)
    if not nonce or len(nonce) > 64:
        raise Rejected("bad nonce")
    _refuse_entities(body)
    try:
        check_signature(token, args.get("signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        raise Rejected("bad signature") from None
    if args.get("encrypt_type", "raw") == "aes":
        if not aes_key:
            raise Rejected("encrypted message but no EncodingAESKey configured")
        crypto = WeChatCrypto(token, aes_key, appid)
        try:
            xml = crypto.decrypt_message(body, args.get("msg_signature", ""), timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            raise Rejected("bad msg_signature or appid") from None
        except Exception:  # noqa: BLE001 - any decoding failure of an envelope is malformed input
            raise Malformed("cannot decrypt") from None
        _refuse_entities(xml)
        return Incoming(xml if isinstance(xml, str) else xml.decode(), True, nonce, timestamp)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    return Incoming(text, False, nonce, timestamp)


def parse(xml):
    """The wechatpy message object, or None when the XML is not a WeChat message (wechatpy reads MsgId and
    CreateTime as numbers on first access: a body where they are not is refused here, not in a view)."""
    try:
        message = parse_message(xml)
        dedupe_key(message)
    except Exception:  # noqa: BLE001 - xmltodict and wechatpy raise many kinds on bad input
        return None
    return message


def event_key(message):
    """An event's EventKey through wechatpy's declared fields (`key` on clicks, `scene_id` on scans), or None."""
    return getattr(message, "key", None) or getattr(message, "scene_id", None)


def dedupe_key(message):
    """MsgId for messages; sender, time, event and key for events."""
    if message.id:
        return f"msg:{message.id}"
    return f"{events_of(message.source)}{message.time}:{getattr(message, 'event', None)}:{event_key(message)}"[:160]


def events_of(openid):
    """How the dedupe keys of a user's events begin (those of their messages name only the message)."""
    return f"evt:{openid}:"


def render_reply(text, message, incoming, token, appid, aes_key):
    """A passive reply (text, or 'success' for none), encrypted in safe and compatible modes."""
    if not text:
        return "success"
    xml = TextReply(content=text, message=message).render()
    if incoming.encrypted:
        return WeChatCrypto(token, aes_key, appid).encrypt_message(xml, incoming.nonce, incoming.timestamp)
    return xml


def as_list(value):
    """xmltodict gives one <item> as a dict and several as a list: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def list_items(message):
    """The items of a subscribe_msg_* event's list field (declared in bot/events.py), normalised."""
    container = message.items or {}
    if isinstance(container, str):
        try:
            container = xmltodict.parse(container)
        except Exception:  # noqa: BLE001
            return []
    return as_list(container.get("List") if isinstance(container, dict) else container)

