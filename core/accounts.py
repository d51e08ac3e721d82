"""Residents' WeChat accounts: mini-program sessions, phone numbers, binding to a dwelling."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from core import audit, pii
from core.auth import authorize
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorised
from core.extensions import db
from core.models import (BindingCode, BindingRequest, Dwelling, Person, Residency,
                         ResidentSession, Unit, WechatAccount, aware, utcnow)
from core.wechat import WeChatError, wechat

SESSION_LIFETIME = timedelta(days=7)
CODE_LIFETIME = timedelta(days=14)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
MAX_BIND_ATTEMPTS_PER_DAY = 5
BAD_LOGIN_CODES = {40029, 40163, 40226}


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()


def account_for(openid):
    """The account of an openid, created on first sight."""
    account = WechatAccount.query.filter_by(openid=openid).first()
    if account is None:
        account = WechatAccount(openid=openid, locale="zh_Hans_CN")
        db.session.add(account)
        db.session.flush()
    return account


def login_miniprogram(code):
    """Exchange a wx.login code for our own session token; returns (token, session)."""
    if not code or len(code) > 128:
        raise InvalidInput([{"field": "code", "key": "error.field_required"}])
    config = current_app.config
    appid = config.get("WECHAT_MINI_APPID") or config["WECHAT_APPID"]
    secret = config.get("WECHAT_MINI_SECRET") or config["WECHAT_SECRET"]
    try:
        result = wechat().code_to_session(appid, secret, code)
    except WeChatError as exc:
        if exc.errcode in BAD_LOGIN_CODES:
            raise Unauthorised("auth.bad_code") from None
        raise Conflict("wechat.unavailable") from None
    account = account_for(result["openid"])
    if result.get("unionid"):
        account.unionid = result["unionid"]
    token = secrets.token_urlsafe(32)
    session = ResidentSession(token_hash=_hash(token), account=account,
                              session_key_enc=pii.keys().encrypt(result.get("session_key")),
                              expires_at=utcnow() + SESSION_LIFETIME)
    db.session.add(session)
    db.session.flush()
    return token, session


def resident_from_token(header):
    """The account behind 'Authorization: Bearer TOKEN', or Unauthorised."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorised()
    session = ResidentSession.query.filter_by(token_hash=_hash(header[7:].strip())).first()
    if session is None or session.revoked_at is not None or aware(session.expires_at) <= utcnow():
        raise Unauthorised("auth.session_expired")
    return session.account




def revoke_session(header):
    """Sign the mini-program session out."""
    session = ResidentSession.query.filter_by(token_hash=_hash(header[7:].strip())).first()
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.flush()


def bind_phone(account, code):
    """Store the phone number WeChat vouches for (getuserphonenumber, single-use code)."""
    if not code or len(code) > 128:
        raise InvalidInput([{"field": "code", "key": "error.field_required"}])
    try:
        result = wechat().post("/wxa/business/getuserphonenumber", {"code": code})
    except WeChatError as exc:
        if exc.errcode in BAD_LOGIN_CODES or exc.errcode == 40013:
            raise InvalidInput([{"field": "code", "key": "auth.bad_code"}]) from None
        raise Conflict("wechat.unavailable") from None
    phone = result["phone_info"]["purePhoneNumber"]
    account.phone_enc = pii.keys().encrypt(phone)
    db.session.flush()
    return phone


def _bind(account, dwelling, person, kind):
    account.dwelling, account.person, account.kind = dwelling, person, kind
    db.session.flush()


def unbind(account):
    """Forget the account's dwelling (the person stays in the registry)."""
    if account.dwelling_id is None:
        raise Conflict("bind.not_bound")
    account.dwelling_id = account.person_id = account.kind = None
    db.session.flush()


def set_locale(account, locale):
    """Remember the resident's language."""
    account.locale = "en" if locale == "en" else "zh_Hans_CN"
    db.session.flush()


def issue_binding_code(staff, dwelling_id, kind="owner", person_id=None):
    """A one-time code for a dwelling; for an owner it names which owner."""
    dwelling = _dwelling_in_scope(staff, dwelling_id)
    if kind not in ("owner", "tenant", "family"):
        raise InvalidInput([{"field": "kind", "key": "error.invalid"}])
    if kind == "owner":
        owners = [o.person_id for o in dwelling.ownerships]
        person_id = person_id or (owners[0] if len(owners) == 1 else None)
        if person_id not in owners:
            raise InvalidInput([{"field": "person_id", "key": "bind.owner_required"}])
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    db.session.add(BindingCode(code_hash=_hash(code), dwelling_id=dwelling.id, person_id=person_id, kind=kind,
                               issued_by=staff.id, expires_at=utcnow() + CODE_LIFETIME))
    audit.record(staff, "binding_code.issue", "dwelling", dwelling.id, _community_id(dwelling),
                 after={"kind": kind, "person_id": person_id})
    db.session.flush()
    return code


