"""Photos residents and staff upload: checked by content, size-limited, stored by their hash."""
import hashlib
import re
from pathlib import Path

from flask import current_app

from core.errors import InvalidInput

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
DOCUMENT_TYPES = {**PHOTO_TYPES, b"%PDF-": "pdf"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|pdf)$")


def photo_extension(data):
    """'jpg' or 'png' by content (not by the name the client sends), or None."""
    return next((ext for magic, ext in PHOTO_TYPES.items() if data.startswith(magic)), None)


def store_photo(data):
    """Keep an uploaded photo under UPLOAD_FOLDER, named by its hash; returns the name."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput([{"field": "photos", "key": "wish.photo_too_large",
                             "params": {"limit": MAX_PHOTO_BYTES // (1024 * 1024)}}], key="wish.bad_photo")
    extension = photo_extension(data)
    if extension is None:
        raise InvalidInput([{"field": "photos", "key": "wish.photo_type"}], key="wish.bad_photo")
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def store_chat_photo(media_id):
    """Download a photo a resident sent in chat (WeChat keeps it by media id for a few days) and keep it as an
    upload; returns its stored name. InvalidInput when too large or not a photo; WeChatError when WeChat
    could not give it."""
    import requests

    from core.wechat import MediaTooLarge, WeChatError, wechat
    try:
        data = wechat().download_media(media_id, MAX_PHOTO_BYTES)
    except MediaTooLarge:
        raise InvalidInput([{"field": "photos", "key": "wish.photo_too_large",
                             "params": {"limit": MAX_PHOTO_BYTES // (1024 * 1024)}}], key="wish.bad_photo") from None
    except requests.RequestException as exc:  # a body cut off half-way
        raise WeChatError(None, type(exc).__name__) from None
    return store_photo(data)


def store_uploads(files):
    """Store the 'photos' files of a multipart request (at most MAX_PHOTOS); returns their names."""
    uploads = [f for f in files.getlist("photos") if f.filename]
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput([{"field": "photos", "key": "wish.too_many_photos", "params": {"limit": MAX_PHOTOS}}])
    return [store_photo(f.read(MAX_PHOTO_BYTES + 1)) for f in uploads]


def store_document(data):
    """Keep a plan document (PDF or image, at most 10 MB); returns its stored name."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput([{"field": "file", "key": "upload.too_large",
                             "params": {"limit": MAX_DOCUMENT_BYTES // (1024 * 1024)}}])
    extension = next((ext for magic, ext in DOCUMENT_TYPES.items() if data.startswith(magic)), None)
    if extension is None:
        raise InvalidInput([{"field": "file", "key": "upload.document_type"}])
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def stored_path(name):
    """The path of a stored upload, or None for a name that is not one of ours (no path tricks)."""
    if not STORED_NAME.match(name or ""):
        return None
    path = Path(current_app.config["UPLOAD_FOLDER"]) / name
    return path if path.is_file() else None


# What an upload may belong to, and who may see it. Each domain registers its kinds (see `owner_kind`);
# core knows none of them. A file is served only when one of the things it belongs to may be seen by the
# caller: a resident (their WeChat account) or a staff member.
OWNER_KINDS = {}


def owner_kind(kind):
    """Register `may_see(target_id, staff=None, account=None) -> bool` for a kind of owning thing."""
    def register(may_see):
        OWNER_KINDS[kind] = may_see
        return may_see
    return register


def link_uploads(names, kind, target_id):
    """Record that the stored files `names` belong to the thing (`kind`, `target_id`)."""
    from core.extensions import db
    from core.models import FileLink
    if kind not in OWNER_KINDS:
        raise ValueError(f"unknown owner kind {kind}")
    for name in dict.fromkeys(names or ()):
        if STORED_NAME.match(name or "") and FileLink.query.filter_by(
                name=name, kind=kind, target_id=target_id).first() is None:
            db.session.add(FileLink(name=name, kind=kind, target_id=target_id))
    db.session.flush()


def may_see_upload(name, staff=None, account=None):
    """Whether the caller may see any of the things the stored file `name` belongs to."""
    from core.models import FileLink
    for link in FileLink.query.filter_by(name=name).order_by(FileLink.id).limit(100):
        may_see = OWNER_KINDS.get(link.kind)
        if may_see is not None and may_see(link.target_id, staff=staff, account=account):
            return True
    return False


def staff_may_read(staff, action, region):
    """Whether a staff member may read something in `region` (a check owner kinds share)."""
    from core.auth import authorize
    from core.errors import DomainError
    try:
        authorize(staff, action, region)
    except DomainError:
        return False
    return True


# Files nothing needs any more (a resident's data deleted) leave the disk once the transaction that let them go
# commits: a rollback keeps them, as it keeps the rows that named them.
_PENDING = "uploads_to_remove"


def forget_uploads(names):
    """Remove the stored files among `names` that no FileLink names any more (others still use them: files are
    stored by content) once the caller's transaction commits; returns the names to be removed."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import FileLink
    names = {name for name in names or () if isinstance(name, str) and STORED_NAME.match(name)}
    if not names:
        return set()
    db.session.flush()
    still = set(db.session.scalars(select(FileLink.name).where(FileLink.name.in_(names))))
    gone = names - still
    if gone:
        pending = db.session.info.setdefault(_PENDING, {})
        pending.update((name, Path(current_app.config["UPLOAD_FOLDER"]) / name) for name in gone)
    return gone


def _remove_pending(session):
    for path in session.info.pop(_PENDING, {}).values():
        path.unlink(missing_ok=True)


def _drop_pending(session):
    session.info.pop(_PENDING, None)


def _listen():
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    if not event.contains(Session, "after_commit", _remove_pending):
        event.listen(Session, "after_commit", _remove_pending)
        event.listen(Session, "after_rollback", _drop_pending)


_listen()
