"""Wish services: file, list, classify, merge, answer, count."""
import functools
import time

from flask import current_app
from sqlalchemy import Integer, bindparam, func, select

from core import audit
from core.auth import IN_SCOPE, authorize, compounds_in_scope, scope_pattern
from core.catalogue import items_for_region
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.chat_photos import in_flight, only_from_chat, request_chat_photos, stored_names
from core.uploads import MAX_PHOTOS, link_uploads
from core.extensions import db
from core.models import Building, CatalogueItem, Compound, Dwelling, Region, Unit, utcnow
from wishes import files as _files  # noqa: F401 - who may see a wish's photos
from wishes import counts, matching, texts as _texts  # noqa: F401 - texts: registers the notice texts
from wishes.models import Wish, WishStatus

MAX_TEXT = 1000


CATALOGUE_TTL = 60  # seconds a county's catalogue is reused before it is read again (by the app: its database's)
PLACEMENTS_KEPT = 100_000


def _placement(dwelling_id):
    # A dwelling never moves to another compound, so where it lies can be remembered, by the app: its
    # database's ids are its own (a process with two apps, as the tests have, must not mix them). A miss
    # reads the dwelling's whole compound: its neighbours then cost no query either.
    placements = current_app.extensions.setdefault("wish_placements", {})  # dwelling id -> (path, compound)
    found = placements.get(dwelling_id)
    if found is not None:
        return found
    compound = (select(Building.compound_id).join(Unit, Unit.building_id == Building.id)
                .join(Dwelling, Dwelling.unit_id == Unit.id).where(Dwelling.id == dwelling_id).scalar_subquery())
    rows = db.session.execute(select(Dwelling.id, Region.path, Compound.id).select_from(Region)
                              .join(Compound, Compound.community_id == Region.id)
                              .join(Building, Building.compound_id == Compound.id).join(Unit)
                              .join(Dwelling).where(Compound.id == compound)).all()
    if len(placements) + len(rows) > PLACEMENTS_KEPT:
        placements.clear()
    placements.update((row[0], (row[1], row[2])) for row in rows)
    return placements[dwelling_id]


def catalogue_for(account):
    """The catalogue entries that apply to the resident's compound (read at most once a minute per region)."""
    path = _placement(account.dwelling_id)[0]
    catalogues = current_app.extensions.setdefault("wish_catalogues", {})  # region path -> (until, entries)
    cached = catalogues.get(path)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    entries = tuple(matching.CatalogueEntry(i.code, i.name_zh, i.name_en, i.cls) for i in items_for_region(path))
    catalogues[path] = (time.monotonic() + CATALOGUE_TTL, entries)
    return entries


def item_name(account, code):
    """A catalogue item's name in the resident's language (the code if unknown)."""
    entry = next((e for e in catalogue_for(account) if e.code == code), None)
    if entry is None:
        return code
    return entry.name_en if account.locale == "en" else entry.name_zh


def suggest_for(account, text):
    """Catalogue codes the text most likely means, for this resident's compound."""
    return matching.suggest(text, catalogue_for(account))


def _require_bound(account):
    if account.dwelling_id is None:
        raise Forbidden("bind.required")


def file_wish(account, channel, text="", catalogue_code=None, photos=(), latitude=None, longitude=None,
              suggested=None):
    """Record a resident's wish for their own dwelling's compound (`suggested`: codes already matched)."""
    _require_bound(account)
    only_from_chat(photos, channel)
    text = (text or "").strip()
    faults = []
    if len(text) > MAX_TEXT:
        faults.append({"field": "text", "key": "wish.too_long", "params": {"limit": MAX_TEXT}})
    if not text and not catalogue_code:
        faults.append({"field": "text", "key": "wish.empty"})
    if catalogue_code and catalogue_code not in {e.code for e in catalogue_for(account)}:
        faults.append({"field": "catalogue_code", "key": "wish.unknown_item"})
    if len(photos) > MAX_PHOTOS:
        faults.append({"field": "photos", "key": "wish.too_many_photos", "params": {"limit": MAX_PHOTOS}})
    if (latitude is None) != (longitude is None) or (
            latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)):
        faults.append({"field": "location", "key": "wish.bad_location"})
    if faults:
        raise InvalidInput(faults)
    wish = Wish(account_id=account.id, dwelling_id=account.dwelling_id,
                compound_id=_placement(account.dwelling_id)[1], catalogue_code=catalogue_code,
                suggested_codes=list(suggested if suggested is not None else suggest_for(account, text) if text else []),
                text=text, photos=stored_names(photos),
                latitude=latitude, longitude=longitude, channel=channel,
                status=WishStatus.CLASSIFIED if catalogue_code else WishStatus.SUBMITTED)
    db.session.add(wish)
    db.session.flush()
    counts.add(wish)
    link_uploads(wish.photos, "wish", wish.id)
    request_chat_photos("wish", wish.id, account.id, photos)  # sent in chat: fetched from WeChat by a worker
    return wish


