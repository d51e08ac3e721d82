"""Vote services: define, open, cast (online, paper, proxy), watch, close, publish, verify."""
import functools
import hashlib
import hmac
import json
import logging
import threading
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (bindparam, exists, func, insert, literal, literal_column, null, or_, select, text, true,
                        union_all, update)

from core import audit
from core.accounts import STANDING_WATCHERS
from core.auth import authorize, get_in_region, kept_in_region
from core.commits import one_snapshot
from core.decisions import pending_row
from core.errors import Conflict, DomainError, Forbidden, NotFound, Unavailable, field_error
from core.extensions import db
from core.models import (Building, Compound, Dwelling, Ownership, Person, Region, Unit, WechatAccount, as_utc, aware,
                         utcnow)
from core.scopes import SCOPES, count_accounts_in, in_scope, scope_compound, scope_dwellings
from core.uploads import link_uploads
from notices.services import queue_scoped_notice
from publicity import services as publicity_hooks
from votes import files as _files  # noqa: F401 - who may see a vote's documents
from votes import outcomes, rules, texts as _texts  # noqa: F401 - texts: registers the notice texts
from votes.models import (Ballot, BallotEvent, BallotIntake, Canvass, PaperEntry, Proxy, Vote, VoteOwner, VotePart,
                          VoteState)

CHANNEL_WORDS = {"miniprogram": _l("in the mini-program"), "bot": _l("by WeChat chat"), "paper": _l("on paper"),
                 "proxy": _l("by a proxy")}
CANVASS = ("pending", "visited", "refused", "collected")
# Called with a vote as it opens, by whichever door: a domain that adds terms to some votes (a stairwell lift's
# county rule and owners' shares) fixes them here, so that they cannot change while the vote runs.
ON_OPEN = []





# defining ------------------------------------------------------------------------------------------
def get_vote(staff, vote_id, action="votes.read"):
    """A vote in the staff member's region (NotFound otherwise)."""
    return get_in_region(staff, Vote, vote_id, action)


def list_votes(staff, state=None, limit=200, compound_id=None):
    """The votes in the staff member's region (or one compound of it), newest first."""
    authorize(staff, "votes.read")
    query = kept_in_region(staff, Vote)
    if state:
        query = query.filter(Vote.state == state)
    if compound_id is not None:
        query = query.filter(Vote.compound_id == compound_id)
    return query.order_by(Vote.id.desc()).limit(limit).all()


def create_vote(staff, scope_kind, scope_id, matter, title, text="", threshold=None, opens_at=None,
                closes_at=None, publicity_days=7, remind_days_before=2, publish_details=False):
    """Draft a vote on a matter for a compound, building or stairwell unit."""
    if scope_kind not in SCOPES:
        raise field_error("scope_kind", "error.invalid")
    if matter not in rules.MATTERS:
        raise field_error("matter", "vote.unknown_matter", matter=matter)
    compound = scope_compound(scope_kind, scope_id)
    authorize(staff, "votes.manage", compound.community)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise field_error("title", "error.field_required")
    num = den = None
    if rules.MATTERS[matter] == rules.CUSTOM:
        try:
            threshold = rules.parse_threshold(threshold)
        except DomainError:
            raise field_error("threshold", "vote.no_threshold") from None
        num, den = threshold.numerator, threshold.denominator
    _check_window(opens_at, closes_at)
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    vote = Vote(compound_id=compound.id, region_id=compound.community_id, scope_kind=scope_kind, scope_id=scope_id,
                matter=matter, title=title, text=text or "", threshold_num=num, threshold_den=den,
                opens_at=opens_at, closes_at=closes_at, publicity_days=publicity_days,
                remind_days_before=remind_days_before, publish_details=publish_details, created_by=staff.id)
    db.session.add(vote)
    db.session.flush()
    audit.record(staff, "vote.create", "vote", vote.id, vote.region_id,
                 after={"matter": matter, "scope": f"{scope_kind}:{scope_id}", "title": title})
    return vote


def _check_window(opens_at, closes_at):
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise field_error("closes_at", "project.dates_out_of_order")


def update_vote(staff, vote_id, **changes):
    """Change a draft; once open, the matter, text and scope are fixed."""
    vote = get_vote(staff, vote_id, "votes.manage")
    vote.require(VoteState.DRAFT)
    before = {k: str(getattr(vote, k)) for k in changes}
    for key, value in changes.items():
        setattr(vote, key, value)
    _check_window(vote.opens_at, vote.closes_at)
    audit.record(staff, "vote.update", "vote", vote.id, vote.region_id, before=before,
                 after={k: str(v) for k, v in changes.items()})
    db.session.flush()
    return vote


def attach_document(staff, vote_id, name, title):
    """Attach a stored plan document to a draft vote (voters see it with the matter)."""
    vote = get_vote(staff, vote_id, "votes.manage")
    vote.require(VoteState.DRAFT)
    vote.documents = list(vote.documents or []) + [{"file": name, "title": (title or name)[:100]}]
    audit.record(staff, "vote.document", "vote", vote.id, vote.region_id, after={"file": name, "title": title})
    link_uploads([name], "vote_document", vote.id)
    return vote


def open_vote(staff, vote_id, opens_at, closes_at):
    """Open the vote for its window; its terms are fixed from now on."""
    vote = get_vote(staff, vote_id, "votes.manage")
    vote.require(VoteState.DRAFT)
    if opens_at is None or closes_at is None:
        raise field_error("closes_at", "error.field_required")
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    _check_window(opens_at, closes_at)
    if aware(closes_at) <= utcnow():
        raise field_error("closes_at", "vote.closes_in_past")
    for hook in ON_OPEN:
        hook(vote)
    vote.state, vote.opens_at, vote.closes_at = VoteState.OPEN, opens_at, closes_at
    vote.chain_head = chain_genesis(vote.id)
    freeze_roll(vote)
    _lapse_unsigned(vote, staff)
    announce_vote(vote)
    audit.record(staff, "vote.open", "vote", vote.id, vote.region_id,
                 after={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    db.session.flush()
    return vote


def _lapse_unsigned(vote, staff):
    """As the vote opens: each confirmed proxy whose signer its frozen roll does not name as an owner of the flat
    lapses (lapse_proxy: the owners on that roll and the proxy are told). A roll amendment made while it was a
    draft lapsed its proxies then (proxies_kept); these are those whose signer left the roll unseen (an amendment
    that raced the confirmation) or was never known (registered before signers were recorded: migration 0027)."""
    db.session.flush()
    for dwelling_id, account_id in db.session.execute(
            select(Proxy.dwelling_id, Proxy.account_id).where(
                Proxy.vote_id == vote.id, Proxy.state == "confirmed",
                ~exists().where(VoteOwner.vote_id == Proxy.vote_id, VoteOwner.dwelling_id == Proxy.dwelling_id,
                                VoteOwner.person_id == Proxy.owner_person_id)).order_by(Proxy.dwelling_id)).all():
        lapse_proxy(vote.id, dwelling_id, account_id, staff, "opening")


def extend_vote(staff, vote_id, closes_at, reason):
    """Give owners more time, with a recorded reason."""
    vote = get_vote(staff, vote_id, "votes.manage")
    # Under the chain's lock, as closing is: an extension and a close at once end one way or the other, never a
    # vote closed on time although its extension was accepted.
    _lock_chain(vote.id)
    db.session.refresh(vote, ["state", "closes_at"])
    vote.require(VoteState.OPEN)
    closes_at = as_utc(closes_at)
    if not (reason or "").strip():
        raise field_error("reason", "error.field_required")
    if aware(closes_at) <= aware(vote.closes_at):
        raise field_error("closes_at", "vote.extend_earlier")
    before = vote.closes_at.isoformat()
    vote.closes_at, vote.extended_reason = closes_at, reason.strip()
    audit.record(staff, "vote.extend", "vote", vote.id, vote.region_id, before={"closes_at": before},
                 after={"closes_at": closes_at.isoformat(), "reason": reason})
    db.session.flush()
    return vote


# who counts -----------------------------------------------------------------------------------------
def parts_of(vote):
    """The exclusive parts in scope as the count needs them: counted area and head."""
    rows = db.session.execute(
        select(Dwelling.id, Dwelling.registered_area, Dwelling.surveyed_area, Dwelling.contract_area,
               Person.id_key, Ownership.developer_held, Ownership.delivered)
        .join(Ownership, Ownership.dwelling_id == Dwelling.id).join(Person, Ownership.person_id == Person.id)
        .where(Dwelling.id.in_(scope_dwellings(vote)))).all()
    by_dwelling = {}
    for d, reg, sur, con, key, developer, delivered in rows:
        entry = by_dwelling.setdefault(d, {"area": rules_area(reg, sur, con), "keys": [], "developer": False,
                                           "delivered": True})
        entry["keys"].append(key or f"person:{d}")
        entry["developer"] |= bool(developer)
        entry["delivered"] &= bool(delivered)
    return [rules.Part(d, e["area"] or 0, rules.head_of(e["keys"], e["developer"], e["delivered"]))
            for d, e in sorted(by_dwelling.items())]


def freeze_roll(vote):
    """Fix the vote's roll as it opens: later amendments to the registry do not change this vote.
    Heads are numbered within the vote; the totals are kept on the vote."""
    parts = parts_of(vote)
    if not parts:
        raise Conflict("vote.empty_scope")
    numbers = {}
    rows = [{"vote_id": vote.id, "dwelling_id": p.dwelling_id, "area": p.area,
             "head_no": numbers.setdefault(p.head, len(numbers) + 1)} for p in parts]
    db.session.execute(VotePart.__table__.insert(), rows)
    vote.roll_area, vote.roll_heads = sum(p.area for p in parts), len(numbers)
    # Who may cast each part's ballot follows this roll, not later amendments.
    owners = db.session.execute(select(Ownership.dwelling_id, Ownership.person_id).where(
        Ownership.dwelling_id.in_(scope_dwellings(vote)), Ownership.developer_held.is_(False))).all()
    if owners:
        db.session.execute(VoteOwner.__table__.insert(),
                           [{"vote_id": vote.id, "dwelling_id": d, "person_id": p} for d, p in set(owners)])


def frozen_parts(vote):
    """The vote's roll as frozen when it opened (the live registry while it is a draft)."""
    if vote.state == VoteState.DRAFT:
        return parts_of(vote)
    return [rules.Part(d, a, str(h)) for d, a, h in db.session.execute(
        select(VotePart.dwelling_id, VotePart.area, VotePart.head_no).where(VotePart.vote_id == vote.id)
        .order_by(VotePart.dwelling_id))]


# The database sums each head's ballots by choice; votes.rules settles each head and applies the law.
# Ballots carry their part's area and head from the frozen roll; verify() cross-checks all of it.
TALLY_BY_HEAD = text("SELECT head_no, choice, SUM(area) FROM ballots WHERE vote_id = :v "
                     "GROUP BY head_no, choice ORDER BY head_no")


def rules_area(registered, surveyed, contract):
    from core.areas import counted_area
    return counted_area(registered, surveyed, contract)


def ballots_of(vote):
    """{dwelling_id: choice} of the counted ballots."""
    return dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote.id)).all())


def _threshold(vote):
    return Fraction(vote.threshold_num, vote.threshold_den) if vote.threshold_num else None


def tally(vote):
    """Count the vote as it stands (in the database once the roll is frozen)."""
    if vote.state == VoteState.DRAFT:
        return rules.count(parts_of(vote), ballots_of(vote), vote.matter, _threshold(vote))
    rows = db.session.execute(TALLY_BY_HEAD, {"v": vote.id}).all()
    totals = rules.totals_from_heads(int(vote.roll_area), int(vote.roll_heads),
                                     ((head, choice, int(area)) for head, choice, area in rows))
    return rules.decide(totals, vote.matter, _threshold(vote))


def result_of(vote):
    """The stored art. 278 count once the vote is closed, else the live count (the outcome: outcome_now)."""
    if vote.result is not None:
        return rules.Result(**vote.result["result"])
    return tally(vote)


def outcome_now(vote):
    """The vote's outcome: art. 278 and any rule fixed when it opened; stored once closed, else live."""
    return outcomes.outcome_of(vote, live=True)


