"""Routes each message or event to a flow. Flows register themselves; adding one touches no other."""
import re
from dataclasses import dataclass, field

from bot import state

FLOWS = {}
GATES = []  # callables (turn, flow, kwargs) -> a reply instead of starting the flow, or None
_PUNCTUATION = re.compile(r"[\s。.!！?？,，、~～]+$")


def register(flow_class):
    """Class decorator: make a flow available by its keywords and menu keys."""
    flow = flow_class()
    FLOWS[flow.name] = flow
    return flow_class


def normalise(text):
    """Lower-case, trimmed, without trailing punctuation (voice recognition adds a full stop)."""
    return _PUNCTUATION.sub("", (text or "").strip()).strip().lower()


def flow_for_text(text):
    """The flow one of whose keywords is exactly this text."""
    key = normalise(text)
    return next((f for f in FLOWS.values() if key in f.keywords), None)


def flow_for_menu(event_key):
    """The flow behind a menu button."""
    return next((f for f in FLOWS.values() if event_key in f.menu_keys), None)


@dataclass
class Turn:
    """One incoming message with who sent it and where their conversation stands."""

    account: object
    message: object
    text: str = ""
    conversation: object = None
    data: dict = field(default_factory=dict)
    stored: bool = True  # whether a saved conversation may exist: ending none costs no statement

    @property
    def openid(self):
        return self.account.openid

    def goto(self, flow, step, **data):
        """Continue the conversation at `step` next time."""
        merged = dict(self.data, **data)
        state.save(self.openid, flow.name, step, merged)
        self.data, self.stored = merged, True

    def end(self):
        """The conversation is over."""
        if self.stored:
            state.clear(self.openid)
        self.data, self.stored = {}, False


class Flow:
    """A conversation: start() when chosen, resume() with each later message."""

    name = ""
    keywords = ()
    menu_keys = ()
    needs_home = False  # the resident is asked to bind a home first (a gate, see bot.flows)

    def start(self, turn, **kwargs):
        raise NotImplementedError

    def resume(self, turn, step):
        """The next message of a conversation that stands at `step`: the flow's on_<step> reads it."""
        return getattr(self, f"on_{step}")(turn)


def begin(flow, turn, **kwargs):
    """Start a flow, unless a gate (e.g. consent still to be given) answers first."""
    for gate in GATES:
        reply = gate(turn, flow, kwargs)
        if reply is not None:
            return reply
    return flow.start(turn, **kwargs)


def start_flow(name, turn, **kwargs):
    """Start a flow by name (for events such as a QR-code scan)."""
    turn.end()
    return begin(FLOWS[name], turn, **kwargs)


def handle_text(turn, idle_handler):
    """A typed or spoken message: a keyword starts its flow; otherwise the open conversation goes on."""
    chosen = flow_for_text(turn.text)
    if chosen is not None:
        turn.end()
        return begin(chosen, turn)
    return go_on(turn, idle_handler)


def handle_media(turn, fallback):
    """A photo or location goes to the open conversation, if it asked for one."""
    return go_on(turn, fallback)


def go_on(turn, otherwise):
    """The open conversation goes on from its stored step and data; with none open, `otherwise` answers."""
    conversation = turn.conversation
    if conversation is not None and conversation.flow in FLOWS:
        turn.data = dict(conversation.data or {})
        return FLOWS[conversation.flow].resume(turn, conversation.step)
    return otherwise(turn)
