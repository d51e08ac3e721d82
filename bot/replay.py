"""Each WeChat message once: retries get the first reply, a reused nonce is refused, and a user sending
more than the rate of new messages gets no turn.

Redis when REDIS_URL is set (shared by every worker), the database otherwise."""
import logging
import time
from datetime import timedelta
from functools import lru_cache

from redis.exceptions import RedisError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.protocol import Rejected, events_of
from core import ratelimit
from core.commits import conversation_only
from core.extensions import db, redis_client
from core.models import InboundMessage, utcnow

WINDOW = timedelta(minutes=10)
MESSAGE = "wechat:msg:"  # + a message's dedupe key: its reply for WeChat's retries, in Redis
RATE_WINDOW = 60  # seconds: `rate` new messages per user per minute
PENDING = "\0"  # a message's reply while its turn runs
LATER = ":later"  # marks a message whose reply customer service sends
TWIN_POLL = 0.05  # seconds between looks for the reply a retry waits for
log = logging.getLogger(__name__)


def _too_fast(openid, rate):
    """Count a new message of this user; whether it is over `rate` a minute."""
    try:
        ratelimit.limit("bot", openid, rate, RATE_WINDOW)
    except ratelimit.TooManyRequests:
        return True
    return False


def _record(key, nonce, openid, reply):
    """The message and its reply as a row, in the transaction of the turn's effects."""
    # Lost with its turn, if at all (a turn commits whole or not at all): WeChat's retry then runs the turn again.
    db.session.execute(conversation_only(insert(InboundMessage.__table__).values(
        dedupe_key=key, nonce=nonce, openid=openid, reply=reply, received_at=utcnow())))


class DatabaseGuard:
    """Inbound messages recorded in the same transaction as their effects."""

    def begin(self, key, nonce, openid, rate):
        """('duplicate', reply) for a message seen before, ('throttled', None) for a new one over `rate` a
        minute, else ('new', None); Rejected for a replayed nonce."""
        table = InboundMessage.__table__
        rows = db.session.execute(select(table.c.dedupe_key, table.c.reply).where(
            (table.c.dedupe_key == key) | ((table.c.nonce == nonce) & (table.c.received_at >= utcnow() - WINDOW)))
        ).all()  # one round trip for both questions
        for row in rows:
            if row.dedupe_key == key:
                return "duplicate", row.reply
        if rows:
            raise Rejected("replayed nonce")
        self.key, self.nonce, self.openid = key, nonce, openid
        return ("throttled" if _too_fast(openid, rate) else "new"), None

    def finish(self, reply, sender=None):
        """Record the message with its reply, in the transaction of its effects (under `sender` if given: the
        openid the account has now). A twin being handled by another worker at the same moment makes the commit
        fail, and its effects roll back."""
        _record(self.key, self.nonce, sender or self.openid, reply)

    def done(self, reply):
        """Nothing more once committed: the record went with the turn's effects."""

    def lost_race(self):
        """After the commit failed on an integrity error: whether a twin recorded the message meanwhile (any
        other integrity error is the turn's own failure, and WeChat's retry runs the turn again)."""
        table = InboundMessage.__table__
        return db.session.execute(select(table.c.dedupe_key).where(table.c.dedupe_key == self.key)).first() is not None

    def duplicate_reply(self):
        """After losing that race: the reply the other worker stored."""
        table = InboundMessage.__table__
        return db.session.execute(select(table.c.reply).where(table.c.dedupe_key == self.key)).scalar()

    def answered_later(self):
        """Nothing to mark: a retry is never pending here (it runs its own turn; the loser's rolls back)."""

    def abandon(self):
        """Nothing to undo: the transaction's rollback forgets the message."""


# One round trip for the nonce, the message id and the rate. KEYS: the nonce, the message[, the user's rate
# counter]; ARGV: the message's dedupe key, the time to live, the pending mark, the counter's time to live.
BEGIN = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then
  return {'replayed'}
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
local reply = redis.call('GET', KEYS[2])
if reply then
  return {'duplicate', reply}