def recount(vote):
    """The pure count over the frozen roll and the ballots (what verify() trusts)."""
    return rules.count(frozen_parts(vote), ballots_of(vote), vote.matter, _threshold(vote))


# casting -------------------------------------------------------------------------------------------
def _chain_key():
    return current_app.config["VOTE_CHAIN_KEY"].encode()


def chain_genesis(vote_id):
    """The first link of a vote's chain, keyed like every other."""
    return hmac.new(_chain_key(), f"gongjian-vote:{vote_id}".encode(), hashlib.sha256).hexdigest()


def _event_hash(prev_hash, content):
    # Keyed with a secret kept outside the database: whoever rewrites the database cannot recompute it.
    message = (prev_hash + json.dumps(content, sort_keys=True, ensure_ascii=False)).encode()
    return hmac.new(_chain_key(), message, hashlib.sha256).hexdigest()


def _event_content(vote_id, seq, dwelling_id, choice, channel, actor, at):
    return {"vote": vote_id, "seq": seq, "dwelling": dwelling_id, "choice": choice, "channel": channel,
            "actor": actor, "at": at}


def record_ballot(vote_id, dwelling_id, choice, channel, actor, account_id=None, entered_by=None,
                  confirmed_by=None, person_id=None):
    """Receive the dwelling's ballot and append it to the vote's chain in this transaction, waiting for the
    chain's lock (held until commit): paper ballots and proxies. Returns the dwelling's ballot, its `link` the
    chain head right after it (what a receipt shows)."""
    if choice not in rules.CHOICES:
        raise field_error("choice", "vote.unknown_choice", choice=choice)
    part = db.session.execute(_ROLL_PART, {"v": vote_id, "d": dwelling_id}).one_or_none()
    if part is None:
        if db.session.get(Vote, vote_id) is None:
            raise NotFound()
        raise Forbidden("vote.out_of_scope")
    now = utcnow()
    if not db.session.get(Vote, vote_id).accepting(now):
        raise Conflict("vote.not_open")
    db.session.flush()  # what the caller changed goes first, as an ORM row would
    entry = _entry(vote_id, dwelling_id, choice, channel, actor, now, part, account_id=account_id,
                   person_id=person_id, entered_by=entered_by, confirmed_by=confirmed_by)
    _lock_chain(vote_id)
    _links, (link,) = _chain(vote_id, [entry])
    if link is None:
        raise Conflict("vote.not_open")
    ballot = Ballot.query.filter_by(vote_id=vote_id, dwelling_id=dwelling_id).one()
    ballot.link = link
    return ballot


def _entry(vote_id, dwelling_id, choice, channel, actor, now, part, **people):
    """A ballot as received: what the intake and the chain keep of it, and its address for the receipt."""
    return {"vote_id": vote_id, "dwelling_id": dwelling_id, "choice": choice, "channel": channel, "actor": actor,
            "at": now.isoformat(), "account_id": people.get("account_id"), "person_id": people.get("person_id"),
            "entered_by": people.get("entered_by"), "confirmed_by": people.get("confirmed_by"), "area": part.area,
            "head_no": part.head_no, "address": _address(part.building, part.unit, part.room)}


CHAIN_LOCK = 0x766F7465  # 'vote': with the vote's id, the key of the advisory lock its chain is appended under
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:k, :id)")


def _on_postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def _lock_chain(vote_id):
    """Only one transaction appends to a vote's chain at a time, until it commits. On PostgreSQL an advisory
    lock (it writes nothing, so a waiter that finds its ballots chained already ends without a commit to
    disk); on SQLite the database's write lock. (A cast tries the lock without waiting in _CAST_READ_TRYING.)"""
    if _on_postgresql():
        with _pipelined():  # nothing to read back: the lock goes out with the transaction's BEGIN, one round trip
            db.session.execute(_LOCK_CHAIN, {"k": CHAIN_LOCK, "id": vote_id})
    else:
        db.session.execute(text("UPDATE votes SET event_count = event_count WHERE id = :id"), {"id": vote_id})
    # The vote as this session read it before the lock may miss links others appended meanwhile (closing counts
    # the chain's head and length): read them again when next asked.
    cached = db.session.identity_map.get(db.session.identity_key(Vote, vote_id))
    if cached is not None:
        db.session.expire(cached, ["chain_head", "event_count"])


# The statements of a cast, built once on the tables (not the mapped classes, whose statements go through the
# ORM's compilation on every execution): casting runs them for every ballot.
_VOTES, _INTAKE, _BALLOTS, _EVENTS = Vote.__table__, BallotIntake.__table__, Ballot.__table__, BallotEvent.__table__
_PARTS, _DWELLINGS, _UNITS, _BUILDINGS = VotePart.__table__, Dwelling.__table__, Unit.__table__, Building.__table__
_ROLL_PART = select(_PARTS.c.area, _PARTS.c.head_no, _BUILDINGS.c.name.label("building"),
                    _UNITS.c.name.label("unit"), _DWELLINGS.c.room) \
    .join(_DWELLINGS, _DWELLINGS.c.id == _PARTS.c.dwelling_id).join(_UNITS, _DWELLINGS.c.unit_id == _UNITS.c.id) \
    .join(_BUILDINGS, _UNITS.c.building_id == _BUILDINGS.c.id) \
    .where(_PARTS.c.vote_id == bindparam("v"), _PARTS.c.dwelling_id == bindparam("d"))
_PROXIES, _ACCOUNTS, _OWNERSHIPS = Proxy.__table__, WechatAccount.__table__, Ownership.__table__


_VOTE_OWNERS = VoteOwner.__table__
_SIGNERS = Ownership.__table__.alias("signers")
# The owner who signed a proxy's authorisation still owns its flat: on the registry's roll (not as the developer's
# stock) while the vote is a draft, on the vote's frozen roll once it opened (later amendments do not change a vote).
_SIGNER_OWNS = or_(
    (_VOTES.c.state == VoteState.DRAFT) & exists().where(
        _SIGNERS.c.dwelling_id == _PROXIES.c.dwelling_id, _SIGNERS.c.person_id == _PROXIES.c.owner_person_id,
        _SIGNERS.c.developer_held.is_(False)),
    (_VOTES.c.state != VoteState.DRAFT) & exists().where(
        _VOTE_OWNERS.c.vote_id == _PROXIES.c.vote_id, _VOTE_OWNERS.c.dwelling_id == _PROXIES.c.dwelling_id,
        _VOTE_OWNERS.c.person_id == _PROXIES.c.owner_person_id))


def standing_proxies(state="confirmed"):
    """(vote id, dwelling id, account id) of the confirmed proxies (or those in `state`) that still stand: their
    account is still bound, not deleted, as an owner to a flat of the vote's own compound that the person named
    when they were registered owns on the roll (the rule register_proxy and confirm_proxy check), and the owner
    who signed the authorisation still owns the flat it is for (_SIGNER_OWNS). A proxy whose account was unlinked,
    deleted or moved since, one whose signer sold the flat, or one confirmed before these rules, no longer casts
    or is told to (one that stopped standing while its vote was not closed has lapsed besides: proxies_kept,
    open_vote). With state=LAPSED: the lapsed proxies that would stand today, had they not lapsed (_refusal)."""
    return (select(_PROXIES.c.vote_id, _PROXIES.c.dwelling_id, _PROXIES.c.account_id)
            .join(_ACCOUNTS, (_ACCOUNTS.c.id == _PROXIES.c.account_id)
                  & (_ACCOUNTS.c.person_id == _PROXIES.c.proxy_person_id))
            .join(_OWNERSHIPS, (_OWNERSHIPS.c.person_id == _ACCOUNTS.c.person_id)
                  & (_OWNERSHIPS.c.dwelling_id == _ACCOUNTS.c.dwelling_id))
            .join(_DWELLINGS, _DWELLINGS.c.id == _ACCOUNTS.c.dwelling_id)
            .join(_UNITS, _UNITS.c.id == _DWELLINGS.c.unit_id)
            .join(_BUILDINGS, _BUILDINGS.c.id == _UNITS.c.building_id)
            .join(_VOTES, _VOTES.c.id == _PROXIES.c.vote_id)
            .where(_PROXIES.c.state == state, _ACCOUNTS.c.kind == "owner", _ACCOUNTS.c.deleted_at.is_(None),
                   _BUILDINGS.c.compound_id == _VOTES.c.compound_id, _SIGNER_OWNS))


def _standing_only(account_id, rights):
    """`rights` ({(vote id, dwelling id): role}) without the proxy rights that no longer stand (standing_proxies):
    asked only when the account has confirmed proxy rows, so that an owner's cast pays nothing for it (the join
    would multiply the planning of the cast's one statement)."""
    proxies = {key for key, role in rights.items() if role == "proxy"}
    if not proxies:
        return rights
    standing = {(vote, dwelling) for vote, dwelling, _account in db.session.execute(
        standing_proxies().where(_PROXIES.c.account_id == account_id,
                                 _PROXIES.c.vote_id.in_({vote for vote, _dwelling in proxies})))}
    return {key: role for key, role in rights.items() if role != "proxy" or key in standing}


# The flats a person owned on the frozen roll, and those an account is a confirmed proxy for, asked at once (a
# proxy's right is then checked to stand: _standing_only).
_RIGHTS = union_all(
    select(VoteOwner.__table__.c.dwelling_id, literal("owner").label("role")).where(
        VoteOwner.__table__.c.vote_id == bindparam("v"), VoteOwner.__table__.c.person_id == bindparam("person")),
    select(_PROXIES.c.dwelling_id, literal("proxy")).where(
        _PROXIES.c.vote_id == bindparam("v"), _PROXIES.c.account_id == bindparam("account"),
        _PROXIES.c.state == "confirmed"))
# All a cast reads before it writes, in one statement: the vote's state and window, and each flat the caller may
# cast for with its part of the frozen roll (none: out of scope) and its address; no row when there is no such
# vote, one row of NULL flats when the caller may cast for none.
_CAST_RIGHTS = _RIGHTS.subquery("rights")
_CAST_READ = select(_VOTES.c.id, _VOTES.c.state, _VOTES.c.opens_at, _VOTES.c.closes_at, _CAST_RIGHTS.c.dwelling_id,
                    _CAST_RIGHTS.c.role, _PARTS.c.area, _PARTS.c.head_no, _BUILDINGS.c.name.label("building"),
                    _UNITS.c.name.label("unit"), _DWELLINGS.c.room).select_from(
    _VOTES.outerjoin(_CAST_RIGHTS, true())
    .outerjoin(_PARTS, (_PARTS.c.vote_id == _VOTES.c.id) & (_PARTS.c.dwelling_id == _CAST_RIGHTS.c.dwelling_id))
    .outerjoin(_DWELLINGS, _DWELLINGS.c.id == _PARTS.c.dwelling_id)
    .outerjoin(_UNITS, _UNITS.c.id == _DWELLINGS.c.unit_id)
    .outerjoin(_BUILDINGS, _BUILDINGS.c.id == _UNITS.c.building_id)).where(_VOTES.c.id == bindparam("v"))
# On PostgreSQL the same statement also tries the chain's lock (whether it was free is `locked`): a cast that gets
# it chains its ballots in its own transaction, one commit for the whole cast.
_CAST_READ_TRYING = _CAST_READ.add_columns(
    func.pg_try_advisory_xact_lock(bindparam("k", CHAIN_LOCK), _VOTES.c.id).label("locked"))
_INTAKE_COLUMNS = ("vote_id", "dwelling_id", "choice", "channel", "actor", "at", "account_id", "person_id",
                   "entered_by", "confirmed_by", "area", "head_no")
