"""Staff sessions held on the server, so that they can be ended.

The signed cookie carries only an opaque token; the session itself lives in Redis when REDIS_URL is set
(shared by every web machine) and in the database otherwise. Ending every session of a staff member
(sign-out everywhere, deactivation, a new role, region or password) also stamps `sessions_ended_at` on
the account in the database, so a session started before that moment is refused even if Redis was away
when it was ended."""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app

from core.extensions import db, redis_client
from core.models import StaffSession, aware, utcnow

TOKEN_KEY = "sid"
REDIS_PREFIX = "r."
DATABASE_PREFIX = "d."


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime():
    return int(current_app.config.get("PERMANENT_SESSION_LIFETIME", 8 * 3600))


def _redis():
    """The Redis client shared with the rate limits, or None when the deployment has no Redis."""
    return redis_client()


def _redis_key(digest):
    return f"staffsession:{digest}"


def _redis_set(staff_id):
    return f"staffsessions:{staff_id}"


def start_session(staff):
    """A new server-side session for `staff`; returns the token for the cookie."""
    lifetime = _lifetime()
    client = _redis()
    if client is not None:
        import redis
        token = REDIS_PREFIX + secrets.token_urlsafe(32)
        digest = _hash(token)
        try:
            pipe = client.pipeline()
            pipe.set(_redis_key(digest), f"{staff.id}:{utcnow().timestamp():.6f}", ex=lifetime)
            pipe.sadd(_redis_set(staff.id), digest)
            pipe.expire(_redis_set(staff.id), lifetime)
            pipe.execute()
            return token
        except redis.RedisError:
            pass  # Redis away: the database keeps this session
    token = DATABASE_PREFIX + secrets.token_urlsafe(32)
    # Sessions over for a day are forgotten as their owner signs in again, so the table stays small.
    StaffSession.query.filter(StaffSession.staff_id == staff.id,
                              StaffSession.expires_at < utcnow() - timedelta(days=1)).delete()
    db.session.add(StaffSession(token_hash=_hash(token), staff_id=staff.id,
                                expires_at=utcnow() + timedelta(seconds=lifetime)))
    db.session.flush()
    return token


def session_owner(token):
    """(staff id, started at) of a live session, or None."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    digest = _hash(token)
    if token.startswith(REDIS_PREFIX):
        client = _redis()
        if client is None:
            return None
        import redis
        try:
            value = client.get(_redis_key(digest))
        except redis.RedisError:
            return None  # cannot tell whether it was ended: treat as signed out
        if value is None:
            return None
        staff_id, started = value.decode().split(":")
        return int(staff_id), datetime.fromtimestamp(float(started), timezone.utc)
    if token.startswith(DATABASE_PREFIX):
        row = StaffSession.query.filter_by(token_hash=digest).first()
        if row is None or row.revoked_at is not None or aware(row.expires_at) <= utcnow():
            return None
        return row.staff_id, aware(row.created_at)
    return None


def end_session(token):
    """End one session (signing out)."""
    if not token or not isinstance(token, str):
        return
    digest = _hash(token)
    if token.startswith(REDIS_PREFIX) and _redis() is not None:
        import redis
        try:
            _redis().delete(_redis_key(digest))
        except redis.RedisError:
            pass
    elif token.startswith(DATABASE_PREFIX):
        StaffSession.query.filter_by(token_hash=digest, revoked_at=None).update({"revoked_at": utcnow()})
        db.session.flush()


def end_all_sessions(staff):
    """End every session of a staff member, on every machine and in both stores."""
    now = utcnow()
    staff.sessions_ended_at = now
    StaffSession.query.filter_by(staff_id=staff.id, revoked_at=None).update({"revoked_at": now})
    client = _redis()
    if client is not None:
        import redis
        try:
            digests = client.smembers(_redis_set(staff.id))
            pipe = client.pipeline()
            for digest in digests:
                pipe.delete(_redis_key(digest.decode()))
            pipe.delete(_redis_set(staff.id))
            pipe.execute()
        except redis.RedisError:
            pass  # the stamp on the account refuses those sessions anyway
    db.session.flush()


def is_live(staff, started_at):
    """Whether a session started at `started_at` outlived nothing that ended the staff member's sessions."""
    ended = aware(staff.sessions_ended_at)
    return ended is None or started_at > ended
