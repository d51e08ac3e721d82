"""Translated names of the codes the domain stores (matters, states, stages, choices, roles)."""
from flask_babel import lazy_gettext as _l

from core.scopes import LABELS
from notices.texts import CHANNELS, DELIVERY_STATES, NOTICE_PRIORITIES  # noqa: F401
from projects.texts import FUNDING, REPORT_STATES, STAGES  # noqa: F401 - the domains' own words
from publicity.texts import PLAN_PUBLICITY  # noqa: F401
from surveys.texts import SURVEY_STATES  # noqa: F401
from votes.texts import CANVASS, CHOICES, ENTRY_STATES, MATTERS, VOTE_STATES  # noqa: F401
from wishes.texts import WISH_STATES  # noqa: F401

SCOPES = LABELS
ROLES = {"committee": _l("neighbourhood committee"), "street": _l("street office"), "county": _l("county"),
         "city": _l("city"), "province": _l("province"), "admin": _l("administrator")}
LEVELS = {"province": _l("province"), "city": _l("city"), "county": _l("county"), "street": _l("street"),
          "community": _l("community")}
COMPOUND_STATES = {"registered": _l("registered"), "reserve": _l("reserve"), "planned": _l("planned"),
                   "renovating": _l("renovating"), "completed": _l("completed"), "excluded": _l("excluded")}


def label(table, code):
    """The translated name of `code`, or the code itself when unknown (translated once per request: long
    tables name the same few codes hundreds of times)."""
    if code is None:
        return ""
    from flask import g, has_request_context
    from flask_babel import get_locale
    if not has_request_context():
        return str(table.get(code, code))
    cache = g.setdefault("_labels", {})
    key = (id(table), code, str(get_locale()))
    if key not in cache:
        cache[key] = str(table.get(code, code))
    return cache[key]


def namer(table):
    """A function from a code to its translated name, as label() gives it, with the table translated once: a long
    table names the same few codes on every row."""
    names = {code: str(name) for code, name in table.items()}
    return lambda code: "" if code is None else names.get(code, code)
