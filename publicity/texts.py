"""The words of publicity: what is published, and what its notices say (a period opened for the residents in
scope, an answer to an objection)."""
from datetime import datetime

from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from notices.texts import NoticeText, notice_kind, scope_label, when_text

# What is published, in words (publicity.models.SUBJECTS).
SUBJECTS = {"vote_result": _l("vote result"), "plan": _l("compound plan"), "final_accounts": _l("final accounts")}
# Where a project's plan stands in its publicity, as the officials' ledger shows it.
PLAN_PUBLICITY = {"none": _l("not published"), "open": _l("running"), "unanswered": _l("objections unanswered"),
                  "ended": _l("ended")}


@notice_kind("publicity_open")
def publicity_open(params, notice):
    ends = datetime.fromisoformat(params["ends_at"]) if params.get("ends_at") else None
    locale = str(get_locale() or "zh_Hans_CN")
    return NoticeText(
        title=_("Public notice"), where=scope_label(notice.scope_kind, notice.scope_id), when=ends,
        detail=_("Reply 公示 to object"),
        body=_("%(title)s is published until %(deadline)s. Reply 公示 (publicity) to read it or to object.",
               title=params.get("title", ""), deadline=when_text(ends, locale) if ends else ""))


@notice_kind("objection_answer")
def objection_answer(params, notice):
    return NoticeText(title=_("Answer to your objection"), detail=params.get("answer", ""),
                      body=_("%(title)s, your objection %(reference)s: %(answer)s", title=params.get("title", ""),
                             reference=params.get("reference", ""), answer=params.get("answer", "")))