end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
if #KEYS < 3 then
  return {'new', 0}
end
local count = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return {'new', count}
"""


@lru_cache(maxsize=8)
def _begin(client):
    """BEGIN registered with a client once (its digest is computed then)."""
    return client.register_script(BEGIN)


class RedisGuard:
    """Message ids and nonces in Redis with a time to live; the rate counted in the same round trip."""

    def __init__(self, client):
        self.redis = client
        self.ttl = int(WINDOW.total_seconds())

    def begin(self, key, nonce, openid, rate):
        """As DatabaseGuard.begin, and ('pending', None) for a message whose turn is still running."""
        self.key, self.message = MESSAGE + key, (key, nonce, openid)
        counter = ratelimit.redis_window("bot", openid, RATE_WINDOW)
        answer = _begin(self.redis)(keys=[f"wechat:nonce:{nonce}", self.key] + ([counter] if counter else []),
                                    args=[key, self.ttl, PENDING, RATE_WINDOW + 1])
        outcome = answer[0].decode()
        if outcome == "replayed":
            raise Rejected("replayed nonce")
        if outcome == "duplicate":
            return ("pending", None) if answer[1] == PENDING.encode() else ("duplicate", answer[1].decode())
        return ("throttled" if counter and answer[1] > rate else "new"), None

    def finish(self, reply, sender=None):
        """Nothing in the turn's transaction: the message stays pending in Redis until its turn committed (and
        is remembered under `sender`, if given, should Redis fail by then)."""
        if sender:
            self.message = (*self.message[:2], sender)

    def done(self, reply):
        """After the turn committed: its reply for WeChat's retries. Never before the commit, or a retry would
        be answered with the reply of a turn that was never saved."""
        try:
            self.redis.set(self.key, reply or "", ex=self.ttl)
        except RedisError:  # Redis went away mid-turn: the database remembers the message for a retry
            log.warning("redis unavailable: reply remembered in the database")
            try:
                _record(*self.message, reply)
                db.session.commit()
            except IntegrityError:  # a retry handled through the database meanwhile recorded it
                db.session.rollback()
            except SQLAlchemyError:
                db.session.rollback()
                log.warning("database unavailable: a handled message not remembered")

    def lost_race(self):
        """No twin runs while Redis holds the message pending: an integrity error is the turn's own failure."""
        return False

    def duplicate_reply(self):
        return None

    def twin_reply(self, seconds):
        """For WeChat's retry of a message still being handled: the first's reply once its turn is done within
        `seconds` (the first answered into a connection WeChat has dropped), or None when there is none yet,
        its turn failed, or customer service sends it."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                reply, later = self.redis.mget(self.key, self.key + LATER)
                if later is not None or reply is None:
                    return None
                if reply != PENDING.encode():
                    return reply.decode() or None
                time.sleep(TWIN_POLL)
        except RedisError:
            log.warning("redis unavailable: a retry's reply not awaited")
        return None

    def answered_later(self):
        """The reply goes out by customer service when the turn is done: a retry waiting for it says nothing."""
        try:
            self.redis.set(self.key + LATER, 1, ex=self.ttl)
        except RedisError:
            log.warning("redis unavailable: a late reply not marked")

    def abandon(self):
        try:
            self.redis.delete(self.key)
        except RedisError:
            log.warning("redis unavailable: failed turn not forgotten; it expires on its own")


def forget_replies_to(openid):
    """What Redis holds of the replies to a user that its keys let us find: those to their events (a menu tap's
    reply may list their wishes or name their home), whose keys name the sender. Those to their messages are
    kept by message id alone: nothing leads from the user to them, and they expire within WINDOW."""
    client = redis_client()
    if client is None:
        return
    pattern = MESSAGE + "".join("\\" + c if c in "*?[]\\" else c for c in events_of(openid)) + "*"
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    except RedisError:
        log.warning("redis unavailable: replies to a deleted account not forgotten; they expire on their own")
