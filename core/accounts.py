"""Residents' WeChat accounts: mini-program sessions, phone numbers, binding to a dwelling."""
import hashlib
import secrets
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import joinedload

from core import audit, pii
from core.auth import authorize
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorised
from core.extensions import db
from core.models import (BindAttempt, BindingCode, BindingRequest, Building, Compound, Dwelling, Ownership, Person,
                         Residency, ResidentSession, Unit, WechatAccount, aware, utcnow)
from core.wechat import WeChatError, wechat

SESSION_LIFETIME = timedelta(days=7)
CODE_LIFETIME = timedelta(days=14)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
MAX_BIND_ATTEMPTS_PER_DAY = 5  # binding requests and failed tries, per account
MAX_TRIES_PER_FLAT = 5  # failed tries to bind to one flat a day, whoever makes them
PRIVACY_VERSION = "2026-11"
BAD_LOGIN_CODES = {40029, 40163, 40226}


# A user's first messages may reach two workers together: the second waits for the first's row instead of
# failing on the unique openid (PostgreSQL and SQLite say this alike).
CREATE_ACCOUNT = text("INSERT INTO wechat_accounts (openid, locale, follows, created_at) "
                      "VALUES (:openid, :locale, :follows, :created_at) ON CONFLICT (openid) DO NOTHING"
                      ).bindparams(bindparam("created_at", type_=WechatAccount.__table__.c.created_at.type))


# Every signed-in request asks this once: the session's validity and its account, without loading the session.
SESSION_ACCOUNT = select(WechatAccount, ResidentSession.revoked_at, ResidentSession.expires_at).join(
    ResidentSession, ResidentSession.account_id == WechatAccount.id).where(ResidentSession.token_hash == bindparam("h"))


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()


def account_for(openid):
    """The account of an openid, created on first sight (by one of two workers meeting it at once)."""
    account = WechatAccount.query.filter_by(openid=openid).first()
    if account is None:
        db.session.execute(CREATE_ACCOUNT, {"openid": openid, "locale": "zh_Hans_CN", "follows": False,
                                            "created_at": utcnow()})
        account = WechatAccount.query.filter_by(openid=openid).one()
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
    found = db.session.execute(SESSION_ACCOUNT, {"h": _hash(header[7:].strip())}).first()
    if found is None or found.revoked_at is not None or aware(found.expires_at) <= utcnow():
        raise Unauthorised("auth.session_expired")
    return found.WechatAccount




def revoke_session(header):
    """Sign the mini-program session out."""
    session = ResidentSession.query.options(joinedload(ResidentSession.account)) \
        .filter_by(token_hash=_hash(header[7:].strip())).first()
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


# Watchers of what an account stands as: entered around every change that can end it being a verified owner of
# the flat it is bound to (linked again, unlinked, its ownership ended by a roll, its data deleted), and around a
# roll's change of who owns a flat. Each is a context-manager factory called with the account ids, the staff
# member who made the change (None: the resident or the system), its cause and the dwellings whose owners it
# changes; a domain whose rights rest on that standing or on those owners' word (votes' proxies) registers one
# and compares before with after.
STANDING_WATCHERS = []


def lock_accounts(account_ids):
    """The accounts' rows, locked until the transaction ends, in the order of their ids. Taken first by a change
    of what they stand as (standing_changes) and by whatever makes one stand as something (a proxy confirmed):
    the one waits for the other, and what a watcher reads before the change is what the change changes. FOR NO
    KEY UPDATE: a message queued for the account (which only refers to its row) does not wait for it."""
    ids = sorted({account_id for account_id in account_ids if account_id is not None})
    if ids:
        db.session.execute(select(WechatAccount.id).where(WechatAccount.id.in_(ids)).order_by(WechatAccount.id)
                           .with_for_update(key_share=True))


