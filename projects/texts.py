"""The words of renovation projects, for every door: stages, reports, funding, and their notices."""
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from core.times import format_moment, to_beijing
from notices.texts import NoticeText, notice_kind, scope_label

# An owners' committee election's states, as staff and residents read them.
ELECTION_STATES = {"nominating": _l("taking nominations"), "open": _l("voting"), "closed": _l("counted")}
STAGES = {"reserve": _l("project reserve"), "planned": _l("annual plan"), "design": _l("design with residents"),
          "publicity": _l("public notice of the plan"), "approval": _l("approval"),
          "construction": _l("construction"), "acceptance": _l("acceptance"), "handover": _l("handover"),
          "management": _l("long-term management")}
REPORT_STATES = {"new": _l("new"), "triaged": _l("triaged"), "assigned": _l("assigned"), "resolved": _l("resolved")}
FUNDING = {"central_subsidy": _l("central subsidy"), "provincial_subsidy": _l("provincial subsidy"),
           "city_county": _l("city and county budgets"), "special_bond": _l("special bonds"),
           "resident_cash": _l("residents' contributions"), "maintenance_fund": _l("maintenance fund"),
           "provident_fund": _l("housing provident fund"), "shared_income": _l("income from common parts"),
           "employer_unit": _l("original work units"), "utility_company": _l("utility companies"),
           "social_capital": _l("social capital"), "bank_credit": _l("bank credit"), "other": _l("other")}


def stage_label(stage):
    """A project stage in the reader's language."""
    return str(STAGES.get(stage, stage or ""))


def _where(params, notice):
    return params.get("where") or scope_label(notice.scope_kind, notice.scope_id)


@notice_kind("stage_change")
def stage_change(params, notice):
    stage = stage_label(params.get("stage"))
    return NoticeText(title=_("Renovation progress"), where=_where(params, notice), detail=stage,
                      body=_("%(project)s has moved to: %(stage)s", project=params.get("project", ""), stage=stage))


@notice_kind("milestone")
def milestone(params, notice):
    return NoticeText(title=_("Renovation progress"), where=_where(params, notice), detail=params.get("title", ""),
                      body=_("%(project)s: %(title)s", project=params.get("project", ""),
                             title=params.get("title", "")))


@notice_kind("acceptance_invite")
def acceptance_invite(params, notice):
    return NoticeText(title=_("Acceptance of the works"), where=_where(params, notice),
                      detail=_("Please give your view"),
                      body=_("%(project)s is ready for acceptance. Please look at the works and give your view in "
                             "the mini-program.", project=params.get("project", "")))


@notice_kind("report_answer")
def report_answer(params, notice):
    return NoticeText(title=_("Answer to your report"), detail=params.get("answer", ""),
                      body=_("Your report %(reference)s: %(answer)s", reference=params.get("reference", ""),
                             answer=params.get("answer", "")))


@notice_kind("election_open")
def election_open(params, notice):
    deadline = to_beijing(params["closes_at"]) if params.get("closes_at") else None
    when = format_moment(deadline, get_locale()) if deadline else ""
    return NoticeText(
        title=_("Owners' committee election"), where=params.get("where", ""), when=deadline,
        detail=params.get("title", ""), urgent=True,
        body=_("%(title)s: %(candidates)s candidates for %(seats)s seats. Voting is open until %(deadline)s. "
               "Reply 选举 (election) here, or open the mini-program.", title=params.get("title", ""),
               candidates=params.get("candidates", ""), seats=params.get("seats", ""), deadline=when))


# alerts to staff (their panel inbox and, when linked, their WeChat) ------------------------------------------
@notice_kind("staff_stage_overdue")
def staff_stage_overdue(params, notice):
    stage = stage_label(params.get("stage"))
    return NoticeText(title=_("Stage overdue"), where=params.get("project", ""), detail=stage, urgent=True,
                      body=_("%(project)s: the stage %(stage)s should have ended on %(day)s and has not. Please "
                             "follow it up on the project's works page.", project=params.get("project", ""),
                             stage=stage, day=params.get("planned_end", "")))


@notice_kind("staff_finding_open")
def staff_finding_open(params, notice):
    found = to_beijing(params["found_at"]) if params.get("found_at") else None
    return NoticeText(title=_("Inspection finding open"), where=params.get("project", ""),
                      detail=params.get("text", ""), urgent=True,
                      body=_("%(project)s: a finding from %(when)s is still open: %(text)s. It closes only with "
                             "evidence of the fix.", project=params.get("project", ""), text=params.get("text", ""),
                             when=format_moment(found, get_locale()) if found else ""))


@notice_kind("staff_report_escalated")
def staff_report_escalated(params, notice):
    """To the staff who answer for the level a report was passed up to: it is theirs to answer by the new deadline.
    Staff standing in for a level with no active staff (`no_staff_in`) are told so; a county standing in for its
    street hears of the report again when it formally reaches the county, the last level, with a new deadline."""
    due = to_beijing(params["due_at"]) if params.get("due_at") else None
    words = {"reference": params.get("reference", ""), "compound": params.get("compound", ""),
             "deadline": format_moment(due, get_locale()) if due else "", "text": params.get("text", "")}
    unstaffed = params.get("no_staff_in")
    title = _("Report passed to you")
    if params.get("level") == "county" and unstaffed:
        body = _("%(reference)s from %(compound)s was still not answered when its time at the street level ran out "
                 "and went up to %(region)s, where no staff member is active: you answer for it. Please answer by "
                 "%(deadline)s; it goes no higher: %(text)s", region=unstaffed, **words)
    elif params.get("level") == "county":
        title = _("Report up to the county")
        body = _("%(reference)s from %(compound)s was still not answered when its time at the street level ran out "
                 "and now rests with the county housing department, the last level: please answer by %(deadline)s. "
                 "The resident was told the county follows it up: %(text)s", **words)
    elif unstaffed:
        body = _("%(reference)s from %(compound)s was not answered in time by the committee and went up to "
                 "%(region)s, where no staff member is active: you answer for it. Please answer by %(deadline)s, or "
                 "it goes up to the county housing department: %(text)s", region=unstaffed, **words)
    else:
        body = _("%(reference)s from %(compound)s was not answered in time and is now yours to answer by "
                 "%(deadline)s: %(text)s", **words)
    return NoticeText(title=title, where=params.get("compound", ""), when=due, detail=params.get("reference", ""),
                      urgent=True, body=body)


@notice_kind("staff_warranty_defect")
def staff_warranty_defect(params, notice):
    return NoticeText(title=_("Warranty defect reported"), where=params.get("project", ""),
                      detail=params.get("reference", ""), urgent=True,
                      body=_("%(project)s: a resident reports %(reference)s during the warranty: %(text)s. Please "
                             "forward the contractor's page to %(contractor)s: %(link)s",
                             project=params.get("project", ""), reference=params.get("reference", ""),
                             text=params.get("text", ""), contractor=params.get("contractor") or _("the contractor"),
                             link=params.get("link", "")))


@notice_kind("staff_defect_rectified")
def staff_defect_rectified(params, notice):
    return NoticeText(title=_("Defect repaired: please check"), where=params.get("project", ""),
                      detail=params.get("reference", ""),
                      body=_("%(project)s: the contractor reports %(reference)s repaired (%(text)s); the evidence is "
                             "at %(link)s. Please re-inspect it on the project's works page.",
                             project=params.get("project", ""),
                             reference=params.get("reference", ""), text=params.get("text", ""),
                             link=params.get("link", "")))