MY_WISHES = (select(Wish).where(Wish.account_id == bindparam("account")).order_by(Wish.id.desc())
             .limit(bindparam("limit", type_=Integer)))  # built once: see core.accounts.PLACE_OF


def my_wishes(account, limit=50):
    """The resident's own wishes, newest first."""
    return db.session.scalars(MY_WISHES, {"account": account.id, "limit": limit}).all()


def my_wish(account, wish_id):
    """One of the resident's own wishes (NotFound for anyone else's)."""
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.account_id != account.id:
        raise NotFound()
    return wish


def add_wish_photos(account, wish_id, photos):
    """The author adds photos to their wish (one upload per request from the mini-program), at most MAX_PHOTOS."""
    wish = my_wish(account, wish_id)
    only_from_chat(photos)
    if len(wish.photos or []) + in_flight("wish", wish.id) + len(photos) > MAX_PHOTOS:
        raise InvalidInput([{"field": "photos", "key": "wish.too_many_photos", "params": {"limit": MAX_PHOTOS}}])
    wish.photos = [*(wish.photos or []), *photos]
    link_uploads(photos, "wish", wish.id)
    db.session.flush()
    return wish


def _wish_in_scope(staff, wish_id, action, lock=False):
    # a wish about to change is locked and read afresh: two staff changing it at once change it one after the
    # other, each from what the other left, and its counts move once for each change
    wish = db.session.get(Wish, wish_id, with_for_update=True, populate_existing=True) if lock else \
        db.session.get(Wish, wish_id)
    if wish is None:
        raise NotFound()
    authorize(staff, action, db.session.get(Compound, wish.compound_id).community)
    return wish


def staff_wishes(staff, compound_id=None, status=None, limit=200, offset=0):
    """Wishes of the compounds in the staff member's region."""
    authorize(staff, "wishes.read")
    scope = compounds_in_scope(staff).with_entities(Compound.id)
    query = Wish.query.filter(Wish.compound_id.in_(scope))
    if compound_id:
        query = query.filter(Wish.compound_id == compound_id)
    if status:
        query = query.filter(Wish.status == status)
    return query.order_by(Wish.id.desc()).offset(offset).limit(min(limit, 500)).all()


@functools.cache
def _inbox(by_compound, by_status):
    """The inbox's statement for one choice of filters, built once."""
    shown = select(Wish.id).where(Wish.compound_id.in_(IN_SCOPE))
    if by_compound:
        shown = shown.where(Wish.compound_id == bindparam("compound"))
    if by_status:
        shown = shown.where(Wish.status == bindparam("status"))
    shown = (shown.order_by(Wish.id.desc()).offset(bindparam("offset", type_=Integer))
             .limit(bindparam("limit", type_=Integer)).correlate(None))
    # the page's wishes first, then where each was made (joined for those few, not for every wish in scope)
    return (select(Wish, Compound.name, Building.name, Unit.name, Dwelling.room)
            .join(Compound, Compound.id == Wish.compound_id).join(Dwelling, Dwelling.id == Wish.dwelling_id)
            .join(Unit, Unit.id == Dwelling.unit_id).join(Building, Building.id == Unit.building_id)
            .where(Wish.id.in_(shown)).order_by(Wish.id.desc()))