_INTAKE_INSERT = insert(_INTAKE).returning(_INTAKE.c.id, sort_by_parameter_order=True)
# The chain's head with the ballots waiting for it (none: one row of NULLs), in the order they came, each with its
# dwelling's current ballot (who cast it, and how); then the current ballots of the `dwellings` a transaction is
# about to chain itself (one row each, NULL but for the ballot).
_CHAIN_STATE = union_all(
    select(literal(0).label("part"), _VOTES.c.event_count, _VOTES.c.chain_head, _VOTES.c.state.label("vote_state"),
           _VOTES.c.opens_at, _VOTES.c.closes_at, _INTAKE, _BALLOTS.c.dwelling_id.label("current_dwelling"),
           _BALLOTS.c.account_id.label("current_account"), _BALLOTS.c.channel.label("current_channel"))
    .select_from(_VOTES.outerjoin(_INTAKE, (_INTAKE.c.vote_id == _VOTES.c.id) & (_INTAKE.c.state == "waiting"))
                 .outerjoin(_BALLOTS, (_BALLOTS.c.vote_id == _VOTES.c.id)
                            & (_BALLOTS.c.dwelling_id == _INTAKE.c.dwelling_id)))
    .where(_VOTES.c.id == bindparam("v")),
    select(literal(1), null(), null(), null(), null(), null(), *[null() for _column in _INTAKE.c],
           _BALLOTS.c.dwelling_id, _BALLOTS.c.account_id, _BALLOTS.c.channel)
    .where(_BALLOTS.c.vote_id == bindparam("v"), _BALLOTS.c.dwelling_id.in_(bindparam("dwellings", expanding=True)))
).order_by(literal_column("1"), literal_column("7"))  # by part, then intake id (SQLite orders a union by place)
_MARK_LATE = update(_INTAKE).where(_INTAKE.c.id == bindparam("entry")).values(state="late")
_MARK_CHAINED = update(_INTAKE).where(_INTAKE.c.id == bindparam("entry")).values(state="chained",
                                                                                 seq=bindparam("place"))
_EVENT_INSERT = insert(_EVENTS).inline()  # no implicit RETURNING of the new id: nothing reads it
_CHAIN_HEAD = update(_VOTES).where(_VOTES.c.id == bindparam("v")).values(
    chain_head=bindparam("head"), event_count=bindparam("count"))
_ENTRY_LINKS = select(_INTAKE.c.id, _INTAKE.c.state, _EVENTS.c.hash).outerjoin(
    _EVENTS, (_EVENTS.c.vote_id == _INTAKE.c.vote_id) & (_EVENTS.c.seq == _INTAKE.c.seq)).where(
    _INTAKE.c.id.in_(bindparam("entries", expanding=True)))
# A dwelling's ballot written, or rewritten (PostgreSQL and SQLite say it alike; as text, so that it is compiled
# once: the dialects' upsert constructs are compiled again for every execution).
_BALLOT_FIELDS = ("choice", "channel", "account_id", "person_id", "entered_by", "confirmed_by", "cast_at", "receipt",
                  "area", "head_no")
_BALLOT_WRITE = text(
    f"INSERT INTO ballots (vote_id, dwelling_id, {', '.join(_BALLOT_FIELDS)}) "
    f"VALUES (:vote_id, :dwelling_id, {', '.join(':' + f for f in _BALLOT_FIELDS)}) "
    f"ON CONFLICT (vote_id, dwelling_id) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in _BALLOT_FIELDS)}"
).bindparams(bindparam("cast_at", type_=Ballot.__table__.c.cast_at.type))


log = logging.getLogger(__name__)


def vote_window(vote_id):
    """The vote's id, state and window, enough to ask whether it is accepting() ballots, without loading the
    vote (a transient Vote, never added to the session); None when there is no such vote."""
    row = db.session.execute(select(_VOTES.c.id, _VOTES.c.state, _VOTES.c.opens_at, _VOTES.c.closes_at)
                             .where(_VOTES.c.id == vote_id)).first()
    if row is None:
        return None
    return Vote(id=row.id, state=row.state, opens_at=_parse_time(row.opens_at), closes_at=_parse_time(row.closes_at))


def chain_waiting(vote_id):
    """Append every ballot waiting in the vote's intake to its chain, under the chain's lock; returns {intake id:
    chain link} of those chained (see _chain)."""
    _lock_chain(vote_id)
    return _chain(vote_id)[0]


def _chain(vote_id, new=()):
    """Append to the vote's chain every ballot waiting in its intake, in the order they were received, then the
    `new` entries (received by this transaction, not in the intake): a ballot received before closing counts,
    one that reaches the chain after the vote closed is late (its sender is told the vote was not open). Writes
    each dwelling's ballot as the log's last word for it. The caller holds the chain's lock.
    Returns ({intake id: chain link} of the waiting ballots chained, [chain link or None when late] of `new`)."""
    rows = db.session.execute(_CHAIN_STATE, {"v": vote_id, "dwellings": [e["dwelling_id"] for e in new]}).all()
    head = rows[0]
    waiting = [row._asdict() for row in rows if row.part == 0 and row.id is not None]
    current = {row.current_dwelling: (row.current_account, row.current_channel) for row in rows
               if row.current_dwelling is not None}
    if not waiting and not new:
        return {}, []
    seq, previous = head.event_count, head.chain_head
    window = Vote(state=head.vote_state, opens_at=_parse_time(head.opens_at), closes_at=_parse_time(head.closes_at))
    events, places, links, late, last, new_links = [], [], {}, [], {}, []
    holders, replaced = dict(current), []  # who cast each dwelling's ballot as the log stands, entry by entry
    for entry in waiting + list(new):
        if not window.accepting(_parse_time(entry["at"])):
            link = None
        else:
            seq += 1
            content = _event_content(vote_id, seq, entry["dwelling_id"], entry["choice"], entry["channel"],
                                     entry["actor"], entry["at"])
            link = _event_hash(previous, content)
            events.append({"vote_id": vote_id, "seq": seq, "dwelling_id": entry["dwelling_id"],
                           "choice": entry["choice"], "channel": entry["channel"], "actor": entry["actor"],
                           "at": entry["at"], "prev_hash": previous, "hash": link})
            last[entry["dwelling_id"]] = (entry, link)  # the log's last word for the dwelling
            previous = link
            # Every replacement is known to the one replaced (a co-owner, a proxy, a paper ballot), also when
            # both ballots are chained at once: as if each had been chained alone.
            before, holders[entry["dwelling_id"]] = (holders.get(entry["dwelling_id"]),
                                                     (entry["account_id"], entry["channel"]))
            if before is not None and before[0] is not None and before != holders[entry["dwelling_id"]]:
                replaced.append((before[0], entry["dwelling_id"], entry["channel"]))
        if "id" not in entry:
            new_links.append(link)
        elif link is None:
            late.append({"entry": entry["id"]})
        else:
            places.append({"entry": entry["id"], "place": seq})
            links[entry["id"]] = link
    if not events:
        if late:
            db.session.execute(_MARK_LATE, late)
        return links, new_links
    ballots = _ballots_after(vote_id, last, replaced)
    # Nothing below is read back: on PostgreSQL the writes go out together and are answered once.
    with _pipelined():
        if late:
            db.session.execute(_MARK_LATE, late)
        db.session.execute(_EVENT_INSERT, events)
        db.session.execute(_CHAIN_HEAD, {"head": previous, "count": seq, "v": vote_id})
        if places:
            db.session.execute(_MARK_CHAINED, places)
        db.session.execute(_BALLOT_WRITE, ballots)
    cached = db.session.identity_map.get(db.session.identity_key(Vote, vote_id))
    if cached is not None:
        db.session.expire(cached, ["chain_head", "event_count"])
    # Ballot objects already loaded in this session see what was written.
    for ballot in db.session.identity_map.values():
        if isinstance(ballot, Ballot) and ballot.vote_id == vote_id and ballot.dwelling_id in last:
            db.session.expire(ballot)
    return links, new_links


@contextmanager
def _pipelined():
    """On PostgreSQL, the statements executed in this block are sent without waiting for each other's answers
    (psycopg's pipeline mode), and answered together as it ends; only for statements whose results are not
    read. Elsewhere they run one after the other."""
    if not _on_postgresql():
        yield
        return
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():
            yield
    except Exception:
        # The answers come as the block ends, past SQLAlchemy: a connection lost on the way is invalidated here,
        # as SQLAlchemy does with one lost under its own statements, or the caller's rollback would fail on it too.
        if driver.closed or driver.broken:
            connection.invalidate()
        raise


def _ballots_after(vote_id, last, replaced):
    """Each dwelling's ballot as its last chained entry says, to be written; whoever's ballot was replaced by
    someone else's is told. `replaced`: (account id, dwelling id, channel of the ballot that replaced it), in the
    log's order."""
    if replaced:
        vote = db.session.get(Vote, vote_id)
        for account_id, dwelling_id, channel in replaced:
            _tell_replaced(account_id, vote, dwelling_id, channel)
    return [{"vote_id": vote_id, "dwelling_id": dwelling_id, "choice": entry["choice"], "channel": entry["channel"],
             "account_id": entry["account_id"], "person_id": entry["person_id"], "entered_by": entry["entered_by"],
             "confirmed_by": entry["confirmed_by"], "cast_at": _parse_time(entry["at"]), "receipt": digest[:16],
             "area": entry["area"], "head_no": entry["head_no"]} for dwelling_id, (entry, digest) in last.items()]


class Received:
    """A ballot as its caster's receipt shows it: an entry cast_ballots() received, and its chain link (None
    while it waits in the intake: `entry_id`)."""

    def __init__(self, entry, link, entry_id=None):
        self.dwelling_id, self.choice, self.channel, self.link = (entry["dwelling_id"], entry["choice"],
                                                                  entry["channel"], link)
        self.entry, self.entry_id = entry, entry_id
        self.address = entry["address"]
        self.cast_at = _parse_time(entry["at"])
        self.receipt = link[:16] if link else None


class _ChainRounds:
    """The casts of one vote in this process that wait for their ballots to be chained. One of them at a time
    (the round's leader) takes the chain's lock and chains every ballot waiting in the intake, those of other
    processes too, in one transaction; the others wait here, without a round trip to the database, and take
    their links from the round that carried them. A cast whose ballots came after the round looked is carried
    by the next one, which it may lead itself."""

    def __init__(self):
        self.changed = threading.Condition()
        self.leading = False
        self.waiting = set()  # intake ids of this process's casts waiting for their links
        self.links = {}  # intake id: its chain link, or None when it came too late for the chain
        self.failures = 0  # rounds that failed so far, whoever led them


_ROUNDS, _ROUNDS_LOCK = {}, threading.Lock()


def _rounds_of(vote_id):
    key = (id(db.engine), vote_id)
    with _ROUNDS_LOCK:
        return _ROUNDS.setdefault(key, _ChainRounds())


def chain_received(vote_id, received):
    """The ballots cast_ballots() left waiting in the intake (committed since), returned with their links once a
    round of chaining carried them; Conflict when the vote closed before they reached the chain. Ballots chained
    already are returned as they are.

    A round's leader commits its round itself: the round carries other casts' ballots, whose owners are answered
    as soon as it is on disk. A round that fails (a lost connection, a database restarting) is led again by a
    cast still waiting; a cast is answered Unavailable once ROUND_TRIES rounds that would carry its ballots
    failed, whoever led them (not two of its own after every other cast's: the last of many would wait long past
    a request's time): its ballots were received in time and stay in the intake, for the next round, the sweep
    (chain_waiting_votes) or the close."""
    if all(r.link is not None for r in received):
        return received
    ids = [r.entry_id for r in received]
    rounds = _rounds_of(vote_id)
    try:
        with rounds.changed:
            rounds.waiting.update(ids)
            # A round under way may have read the intake before these ballots were in it: its failure is not theirs.
            given_up_at = rounds.failures + ROUND_TRIES + (1 if rounds.leading else 0)
        while True:
            with rounds.changed:
                while rounds.leading and not all(i in rounds.links for i in ids):
                    rounds.changed.wait()
                if all(i in rounds.links for i in ids) or rounds.failures >= given_up_at:
                    links = {i: rounds.links[i] for i in ids if i in rounds.links}
                    break
                rounds.leading = True
            try:
                _chain_round(vote_id, rounds)
            except Exception:  # the ballots stay received: another round carries them
                with rounds.changed:
                    rounds.failures += 1
                db.session.rollback()
                log.exception("a round of chaining vote %s failed", vote_id)
            finally:
                with rounds.changed:
                    rounds.leading = False
                    rounds.changed.notify_all()
    finally:
        with rounds.changed:
            for i in ids:
                rounds.waiting.discard(i)
                rounds.links.pop(i, None)
    if len(links) < len(ids):
        links.update(_last_look(vote_id, [i for i in ids if i not in links]))
    if len(links) < len(ids):
        raise Unavailable("vote.received_not_chained")
    if None in links.values():
        raise Conflict("vote.not_open")
    return [Received(r.entry, links[r.entry_id], r.entry_id) for r in received]


