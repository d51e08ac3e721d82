"""Publicity services: open a period, take objections from residents in scope, answer them, end the period.

A period whose time is up with objections still unanswered does not end silently: the scheduled check
extends it (and says so in the audit log) until the committee has answered each one."""
from datetime import timedelta

from sqlalchemy import literal, select

from core import audit, scopes
from core.auth import authorize, get_in_region, kept_in_region
from core.errors import Conflict, Forbidden, NotFound, field_error
from core.extensions import db
from core.ids import among
from core.models import Region, as_utc, aware, utcnow
from core.chat_photos import in_flight, only_from_chat, request_chat_photos, stored_names
from core.registry import compound_of_dwelling
from core.uploads import link_uploads
from notices.services import queue_direct_message, queue_scoped_notice
from publicity import files as _files  # noqa: F401 - who may see an objection's photos
from publicity import texts as _texts  # noqa: F401 - texts: registers the notice texts
from publicity.models import SUBJECTS, Objection, Publicity, PublicityState

MAX_TEXT, MAX_PHOTOS, MAX_SUMMARY = 1000, 9, 20000
EXTEND_BY = timedelta(days=3)  # how long an unanswered period is extended each time
# {subject kind: fn(period)} called when a period's end moves, so the subject shows the same end (a vote's
# publicity_ends_at, which the mini-program and the printed notice read). Domains register their own.
ON_EXTEND = {}


def _extended(period):
    hook = ON_EXTEND.get(period.subject_kind)
    if hook is not None:
        hook(period)


def open_publicity(staff, subject_kind, subject_id, starts, ends, summary, *, audience, region=None, title=None,
                   record=None, notify=True):
    """Publish a subject to the residents of `audience` ([(scope kind, id)]) from `starts` to `ends`.

    `region` is where the subject is kept (the first scope's community by default); `record` is what is
    published (items, budgets, funding, a result), fixed from now on."""
    if subject_kind not in SUBJECTS:
        raise field_error("subject_kind", "error.invalid")
    if not audience:
        raise field_error("audience", "error.field_required")
    for kind, ident in audience:
        if kind not in scopes.SCOPES:
            raise field_error("audience", "error.invalid")
        scopes.scope_compound(kind, ident)
    region = region or db.session.get(Region, scopes.scope_compound(*audience[0]).community_id)
    authorize(staff, "publicity.manage", region)
    summary = (summary or "").strip()
    title = (title or summary.splitlines()[0] if summary else title or "").strip()
    if not title or len(title) > 200:
        raise field_error("title", "error.field_required")
    if len(summary) > MAX_SUMMARY:
        raise field_error("summary", "wish.too_long", limit=MAX_SUMMARY)
    if starts is None or ends is None:
        raise field_error("ends_at", "error.field_required")
    starts, ends = as_utc(starts), as_utc(ends)
    if aware(ends) <= aware(starts):
        raise field_error("ends_at", "project.dates_out_of_order")
    if current_publicity(subject_kind, subject_id, open_only=True) is not None:
        raise Conflict("publicity.already_open")
    period = Publicity(subject_kind=subject_kind, subject_id=subject_id, region_id=region.id,
                       scopes=[[k, int(i)] for k, i in audience], title=title, summary=summary, record=record,
                       starts_at=starts, ends_at=ends, created_by=staff.id if staff else None)
    db.session.add(period)
    db.session.flush()
    audit.record(staff, "publicity.open", "publicity", period.id, region.id,
                 after={"subject": f"{subject_kind}:{subject_id}", "title": title, "starts_at": starts.isoformat(),
                        "ends_at": ends.isoformat()})
    if notify:
        for kind, ident in period.scopes:
            queue_scoped_notice(kind, ident, "publicity_open", {"title": title, "ends_at": ends.isoformat(),
                                                                "publicity_id": period.id},
                                created_by=staff.id if staff else None, region_id=region.id)
    return period


