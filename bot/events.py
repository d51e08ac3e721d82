"""Event classes wechatpy 1.8.18 lacks (it returns UnknownMessage for them)."""
from wechatpy.events import BaseEvent, register_event
from wechatpy.fields import StringField


@register_event("subscribe_msg_popup_event")
class SubscribePopupEvent(BaseEvent):
    """The user answered a subscribe-message popup."""

    event = "subscribe_msg_popup_event"
    items = StringField("SubscribeMsgPopupEvent")  # a dict or list as xmltodict gives it; a string when sent as text


@register_event("subscribe_msg_change_event")
class SubscribeChangeEvent(BaseEvent):
    """The user changed subscriptions in settings."""

    event = "subscribe_msg_change_event"
    items = StringField("SubscribeMsgChangeEvent")  # a dict or list as xmltodict gives it; a string when sent as text


@register_event("subscribe_msg_sent_event")
class SubscribeSentEvent(BaseEvent):
    """WeChat reports a subscribe message as sent (or failed)."""

    event = "subscribe_msg_sent_event"
    items = StringField("SubscribeMsgSentEvent")  # a dict or list as xmltodict gives it; a string when sent as text