def _last_look(vote_id, ids):
    """{intake id: chain link, or None when it can no longer count} of ballots whose rounds failed, as the
    database has them (a round may have been written though its leader heard an error; a ballot still waiting
    in the intake of a vote no longer open is never chained: the close that counted passed it by); those that
    a later round, the sweep or the close may still chain are left out, as are all when the database cannot be
    asked.

    Looked up holding the vote's chain: a close under way holds it until it commits, and may have read the intake
    before these ballots were in it (it marks them late as it ends); a vote found open while this holds the chain
    is closed by a close that reads them, and they count."""
    try:
        _lock_chain(vote_id)
        found = {row.id: row.hash if row.state == "chained" else None for row in db.session.execute(
            _ENTRY_LINKS, {"entries": ids}) if row.state in ("chained", "late")}
        if len(found) < len(ids) and db.session.scalar(
                select(_VOTES.c.state).where(_VOTES.c.id == vote_id)) != VoteState.OPEN:
            found.update({i: None for i in ids if i not in found})
        db.session.rollback()  # read only
        return found
    except Exception:  # noqa: BLE001 - the database is still in trouble: the ballots stay received
        db.session.rollback()
        log.exception("the ballots of vote %s whose rounds failed could not be looked up", vote_id)
        return {}


ROUND_TRIES = 2  # failed rounds a cast waits through before it answers that its ballots are received, their
# receipt to follow


# Votes whose intake may hold a ballot still waiting: a ballot reaches the intake of a closed vote only from a cast
# that read it open, within that one request, never that of an archived vote (archived days after it closed).
_MAY_WAIT = (VoteState.OPEN, VoteState.CLOSED, VoteState.PUBLISHED)


def chain_waiting_votes():
    """Chain the ballots left waiting in the intake of open votes (a round that failed twice leaves
    them there; the next cast's round or the close would carry them too), and mark late those left waiting in
    a vote that closed (received as it closed, from a cast whose own round never came: its worker stopped, or the
    database refused the round), one vote per transaction; returns the number of ballots chained."""
    chained = 0
    waiting = select(BallotIntake.vote_id).where(BallotIntake.vote_id == Vote.id, BallotIntake.state == "waiting")
    for vote_id in db.session.scalars(select(Vote.id).where(Vote.state.in_(_MAY_WAIT), waiting.exists())).all():
        try:
            _lock_chain(vote_id)
            vote = db.session.get(Vote, vote_id)
            db.session.refresh(vote, ["state"])  # as it stands now that this holds the chain
            if vote.state == VoteState.OPEN:
                chained += len(_chain(vote_id)[0])
            else:
                settle_late_ballots(vote)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one vote's chain in trouble keeps no other vote from closing on time
            db.session.rollback()
            log.exception("the ballots waiting in vote %s could not be chained", vote_id)
    return chained


def _chain_round(vote_id, rounds):
    """Chain everything waiting in the vote's intake under the chain's lock, commit, and hand this process's
    waiting casts their links (those another process chained first are looked up)."""
    _lock_chain(vote_id)
    links = _chain(vote_id)[0]
    with rounds.changed:  # a cast received after the chain was read waits for the next round
        carried = set(rounds.waiting) - set(rounds.links)
    elsewhere = [i for i in carried if i not in links]
    if elsewhere:  # chained by another process's round, or marked late (by it, or by this round)
        for row in db.session.execute(_ENTRY_LINKS, {"entries": elsewhere}):
            if row.state in ("chained", "late"):
                links[row.id] = row.hash if row.state == "chained" else None
    db.session.commit()
    with rounds.changed:  # also to casts that came in since, when this round carried them
        rounds.links.update({i: links[i] for i in rounds.waiting if i in links})


def _parse_time(value):
    # Raw SQL hands SQLite's datetimes back as text.
    if isinstance(value, str):
        from datetime import datetime
        return datetime.fromisoformat(value)
    return value


def _may_vote(account):
    return account.kind == "owner" and account.person_id is not None and account.deleted_at is None


# A resident's confirmed proxies and frozen-roll flats in the open votes (built once: a statement made anew for
# every request costs more to key for the compiled cache than to run).
_OPEN_PROXIED = (select(Proxy.vote_id, Proxy.dwelling_id).join(Vote, Vote.id == Proxy.vote_id)
                 .where(Proxy.account_id == bindparam("account"), Proxy.state == "confirmed",
                        Vote.state == VoteState.OPEN))
_OPEN_OWNED = (select(VoteOwner.vote_id, VoteOwner.dwelling_id).join(Vote, Vote.id == VoteOwner.vote_id)
               .where(VoteOwner.person_id == bindparam("person"), Vote.state == VoteState.OPEN))


def _open_rights(account):
    """{vote id: {dwelling id: 'owner' | 'proxy'}} over the open votes: the flats the resident's verified person
    owned on each vote's frozen roll, and those they are a confirmed proxy for (an owner casts as owner, even when
    also a proxy), with the votes in the order residents see them (closing first) that accept ballots now."""
    now = utcnow()
    rights = {}
    proxied = dict.fromkeys(db.session.execute(_OPEN_PROXIED, {"account": account.id}).all(), "proxy")
    for vote_id, dwelling_id in _standing_only(account.id, proxied):
        rights.setdefault(vote_id, {})[dwelling_id] = "proxy"
    if _may_vote(account):
        for vote_id, dwelling_id in db.session.execute(_OPEN_OWNED, {"person": account.person_id}):
            rights.setdefault(vote_id, {})[dwelling_id] = "owner"
    if not rights:
        return []
    votes = Vote.query.filter(Vote.id.in_(list(rights))).order_by(Vote.closes_at, Vote.id).all()
    return [(vote, rights[vote.id]) for vote in votes if vote.accepting(now)]


def votes_for_resident(account):
    """Open votes the resident may cast in, each with the flats they cast for: those their verified person
    owned on the vote's frozen roll, and those they are a confirmed proxy for."""
    return [(vote, sorted(flats)) for vote, flats in _open_rights(account)]


def voting_rights(account, vote):
    """{dwelling_id: 'owner' | 'proxy'} this account may cast for in this vote."""
    person = account.person_id if _may_vote(account) else None  # NULL matches no owner
    rights = {}
    for dwelling_id, role in db.session.execute(_RIGHTS, {"v": vote.id, "person": person, "account": account.id}):
        if role == "owner" or dwelling_id not in rights:  # an owner casts as owner, even when also a proxy
            rights[dwelling_id] = role
    return _standing_rights(account.id, vote.id, rights)


def _standing_rights(account_id, vote_id, rights):
    """{dwelling id: role} of one vote without the proxy rights that no longer stand."""
    if "proxy" not in rights.values():
        return rights
    return {dwelling: role for (_vote, dwelling), role in _standing_only(
        account_id, {(vote_id, dwelling): role for dwelling, role in rights.items()}).items()}


def voting_dwellings(account):
    """Every dwelling this account may vote for in some open vote."""
    return {d for _vote, dwellings in votes_for_resident(account) for d in dwellings}


def require_voter(account):
    """Raise Forbidden unless the account is linked to a home or an owner and agreed to the privacy notice."""
    if account.dwelling_id is None and not account.person_id:
        raise Forbidden("bind.required")
    from core.accounts import require_consent
    require_consent(account)


def cast_ballots(account, vote_id, choice, channel, dwelling_ids=None, defer=False):
    """An owner casts (or changes) the ballot of every flat they own in scope at once, or of the flats
    named; a confirmed proxy casts for the flat they stand for. Returns the ballots received (Received), each
    with its chain link.

    With defer=True (PostgreSQL), a cast that finds another cast appending to the vote's chain does not wait
    for that one's commit: its ballots wait in the intake, without a link; the caller commits, then
    chain_received() gives their links. Otherwise they are chained at once, in this transaction."""
    trying = defer and _on_postgresql()
    person_id = account.person_id if _may_vote(account) else None  # NULL matches no owner
    rows = db.session.execute(_CAST_READ_TRYING if trying else _CAST_READ,
                              {"v": vote_id, "person": person_id, "account": account.id}).all()
    if not rows:
        raise NotFound()
    try:
        require_voter(account)
    except Forbidden:  # unlinked since: a proxy among them hears why the authorisation no longer stands
        proxied = {row.dwelling_id for row in rows if row.role == "proxy"}
        reason = _refusal(account.id, vote_id, proxied, dwelling_ids)
        if reason != "vote.not_owner":
            raise Forbidden(reason) from None
        raise
    rights, parts = {}, {}
    for row in rows:
        if row.dwelling_id is not None and (row.role == "owner" or row.dwelling_id not in rights):
            rights[row.dwelling_id], parts[row.dwelling_id] = row.role, row  # an owner casts as owner, not proxy
    proxied = {d for d, role in rights.items() if role == "proxy"}
    rights = _standing_rights(account.id, vote_id, rights)
    wanted = sorted(set(dwelling_ids)) if dwelling_ids else sorted(rights)
    if not wanted or any(d not in rights for d in wanted):
        raise Forbidden(_refusal(account.id, vote_id, proxied - set(rights), [d for d in wanted if d not in rights]))
    if choice not in rules.CHOICES:
        raise field_error("choice", "vote.unknown_choice", choice=choice)
    now = utcnow()
    window = Vote(id=rows[0].id, state=rows[0].state, opens_at=_parse_time(rows[0].opens_at),
                  closes_at=_parse_time(rows[0].closes_at))
    for dwelling_id in wanted:
        if parts[dwelling_id].area is None:
            raise Forbidden("vote.out_of_scope")
        if not window.accepting(now):
            raise Conflict("vote.not_open")
    db.session.flush()  # what the caller changed goes first, as an ORM row would
    entries = [_entry(vote_id, d, choice, "proxy" if rights[d] == "proxy" else channel, f"account:{account.id}",
                      now, parts[d], account_id=account.id, person_id=person_id) for d in wanted]
    if trying and not rows[0].locked:
        ids = db.session.scalars(_INTAKE_INSERT, [{c: e[c] for c in _INTAKE_COLUMNS} for e in entries]).all()
        return [Received(e, None, i) for e, i in zip(entries, ids)]
    if not trying:
        _lock_chain(vote_id)
    _links, new_links = _chain(vote_id, entries)
    if None in new_links:
        raise Conflict("vote.not_open")
    return [Received(e, link) for e, link in zip(entries, new_links)]


def _refusal(account_id, vote_id, unstood, refused):
    """Why a cast is refused: the authorisation no longer stands when a flat refused (any, when none was named) is
    one the account was a proxy for, its proxy lapsed or confirmed but no longer standing (`unstood`), and why, as
    the proxy was told when it lapsed (the first such flat's): the owner who signed it no longer owns the flat, or
    the proxy's own account is no longer linked as a verified owner of the compound; or, a lapsed proxy whose account
    was linked again since and would stand today, only that it lapsed (it never stands again by itself). Otherwise
    only owners and their proxies vote."""
    ended = set(unstood) | set(db.session.scalars(select(Proxy.dwelling_id).where(
        Proxy.vote_id == vote_id, Proxy.account_id == account_id, Proxy.state == LAPSED)))
    hit = sorted(ended & set(refused or ended))
    if not hit:
        return "vote.not_owner"
    proxy = db.session.scalars(select(Proxy).where(Proxy.vote_id == vote_id, Proxy.dwelling_id == hit[0])).first()
    if proxy is not None and _signer_left(db.session.get(Vote, vote_id), proxy):
        return "vote.proxy_lapsed_signer_left"
    if proxy is not None and proxy.state == LAPSED and db.session.execute(standing_proxies(LAPSED).where(
            _PROXIES.c.vote_id == vote_id, _PROXIES.c.dwelling_id == proxy.dwelling_id)).first():
        return "vote.proxy_ended"
    return "vote.proxy_lapsed"