def get_publicity(staff, publicity_id, action="publicity.read"):
    """A period in the staff member's region (NotFound otherwise)."""
    return get_in_region(staff, Publicity, publicity_id, action)


def list_publicity(staff, limit=200):
    """Periods in the staff member's region, newest first."""
    authorize(staff, "publicity.read")
    return kept_in_region(staff, Publicity).order_by(Publicity.id.desc()).limit(limit).all()


def current_publicity(subject_kind, subject_id, open_only=False):
    """The latest period of a subject (None when it never had one)."""
    query = Publicity.query.filter_by(subject_kind=subject_kind, subject_id=subject_id)
    if open_only:
        query = query.filter(Publicity.state == PublicityState.OPEN)
    return query.order_by(Publicity.id.desc()).first()


def ended_with_answers(subject_kind, subject_id):
    """Whether the subject's latest period has ended with every objection answered."""
    period = current_publicity(subject_kind, subject_id)
    return period is not None and period.state == PublicityState.ENDED and not period.unanswered


def _contains(period, dwelling_id):
    return any(scopes.contains(kind, ident, dwelling_id) for kind, ident in period.scopes)


def open_for_resident(account, now=None):
    """Periods taking objections now whose scope includes the resident's home."""
    if account.dwelling_id is None:
        return []
    now = now or utcnow()
    community = compound_of_dwelling(account.dwelling_id).community
    # only periods kept in the resident's community or a region above it can concern their home
    periods = (Publicity.query.join(Region, Publicity.region_id == Region.id)
               .filter(Publicity.state == PublicityState.OPEN, literal(community.path).startswith(Region.path))
               .order_by(Publicity.ends_at).all())
    return [p for p in periods if aware(p.starts_at) <= now and _contains(p, account.dwelling_id)]


def public_period(publicity_id):
    """A period as anyone may read it (NotFound before it starts)."""
    period = db.session.get(Publicity, publicity_id)
    if period is None or aware(period.starts_at) > utcnow():
        raise NotFound()
    return period


def lodge_objection(account, publicity_id, text, photos=(), channel="miniprogram"):
    """A resident in scope objects while the period runs."""
    if account.dwelling_id is None:
        raise Forbidden("bind.required")
    period = db.session.get(Publicity, publicity_id)
    if period is None or not _contains(period, account.dwelling_id):
        raise NotFound()
    period.require_open()
    if aware(period.starts_at) > utcnow():
        raise Conflict("publicity.not_started")
    text = (text or "").strip()
    if not text:
        raise field_error("text", "publicity.empty_objection")
    if len(text) > MAX_TEXT:
        raise field_error("text", "wish.too_long", limit=MAX_TEXT)
    photos = list(photos or [])
    only_from_chat(photos, channel)
    if len(photos) > MAX_PHOTOS:
        raise field_error("photos", "wish.too_many_photos", limit=MAX_PHOTOS)
    objection = Objection(publicity_id=period.id, account_id=account.id, dwelling_id=account.dwelling_id,
                          channel=channel, text=text, photos=stored_names(photos))
    db.session.add(objection)
    db.session.flush()
    link_uploads(objection.photos, "objection", objection.id)
    request_chat_photos("objection", objection.id, account.id, photos)  # sent in chat: fetched by a worker
    return objection


def add_objection_photos(account, objection_id, photos):
    """A further photo for my objection while its period runs (wx.uploadFile carries one file at a time)."""
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.account_id != account.id:
        raise NotFound()
    db.session.get(Publicity, objection.publicity_id).require_open()
    only_from_chat(photos)
    photos = list(objection.photos or []) + list(photos or [])
    if len(photos) + in_flight("objection", objection.id) > MAX_PHOTOS:
        raise field_error("photos", "wish.too_many_photos", limit=MAX_PHOTOS)
    objection.photos = photos
    db.session.flush()
    link_uploads(photos, "objection", objection.id)
    return objection


