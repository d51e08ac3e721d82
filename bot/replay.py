"""Each WeChat message once: retries get the first reply, a reused nonce is refused.

Redis when REDIS_URL is set (shared by every worker), the database otherwise."""
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bot.protocol import Rejected
from core.extensions import db
from core.models import InboundMessage, utcnow

WINDOW = timedelta(minutes=10)


class DatabaseGuard:
    """Inbound messages recorded in the same transaction as their effects."""

    def begin(self, key, nonce, openid):
        """('duplicate', reply) for a message seen before, else ('new', None); Rejected for a replayed nonce."""
        existing = InboundMessage.query.filter_by(dedupe_key=key).first()
        if existing is not None:
            return "duplicate", existing.reply
        if InboundMessage.query.filter(InboundMessage.nonce == nonce,
                                       InboundMessage.received_at >= utcnow() - WINDOW).first():
            raise Rejected("replayed nonce")
        self.row = InboundMessage(dedupe_key=key, nonce=nonce, openid=openid)
        db.session.add(self.row)
        try:
            db.session.flush()
        except IntegrityError:  # the same message is being handled by another worker right now
            db.session.rollback()
            existing = InboundMessage.query.filter_by(dedupe_key=key).first()
            return "duplicate", existing.reply if existing else None
        return "new", None

    def finish(self, reply):
        """Remember the reply (committed with the message's effects)."""
        self.row.reply = reply

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
        self.redis.set(self.key, reply or "", ex=self.ttl)

    def abandon(self):
        self.redis.delete(self.key)