def cast_ballot(account, vote_id, choice, channel, dwelling_id=None):
    """Cast for one flat, or for all the account's flats in scope; returns the first ballot."""
    return cast_ballots(account, vote_id, choice, channel, [dwelling_id] if dwelling_id else None)[0]


def my_ballots(account, vote_id):
    """The current ballots of the flats this account may cast for in a vote."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        return []
    rights = voting_rights(account, vote)
    return Ballot.query.filter(Ballot.vote_id == vote_id, Ballot.dwelling_id.in_(list(rights) or [0])) \
        .order_by(Ballot.dwelling_id).all()


def open_votes_with_flats(account):
    """Votes open to the resident now, each with every flat they may cast for: its address, whether they cast
    as owner or proxy, and its current ballot's choice and channel (read for every vote at once)."""
    found = _open_rights(account)
    wanted = {(vote.id, d) for vote, flats in found for d in flats}
    if not wanted:
        return []
    current = {(r.vote_id, r.dwelling_id): r for r in db.session.execute(
        select(Ballot.vote_id, Ballot.dwelling_id, Ballot.choice, Ballot.channel).where(
            Ballot.vote_id.in_({v for v, _d in wanted}), Ballot.dwelling_id.in_({d for _v, d in wanted})))}
    addresses = dwelling_addresses({d for _v, d in wanted})
    return [(vote, [{"dwelling_id": d, "address": addresses.get(d, str(d)), "role": flats[d],
                     "choice": getattr(current.get((vote.id, d)), "choice", None),
                     "channel": getattr(current.get((vote.id, d)), "channel", None)} for d in sorted(flats)])
            for vote, flats in found]


def receipt_of(vote_id, ballots):
    """The receipt of a resident's ballots (the first flat's, every flat's, and the vote's chain head after
    them); NotFound without ballots."""
    if not ballots:
        raise NotFound()
    first = ballots[0]
    # A ballot just received carries its address; a stored one is looked up.
    flats = [{"dwelling_id": b.dwelling_id, "address": getattr(b, "address", None) or dwelling_address(b.dwelling_id),
              "choice": b.choice, "channel": b.channel, "receipt": b.receipt, "cast_at": b.cast_at} for b in ballots]
    return {"dwelling_id": first.dwelling_id, "choice": first.choice, "channel": first.channel,
            "receipt": first.receipt, "cast_at": first.cast_at, "flats": flats,
            "chain_head": getattr(ballots[-1], "link", None) or db.session.get(Vote, vote_id).chain_head}


def resident_vote(vote_id):
    """A vote as a resident opens it (NotFound when there is none)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    return vote


def my_ballot(account, vote_id):
    ballots = my_ballots(account, vote_id)
    return ballots[0] if ballots else None


def dwelling_address(dwelling_id):
    """'1栋-1单元-101' of a dwelling (labels in the domain, not the door)."""
    return dwelling_addresses([dwelling_id]).get(dwelling_id, str(dwelling_id))


def dwelling_addresses(dwelling_ids):
    """{dwelling id: '1栋-1单元-101'} of several dwellings, in one query."""
    return {r.id: _address(r.building, r.unit, r.room) for r in db.session.execute(
        select(Dwelling.id, Building.name.label("building"), Unit.name.label("unit"), Dwelling.room)
        .join(Unit, Unit.building_id == Building.id).join(Dwelling, Dwelling.unit_id == Unit.id)
        .where(Dwelling.id.in_(list(dwelling_ids))))}


def _address(building, unit, room):
    return f"{building}-{unit}-{room}"


def _tell_replaced(previous_account_id, vote, dwelling_id, channel):
    """The one who cast the ballot before hears that it was replaced, and how."""
    from core.accounts import tell
    account = db.session.get(WechatAccount, previous_account_id)
    if account is None or account.deleted_at is not None:
        return
    tell(account, "ballot_replaced", _l("Your ballot was replaced"),
         _l("The ballot for %(home)s in \u201c%(title)s\u201d was replaced (%(channel)s). The last ballot received "
         "counts. Reply 投票 (vote) to vote again if you did not expect this, or tell the committee."),
         home=dwelling_address(dwelling_id), title=vote.title, channel=CHANNEL_WORDS.get(channel, channel))


# paper ---------------------------------------------------------------------------------------------
def paper_code(vote_id, dwelling_id):
    """The code printed on a dwelling's paper ballot: names the vote and the dwelling, with a check."""
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{vote_id}:{dwelling_id}".encode(),
                   hashlib.sha256).hexdigest()[:6].upper()
    return f"V{vote_id}-D{dwelling_id}-{mac}"


def read_paper_code(code):
    """(vote_id, dwelling_id) from a typed or scanned code; InvalidInput when it is not ours."""
    text = (code or "").strip().upper()
    try:
        vote_part, dwelling_part, _mac = text.split("-")
        vote_id, dwelling_id = int(vote_part.lstrip("V")), int(dwelling_part.lstrip("D"))
    except ValueError:
        raise field_error("code", "vote.bad_code") from None
    if not hmac.compare_digest(paper_code(vote_id, dwelling_id), text):
        raise field_error("code", "vote.bad_code")
    return vote_id, dwelling_id


def _vote_for_paper(staff, vote_id):
    """A vote whose paper ballots the staff member runs (votes.paper, in its region): the printed sheets and
    their codes name owners and stand for their ballots. Outside the region NotFound; a role that may only read
    votes is told why it is refused."""
    try:
        return get_vote(staff, vote_id, "votes.paper")
    except Forbidden:
        raise Forbidden("vote.paper_staff_only") from None


def ballot_codes(staff, vote_id):
    """The code of each dwelling's paper ballot, by dwelling id (for the staff who run its paper ballots)."""
    vote = _vote_for_paper(staff, vote_id)
    return [{"dwelling_id": d, "code": paper_code(vote.id, d)}
            for d in sorted(db.session.scalars(scope_dwellings(vote)))]


def ballot_sheets(staff, vote_id):
    """What each dwelling's printed paper ballot names, in building, unit and room order: the dwelling, its
    owners (names, as registered) and the ballot's code. Returns the vote and the sheets. Only for the staff
    who run the vote's paper ballots."""
    from core.registry import owners_by_dwelling
    vote = _vote_for_paper(staff, vote_id)
    rows = db.session.execute(select(Dwelling.id, Building.name, Unit.name, Dwelling.room)
                              .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
                              .where(Dwelling.id.in_(scope_dwellings(vote)))
                              .order_by(Building.name, Unit.name, Dwelling.room)).all()
    owners = owners_by_dwelling([row[0] for row in rows])
    return vote, [{"dwelling_id": d, "code": paper_code(vote.id, d), "building": b, "unit": u, "room": r,
                   "owners": [o["name"] for o in owners.get(d, [])]} for d, b, u, r in rows]


def enter_paper_ballot(staff, vote_id, code, choice):
    """First entry of a collected paper ballot; it counts only when a second person confirms it."""
    vote = get_vote(staff, vote_id, "votes.paper")
    code_vote, dwelling_id = read_paper_code(code)
    if code_vote != vote.id:
        raise field_error("code", "vote.code_other_vote")
    if choice not in rules.CHOICES:
        raise field_error("choice", "vote.unknown_choice", choice=choice)
    if not in_scope(vote, dwelling_id):
        raise field_error("code", "vote.out_of_scope")
    # The chain first, as a close takes it before it voids what is unconfirmed: an entry typed while the vote closes
    # waits for the close and is refused, rather than slipping in after it as a pending entry nobody can confirm.
    _lock_chain(vote.id)
    db.session.refresh(vote, ["state", "closes_at"])
    if not vote.accepting(utcnow()):
        raise Conflict("vote.not_open")
    entry = PaperEntry(vote_id=vote.id, dwelling_id=dwelling_id, choice=choice, entered_by=staff.id)
    earlier = db.session.scalar(select(PaperEntry.id).where(
        PaperEntry.vote_id == vote.id, PaperEntry.dwelling_id == dwelling_id,
        PaperEntry.state.in_(("pending", "confirmed"))).limit(1))
    if earlier is not None:
        # One printed code, one paper ballot: a second entry of the same code is held for review, never counted.
        entry.state, entry.reason = "held", "code_already_entered"
    db.session.add(entry)
    db.session.flush()
    audit.record(staff, "vote.paper_entry", "paper_entry", entry.id, vote.region_id,
                 after={"dwelling": dwelling_id, "choice": choice})
    _set_canvass(vote, dwelling_id, "collected", staff)
    return entry


def paper_entries(staff, vote_id, state=None, uncounted=False):
    """A vote's paper entries (those waiting for a second person with state 'pending'; every one not counted
    with `uncounted`: waiting, held, mismatched or void), oldest first.

    The choice the first person typed is not given: the second person reads the ballot for themselves."""
    vote = get_vote(staff, vote_id, "votes.read")
    return [{"id": e.id, "dwelling_id": e.dwelling_id, "building": b, "unit": u, "room": r, "state": e.state,
             "entered_by": e.entered_by, "entered_by_name": name, "entered_at": e.at,
             "confirmed_by": e.confirmed_by}
            for e, b, u, r, name in db.session.execute(_paper_entries(bool(state), uncounted),
                                                       {"vote": vote.id, "state": state})]