def my_objections(account):
    """The resident's own objections with their answers, newest first."""
    return Objection.query.filter_by(account_id=account.id).order_by(Objection.id.desc()).all()


def answer_objection(staff, objection_id, text, publicity_id=None):
    """The committee answers an objection; the answer reaches the resident and joins the published record."""
    objection = db.session.get(Objection, objection_id)
    if objection is None or publicity_id not in (None, objection.publicity_id):
        raise NotFound()
    period = objection.publicity
    authorize(staff, "publicity.manage", db.session.get(Region, period.region_id))
    text = (text or "").strip()
    if not text:
        raise field_error("answer", "error.field_required")
    if len(text) > MAX_TEXT:
        raise field_error("answer", "wish.too_long", limit=MAX_TEXT)
    if objection.answered_at is not None:
        raise Conflict("publicity.already_answered")
    objection.answer, objection.answered_by, objection.answered_at = text, staff.id, utcnow()
    queue_direct_message(objection.account_id, "objection_answer",
                         {"title": period.title, "reference": f"O{objection.id:06d}", "answer": text},
                         created_by=staff.id)
    audit.record(staff, "publicity.answer", "objection", objection.id, period.region_id,
                 after={"publicity": period.id, "answer": text})
    db.session.flush()
    return objection


def extend_publicity(staff, publicity_id, ends_at, reason):
    """Give residents more time, with a recorded reason."""
    period = get_publicity(staff, publicity_id, "publicity.manage")
    period.require_open()
    if not (reason or "").strip():
        raise field_error("reason", "error.field_required")
    ends_at = as_utc(ends_at)
    if ends_at is None or aware(ends_at) <= aware(period.ends_at):
        raise field_error("ends_at", "vote.extend_earlier")
    before = period.ends_at.isoformat()
    period.ends_at, period.extensions = ends_at, period.extensions + 1
    _extended(period)
    audit.record(staff, "publicity.extend", "publicity", period.id, period.region_id, before={"ends_at": before},
                 after={"ends_at": ends_at.isoformat(), "reason": reason.strip()})
    db.session.flush()
    return period


def close_publicity(staff, publicity_id, now=None):
    """End a period whose time is up; refused while any objection is unanswered."""
    period = get_publicity(staff, publicity_id, "publicity.manage") if staff is not None \
        else db.session.get(Publicity, publicity_id)
    period.require_open()
    now = now or utcnow()
    if aware(period.ends_at) > now:
        raise Conflict("publicity.not_over")
    if period.unanswered:
        raise Conflict("publicity.unanswered", count=len(period.unanswered))
    period.state, period.ended_at, period.ended_by = PublicityState.ENDED, now, staff.id if staff else None
    audit.record(staff, "publicity.close", "publicity", period.id, period.region_id,
                 after={"objections": len(period.objections)})
    db.session.flush()
    return period


def run_due(now=None):
    """End the periods whose time is up; extend, with a note in the audit log, those with unanswered objections."""
    now = now or utcnow()
    for period in Publicity.query.filter(Publicity.state == PublicityState.OPEN, Publicity.ends_at <= now).all():
        if period.unanswered:
            before = period.ends_at.isoformat()
            period.ends_at, period.extensions = now + EXTEND_BY, period.extensions + 1
            _extended(period)
            audit.record(None, "publicity.extend", "publicity", period.id, period.region_id,
                         before={"ends_at": before},
                         after={"ends_at": period.ends_at.isoformat(), "unanswered": len(period.unanswered)})
        else:
            close_publicity(None, period.id, now)
    db.session.commit()


def unanswered_count(period_ids):
    """{publicity id: unanswered objections} for several periods at once."""
    from sqlalchemy import func
    if not period_ids:
        return {}
    rows = db.session.execute(select(Objection.publicity_id, func.count()).where(
        among(Objection.publicity_id, period_ids), Objection.answered_at.is_(None))
        .group_by(Objection.publicity_id)).all()
    return dict(rows)
