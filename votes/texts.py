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


# Why a proxy lapsed, as the committee reads it (votes.services.lapse_proxy): the owner who signed no longer owns the
# flat, or what ended the proxy's own standing as a verified owner of the compound (the change's cause). A deletion
# is told as "standing": whether the proxy used their right to have their data deleted is none of the committee's
# business (PIPL).
PROXY_LAPSE_REASONS = {
    "signer_left": _l("the owner who signed the authorisation is no longer on the owners' roll for this home"),
    "unbinding": _l("the proxy unlinked their WeChat"),
    "binding": _l("the proxy's WeChat was linked anew, no longer as a verified owner of this compound"),
    "roll": _l("the owners' roll no longer lists the proxy as an owner in this compound"),
    "standing": _l("the proxy is no longer a verified owner of this compound"),
}


def lapse_reason(signer_left, cause):
    """The key of PROXY_LAPSE_REASONS for a lapse: the signer first, as the owners and the proxy are told."""
    if signer_left:
        return "signer_left"
    return cause if cause in PROXY_LAPSE_REASONS else "standing"


@notice_kind("staff_proxy_lapsed")
def staff_proxy_lapsed(params, notice):
    """To the committee: a proxy lapsed; which vote and flat, why, until when, and what to do if an owner asks. To
    the staff above a community with no active committee member (`no_committee_in`): that nobody there can."""
    deadline = _deadline(params)
    words = {"title": params.get("title", ""), "home": params.get("home", ""),
             "reason": PROXY_LAPSE_REASONS.get(params.get("reason"), PROXY_LAPSE_REASONS["standing"])}
    if deadline:
        words["deadline"] = format_moment(deadline, get_locale())
    community = params.get("no_committee_in")
    if community and deadline:
        body = _("\u201c%(title)s\u201d: the proxy for %(home)s can no longer vote: %(reason)s. Voting closes "
                 "%(deadline)s. No committee member of %(community)s is active to register a new proxy if an owner "
                 "of this home asks: please have the administrator set up the committee's accounts.",
                 community=community, **words)
    elif community:
        body = _("\u201c%(title)s\u201d: the proxy for %(home)s can no longer vote: %(reason)s. No committee member "
                 "of %(community)s is active to register a new proxy if an owner of this home asks: please have the "
                 "administrator set up the committee's accounts.", community=community, **words)
    elif deadline:
        body = _("\u201c%(title)s\u201d: the proxy for %(home)s can no longer vote: %(reason)s. Voting closes "
                 "%(deadline)s. If an owner of this home asks, register a new proxy from their signed "
                 "authorisation; a second staff member confirms it.", **words)
    else:
        body = _("\u201c%(title)s\u201d: the proxy for %(home)s can no longer vote: %(reason)s. If an owner of this "
                 "home asks, register a new proxy from their signed authorisation; a second staff member confirms "
                 "it.", **words)
    compound, home, title = params.get("compound", ""), params.get("home", ""), params.get("title", "")
    where = " ".join(part for part in (compound, home) if part)
    headline = _("Proxy vote lapsed")
    # A push's two 20-character fields name the flat, the compound and the vote, with the headline as short as room
    # needs (English words are long); why, and what to do, are in the full text behind its link.
    short = _("Proxy lapsed")
    layouts = tuple(pair for head in (headline, short) for pair in (
        (f"{head}：{home}", f"{compound} {title}"), (f"{head}：{where}", title), (where, f"{head}：{title}"))) + (
        (f"{short}：{home}", title),)  # a long compound's name goes first; the last, cut if it must be, keeps the flat
    return NoticeText(title=headline, where=where, when=deadline, detail=title, urgent=deadline is not None,
                      body=body, layouts=layouts)