def normalise_code(text):
    """Binding codes are typed by hand: ignore case, spaces and dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def bind_with_code(account, code):
    """Bind with a one-time code."""
    entry = BindingCode.query.filter_by(code_hash=_hash(normalise_code(code))).first()
    if entry is None or entry.used_at is not None or aware(entry.expires_at) <= utcnow():
        raise InvalidInput([{"field": "code", "key": "bind.bad_code"}])
    dwelling = db.session.get(Dwelling, entry.dwelling_id)
    person = db.session.get(Person, entry.person_id) if entry.person_id else None
    if person is None:
        person = Person(name="", locale=account.locale)
        db.session.add(person)
        db.session.add(Residency(dwelling=dwelling, person=person, kind=entry.kind))
    entry.used_at, entry.used_by = utcnow(), account.id
    _bind(account, dwelling, person, entry.kind)
    return account


def find_dwelling(unit_id, room):
    """The dwelling with this room number in a stairwell unit."""
    from core.rolls import clean_room
    dwelling = Dwelling.query.filter_by(unit_id=unit_id, room=clean_room(room)).first()
    if dwelling is None:
        raise NotFound("bind.no_room", room=room)
    return dwelling


def bind_by_room(account, unit_id, room, phone_last4, claimed_name=None):
    """Bind from a stairwell QR code: room number and the last four digits of the roll's phone.

    Returns 'bound' when an owner's phone matches, 'pending' when the committee must decide."""
    recent = db.session.scalar(select(func.count()).select_from(BindingRequest).where(
        BindingRequest.account_id == account.id, BindingRequest.created_at >= utcnow() - timedelta(days=1)))
    if recent >= MAX_BIND_ATTEMPTS_PER_DAY:
        raise Forbidden("bind.too_many")
    dwelling = find_dwelling(unit_id, room)
    last4 = "".join(ch for ch in phone_last4 or "" if ch.isdigit())
    if len(last4) != 4:
        raise InvalidInput([{"field": "phone_last4", "key": "bind.bad_last4"}])
    for ownership in dwelling.ownerships:
        masked = ownership.person.phone_masked
        if masked and masked[-4:] == last4 and not ownership.developer_held:
            _bind(account, dwelling, ownership.person, "owner")
            return "bound"
    db.session.add(BindingRequest(account=account, dwelling=dwelling, claimed_name=claimed_name,
                                  phone_last4=last4))
    db.session.flush()
    return "pending"


def _community_id(dwelling):
    return dwelling.unit.building.compound.community_id


def _dwelling_in_scope(staff, dwelling_id, action="registry.edit"):
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    authorize(staff, action, dwelling.unit.building.compound.community)
    return dwelling


def pending_bindings(staff):
    """Binding requests waiting in the staff member's region."""
    from core.auth import compounds_in_scope
    from core.models import Building
    compound_ids = [c.id for c in compounds_in_scope(staff)]
    return (BindingRequest.query.join(Dwelling).join(Unit).join(Building)
            .filter(Building.compound_id.in_(compound_ids), BindingRequest.state == "pending")
            .order_by(BindingRequest.id).all())


def decide_binding(staff, request_id, approve, kind="tenant", person_id=None):
    """Approve (as an owner on the roll, or as a tenant or family member) or reject a request."""
    request = db.session.get(BindingRequest, request_id)
    if request is None:
        raise NotFound()
    dwelling = _dwelling_in_scope(staff, request.dwelling_id)
    if request.state != "pending":
        raise Conflict("bind.already_decided")
    request.state = "approved" if approve else "rejected"
    request.decided_by, request.decided_at = staff.id, utcnow()
    if approve:
        if kind == "owner":
            owners = {o.person_id: o.person for o in dwelling.ownerships}
            if person_id not in owners:
                raise InvalidInput([{"field": "person_id", "key": "bind.owner_required"}])
            person = owners[person_id]
        elif kind in ("tenant", "family"):
            person = Person(name=request.claimed_name or "", locale=request.account.locale)
            db.session.add(person)
            db.session.add(Residency(dwelling=dwelling, person=person, kind=kind))
        else:
            raise InvalidInput([{"field": "kind", "key": "error.invalid"}])
        _bind(request.account, dwelling, person, kind)
    audit.record(staff, "binding.approve" if approve else "binding.reject", "binding_request", request.id,
                 _community_id(dwelling), after={"kind": kind if approve else None})
    db.session.flush()
    return request


def stairwell_qrcode(staff, unit_id):
    """A permanent parametric QR code for a stairwell unit (scene 'unit:ID'), from WeChat."""
    from core.models import Unit
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    authorize(staff, "registry.edit", unit.building.compound.community)
    scene = f"unit:{unit.id}"
    client = wechat()
    try:
        result = client.call(client.client.qrcode.create, {
            "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}})
    except WeChatError:
        raise Conflict("wechat.unavailable") from None
    return {"unit": unit, "scene": scene, "ticket": result["ticket"], "url": result["url"]}
