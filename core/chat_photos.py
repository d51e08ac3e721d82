"""Photos residents send in the official-account chat, kept before WeChat forgets them.

WeChat keeps what a user sends for three days, by its media id (cgi-bin/media/get), and a download inside the
chat turn could make the reply miss WeChat's five seconds. So the turn only records, in the transaction of the
wish, on-site report or objection the photo belongs to, that it is to be fetched (a `ChatPhoto`, `waiting`). A
worker round (`fetch_due`: the elected scheduler every OUTBOX_INTERVAL seconds and every `flask notices work`,
beside the outbox) claims due photos (FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers never fetch the
same one), fetches each through wechatpy, checks it as every chat photo is checked (JPEG or PNG, at most 2 MB),
stores it with the uploads and adds it to its owner's photos. WeChat away or busy: retried with backoff, then
given up (`failed`); WeChat no longer has it: `gone`; not a photo or too large: `refused`, and the resident is
told through the caller's `tell`. Each outcome is logged; the end states are also in the audit log."""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from core import audit
from core.extensions import db
from core.models import ChatPhoto, utcnow
from core.queues import claim_due

log = logging.getLogger(__name__)
MEDIA_PREFIX = "wx-media:"  # how a chat turn names a photo WeChat still holds
CHAT_CHANNEL = "bot"  # the only channel whose photos may name media WeChat still holds
MAX_ATTEMPTS = 8
FIRST_BACKOFF = 60  # seconds; doubled after each failed attempt
MAX_BACKOFF = 3600
BATCH = 10  # photos per round: a round of a worker that also delivers the outbox stays short
ENDED = ("kept", "refused", "gone", "failed")

# The kinds of things chat photos belong to. Each domain registers its own (see `chat_photo_kind`); core
# knows none of them.
KINDS = {}


@dataclass(frozen=True)
class PhotoOwner:
    """What core needs to know of a kind of thing a chat photo belongs to."""

    model: type           # a model with a `photos` JSON list of stored names
    reference: object     # row -> 'W000012', the number the resident quotes
    region_id: object     # row -> the region its audit entries belong to
    next_step: object     # a lazy string: how the resident can still add a photo


def chat_photo_kind(kind, model, reference, region_id, next_step):
    """Register a kind of thing (also an upload owner kind) that photos sent in chat may belong to."""
    KINDS[kind] = PhotoOwner(model, reference, region_id, next_step)


# rules -------------------------------------------------------------------------------------------------------
def media_ids(photos):
    """The media ids among a chat turn's photos ('wx-media:<id>' references), in order."""
    return [p[len(MEDIA_PREFIX):] for p in photos or () if isinstance(p, str) and p.startswith(MEDIA_PREFIX)]


def stored_names(photos):
    """A thing's photos without the references to media WeChat still holds."""
    return [p for p in photos or () if not (isinstance(p, str) and p.startswith(MEDIA_PREFIX))]


def only_from_chat(photos, channel=None):
    """Refuse photos naming media WeChat still holds ('wx-media:<id>') unless they come from the chat turn:
    any other door passes the names of files already stored, and a media id from elsewhere would have the
    worker fetch someone's WeChat media into a resident's record."""
    if channel != CHAT_CHANNEL and media_ids(photos):
        from core.errors import field_error
        raise field_error("photos", "photo.chat_only")


def after_failure(attempts, transient):
    """What follows a failed fetch, after `attempts` tries: ('retry', seconds to wait) while WeChat may still
    give it, ('failed', None) once the tries are spent, ('gone', None) when WeChat said it has no such media."""
    if not transient:
        return "gone", None
    if attempts >= MAX_ATTEMPTS:
        return "failed", None
    return "retry", min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)


# intake ------------------------------------------------------------------------------------------------------
def request_chat_photos(kind, target_id, account_id, photos):
    """Record, in the caller's transaction, that the chat photos among `photos` are to be fetched for the thing
    (`kind`, `target_id`); returns how many."""
    if kind not in KINDS:
        raise ValueError(f"unknown chat photo kind {kind}")
    ids = media_ids(photos)  # the service refused them already unless they came from the chat (only_from_chat)
    for media_id in ids:
        db.session.add(ChatPhoto(kind=kind, target_id=target_id, account_id=account_id, media_id=media_id[:128],
                                 state="waiting"))
    if ids:
        db.session.flush()
    return len(ids)