def inbox_page(staff, compound_id=None, status=None, limit=30, offset=0):
    """(wish, compound name, '1-1-101') of the staff member's region, newest first: the wishes with where they
    were made, in one query."""
    authorize(staff, "wishes.read")
    rows = db.session.execute(_inbox(bool(compound_id), bool(status)), {
        "scope": scope_pattern(staff), "compound": compound_id, "status": status, "offset": offset,
        "limit": min(limit, 500)}).all()
    return [(wish, place, f"{building}-{unit}-{room}") for wish, place, building, unit, room in rows]


def staff_wish(staff, wish_id):
    """One wish of a compound in the staff member's region."""
    return _wish_in_scope(staff, wish_id, "wishes.read")


def classify_wish(staff, wish_id, catalogue_code):
    """Staff set the catalogue item a wish is about."""
    wish = _wish_in_scope(staff, wish_id, "wishes.handle", lock=True)
    if not db.session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == catalogue_code)):
        raise InvalidInput([{"field": "catalogue_code", "key": "wish.unknown_item"}])
    if wish.status == WishStatus.MERGED:
        raise Conflict("wish.merged")
    before = {"catalogue_code": wish.catalogue_code, "status": wish.status}
    with counts.recounted(wish):
        wish.catalogue_code = catalogue_code
        if wish.status == WishStatus.SUBMITTED:
            wish.status = WishStatus.CLASSIFIED
    audit.record(staff, "wish.classify", "wish", wish.id, _region_of(wish), before=before,
                 after={"catalogue_code": catalogue_code, "status": wish.status})
    db.session.flush()
    return wish


def merge_wish(staff, wish_id, into_id):
    """Mark a wish as a duplicate of another in the same compound."""
    first, second = sorted((wish_id, into_id))  # both locked, lower id first, as deleting a resident's data does
    locked = {i: _wish_in_scope(staff, i, "wishes.handle", lock=True) for i in (first, second)}
    wish, target = locked[wish_id], locked[into_id]
    if wish.id == target.id or target.compound_id != wish.compound_id or target.status == WishStatus.MERGED:
        raise Conflict("wish.bad_merge")
    before = {"status": wish.status}
    with counts.recounted(wish, target):
        wish.status, wish.merged_into_id = WishStatus.MERGED, target.id
        if target.catalogue_code is None and wish.catalogue_code:
            target.catalogue_code = wish.catalogue_code
    audit.record(staff, "wish.merge", "wish", wish.id, _region_of(wish), before=before,
                 after={"status": wish.status, "merged_into": target.id})
    db.session.flush()
    return wish


def answer_wish(staff, wish_id, text):
    """The committee answers; the answer is queued for the resident on WeChat in the same transaction."""
    from notices.services import queue_direct_message
    wish = _wish_in_scope(staff, wish_id, "wishes.handle", lock=True)
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput([{"field": "text", "key": "wish.empty" if not text else "wish.too_long",
                             "params": {"limit": MAX_TEXT}}])
    before = {"status": wish.status, "answer": wish.answer}
    with counts.recounted(wish):
        wish.answer, wish.answered_at = text, utcnow()
        if wish.status != WishStatus.MERGED:
            wish.status = WishStatus.ANSWERED
    audit.record(staff, "wish.answer", "wish", wish.id, _region_of(wish), before=before,
                 after={"status": wish.status, "answer": text})
    queue_direct_message(wish.account_id, "wish_answer", {"reference": wish.reference, "answer": text},
                         created_by=staff.id)
    db.session.flush()
    return wish


def demand_counts(staff, compound_id):
    """How many residents asked for each catalogue item in a compound (merged duplicates not counted)."""
    compound = db.session.get(Compound, compound_id)
    if compound is None:
        raise NotFound()
    authorize(staff, "wishes.read", compound.community)
    rows = db.session.execute(
        select(Wish.catalogue_code, func.count(Wish.id)).where(
            Wish.compound_id == compound_id, Wish.status != WishStatus.MERGED,
            Wish.catalogue_code.is_not(None)).group_by(Wish.catalogue_code)).all()
    return dict(rows)


def _region_of(wish):
    return db.session.get(Compound, wish.compound_id).community_id

