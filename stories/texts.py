"""The words of a wish's story, and the notice that tells its author of a new step."""
from flask_babel import force_locale, gettext as _

from core.times import format_day, format_moment
from notices.texts import NoticeText, notice_kind


def step_line(step, locale="zh_Hans_CN"):
    """One step as its author reads it."""
    kind = step["kind"] if isinstance(step, dict) else step.kind
    params = (step.get("params") if isinstance(step, dict) else step.params) or {}
    at = step.get("at") if isinstance(step, dict) else step.at
    with force_locale(locale or "zh_Hans_CN"):
        day = format_day(at, locale) if at else ""
        if kind == "merged":
            return _("Joined with the similar wish %(reference)s, which is handled for both.", **params)
        if kind == "answered":
            return _("The committee answered on %(day)s.", day=day)
        if kind == "survey":
            return _("Asked in the survey 「%(title)s」 (%(day)s).", title=params.get("title", ""), day=day)
        if kind == "vote":
            if params.get("open"):
                return _("Being decided in the vote 「%(title)s」, open until %(deadline)s.",
                         title=params.get("title", ""), deadline=format_moment(params.get("closes_at"), locale))
            outcome = (_("approved") if params.get("approved") else _("not approved")
                       if params.get("approved") is not None else _("counted"))
            return _("Decided in the vote 「%(title)s」: %(outcome)s.", title=params.get("title", ""),
                     outcome=outcome)
        if kind == "item":
            return _("Built in 「%(project)s」 as the item %(item)s (%(progress)s%% done).",
                     project=params.get("project", ""), item=params.get("item", ""),
                     progress=params.get("progress", 0))
        if kind == "accepted":
            return _("The works were accepted on %(day)s.", day=day)
        return ""


@notice_kind("wish_step")
def wish_step(params, notice):
    from flask_babel import get_locale
    line = step_line(params.get("step") or {}, str(get_locale()))
    return NoticeText(title=_("Your wish %(reference)s", reference=params.get("reference", "")), detail=line,
                      body=line + " " + _("Reply 我的诉求 (my wishes) to see its whole story."))