@contextmanager
def standing_changes(account_ids, staff=None, cause=None, dwelling_ids=()):
    """Around a change that may end what these accounts stand as, or who owns these dwellings: every registered
    watcher sees it (the accounts locked first, lock_accounts)."""
    lock_accounts(account_ids)
    with ExitStack() as stack:
        for watcher in STANDING_WATCHERS:
            stack.enter_context(watcher(account_ids, staff=staff, cause=cause, dwelling_ids=dwelling_ids))
        yield


def owner_accounts(pairs):
    """Ids of the accounts bound as owners to these (dwelling id, person id) pairs."""
    pairs = set(pairs)
    if not pairs:
        return []
    rows = db.session.execute(select(WechatAccount.id, WechatAccount.dwelling_id, WechatAccount.person_id).where(
        WechatAccount.kind == "owner", WechatAccount.dwelling_id.in_({dwelling for dwelling, _person in pairs})))
    return sorted(account for account, dwelling, person in rows if (dwelling, person) in pairs)


def _bind(account, dwelling, person, kind, staff=None):
    with standing_changes([account.id], staff, "binding"):
        # Read again under the account's lock: a deletion that committed since the account was read (or that held
        # the lock until now) leaves nobody to bind.
        db.session.refresh(account, ["deleted_at"])
        if account.deleted_at is not None:
            raise Conflict("bind.already_decided")
        account.dwelling, account.person, account.kind = dwelling, person, kind
        db.session.flush()
    # A request the committee has not decided yet is withdrawn once the person bound another way.
    db.session.execute(update(BindingRequest).where(BindingRequest.account_id == account.id,
                                                    BindingRequest.state == "pending")
                       .values(state="withdrawn", decided_at=utcnow()))
    db.session.flush()
    _tell_owners(dwelling, account, kind)


def tell(account, kind, title, body, /, **params):
    """A direct message to one resident, worded in their own language (`title` and `body` are lazy texts)."""
    from notices.services import queue_direct_message
    with force_locale(account.locale or "zh_Hans_CN"):
        params = {key: str(value) if isinstance(value, LazyString) else value for key, value in params.items()}
        words = {"title": str(title) % params, "body": str(body) % params}
    return queue_direct_message(account.id, kind, dict(params, **words))


def _address(dwelling):
    unit = dwelling.unit
    return f"{unit.building.compound.name} {unit.building.name}-{unit.name}-{dwelling.room}"


def _tell_owners(dwelling, account, kind):
    """The owners on the roll hear that someone bound to their flat (they know whether it was family)."""
    owners = [o.person_id for o in dwelling.ownerships]
    if not owners:
        return
    for other in WechatAccount.query.filter(WechatAccount.person_id.in_(owners), WechatAccount.id != account.id,
                                            WechatAccount.kind == "owner").all():
        tell(other, "binding_notice", _l("Someone linked WeChat to your home"),
             _l("A WeChat user linked to %(home)s as %(role)s. If you do not know who it is, please tell the "
                "neighbourhood committee."), home=_address(dwelling), role=_kind_word(kind, other.locale))


KINDS = {"owner": _l("owner"), "tenant": _l("tenant"), "family": _l("household member")}


def kind_label(kind):
    """How a person is linked to a home, in the reader's language (one wording for every door)."""
    return str(KINDS.get(kind, KINDS["family"]))


def _kind_word(kind, locale):
    with force_locale(locale or "zh_Hans_CN"):
        return kind_label(kind)


def _check_tries(account, dwelling_id=None):
    """Refuse when this account, or anyone at this flat, has failed too often today."""
    since = utcnow() - timedelta(days=1)
    mine = db.session.scalar(select(func.count()).select_from(BindAttempt).where(
        BindAttempt.account_id == account.id, BindAttempt.ok.is_(False), BindAttempt.at >= since))
    if mine >= MAX_BIND_ATTEMPTS_PER_DAY:
        raise Forbidden("bind.too_many")
    if dwelling_id is not None:
        flat = db.session.scalar(select(func.count()).select_from(BindAttempt).where(
            BindAttempt.dwelling_id == dwelling_id, BindAttempt.ok.is_(False), BindAttempt.at >= since))
        if flat >= MAX_TRIES_PER_FLAT:
            raise Forbidden("bind.too_many_flat")