@functools.cache
def _paper_entries(by_state, uncounted):
    """The statement of paper_entries for one choice of filters, built once (the vote page asks on every view)."""
    from core.models import Building, Dwelling, Staff, Unit
    query = (select(PaperEntry, Building.name, Unit.name, Dwelling.room, Staff.name)
             .join(Dwelling, PaperEntry.dwelling_id == Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
             .join(Building, Unit.building_id == Building.id).join(Staff, PaperEntry.entered_by == Staff.id)
             .where(PaperEntry.vote_id == bindparam("vote")))
    if by_state:
        query = query.where(PaperEntry.state == bindparam("state"))
    if uncounted:
        query = query.where(PaperEntry.state != "confirmed")
    return query.order_by(PaperEntry.id)


def confirm_paper_ballot(staff, vote_id, entry_id, choice):
    """A second staff member ticks the same ballot: a match counts, a mismatch is held for review."""
    vote = get_vote(staff, vote_id, "votes.paper")
    # The chain first, as closing takes it before it voids what is unconfirmed: a confirmation that wrote the entry
    # and then waited for the chain would deadlock with a close (and two confirmations of one entry would both
    # count). Once it holds the chain, the entry is read as the close or another confirmation left it.
    _lock_chain(vote.id)
    entry = pending_row(PaperEntry, entry_id, "vote.entry_done", made_by="entered_by", staff=staff,
                        vote_id=vote.id)
    entry.confirmed_by, entry.confirm_choice = staff.id, choice
    if choice != entry.choice:
        entry.state = "mismatch"
    else:
        record_ballot(vote.id, entry.dwelling_id, choice, "paper", f"staff:{entry.entered_by}+{staff.id}",
                      entered_by=entry.entered_by, confirmed_by=staff.id)
        entry.state = "confirmed"
    audit.record(staff, "vote.paper_confirm", "paper_entry", entry.id, vote.region_id,
                 after={"state": entry.state, "choice": choice})
    db.session.flush()
    return entry


def _set_canvass(vote, dwelling_id, status, staff):
    row = Canvass.query.filter_by(vote_id=vote.id, dwelling_id=dwelling_id).first()
    if row is None:
        row = Canvass(vote_id=vote.id, dwelling_id=dwelling_id, status=status)
        db.session.add(row)
    row.status, row.updated_by = status, staff.id
    db.session.flush()
    return row


def set_canvass(staff, vote_id, dwelling_id, status, note=None):
    """Door-to-door status of a dwelling."""
    vote = get_vote(staff, vote_id, "votes.paper")
    if status not in CANVASS:
        raise field_error("status", "error.invalid")
    if not in_scope(vote, dwelling_id):
        raise NotFound()
    row = _set_canvass(vote, dwelling_id, status, staff)
    row.note = note
    audit.record(staff, "vote.canvass", "dwelling", dwelling_id, vote.region_id, after={"status": status})
    return row


def register_proxy(staff, vote_id, dwelling_id, account_id, authorisation, document=None, id_number=None,
                   owner_person_id=None):
    """Record that a WeChat user may vote for a dwelling: the signed authorisation (委托书) uploaded, the
    proxy identified by their ID number, the owner who signed it named (a person on the roll; may be
    left out when the flat has one owner). It counts only once a second staff member confirms it, and stands
    only while that owner owns the flat (standing_proxies).

    The proxy is one the committee can vouch for: a WeChat user verified as an owner of a flat of the vote's
    own compound (what `proxy_candidates` offers), whose ID number is the one the authorisation names. An
    account of another compound is refused whatever number is given."""
    from core.uploads import stored_path
    vote = get_vote(staff, vote_id, "votes.manage")
    if not (authorisation or "").strip():
        raise field_error("authorisation", "error.field_required")
    if not document or stored_path(document) is None:
        raise field_error("document", "vote.proxy_document")
    if not in_scope(vote, dwelling_id):
        raise NotFound()
    signer = _signer(vote, dwelling_id, owner_person_id)
    account, person = _proxy_account(vote, account_id)
    _check_proxy_identity(vote, person, id_number)
    owners = set(db.session.scalars(select(Ownership.person_id).where(Ownership.dwelling_id == dwelling_id)))
    if person.id in owners:
        raise field_error("account_id", "vote.proxy_is_owner")
    proxy = Proxy.query.filter_by(vote_id=vote.id, dwelling_id=dwelling_id).first()
    if proxy is None:
        proxy = Proxy(vote_id=vote.id, dwelling_id=dwelling_id)
        db.session.add(proxy)
    proxy.account_id, proxy.authorisation, proxy.document = account.id, authorisation.strip()[:2000], document
    proxy.proxy_person_id, proxy.owner_person_id = person.id, signer
    proxy.recorded_by, proxy.state = staff.id, "pending"
    proxy.confirmed_by = proxy.confirmed_at = None
    db.session.flush()
    link_uploads([document], "proxy_document", proxy.id)
    audit.record(staff, "vote.proxy", "dwelling", dwelling_id, vote.region_id,
                 after={"account": account_id, "owner": signer, "document": document, "state": "pending"})
    return proxy


def _signers(vote, dwelling_id):
    """The people who may authorise a proxy for a flat in `vote`, and whose authorisation stands while they are
    among them: its owners on the registry's roll (not the developer's stock) while the vote is a draft, on the
    vote's frozen roll once it opened (what _SIGNER_OWNS asks of a confirmed proxy)."""
    if vote.state == VoteState.DRAFT:
        return set(db.session.scalars(select(Ownership.person_id).where(
            Ownership.dwelling_id == dwelling_id, Ownership.developer_held.is_(False))))
    return set(db.session.scalars(select(VoteOwner.person_id).where(VoteOwner.vote_id == vote.id,
                                                                   VoteOwner.dwelling_id == dwelling_id)))


def _signer(vote, dwelling_id, owner_id):
    """The person id of the owner who signed a flat's authorisation: the one named, who must be among its
    _signers, or its only one when nobody is named (a field fault on owner_id otherwise)."""
    from core.ids import row_id
    signers = _signers(vote, dwelling_id)
    if owner_id is None or str(owner_id).strip() == "":
        if len(signers) != 1:
            raise field_error("owner_id", "vote.proxy_owner_required" if signers else "vote.proxy_owner")
        return next(iter(signers))
    if row_id(owner_id) not in signers:
        raise field_error("owner_id", "vote.proxy_owner")
    return row_id(owner_id)


def proxy_signers(vote):
    """(person id, name, address) of the owners who may sign an authorisation for a flat of the vote's scope, as
    the roll that counts for it names them (_signers), by address."""
    from core.registry import addresses
    if vote.state == VoteState.DRAFT:
        pairs = select(Ownership.dwelling_id, Ownership.person_id).where(
            Ownership.dwelling_id.in_(scope_dwellings(vote)), Ownership.developer_held.is_(False))
    else:
        pairs = select(VoteOwner.dwelling_id, VoteOwner.person_id).where(VoteOwner.vote_id == vote.id)
    pairs = pairs.subquery()
    rows = db.session.execute(
        select(pairs.c.dwelling_id, pairs.c.person_id, func.coalesce(Ownership.name, Person.name))
        .join(Person, Person.id == pairs.c.person_id)
        .outerjoin(Ownership, (Ownership.dwelling_id == pairs.c.dwelling_id)
                   & (Ownership.person_id == pairs.c.person_id))).all()
    where = addresses({dwelling for dwelling, _person, _name in rows})
    return sorted(((person, name or "", where.get(dwelling, "")) for dwelling, person, name in rows),
                  key=lambda row: (row[2], row[0]))


def signer_names(proxies):
    """{proxy id: the name of the owner who signed its authorisation, as the flat's roll writes it}."""
    pairs = {(p.dwelling_id, p.owner_person_id) for p in proxies if p.owner_person_id is not None}
    if not pairs:
        return {}
    people = {person for _dwelling, person in pairs}
    names = {(None, person): name for person, name in db.session.execute(
        select(Person.id, Person.name).where(Person.id.in_(people)))}
    names.update({(dwelling, person): name for dwelling, person, name in db.session.execute(
        select(Ownership.dwelling_id, Ownership.person_id, Ownership.name).where(
            Ownership.person_id.in_(people), Ownership.name.is_not(None)))})
    return {p.id: names.get((p.dwelling_id, p.owner_person_id)) or names.get((None, p.owner_person_id)) or ""
            for p in proxies if p.owner_person_id is not None}


def _proxy_accounts(vote):
    """A query of (account, person, name, building, unit, room) for the WeChat users who may be named a proxy
    in `vote`: bound as an owner (not deleted) to a flat of the vote's compound that their person owns on the
    roll, that person known by an ID number; the name as this compound's roll writes it."""
    return (select(WechatAccount, Person, func.coalesce(Ownership.name, Person.name), Building.name, Unit.name,
                   Dwelling.room)
            .join(Person, WechatAccount.person_id == Person.id)
            .join(Ownership, (Ownership.person_id == Person.id) & (Ownership.dwelling_id == WechatAccount.dwelling_id))
            .join(Dwelling, WechatAccount.dwelling_id == Dwelling.id)
            .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(Building.compound_id == vote.compound_id, WechatAccount.kind == "owner",
                   WechatAccount.deleted_at.is_(None), Person.id_key.is_not(None)))


def _proxy_account(vote, account_id):
    """(account, person) of a WeChat user who may be named a proxy in `vote`; a field fault on account_id
    otherwise (someone of another compound, a household member or tenant, an account that does not exist)."""
    from core.ids import row_id
    found = db.session.execute(_proxy_accounts(vote).where(WechatAccount.id == row_id(account_id)).limit(1)).first()
    if found is None:
        raise field_error("account_id", "vote.proxy_not_resident")
    return found[0], found[1]


def proxy_still_eligible(vote, proxy):
    """Whether a registered proxy's account is still one that may be named a proxy in the vote, as the person
    the authorisation names (the rule register_proxy applies)."""
    from core.ids import row_id
    found = db.session.execute(_proxy_accounts(vote).where(WechatAccount.id == row_id(proxy.account_id))
                               .limit(1)).first()
    return found is not None and found[1].id == proxy.proxy_person_id


def _check_proxy_identity(vote, person, id_number):
    """The ID number typed from the authorisation must be the proxy's own: their person's key, as the vote's
    compound keys them (someone another compound's roll named first is keyed within this compound)."""
    from core import identity, pii
    doc_type = person.doc_type or "cn_id"
    try:
        number = identity.normalise_document(doc_type, id_number or "")
    except DomainError:
        raise field_error("id_number", "bind.bad_id") from None
    secret = pii.keys().identity
    key = identity.identity_key(secret, doc_type, number)
    if not (hmac.compare_digest(person.id_key, key)
            or hmac.compare_digest(person.id_key, identity.scoped_key(secret, vote.compound_id, key))):
        raise field_error("id_number", "vote.proxy_identity")


def confirm_proxy(staff, vote_id, proxy_id):
    """A second staff member confirms a proxy against the authorisation; the owners are told. The proxy must
    still be a verified owner of the vote's compound (the account may have been unbound since), and the owner who
    signed still an owner of the flat (a roll amended since, or the roll frozen as the vote opened, may not name
    them)."""
    from core.accounts import lock_accounts
    vote = get_vote(staff, vote_id, "votes.manage")
    proxy = pending_row(Proxy, proxy_id, "vote.entry_done", made_by="recorded_by", staff=staff,
                        vote_id=vote.id)
    # The proxy's account first, as unlinking, linking again or deleting it does (core.accounts.standing_changes):
    # one under way finishes first, and the proxy and the account are read as it left them (withdrawn, unlinked),
    # or it waits for this confirmation, and then sees a confirmed proxy to lapse.
    lock_accounts([proxy.account_id])
    db.session.refresh(proxy)
    if proxy.state != "pending":
        raise Conflict("vote.entry_done")
    _account, person = _proxy_account(vote, proxy.account_id)
    if person.id != proxy.proxy_person_id:
        raise field_error("account_id", "vote.proxy_identity")
    if proxy.owner_person_id not in _signers(vote, proxy.dwelling_id):  # sold, or not on the roll frozen since
        raise field_error("owner_id", "vote.proxy_signer_left")
    proxy.state, proxy.confirmed_by, proxy.confirmed_at = "confirmed", staff.id, utcnow()
    audit.record(staff, "vote.proxy_confirm", "dwelling", proxy.dwelling_id, vote.region_id,
                 after={"proxy": proxy.id, "account": proxy.account_id})
    from core.accounts import tell
    for account in _owners_to_tell(vote, proxy.dwelling_id):
        tell(account, "proxy_registered", _l("A proxy will vote for your home"),
             _l("The committee registered a proxy, with your signed authorisation, to vote for %(home)s in "
             "\u201c%(title)s\u201d. If you did not authorise this, please tell the committee at once."),
             home=dwelling_address(proxy.dwelling_id), title=vote.title)
    db.session.flush()
    return proxy


def proxy_candidates(vote):
    """(account id, name, address) of the WeChat users who may be named a proxy in the vote: verified owners
    of a flat of its compound (only they can be identified as a proxy and vouched for by its committee)."""
    rows = db.session.execute(_proxy_accounts(vote).order_by(Building.name, Unit.name, Dwelling.room)).all()
    return [(account.id, name, f"{b}-{u}-{r}") for account, _person, name, b, u, r in rows]


def scope_addresses(vote):
    """(dwelling id, '1-1-101') of the dwellings in the vote's scope, by dwelling id."""
    from core.registry import addresses
    return sorted(addresses(db.session.scalars(scope_dwellings(vote))).items())


def pending_proxies(staff, vote_id):
    """Proxies waiting for a second staff member (what each authorisation says names people: for the staff who
    register and confirm proxies)."""
    vote = get_vote(staff, vote_id, "votes.manage")
    return Proxy.query.filter_by(vote_id=vote.id, state="pending").order_by(Proxy.id).all()


# A confirmed proxy that stops standing (its account unlinked, linked elsewhere or deleted, or the roll no longer
# naming its person as the owner of the flat it is bound to) lapses: it never stands again, whatever the account
# becomes later (the committee registers a proxy anew, and a second staff member confirms it), and the owners, the
# proxy and the committee are told once. Only votes not yet closed: a closed vote's proxies did their work.
LAPSED = "lapsed"
WITHDRAWN = "withdrawn"  # the proxy deleted their data (privacy.deletion)
_PROXY_LIVE = (VoteState.DRAFT, VoteState.OPEN)


def _standing_of(account_ids, dwelling_ids=()):
    """{(vote id, dwelling id): account id} of the proxies that stand in votes not yet closed: those of these
    accounts, and those for these dwellings."""
    which = []
    if account_ids:
        which.append(_PROXIES.c.account_id.in_(account_ids))
    if dwelling_ids:
        which.append(_PROXIES.c.dwelling_id.in_(dwelling_ids))
    if not which:
        return {}
    return {(vote, dwelling): account for vote, dwelling, account in db.session.execute(
        standing_proxies().where(or_(*which), _VOTES.c.state.in_(_PROXY_LIVE)))}


@contextmanager
def proxies_kept(account_ids, staff=None, cause=None, dwelling_ids=()):
    """Around a change to these accounts, or to who owns these dwellings (core.accounts.standing_changes): each
    proxy of those accounts, or for those dwellings, that stood before it and no longer stands after it lapses
    (lapse_proxy)."""
    ids = sorted({account_id for account_id in account_ids if account_id is not None})
    dwellings = sorted(set(dwelling_ids))
    before = _standing_of(ids, dwellings)
    yield
    if not before:
        return
    db.session.flush()
    after = _standing_of(ids, dwellings)
    for (vote_id, dwelling_id), account_id in sorted(before.items()):
        if (vote_id, dwelling_id) not in after:
            lapse_proxy(vote_id, dwelling_id, account_id, staff, cause)


STANDING_WATCHERS.append(proxies_kept)


def lapse_proxy(vote_id, dwelling_id, account_id, staff=None, cause=None):
    """The confirmed proxy of `account_id` for a dwelling no longer stands: it lapses, the change is logged (by the
    staff member who made it, or the system), the dwelling's owners and the proxy are told, and the committee is
    alerted (_alert_committee). None when it was no longer that account's confirmed proxy (another change lapsed it
    first: the row is locked, so once only)."""
    proxy = db.session.scalars(select(Proxy).where(Proxy.vote_id == vote_id, Proxy.dwelling_id == dwelling_id)
                               .with_for_update().execution_options(populate_existing=True)).first()
    if proxy is None or proxy.state not in ("confirmed", WITHDRAWN) or proxy.account_id != account_id:
        return None
    before = proxy.state
    if before == "confirmed":
        proxy.state = LAPSED  # withdrawn (its proxy deleted their data) stays so: it lapsed all the same
    vote = db.session.get(Vote, vote_id)
    # Why, as the owners and the proxy are told: the owner who signed no longer owns the flat, or the proxy is no
    # longer a verified owner of the compound.
    signer_left = _signer_left(vote, proxy)
    audit.record(staff, "vote.proxy_lapsed", "dwelling", dwelling_id, vote.region_id, before={"state": "confirmed"},
                 after={"proxy": proxy.id, "account": account_id, "state": proxy.state, "cause": cause,
                        "signer_left": signer_left})
    _tell_lapsed(vote, proxy, signer_left)
    _alert_committee(vote, proxy, _texts.lapse_reason(signer_left, cause))
    db.session.flush()
    return proxy


def _signer_left(vote, proxy):
    """Whether the owner who signed the proxy's authorisation is no longer among the flat's _signers (or was never
    recorded): why a proxy whose own account still stands lapsed."""
    return proxy.owner_person_id not in _signers(vote, proxy.dwelling_id)


def _alert_committee(vote, proxy, reason):
    """The committee of the vote's community hear that a proxy lapsed (their panel inbox, and WeChat for those who
    linked it): which vote and flat, why (`reason`, votes.texts.PROXY_LAPSE_REASONS), and by when an owner may
    still vote. Nobody is named: the committee registered the proxy, and its words outlive a deletion. A community
    with no active committee member has the staff above it alerted instead (responsible_staff), told that nobody
    there can register a new proxy."""
    from core.staff import responsible_staff
    from notices.staff import notify_staff
    # The deadline only while it is still ahead: a vote past it that the scheduler has not closed yet is not urgent.
    ahead = vote.state == VoteState.OPEN and vote.closes_at is not None and aware(vote.closes_at) > utcnow()
    open_until = aware(vote.closes_at).isoformat() if ahead else None
    staff = responsible_staff(vote.region_id)
    params = {"title": vote.title, "vote_id": vote.id, "compound": db.session.get(Compound, vote.compound_id).name,
              "home": dwelling_address(proxy.dwelling_id), "reason": reason, "closes_at": open_until,
              "urgent": open_until is not None}
    if staff and staff[0].region_id != vote.region_id:
        params["no_committee_in"] = db.session.get(Region, vote.region_id).name
    notify_staff(staff, "staff_proxy_lapsed", params)


def _owners_to_tell(vote, dwelling_id):
    """The accounts verified as owners of the dwelling, as the vote's frozen roll has them, or the registry's
    while it is a draft (nobody is frozen on its roll yet): whom a proxy for it concerns."""
    owners = db.session.scalars(select(VoteOwner.person_id).where(VoteOwner.vote_id == vote.id,
                                                                  VoteOwner.dwelling_id == dwelling_id)).all()
    if not owners:
        owners = db.session.scalars(select(Ownership.person_id).where(Ownership.dwelling_id == dwelling_id)).all()
    return WechatAccount.query.filter(WechatAccount.person_id.in_(owners or [0]), WechatAccount.kind == "owner",
                                      WechatAccount.deleted_at.is_(None)).order_by(WechatAccount.id).all()


# What the owners and the proxy are told when a proxy lapses: (title, while the vote is open, before it opens) to
# the owners, then (title, text) to the proxy; the proxy no longer a verified owner, or the owner who signed no
# longer an owner of the flat (whom the owners now on the roll never authorised it: so not "your proxy").
_LAPSE_WORDS = {
    False: ((_l("Your proxy can no longer vote"),
             _l("The proxy registered to vote for %(home)s in \u201c%(title)s\u201d can no longer vote: they are no "
                "longer a verified owner of this compound. Voting closes %(deadline)s. Reply 投票 (vote) to vote "
                "yourself, or register a new proxy with the committee."),
             _l("The proxy registered to vote for %(home)s in \u201c%(title)s\u201d can no longer vote: they are no "
                "longer a verified owner of this compound. You can vote yourself once voting opens, or register a "
                "new proxy with the committee.")),
            (_l("You no longer vote for another home"),
             _l("You can no longer vote for %(home)s in \u201c%(title)s\u201d: a proxy must be linked in WeChat as a "
                "verified owner of this compound. If this is wrong, please contact the neighbourhood committee."))),
    True: ((_l("A proxy for your home can no longer vote"),
            _l("The proxy registered to vote for %(home)s in \u201c%(title)s\u201d can no longer vote: the owner who "
               "signed the authorisation is no longer on the owners' roll for this home. Voting closes %(deadline)s. "
               "Reply 投票 (vote) to vote yourself, or register a new proxy with the committee."),
            _l("The proxy registered to vote for %(home)s in \u201c%(title)s\u201d can no longer vote: the owner who "
               "signed the authorisation is no longer on the owners' roll for this home. You can vote yourself once "
               "voting opens, or register a new proxy with the committee.")),
           (_l("You no longer vote for another home"),
            _l("You can no longer vote for %(home)s in \u201c%(title)s\u201d: the owner who signed the authorisation "
               "is no longer on the owners' roll for this home. If this is wrong, please contact the neighbourhood "
               "committee."))),
}


def _tell_lapsed(vote, proxy, signer_left=False):
    """The owners of the dwelling (their accounts verified as owners) hear that nobody votes for it on their behalf
    any more, and what they can do; the proxy hears that they no longer vote for it, and why."""
    from core.accounts import tell
    from core.times import format_moment
    home = dwelling_address(proxy.dwelling_id)
    (title, while_open, before_open), (proxy_title, proxy_text) = _LAPSE_WORDS[signer_left]
    for account in _owners_to_tell(vote, proxy.dwelling_id):
        if vote.state == VoteState.OPEN and vote.closes_at is not None:
            tell(account, "proxy_lapsed", title, while_open, home=home, title=vote.title,
                 deadline=format_moment(aware(vote.closes_at), account.locale), urgent=True)
        else:
            tell(account, "proxy_lapsed", title, before_open, home=home, title=vote.title)
    account = db.session.get(WechatAccount, proxy.account_id)
    if account is not None and account.deleted_at is None:
        tell(account, "proxy_lapsed", proxy_title, proxy_text, home=home, title=vote.title)


# watching, closing, publishing -----------------------------------------------------------------------
def progress(staff, vote_id):
    """Participation against the quorum and the outcome: live while open, the stored result once closed."""
    vote = get_vote(staff, vote_id)
    return vote, outcome_now(vote)


def non_voters(staff, vote_id, with_owners=False):
    """Dwellings in scope without a ballot, with their address and door-to-door status; `with_owners` adds each
    dwelling's owners (names, and phones in full where the role needs them) for the staff who go door to door
    (votes.paper), and None for a role that may only read the vote."""
    from core.auth import can
    vote = get_vote(staff, vote_id)
    voted = select(Ballot.dwelling_id).where(Ballot.vote_id == vote.id)
    rows = db.session.execute(
        select(Dwelling.id, Building.name, Unit.name, Dwelling.room, Canvass.status)
        .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .outerjoin(Canvass, (Canvass.dwelling_id == Dwelling.id) & (Canvass.vote_id == vote.id))
        .where(Dwelling.id.in_(scope_dwellings(vote)), Dwelling.id.not_in(voted))
        .order_by(Building.name, Unit.name, Dwelling.room)).all()
    found = [{"dwelling_id": d, "building": b, "unit": u, "room": r, "canvass": s or "pending"}
             for d, b, u, r, s in rows]
    if with_owners:
        from core.registry import owners_by_dwelling
        owners = (owners_by_dwelling([row["dwelling_id"] for row in found], full_phone=can(staff, "pii.phone"))
                  if can(staff, "votes.paper") else None)
        for row in found:
            row["owners"] = owners.get(row["dwelling_id"], []) if owners is not None else None
    return vote, found


def _result_record(vote):
    parts = frozen_parts(vote)
    ballots = ballots_of(vote)
    result = rules.count(parts, ballots, vote.matter, _threshold(vote))
    record = {"result": asdict(result),
              "inputs": {"parts": [[p.dwelling_id, p.area, p.head] for p in parts],
                         "ballots": {str(k): v for k, v in sorted(ballots.items())},
                         "chain_head": vote.chain_head, "events": vote.event_count}}
    return result, record


def close_vote(staff, vote_id):
    """Close the vote and store its result with the inputs it was computed from."""
    vote = get_vote(staff, vote_id, "votes.manage") if staff is not None else db.session.get(Vote, vote_id)
    vote.require(VoteState.OPEN)
    if not _close(vote):
        raise Conflict("vote.wrong_state", state=_texts.VOTE_STATES.get(vote.state, vote.state))
    audit.record(staff, "vote.close", "vote", vote.id, vote.region_id,
                 after={"approved": outcomes.approved(vote)})
    return vote


def _close(vote, due_by=None):
    """Close an open vote and count it; False when another close (by hand or on time) closed it first, or, for
    a close on time (`due_by`: the time it is due by), when an extension moved its end past that meanwhile."""
    chain_waiting(vote.id)  # ballots received before closing count; the lock keeps later ones out
    db.session.refresh(vote, ["state", "closes_at"])  # as it stands now that this holds the chain
    if vote.state != VoteState.OPEN:
        return False
    if due_by is not None and aware(vote.closes_at) > due_by:
        return False
    vote.state = VoteState.CLOSED
    settle_on_close(vote)
    _result, record = _result_record(vote)
    vote.result, vote.counted = record, record["result"]
    vote.result_hash = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    db.session.flush()
    # Last, as the close's final word: what reached the intake since the chain was read (casts do not wait for
    # the chain) never counts.
    settle_late_ballots(vote)
    return True


def settle_late_ballots(vote):
    """Mark late every ballot still waiting in the intake of a vote that no longer accepts ballots: it reached
    the intake after the close had read it, and never counts (its caster is told the vote is not open, whenever
    they ask). The caller holds the vote's chain, so nothing else chains or marks them meanwhile. Returns how many
    were marked."""
    late = db.session.execute(select(_INTAKE.c.id, _INTAKE.c.dwelling_id).where(
        _INTAKE.c.vote_id == vote.id, _INTAKE.c.state == "waiting").order_by(_INTAKE.c.id)).all()
    if late:
        db.session.execute(_MARK_LATE, [{"entry": entry} for entry, _dwelling in late])
        audit.record(None, "vote.ballots_late", "vote", vote.id, vote.region_id,
                     after={"entries": [entry for entry, _dwelling in late],
                            "dwellings": sorted({dwelling for _entry, dwelling in late})})
    return len(late)


UNSETTLED = ("pending", "held")  # a mismatch is settled already: the two people disagreed, it is not counted


def settle_on_close(vote, now=None):
    """What closing does besides counting: the actual close time, and paper entries that no second person
    confirmed are voided (kept and shown, never counted). Returns how many were voided."""
    vote.closed_at = now or utcnow()
    entries = PaperEntry.query.filter(PaperEntry.vote_id == vote.id, PaperEntry.state.in_(UNSETTLED)).all()
    for entry in entries:
        entry.state = "void"
    if entries:
        audit.record(None, "vote.paper_void", "vote", vote.id, vote.region_id,
                     after={"entries": [entry.id for entry in entries]})
    return len(entries)


def step_reach(vote):
    """Whom opening, closing or publishing `vote` reaches, for the confirmation shown before the step: dwellings
    and owners (heads) in scope, residents bound in WeChat there, and paper entries not yet confirmed."""
    parts = frozen_parts(vote)
    residents = count_accounts_in(vote.scope_kind, vote.scope_id)
    unsettled = db.session.scalar(select(func.count(PaperEntry.id)).where(PaperEntry.vote_id == vote.id,
                                                                          PaperEntry.state.in_(UNSETTLED)))
    return {"dwellings": len(parts), "owners": len({p.head for p in parts}), "residents": residents,
            "unsettled": unsettled}


def publish_vote(staff, vote_id, publish_details=None):
    """Publish (公示) the result and tell the residents in scope."""
    vote = get_vote(staff, vote_id, "votes.manage")
    vote.require(VoteState.CLOSED)
    if publish_details is not None and bool(publish_details) != bool(vote.publish_details):
        raise field_error("publish_details", "vote.details_fixed")
    now = utcnow()
    vote.state, vote.published_at = VoteState.PUBLISHED, now
    vote.publicity_ends_at = now + timedelta(days=vote.publicity_days)
    decided = outcomes.outcome_of(vote)
    approved = decided.approved
    queue_scoped_notice(vote.scope_kind, vote.scope_id, "vote_result",
                        {"title": vote.title, "approved": approved}, created_by=staff.id,
                        region_id=vote.region_id)
    audit.record(staff, "vote.publish", "vote", vote.id, vote.region_id, after={"details": vote.publish_details})
    from publicity.services import open_publicity  # residents in scope may object until the period ends
    open_publicity(staff, "vote_result", vote.id, now, vote.publicity_ends_at, vote.text, title=vote.title,
                   audience=[(vote.scope_kind, vote.scope_id)], region=db.session.get(Region, vote.region_id),
                   notify=False, record={"approved": approved, "reason_key": decided.reason_key,
                                                   "reason_params": decided.reason_params})
    db.session.flush()
    return vote


def published_details(vote):
    """Room and choice per dwelling, only where the committee chose to publish them."""
    if vote.state not in (VoteState.PUBLISHED, VoteState.ARCHIVED) or not vote.publish_details:
        return None
    rows = db.session.execute(select(Building.name, Unit.name, Dwelling.room, Ballot.choice)
                              .join(Dwelling, Ballot.dwelling_id == Dwelling.id).join(Unit).join(Building)
                              .where(Ballot.vote_id == vote.id).order_by(Building.name, Unit.name, Dwelling.room))
    return [{"building": b, "unit": u, "room": r, "choice": c} for b, u, r, c in rows]


def details_for_owner(account, vote_id):
    """Each home's choice, for an owner on the vote's roll (signed in), where the vote said before it
    opened that choices would be published; NotFound otherwise."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or not _may_vote(account):
        raise NotFound()
    on_roll = db.session.scalar(select(VoteOwner.dwelling_id).where(
        VoteOwner.vote_id == vote.id, VoteOwner.person_id == account.person_id).limit(1))
    details = published_details(vote) if on_roll is not None else None
    if details is None:
        raise NotFound()
    return details


def published_vote(vote_id):
    """A vote whose result is published (or archived after its publicity), which anyone with its link may read;
    None otherwise."""
    vote = db.session.get(Vote, vote_id)
    return vote if vote is not None and vote.state in (VoteState.PUBLISHED, VoteState.ARCHIVED) else None


def published_for_resident(account, vote_id):
    """A published vote whose scope holds the resident's home, with its outcome (NotFound otherwise)."""
    vote = db.session.get(Vote, vote_id)
    if (vote is None or vote.state not in (VoteState.PUBLISHED, VoteState.ARCHIVED) or vote.result is None
            or account.dwelling_id is None
            or db.session.scalar(scope_dwellings(vote).where(Dwelling.id == account.dwelling_id)) is None):
        raise NotFound()
    return vote, outcomes.outcome_of(vote)


def check_receipt(vote_id, receipt):
    """Whether a receipt's ballot is in the published result, and with which choice."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.state not in (VoteState.PUBLISHED, VoteState.ARCHIVED):
        raise NotFound()
    ballot = Ballot.query.filter_by(vote_id=vote_id, receipt=(receipt or "")[:24]).first()
    if ballot is None:
        return {"counted": False}
    return {"counted": str(ballot.dwelling_id) in vote.result["inputs"]["ballots"], "choice": ballot.choice}


# integrity -------------------------------------------------------------------------------------------
def verify(vote_id, head=None):
    """Recompute the chain and the tally; returns a list of problems (empty when all is sound).

    `head` is a chain head published on the result notice, or a resident's receipt: it must be a link of
    the stored chain. Outside a transaction, it reads the vote as it stood at one moment: a vote still open may
    take ballots while it reads, and the log, the ballots and the count it compares are those of the same moment."""
    with one_snapshot(db.session):
        return _verify(vote_id, head)


def _verify(vote_id, head):
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    problems = []
    previous = chain_genesis(vote.id)
    links = {previous}
    latest = {}
    events = BallotEvent.query.filter_by(vote_id=vote.id).order_by(BallotEvent.seq).all()
    for expected_seq, event in enumerate(events, start=1):
        content = _event_content(vote.id, event.seq, event.dwelling_id, event.choice, event.channel, event.actor,
                                 event.at)
        if event.seq != expected_seq:
            problems.append(f"event {event.seq}: sequence broken (expected {expected_seq})")
        if event.prev_hash != previous:
            problems.append(f"event {event.seq}: does not follow the previous event")
        if _event_hash(event.prev_hash, content) != event.hash:
            problems.append(f"event {event.seq}: content does not match its hash")
        previous = event.hash
        links.add(event.hash)
        latest[event.dwelling_id] = event.choice
    if events and previous != vote.chain_head:
        problems.append("the vote's chain head does not match the last event")
    if head is not None:
        head = head.strip().lower()
        if len(head) < 16 or not any(link.startswith(head) for link in links):
            problems.append(f"the published head or receipt {head} is not part of the stored chain")
    stored = ballots_of(vote)
    for dwelling_id in sorted(set(stored) | set(latest)):
        if stored.get(dwelling_id) != latest.get(dwelling_id):
            problems.append(f"dwelling {dwelling_id}: ballot {stored.get(dwelling_id)} but the log says "
                            f"{latest.get(dwelling_id)}")
    if vote.state != VoteState.DRAFT:
        roll = {p.dwelling_id: (p.area, int(p.head)) for p in frozen_parts(vote)}
        for dwelling_id, area, head_no in db.session.execute(
                select(Ballot.dwelling_id, Ballot.area, Ballot.head_no).where(Ballot.vote_id == vote.id)):
            if roll.get(dwelling_id) != (area, head_no):
                problems.append(f"dwelling {dwelling_id}: the ballot's area or owner differs from the roll")
        if asdict(tally(vote)) != asdict(recount(vote)):
            problems.append("the database count differs from the recount")
    if vote.result is not None:
        _result, record = _result_record(vote)
        if json.dumps(record, sort_keys=True) != json.dumps(vote.result, sort_keys=True):
            problems.append("the stored result differs from a recount of the ballots")
        if hashlib.sha256(json.dumps(vote.result, sort_keys=True).encode()).hexdigest() != vote.result_hash:
            problems.append("the stored result does not match its hash")
    return problems


# scheduled -------------------------------------------------------------------------------------------
def run_due(now=None):
    """Close votes whose time is up (each in its own transaction), archive after publicity, remind non-voters
    once."""
    now = now or utcnow()
    chain_waiting_votes()
    for vote_id in db.session.scalars(select(Vote.id).where(Vote.state == VoteState.OPEN,
                                                             Vote.closes_at <= now)).all():
        # Each close on its own: one whose chain the database refuses is tried again on the next run, and keeps
        # no other vote open past its time (nor holds the chains of those closed before it).
        try:
            vote = db.session.get(Vote, vote_id)
            if _close(vote, due_by=now):  # not when closed by hand, or extended, meanwhile
                audit.record(None, "vote.close", "vote", vote.id, vote.region_id,
                             after={"approved": outcomes.approved(vote), "by": "schedule"})
            db.session.commit()
        except Exception:  # noqa: BLE001
            db.session.rollback()
            log.exception("vote %s could not be closed on time", vote_id)
    for vote in Vote.query.filter(Vote.state == VoteState.PUBLISHED, Vote.publicity_ends_at <= now).all():
        if publicity_over(vote):
            vote.state = VoteState.ARCHIVED
            audit.record(None, "vote.archive", "vote", vote.id, vote.region_id, after={"by": "schedule"})
    for vote in Vote.query.filter(Vote.state == VoteState.OPEN, Vote.reminded_at.is_(None)).all():
        if aware(vote.closes_at) - timedelta(days=vote.remind_days_before) <= now:
            remind_non_voters(vote)
    db.session.commit()


def publicity_over(vote):
    """Whether a published result's publicity has ended with every objection answered (a vote published before
    results had a publicity period of their own: its time is up)."""
    from publicity.models import PublicityState
    from publicity.services import current_publicity
    period = current_publicity("vote_result", vote.id)
    if period is None:
        return True
    return period.state == PublicityState.ENDED and not period.unanswered


def _follow_publicity(period):
    """For publicity.ON_EXTEND: a vote result's period was extended; the vote shows the same end."""
    vote = db.session.get(Vote, period.subject_id)
    if vote is not None:
        vote.publicity_ends_at = period.ends_at


