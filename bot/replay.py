"""Each WeChat message once: retries get the first reply, a reused nonce is refused.

Redis when REDIS_URL is set (shared by every worker), the database otherwise."""
import logging
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import insert, select

from bot.protocol import Rejected
from core.extensions import db
from core.models import InboundMessage, utcnow

WINDOW = timedelta(minutes=10)
log = logging.getLogger(__name__)


class DatabaseGuard:
    """Inbound messages recorded in the same transaction as their effects."""

    def begin(self, key, nonce, openid):
        """('duplicate', reply) for a message seen before, else ('new', None); Rejected for a replayed nonce."""
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
        return "new", None

    def finish(self, reply):
        """Record the message with its reply, in the transaction of its effects. A twin being handled
        by another worker at the same moment makes the commit fail, and its effects roll back."""
        db.session.execute(insert(InboundMessage.__table__).values(
            dedupe_key=self.key, nonce=self.nonce, openid=self.openid, reply=reply, received_at=utcnow()))

    def duplicate_reply(self):
        """After losing that race: the reply the other worker stored."""
        table = InboundMessage.__table__
        return db.session.execute(select(table.c.reply).where(table.c.dedupe_key == self.key)).scalar()

    def abandon(self):
        """Nothing to undo: the transaction's rollback forgets the message."""


class RedisGuard:
    """Message ids and nonces in Redis with a time to live."""

    def __init__(self, client):
        self.redis = client
        self.ttl = int(WINDOW.total_seconds())

    def begin(self, key, nonce, openid):
        self.key = f"wechat:msg:{key}"
        if not self.redis.set(f"wechat:nonce:{nonce}", key, nx=True, ex=self.ttl):
            owner = self.redis.get(f"wechat:nonce:{nonce}")
            if owner is not None and owner.decode() != key:
                raise Rejected("replayed nonce")
        if not self.redis.set(self.key, "\0", nx=True, ex=self.ttl):
            reply = self.redis.get(self.key)
            return "duplicate", None if reply in (None, b"\0") else reply.decode()
        return "new", None

    def finish(self, reply):
        try:
            self.redis.set(self.key, reply or "", ex=self.ttl)
        except RedisError:  # Redis went away mid-turn: the turn stands; a retry may be handled again
            log.warning("redis unavailable: reply not remembered")

    def duplicate_reply(self):
        return None

    def abandon(self):
        try:
            self.redis.delete(self.key)
        except RedisError:
            log.warning("redis unavailable: failed turn not forgotten; it expires on its own")
