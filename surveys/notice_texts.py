"""What residents are told about surveys: the opening notice and the reminder."""
from flask_babel import get_locale, gettext as _

from core.times import format_moment, to_beijing
from notices.texts import NoticeText, notice_kind, scope_label


def _closing(params):
    return to_beijing(params["closes_at"]) if params.get("closes_at") else None


@notice_kind("survey_open")
def survey_open_notice(params, notice):
    deadline = _closing(params)
    body = _("%(title)s: please tell us what you think (reply 问卷 or open the mini-program).",
             title=params.get("title", ""))
    if deadline:
        body += " " + _("Open until %(deadline)s.", deadline=format_moment(deadline, get_locale()))
    return NoticeText(title=_("New survey"), where=params.get("where") or scope_label(notice.scope_kind,
                                                                                      notice.scope_id),
                      when=deadline, detail=params.get("title", ""), body=body)


@notice_kind("survey_reminder")
def survey_reminder_notice(params, notice):
    deadline = _closing(params)
    if deadline is None:
        body = _("%(title)s closes soon. Reply 问卷 (survey) to answer.", title=params.get("title", ""))
    else:
        body = _("%(title)s closes on %(deadline)s and you have not answered yet. Reply 问卷 (survey) to answer.",
                 title=params.get("title", ""), deadline=format_moment(deadline, get_locale()))
    return NoticeText(title=_("Your answers are missing"), when=deadline, detail=params.get("title", ""), body=body)
