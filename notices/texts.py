"""What a notice says. Each domain registers the words of its own notice kinds (votes/texts.py,
projects/texts.py ...); the outbox renders through this registry and knows no domain's vocabulary.

A rendering is a `NoticeText`: a short headline (what), where, when, the one fact or next step that
matters most, and the full text. The sender picks from these the facts that fit each WeChat channel's
fields, and links to the full text."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from core.extensions import db
from core.models import Building, Compound, Unit
from core.times import format_day, format_moment

KINDS = {}
URGENT_KINDS = set()
DELIVERY_STATES = {"pending": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                   "inbox": _l("in the resident's inbox only"), "failed": _l("failed")}
CHANNELS = {"subscribe": _l("subscribe message"), "template": _l("template message"),
            "customer_service": _l("customer-service message"), "inbox": _l("inbox")}
NOTICE_PRIORITIES = {0: _l("urgent (vote deadlines, cuts, safety)"), 1: _l("ordinary"), 2: _l("general news")}


@dataclass(frozen=True)
class NoticeText:
    """A notice in one reader's language, in the parts a push is made of."""

    title: str            # what happened, short: 停水 / 新的投票 / 改造进度
    body: str             # the full text, as the inbox and the notice page show it
    where: str = ""       # compound, building, unit: 玉林北路12号院 1栋1单元
    when: datetime = None  # the moment that matters (a deadline, a start); None: when it was sent
    detail: str = ""      # the one fact or next step a 20-character field has room for
    urgent: bool = False  # water, power and gas cuts, safety, vote deadlines go first
    layouts: tuple = ()   # (thing1, thing2) pairs, best first, for a kind whose facts the fields' usual pick drops


def notice_kind(kind, urgent=False):
    """Decorator: `renderer(params, notice) -> NoticeText` renders notices of this kind; `urgent` kinds
    (vote deadlines) go out before others."""
    def register(renderer):
        KINDS[kind] = renderer
        if urgent:
            URGENT_KINDS.add(kind)
        return renderer
    return register


def is_urgent(kind, params):
    """Whether a notice goes first: an urgent kind, or one written as urgent (a water or power cut, safety)."""
    return kind in URGENT_KINDS or bool((params or {}).get("urgent"))


def scope_label(scope_kind, scope_id):
    """'玉林北路12号院 1栋1单元' for a unit, '玉林北路12号院 1栋' for a building, the compound's name; '' else."""
    if scope_kind == "unit":
        unit = db.session.get(Unit, scope_id)
        return _("%(compound)s building %(building)s unit %(unit)s", compound=unit.building.compound.name,
                 building=unit.building.name, unit=unit.name) if unit else ""
    if scope_kind == "building":
        building = db.session.get(Building, scope_id)
        return _("%(compound)s building %(building)s", compound=building.compound.name,
                 building=building.name) if building else ""
    if scope_kind == "compound":
        compound = db.session.get(Compound, scope_id)
        return compound.name if compound else ""
    return ""


def render(notice, locale):
    """The notice's NoticeText in the reader's language (staff-written and unknown kinds as written)."""
    params = notice.params or {}
    with force_locale(locale or "zh_Hans_CN"):
        renderer = KINDS.get(notice.kind)
        if renderer is not None:
            return renderer(params, notice)
        where = params.get("where") or scope_label(notice.scope_kind, notice.scope_id)
        return NoticeText(title=params.get("title", ""), body=params.get("body", ""), where=where,
                          urgent=bool(params.get("urgent")))


def full_text(text, locale):
    """The whole notice as one message: headline, where and when, the text."""
    with force_locale(locale or "zh_Hans_CN"):
        lines = [text.title]
        if text.where:
            lines.append(text.where)
        if text.body:
            lines.append(text.body)
        return "\n".join(line for line in lines if line)


def when_text(moment, locale):
    """A notice's moment as residents read it (Beijing time)."""
    return format_moment(moment, locale)


def plan_sentence(plan, locale):
    """What the committee reads of a notice's delivery plan (Beijing calendar days); '' when nothing waits."""
    from datetime import date
    if not plan or not plan.get("pending"):
        return ""
    with force_locale(locale or "zh_Hans_CN"):
        if not plan.get("reaches_everyone_by"):
            return _("Only the inbox in the mini-program can reach the residents still waiting.")
        day = date.fromisoformat(plan["reaches_everyone_by"])
        if day.isoformat() == plan.get("today"):
            return _("Expected to reach everyone today.")
        return _("Expected to reach everyone by %(day)s (WeChat's daily limits).", day=format_day(day, locale))


@notice_kind("chat_photo_refused")
def _chat_photo_refused(params, _notice):
    """A photo a resident sent in chat was not a photo we keep (core/chat_photos.py says why, and the kind of
    thing it was for says how to add one still)."""
    from core.chat_photos import refusal_words
    title, body, why = refusal_words(params)
    return NoticeText(title=title, body=body, where=params.get("reference", ""), detail=why)