publicity_hooks.ON_EXTEND["vote_result"] = _follow_publicity


def voters_to_tell(vote):
    """(account id, dwelling id) for everyone who may cast in the vote, as voting_rights counts them: verified
    owners on its frozen roll, and confirmed proxies."""
    owners = db.session.execute(select(WechatAccount.id, VoteOwner.dwelling_id).join(
        VoteOwner, VoteOwner.person_id == WechatAccount.person_id).where(
        VoteOwner.vote_id == vote.id, WechatAccount.kind == "owner", WechatAccount.deleted_at.is_(None))).all()
    proxies = [(account_id, dwelling_id) for _vote, dwelling_id, account_id in db.session.execute(
        standing_proxies().where(_PROXIES.c.vote_id == vote.id))]
    return sorted(set(map(tuple, owners)) | set(map(tuple, proxies)))


def _notice_params(vote):
    from notices.texts import scope_label
    return {"title": vote.title, "vote_id": vote.id, "where": scope_label(vote.scope_kind, vote.scope_id),
            "closes_at": aware(vote.closes_at).isoformat()}


def announce_vote(vote):
    """Everyone who may cast hears that the vote opens, with its deadline (held until it opens)."""
    from notices.services import queue_direct_message
    params = _notice_params(vote)
    opens = aware(vote.opens_at) if vote.opens_at and aware(vote.opens_at) > utcnow() else None
    accounts = {account_id for account_id, _dwelling in voters_to_tell(vote)}
    for account_id in sorted(accounts):
        queue_direct_message(account_id, "vote_open", params, not_before=opens)
    return len(accounts)


def remind_non_voters(vote):
    """A reminder to those who may cast for a dwelling that has not voted (owners and proxies alike)."""
    from notices.services import queue_direct_message
    voted = set(db.session.scalars(select(Ballot.dwelling_id).where(Ballot.vote_id == vote.id)))
    accounts = {account_id for account_id, dwelling_id in voters_to_tell(vote) if dwelling_id not in voted}
    params = _notice_params(vote)
    for account_id in sorted(accounts):
        queue_direct_message(account_id, "vote_reminder", params)
    vote.reminded_at = utcnow()
    return len(accounts)
