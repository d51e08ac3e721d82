"""The words of votes, for every door: matters, states, choices, and the notices residents receive."""
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from core.times import format_moment, to_beijing
from notices.texts import NoticeText, notice_kind

MATTERS = {
    "procedure_rules": _l("Rules of procedure of the owners' assembly"),
    "management_covenant": _l("Management covenant"),
    "owners_committee": _l("Electing or changing the owners' committee"),
    "property_manager": _l("Hiring or dismissing the property manager"),
    "use_maintenance_fund": _l("Using the maintenance fund"),
    "raise_maintenance_fund": _l("Raising the maintenance fund"),
    "rebuild": _l("Rebuilding or renovating buildings and facilities"),
    "change_common_use": _l("Changing the use of common parts"),
    "other_major": _l("Other major matters of common ownership"),
    "renovation_willingness": _l("Willingness to renovate (threshold set by the county)"),
}
VOTE_STATES = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed"), "published": _l("published"),
               "archived": _l("archived")}
CHOICES = {"agree": _l("agree"), "disagree": _l("disagree"), "abstain": _l("abstain")}
CANVASS = {"pending": _l("not visited"), "visited": _l("visited"), "refused": _l("refused"),
           "collected": _l("ballot collected")}
ENTRY_STATES = {"pending": _l("awaiting confirmation"), "confirmed": _l("confirmed"), "mismatch": _l("mismatch"),
                "void": _l("void (never confirmed)"), "held": _l("held for review (code already entered)")}
# The order choices are offered in, everywhere: 1 agree, 2 disagree, 3 abstain.
CHOICE_ORDER = ("agree", "disagree", "abstain")


def choice_label(choice):
    """'同意' / 'agree' in the reader's language."""
    return str(CHOICES.get(choice, choice or ""))


def _deadline(params):
    return to_beijing(params["closes_at"]) if params.get("closes_at") else None


@notice_kind("vote_open", urgent=True)
def vote_open(params, notice):
    deadline = _deadline(params)
    when = format_moment(deadline, get_locale()) if deadline else ""
    return NoticeText(
        title=_("Vote open"), where=params.get("where", ""), when=deadline, detail=params.get("title", ""),
        urgent=True,
        body=_("%(title)s: the owners of %(where)s decide by vote. Voting is open until %(deadline)s. "
               "Reply 投票 (vote) here, or open the mini-program.", title=params.get("title", ""),
               where=params.get("where", ""), deadline=when))


@notice_kind("vote_reminder", urgent=True)
def vote_reminder(params, notice):
    deadline = _deadline(params)
    when = format_moment(deadline, get_locale()) if deadline else ""
    return NoticeText(
        title=_("Your vote is missing"), where=params.get("where", ""), when=deadline,
        detail=params.get("title", ""), urgent=True,
        body=_("%(title)s closes on %(deadline)s and your home has not voted yet. Reply 投票 (vote) to vote.",
               title=params.get("title", ""), deadline=when))


@notice_kind("vote_result")
def vote_result(params, notice):
    outcome = _("approved") if params.get("approved") else _("not approved")
    return NoticeText(
        title=_("Vote result"), where=params.get("where", ""), detail=f"{params.get('title', '')}：{outcome}",
        body=_("%(title)s: %(outcome)s. See the published result.", title=params.get("title", ""),
               outcome=outcome))
