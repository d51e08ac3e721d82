"""Which WeChat channel can reach a resident, and what an error means. Pure."""
from dataclasses import dataclass

SUBSCRIBE, TEMPLATE, CUSTOMER_SERVICE, INBOX = "subscribe", "template", "customer_service", "inbox"
PERMANENT = {43101, 40003, 43004, 40037, 47003, 43002}
QUOTA = {45009}
OUT_OF_WINDOW = {45015, 45047}


@dataclass(frozen=True)
class Reach:
    """What we know about a resident's channels."""

    has_credit: bool
    follows: bool
    in_window: bool
    blocked: frozenset = frozenset()
    subscribe_configured: bool = True
    template_configured: bool = True


def channel_order(reach):
    """The WeChat channels to try, best first; the in-app inbox always holds the notice anyway.

    Inside the 48-hour window the customer-service message carries the whole text, so it comes first."""
    order = []
    if reach.in_window and CUSTOMER_SERVICE not in reach.blocked:
        order.append(CUSTOMER_SERVICE)
    if reach.has_credit and reach.subscribe_configured and SUBSCRIBE not in reach.blocked:
        order.append(SUBSCRIBE)
    if reach.follows and reach.template_configured and TEMPLATE not in reach.blocked:
        order.append(TEMPLATE)
    return order


def classify(errcode):
    """'quota' (pause everything), 'permanent' (drop this channel for the resident),
    'unreachable' (this channel, not now), or 'transient' (retry later with backoff)."""
    if errcode in QUOTA:
        return "quota"
    if errcode in OUT_OF_WINDOW:
        return "unreachable"
    if errcode is None or errcode == -1:
        return "transient"
    return "permanent" if errcode in PERMANENT or errcode > 0 else "transient"


def backoff_seconds(attempts, base=30, cap=3600):
    """Exponential backoff for the n-th failed attempt."""
    return min(cap, base * 2 ** max(attempts - 1, 0))