def _attempt(account, dwelling_id, method, ok):
    db.session.add(BindAttempt(account_id=account.id, dwelling_id=dwelling_id, method=method, ok=ok))
    db.session.flush()


# privacy -------------------------------------------------------------------------------------------
def require_consent(account):
    """Nothing personal is processed before the resident agreed to the privacy notice."""
    if account.privacy_consented_at is None:
        raise Forbidden("privacy.consent_required")


def record_privacy_consent(account, version):
    """The resident agreed to this version of the privacy notice."""
    if version != PRIVACY_VERSION:
        raise InvalidInput([{"field": "version", "key": "privacy.old_version"}])
    account.privacy_version, account.privacy_consented_at = version, utcnow()
    db.session.flush()
    return account


def privacy_notice():
    """The privacy notice residents agree to, in the current language."""
    return {"version": PRIVACY_VERSION, "text": _(
        "Gongjian keeps your room, the last digits of your phone and what you tell us (wishes, answers, votes) "
        "to let you take part in renovating your compound. Only the committee and officials of your area see "
        "them, and never your ID number. Your choices in a vote are published only if the vote says so before "
        "it opens, and then only to owners of the same scope. You can see all your data and ask for it to be "
        "deleted at any time; vote records are kept as the law requires, without your name.")}


# A home's place as the resident reads it: compound, building, unit, room (one query, not one per level).
PLACE = (select(Dwelling.id, Compound.name, Building.name, Unit.name, Dwelling.room)
         .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
         .join(Compound, Building.compound_id == Compound.id))
# Built once, as every statement a request runs on each call: one made anew costs more to key for the compiled
# cache than to run.
PLACE_OF = PLACE.where(Dwelling.id == bindparam("dwelling"))
OWNED_HOMES = (PLACE.join(Ownership, Ownership.dwelling_id == Dwelling.id)
               .where(Ownership.person_id == bindparam("person")).order_by(Dwelling.id))


def place_of(dwelling_id):
    """(compound, building, unit, room) of a dwelling, or None."""
    if dwelling_id is None:
        return None
    found = db.session.execute(PLACE_OF, {"dwelling": dwelling_id}).first()
    return tuple(found[1:]) if found is not None else None


def owned_homes(account):
    """The homes the account's verified owner owns, with their addresses."""
    if account.kind != "owner" or account.person_id is None:
        return []
    rows = db.session.execute(OWNED_HOMES, {"person": account.person_id}).all()
    # as _address writes it
    return [{"dwelling_id": d, "address": f"{compound} {building}-{unit}-{room}"}
            for d, compound, building, unit, room in rows]


def ownerships_ended(pairs):
    """A roll amendment ended these (dwelling, person) ownerships: their accounts stop voting for them."""
    for dwelling_id, person_id in pairs:
        for account in WechatAccount.query.filter_by(person_id=person_id, dwelling_id=dwelling_id,
                                                     kind="owner").all():
            still = db.session.scalar(select(Ownership.dwelling_id).where(Ownership.person_id == person_id)
                                      .order_by(Ownership.dwelling_id).limit(1))
            if still is not None:
                account.dwelling_id = still
            else:
                account.kind = "family"
            tell(account, "ownership_ended", _l("Your home on the owners' roll"),
                 _l("The committee's owners' roll no longer lists you as the owner of %(home)s. You can no longer "
                 "vote for it. If this is wrong, please tell the neighbourhood committee."),
                 home=_address(db.session.get(Dwelling, dwelling_id)))
    db.session.flush()


def withdraw_pending_requests(account):
    """The person bound another way: their requests leave the committee's queue."""
    db.session.flush()  # a request being decided right now is no longer pending
    BindingRequest.query.filter_by(account_id=account.id, state="pending").update(
        {"state": "withdrawn", "decided_at": utcnow()}, synchronize_session="fetch")


