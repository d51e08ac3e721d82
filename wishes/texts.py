"""The words of wishes, for every door: states, the steps of a wish's story, and their notices."""
from flask_babel import gettext as _, lazy_gettext as _l

from notices.texts import NoticeText, notice_kind

WISH_STATES = {"submitted": _l("received"), "classified": _l("being handled"), "answered": _l("answered"),
               "merged": _l("merged with a similar wish")}


def status_label(status):
    """A wish's status in the reader's language."""
    return str(WISH_STATES.get(status, status or ""))


@notice_kind("wish_answer")
def wish_answer(params, notice):
    return NoticeText(title=_("Answer to your wish"), detail=params.get("answer", ""),
                      body=_("The committee answered your wish %(reference)s: %(answer)s",
                             reference=params.get("reference", ""), answer=params.get("answer", "")))