def in_flight(kind, target_id):
    """How many photos sent in chat for the thing are still to be fetched (they count towards its photos)."""
    from sqlalchemy import func
    return db.session.scalar(select(func.count()).select_from(ChatPhoto).where(
        ChatPhoto.kind == kind, ChatPhoto.target_id == target_id, ChatPhoto.state.in_(("waiting", "fetching"))))


def forget_account(account_id):
    """A resident's data is deleted: their photos not fetched yet are not fetched at all, and none of their
    photos keeps WeChat's media id or the stored name (the file itself goes with what it belonged to)."""
    db.session.execute(update(ChatPhoto).where(ChatPhoto.account_id == account_id, ChatPhoto.state.not_in(ENDED))
                       .values(state="failed", reason="deleted", finished_at=utcnow(), media_id=""))
    db.session.execute(update(ChatPhoto).where(ChatPhoto.account_id == account_id)
                       .values(media_id="", name=None, last_error=None))


# the worker --------------------------------------------------------------------------------------------------
def claim(batch, now):
    """Mark up to `batch` due photos as being fetched by this process, oldest first; returns their ids."""
    return claim_due("chat_photos", "waiting", "fetching", "id", batch, now)


def recover_stale(now, older_than):
    """Photos claimed by a process that died are due again."""
    count = db.session.execute(update(ChatPhoto).where(
        ChatPhoto.state == "fetching", ChatPhoto.claimed_at < now - older_than).values(state="waiting")).rowcount
    db.session.commit()
    return count


def fetch_due(tell=None, now=None, batch=BATCH):
    """One round: fetch the photos that are due, each recorded and committed on its own. `tell(account_id,
    params)` is called, in the transaction that records it, for each photo refused. Returns photos handled."""
    now = now or utcnow()
    recover_stale(now, timedelta(seconds=current_app.config["SENDING_STALE_AFTER"]))
    ids = claim(batch, now)
    for photo_id in ids:
        try:
            _fetch_one(photo_id, tell, now)
        except Exception:  # noqa: BLE001 - one photo's fault must not stop the round; it is retried
            db.session.rollback()
            log.exception("chat photo round failed", extra={"fields": {"chat_photo": photo_id}})
            _record_failure(photo_id, now, "error", transient=True)
    return len(ids)


def _fetch_one(photo_id, tell, now):
    from core.errors import InvalidInput
    from core.uploads import store_chat_photo
    from core.wechat import WeChatError
    media_id = db.session.get(ChatPhoto, photo_id).media_id
    db.session.commit()  # no transaction is held open while WeChat answers
    try:
        name = store_chat_photo(media_id)
    except InvalidInput as exc:
        reason = "too_large" if exc.errors[0]["key"] == "wish.photo_too_large" else "not_a_photo"
        return _finish(photo_id, "refused", reason, tell, now)
    except WeChatError as exc:
        return _record_failure(photo_id, now, f"{exc.errcode}: {exc.errmsg}"[:255],
                               transient=exc.transient or exc.errcode in (40001, 40014, 42001))
    return _finish(photo_id, "kept", None, tell, now, name=name)