def unbind(account):
    """Forget the account's dwelling (the person stays in the registry)."""
    if account.dwelling_id is None:
        raise Conflict("bind.not_bound")
    with standing_changes([account.id], cause="unbinding"):
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
    elif person_id is not None:
        # A tenant or family member is a person of their own, made when they bind: a code never names someone
        # on a roll (of this compound or another) for them.
        raise InvalidInput([{"field": "person_id", "key": "bind.person_only_for_owner"}])
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
    """Bind with a one-time code the committee handed over after checking the property certificate."""
    require_consent(account)
    _check_tries(account)
    entry = BindingCode.query.filter_by(code_hash=_hash(normalise_code(code))).first()
    if entry is None or entry.used_at is not None or aware(entry.expires_at) <= utcnow():
        _attempt(account, None, "code", False)
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


def describe_unit(unit_id):
    """The stairwell unit a QR code names (with its building and compound), or None."""
    return db.session.get(Unit, unit_id)


def find_dwelling(unit_id, room):
    """The dwelling with this room number in a stairwell unit."""
    from core.rolls import clean_room
    dwelling = Dwelling.query.filter_by(unit_id=unit_id, room=clean_room(room)).first()
    if dwelling is None:
        raise NotFound("bind.no_room", room=room)
    return dwelling


def bind_by_room(account, unit_id, room, phone_last4, claimed_name=None):
    """Bind from a stairwell QR code with the room and the last four digits of the roll's phone.

    Neighbours and family know both, so this binds a household member (wishes, progress, notices), never an
    owner who votes. Returns 'household' when an owner's phone matches, 'pending' when the committee must
    decide."""
    require_consent(account)
    _check_tries(account)
    recent = db.session.scalar(select(func.count()).select_from(BindingRequest).where(
        BindingRequest.account_id == account.id, BindingRequest.created_at >= utcnow() - timedelta(days=1)))
    if recent >= MAX_BIND_ATTEMPTS_PER_DAY:
        raise Forbidden("bind.too_many")
    dwelling = find_dwelling(unit_id, room)
    _check_tries(account, dwelling.id)
    last4 = "".join(ch for ch in phone_last4 or "" if ch.isdigit())
    if len(last4) != 4:
        raise InvalidInput([{"field": "phone_last4", "key": "bind.bad_last4"}])
    for ownership in dwelling.ownerships:
        masked = ownership.roll_phone_masked
        if masked and masked[-4:] == last4 and not ownership.developer_held:
            _attempt(account, dwelling.id, "room", True)
            person = Person(name=(claimed_name or "")[:100], locale=account.locale)
            db.session.add(person)
            db.session.add(Residency(dwelling=dwelling, person=person, kind="family"))
            _bind(account, dwelling, person, "family")
            return "household"
    _attempt(account, dwelling.id, "room", False)
    db.session.add(BindingRequest(account=account, dwelling=dwelling, claimed_name=claimed_name,
                                  phone_last4=last4))
    db.session.flush()
    return "pending"


def bind_as_owner(account, id_number, certificate_no, doc_type="cn_id"):
    """Verify an owner by the ID number together with the property certificate number (不动产权证号).

    Both are on the roll only as keyed hashes; a neighbour knows neither. The account becomes that owner,
    for every flat the roll lists them as owning."""
    from core import identity
    from core.errors import RuleViolation
    require_consent(account)
    _check_tries(account)
    try:
        number = identity.normalise_document(doc_type, id_number or "")
    except RuleViolation:
        _attempt(account, None, "owner", False)
        raise InvalidInput([{"field": "id_number", "key": "bind.bad_id"}]) from None
    if not (certificate_no or "").strip() or len(certificate_no) > 64:
        raise InvalidInput([{"field": "certificate_no", "key": "error.field_required"}])
    secret = pii.keys().identity
    person_key = identity.identity_key(secret, doc_type, number)
    person = ownership = None
    # The certificate names the flat; the person must be that flat's owner as its own compound's roll keys
    # them (a person another compound's roll also names is keyed within each compound).
    for candidate in (Ownership.query.filter_by(certificate_key=identity.certificate_key(secret, certificate_no),
                                                developer_held=False).order_by(Ownership.dwelling_id)):
        key = candidate.person.id_key
        if key == person_key or key == identity.scoped_key(
                secret, candidate.dwelling.unit.building.compound_id, person_key):
            person, ownership = candidate.person, candidate
            break
    if ownership is None:
        _attempt(account, None, "owner", False)
        raise InvalidInput([{"field": "certificate_no", "key": "bind.owner_not_verified"}])
    _check_tries(account, ownership.dwelling_id)
    _attempt(account, ownership.dwelling_id, "owner", True)
    _bind(account, ownership.dwelling, person, "owner")
    return account


