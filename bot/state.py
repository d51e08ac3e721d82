"""Conversation state per WeChat user, in the database so that it survives a restart."""
from datetime import timedelta

from core.extensions import db
from core.models import Conversation, aware, utcnow

IDLE_LIMIT = timedelta(minutes=30)


def load(openid):
    """The user's open conversation, or None (an idle one is forgotten)."""
    conversation = db.session.get(Conversation, openid)
    if conversation is None:
        return None
    if utcnow() - aware(conversation.updated_at) > IDLE_LIMIT:
        db.session.delete(conversation)
        return None
    return conversation


def save(openid, flow, step, data):
    """Remember where the user is."""
    conversation = db.session.get(Conversation, openid)
    if conversation is None:
        conversation = Conversation(openid=openid, flow=flow, step=step, data=data)
        db.session.add(conversation)
    else:
        conversation.flow, conversation.step, conversation.data = flow, step, dict(data)
        conversation.updated_at = utcnow()
    db.session.flush()


def clear(openid):
    """End the user's conversation."""
    conversation = db.session.get(Conversation, openid)
    if conversation is not None:
        db.session.delete(conversation)
        db.session.flush()