def _locked(photo_id):
    """The photo, locked until the transaction ends, if this process still holds its claim."""
    photo = db.session.execute(select(ChatPhoto).where(ChatPhoto.id == photo_id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one_or_none()
    return photo if photo is not None and photo.state == "fetching" else None


def _record_failure(photo_id, now, error, transient):
    photo = _locked(photo_id)
    if photo is None:
        db.session.commit()
        return
    photo.attempts += 1
    photo.last_error = error
    outcome, wait = after_failure(photo.attempts, transient)
    if outcome == "retry":
        photo.state, photo.next_attempt_at = "waiting", now + timedelta(seconds=wait)
        log.warning("chat photo not fetched; retrying", extra={"fields": {
            "chat_photo": photo.id, "kind": photo.kind, "target": photo.target_id, "attempts": photo.attempts,
            "error": error, "next_attempt_at": photo.next_attempt_at.isoformat()}})
        db.session.commit()
        return
    _finish(photo_id, outcome, "gone" if outcome == "gone" else "unreachable", None, now, photo=photo)


def _finish(photo_id, state, reason, tell, now, name=None, photo=None):
    """Record an end state: a kept photo joins its owner's photos; any other is audited, a refused one told."""
    photo = photo or _locked(photo_id)
    if photo is None:  # claimed again after a stale recovery, or the resident's data was deleted meanwhile
        db.session.commit()
        return
    owner = KINDS.get(photo.kind)
    row = db.session.execute(select(owner.model).where(owner.model.id == photo.target_id).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one_or_none() if owner else None
    if row is None and state == "kept":
        state, reason, name = "failed", "no_owner", None
    photo.state, photo.reason, photo.name, photo.finished_at = state, reason, name, now
    photo.claimed_at = None
    fields = {"chat_photo": photo.id, "kind": photo.kind, "target": photo.target_id, "state": state,
              "reason": reason, "attempts": photo.attempts}
    if state == "kept":
        from core.uploads import link_uploads
        row.photos = [*(row.photos or []), name]
        link_uploads([name], photo.kind, photo.target_id)
        log.info("chat photo kept", extra={"fields": {**fields, "name": name}})
    else:
        log.warning("chat photo not kept", extra={"fields": fields})
        audit.record(None, f"chat_photo.{state}", photo.kind, photo.target_id,
                     region_id=owner.region_id(row) if row is not None else None,
                     after={"chat_photo": photo.id, "reason": reason, "attempts": photo.attempts,
                            "error": photo.last_error})
        if state == "refused" and tell is not None and row is not None:
            tell(photo.account_id, {"kind": photo.kind, "reference": owner.reference(row), "reason": reason})
    db.session.commit()


# what people read --------------------------------------------------------------------------------------------
def note_text(state, reason):
    """What the committee reads of a chat photo not (yet) kept, in the current language."""
    from core.uploads import MAX_PHOTO_BYTES
    if state in ("waiting", "fetching"):
        return _("A photo sent in WeChat is still being fetched.")
    if reason == "too_large":
        return _("A photo sent in WeChat could not be kept: it is larger than %(limit)s MB.",
                 limit=MAX_PHOTO_BYTES // (1024 * 1024))
    if reason == "not_a_photo":
        return _("A photo sent in WeChat could not be kept: it is not a JPEG or PNG image.")
    if reason == "gone":
        return _("A photo sent in WeChat could not be kept: WeChat no longer had it (WeChat keeps photos 3 days).")
    return _("A photo sent in WeChat could not be kept: WeChat could not be reached.")


_NOTES = select(ChatPhoto.target_id, ChatPhoto.state, ChatPhoto.reason).where(
    ChatPhoto.kind == bindparam("kind"), ChatPhoto.target_id.in_(bindparam("ids", expanding=True)),
    ChatPhoto.state != "kept", ChatPhoto.reason.is_distinct_from("deleted")).order_by(ChatPhoto.id)  # built once


def notes_for(kind, target_ids):
    """{target id: [{state, reason, text}]} of the chat photos of these things that are not kept (yet), oldest
    first, in one query."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return {}
    found = {}
    rows = db.session.execute(_NOTES, {"kind": kind, "ids": ids})
    for target_id, state, reason in rows:
        found.setdefault(target_id, []).append({
            "state": "fetching" if state == "waiting" else state, "reason": reason, "text": note_text(state, reason)})
    return found


def refusal_words(params):
    """(title, body, detail) of the notice that tells a resident a photo they sent in chat was refused, in the
    current language; the detail (why, in a few words) is what a push's short field carries."""
    from core.uploads import MAX_PHOTO_BYTES
    owner = KINDS.get(params.get("kind"))
    limit = MAX_PHOTO_BYTES // (1024 * 1024)
    if params.get("reason") == "too_large":
        why, short = _("it is larger than %(limit)s MB.", limit=limit), _("Larger than %(limit)s MB", limit=limit)
    else:
        why, short = _("only JPEG or PNG photos can be kept."), _("Not JPEG or PNG")
    title = _("Photo not kept")
    lines = [_("Sorry, the photo you sent for %(reference)s could not be kept: %(why)s",
               reference=params.get("reference", ""), why=why),
             _("The rest of what you sent has reached the committee.")]
    if owner is not None:
        lines.append(str(owner.next_step))
    return title, "\n".join(lines), short