def _community_id(dwelling):
    return dwelling.unit.building.compound.community_id


def _dwelling_in_scope(staff, dwelling_id, action="registry.edit"):
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    authorize(staff, action, dwelling.unit.building.compound.community)
    return dwelling


def pending_bindings(staff):
    """Binding requests waiting in the staff member's region (names and phone digits: for the staff who decide
    them)."""
    from core.auth import compounds_in_scope
    authorize(staff, "registry.edit")
    from core.models import Building
    compound_ids = [c.id for c in compounds_in_scope(staff)]
    return (BindingRequest.query.join(Dwelling).join(Unit).join(Building)
            .filter(Building.compound_id.in_(compound_ids), BindingRequest.state == "pending")
            .order_by(BindingRequest.id).all())


def sole_owner(request_id):
    """The person id of the one owner on the roll of a binding request's dwelling (None when there are several,
    none, or no such request): whom approving it as an owner binds when nobody is named."""
    request = db.session.get(BindingRequest, request_id)
    owners = [o.person_id for o in request.dwelling.ownerships] if request is not None else []
    return owners[0] if len(owners) == 1 else None


def decide_binding(staff, request_id, approve, kind="tenant", person_id=None, evidence=None):
    """Approve (as an owner on the roll, or as a tenant or family member) or reject a request.

    An owner is approved only with the evidence the committee saw (e.g. the property certificate in person),
    recorded with who decided."""
    request = db.session.get(BindingRequest, request_id)
    if request is None:
        raise NotFound()
    dwelling = _dwelling_in_scope(staff, request.dwelling_id)
    # The account first, as its deletion does (standing_changes), before anything is written: a deletion under way
    # finishes first, and the request and the account are read again as it left them (withdrawn, deleted).
    lock_accounts([request.account_id])
    db.session.refresh(request, ["state"])
    db.session.refresh(request.account, ["deleted_at"])
    if request.state != "pending" or request.account.deleted_at is not None:
        # a deletion withdraws its account's requests; one an earlier release left pending counts as withdrawn
        raise Conflict("bind.already_decided")
    request.state = "approved" if approve else "rejected"
    request.decided_by, request.decided_at = staff.id, utcnow()
    if approve:
        if kind == "owner":
            owners = {o.person_id: o.person for o in dwelling.ownerships}
            if person_id not in owners:
                raise InvalidInput([{"field": "person_id", "key": "bind.owner_required"}])
            if len((evidence or "").strip()) < 4:
                raise InvalidInput([{"field": "evidence", "key": "bind.evidence_required"}])
            request.evidence = evidence.strip()[:500]
            person = owners[person_id]
        elif kind in ("tenant", "family"):
            person = Person(name=request.claimed_name or "", locale=request.account.locale)
            db.session.add(person)
            db.session.add(Residency(dwelling=dwelling, person=person, kind=kind))
        else:
            raise InvalidInput([{"field": "kind", "key": "error.invalid"}])
        _bind(request.account, dwelling, person, kind, staff)
    audit.record(staff, "binding.approve" if approve else "binding.reject", "binding_request", request.id,
                 _community_id(dwelling), after={"kind": kind if approve else None,
                                                 "evidence": request.evidence if approve else None})
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
