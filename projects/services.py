"""Project services: officials keep the record, residents see it and take part."""

from sqlalchemy import bindparam, func, select

from core import audit
from core.auth import authorize, compounds_in_scope, get_in_region, kept_in_region
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation, field_error
from core.extensions import db
from core.models import CatalogueItem, Compound, Region, beijing_today, utcnow
from core.chat_photos import only_from_chat, request_chat_photos, stored_names
from core.registry import compound_of_dwelling
from core.uploads import link_uploads
from notices.services import queue_direct_message, queue_scoped_notice
from projects import files as _files  # noqa: F401 - who may see the photos
from projects import rules, texts as _texts  # noqa: F401 - texts: registers the notice texts
from projects.models import (FUNDING_SOURCES, AcceptanceView, Funding, ManagementChoice, Milestone, Project,
                             ProjectItem, SiteReport, StageRecord, project_compounds)

RESERVE_LEVELS = ("county", "city", "province")


def _start_satisfaction(project):
    from surveys.services import start_satisfaction
    start_satisfaction(project)


def _start_management_survey(project):
    from projects.care import start_management_survey
    start_management_survey(project)


# Called with the project when it is handed over after the joint acceptance: the satisfaction survey and
# the long-term management survey start.
ACCEPTANCE_HOOKS = [_start_satisfaction, _start_management_survey]


def _rule(field, call, *args):
    try:
        return call(*args)
    except RuleViolation as fault:
        raise InvalidInput([{"field": field, "key": fault.key, "params": fault.params}]) from None


def get_project(staff, project_id, action="projects.read"):
    """A project in the staff member's region (NotFound otherwise)."""
    return get_in_region(staff, Project, project_id, action)


def list_projects(staff):
    """Projects in the staff member's region."""
    authorize(staff, "projects.read")
    return kept_in_region(staff, Project).order_by(Project.id).all()


def create_project(staff, name, compound_ids, reserve_level="county", plan_year=None):
    """A project over one or several compounds, all in the staff member's region."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise field_error("name", "error.field_required")
    if reserve_level not in RESERVE_LEVELS:
        raise field_error("reserve_level", "error.invalid")
    if not compound_ids:
        raise field_error("compound_ids", "error.field_required")
    compounds = compounds_in_scope(staff).filter(Compound.id.in_(compound_ids)).all()
    if len(compounds) != len(set(compound_ids)):
        raise NotFound()
    excluded = [c for c in compounds if c.demolition]
    if excluded:
        raise Conflict("project.demolition", compound=excluded[0].name)
    # The project belongs to the lowest region that holds all its compounds.
    paths = [c.community.path for c in compounds]
    common = paths[0]
    while not all(p.startswith(common) for p in paths):
        common = common[:common.rstrip("/").rfind("/") + 1]
    region = Region.query.filter_by(path=common).one()
    authorize(staff, "projects.create" if region.level != "community" else "projects.edit", region)
    project = Project(name=name, reserve_level=reserve_level, plan_year=plan_year, region=region,
                      compounds=compounds, stage="reserve")
    db.session.add(project)
    db.session.flush()
    db.session.add(StageRecord(project_id=project.id, stage="reserve", actual_start=beijing_today()))
    audit.record(staff, "project.create", "project", project.id, region.id,
                 after={"name": name, "compounds": [c.id for c in compounds]})
    db.session.flush()
    return project


def update_project(staff, project_id, **changes):
    """Change the name, reserve level or plan year."""
    project = get_project(staff, project_id, "projects.edit")
    if "reserve_level" in changes and changes["reserve_level"] not in RESERVE_LEVELS:
        raise field_error("reserve_level", "error.invalid")
    before = {k: getattr(project, k) for k in changes}
    for key, value in changes.items():
        setattr(project, key, value.strip() if isinstance(value, str) else value)
    audit.record(staff, "project.update", "project", project.id, project.region_id, before=before, after=changes)
    db.session.flush()
    return project


def add_item(staff, project_id, catalogue_code, quantity=None, unit=None, budget=0):
    """Add an item of renovation content with its budget (fen)."""
    project = get_project(staff, project_id, "projects.edit")
    if not db.session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == catalogue_code)):
        raise field_error("catalogue_code", "wish.unknown_item")
    if not isinstance(budget, int) or budget < 0:
        raise field_error("budget", "project.bad_amount")
    item = ProjectItem(project_id=project.id, catalogue_code=catalogue_code, quantity=quantity, unit=unit,
                       budget=budget)
    db.session.add(item)
    db.session.flush()
    audit.record(staff, "project.item_add", "project", project.id, project.region_id,
                 after={"item": item.id, "code": catalogue_code, "budget": budget})
    return item


def set_progress(staff, project_id, item_id, progress):
    """Record an item's progress (0-100)."""
    project = get_project(staff, project_id, "projects.edit")
    item = db.session.get(ProjectItem, item_id)
    if item is None or item.project_id != project.id:
        raise NotFound()
    _rule("progress", rules.check_progress, progress)
    before = item.progress
    item.progress = progress
    audit.record(staff, "project.progress", "project_item", item.id, project.region_id,
                 before={"progress": before}, after={"progress": progress})
    db.session.flush()
    return item


def progress_of(project):
    """The project's progress in whole percent (rounded down), weighted by budget."""
    value = rules.rolled_up_progress([rules.ItemProgress(i.budget, i.progress) for i in project.items])
    return int(value)


# Each project's item totals, summed where they are kept (built once: see core.accounts.PLACE_OF).
_ITEM_TOTALS = (select(ProjectItem.project_id, func.count(ProjectItem.id), func.coalesce(func.sum(ProjectItem.budget), 0),
                       func.coalesce(func.sum(ProjectItem.budget * ProjectItem.progress), 0),
                       func.coalesce(func.sum(ProjectItem.progress), 0))
                .where(ProjectItem.project_id.in_(bindparam("projects", expanding=True)))
                .group_by(ProjectItem.project_id))


def progress_by_project(project_ids):
    """{project id: progress_of(project)} of several projects, in one query (a project without items: 0)."""
    ids = sorted(set(project_ids))
    found = {pid: int(rules.progress_from_totals(count, int(budget), int(weighted), int(plain)))
             for pid, count, budget, weighted, plain in db.session.execute(_ITEM_TOTALS, {"projects": ids})} \
        if ids else {}
    return {pid: found.get(pid, 0) for pid in ids}


# What a resident's 进度 says besides the project itself: its progress, when the next stage is planned to start,
# and how the compound is managed after the renovation (the owners' latest approved choice), in one statement.
_RESIDENT_PROGRESS = select(
    select(func.count(ProjectItem.id)).where(ProjectItem.project_id == bindparam("project")).scalar_subquery(),
    select(func.coalesce(func.sum(ProjectItem.budget), 0)).where(
        ProjectItem.project_id == bindparam("project")).scalar_subquery(),
    select(func.coalesce(func.sum(ProjectItem.budget * ProjectItem.progress), 0)).where(
        ProjectItem.project_id == bindparam("project")).scalar_subquery(),
    select(func.coalesce(func.sum(ProjectItem.progress), 0)).where(
        ProjectItem.project_id == bindparam("project")).scalar_subquery(),
    select(StageRecord.planned_start).where(StageRecord.project_id == bindparam("project"),
                                            StageRecord.stage == bindparam("following")).scalar_subquery(),
    select(ManagementChoice.mode).where(ManagementChoice.compound_id == bindparam("compound"),
                                        ManagementChoice.outcome == "approved")
    .order_by(ManagementChoice.decided_at.desc(), ManagementChoice.vote_id.desc()).limit(1).scalar_subquery())


def resident_progress(project, following, compound_id):
    """(progress in whole percent as progress_of gives it, planned start of the stage `following` or None, the
    compound's management mode as care.management_mode_of gives it or None) of a resident's project, in one
    statement, without loading its items or stages."""
    count, budget, weighted, plain, planned, mode = db.session.execute(
        _RESIDENT_PROGRESS, {"project": project.id, "following": following, "compound": compound_id}).one()
    return int(rules.progress_from_totals(count, int(budget), int(weighted), int(plain))), planned, mode


def plan_stage(staff, project_id, stage, planned_start, planned_end):
    """Set a stage's planned dates."""
    project = get_project(staff, project_id, "projects.edit")
    if stage not in rules.STAGES:
        raise field_error("stage", "project.unknown_stage", stage=stage)
    _rule("planned_end", rules.check_dates, planned_start, planned_end)
    record = StageRecord.query.filter_by(project_id=project.id, stage=stage).first()
    if record is None:
        record = StageRecord(project_id=project.id, stage=stage)
        db.session.add(record)
    before = {"start": str(record.planned_start), "end": str(record.planned_end)}
    record.planned_start, record.planned_end = planned_start, planned_end
    audit.record(staff, "project.plan_stage", "project", project.id, project.region_id, before=before,
                 after={"stage": stage, "start": str(planned_start), "end": str(planned_end)})
    db.session.flush()
    return record


def _notify_compounds(project, kind, params, staff=None):
    for compound in project.compounds:
        queue_scoped_notice("compound", compound.id, kind, dict(params, project=project.name),
                            created_by=staff.id if staff else None, region_id=compound.community_id)


def advance_stage(staff, project_id, target, reason=None, on=None):
    """Move the project to a later stage (skipping needs a reason); residents are told."""
    project = get_project(staff, project_id, "projects.edit")
    if target == "handover":
        raise Conflict("project.needs_acceptance")
    skipped = _rule("stage", rules.check_transition, project.stage, target, reason)
    from projects.consent import check_gate
    check_gate(project, target)  # works start only after consent and the plan's publicity
    today = on or beijing_today()
    current = StageRecord.query.filter_by(project_id=project.id, stage=project.stage).first()
    if current is not None and current.actual_end is None:
        current.actual_end = today
    for stage in skipped:
        db.session.add(StageRecord(project_id=project.id, stage=stage, skip_reason=reason))
    record = StageRecord.query.filter_by(project_id=project.id, stage=target).first()
    if record is None:
        record = StageRecord(project_id=project.id, stage=target)
        db.session.add(record)
    record.actual_start = today
    before = project.stage
    project.stage = target
    audit.record(staff, "project.stage", "project", project.id, project.region_id, before={"stage": before},
                 after={"stage": target, "skipped": list(skipped), "reason": reason})
    _notify_compounds(project, "acceptance_invite" if target == "acceptance" else "stage_change",
                      {"stage": target}, staff)
    db.session.flush()
    return project


def add_milestone(staff, project_id, title, text="", photos=()):
    """Something happened on site; residents are told."""
    project = get_project(staff, project_id, "projects.edit")
    only_from_chat(photos)
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise field_error("title", "error.field_required")
    milestone = Milestone(project_id=project.id, title=title, text=(text or "")[:2000], photos=list(photos),
                          created_by=staff.id)
    db.session.add(milestone)
    db.session.flush()
    link_uploads(milestone.photos, "milestone", milestone.id)
    audit.record(staff, "project.milestone", "project", project.id, project.region_id, after={"title": title})
    _notify_compounds(project, "milestone", {"title": title}, staff)
    return milestone


def add_funding(staff, project_id, source, amount, note=None):
    """Record money from one source (fen)."""
    project = get_project(staff, project_id, "projects.edit")
    if source not in FUNDING_SOURCES:
        raise field_error("source", "error.invalid")
    if not isinstance(amount, int) or amount <= 0:
        raise field_error("amount", "project.bad_amount")
    if source == "maintenance_fund":
        _require_fund_vote(project)
    funding = Funding(project_id=project.id, source=source, amount=amount, note=note)
    db.session.add(funding)
    db.session.flush()
    audit.record(staff, "project.funding", "project", project.id, project.region_id,
                 after={"source": source, "amount": amount})
    return funding


def _require_fund_vote(project):
    """Maintenance-fund money for a project only where the owners of every home it covers approved using the fund
    (art. 278(5)); Conflict naming how many homes no approved vote covers."""
    from contributions.services import FUND_MATTER
    from core.scopes import dwellings_in
    from votes.outcomes import uncovered_by_approved
    homes = set()
    for compound in project.compounds:
        homes |= set(db.session.scalars(dwellings_in("compound", compound.id)))
    missing = uncovered_by_approved(FUND_MATTER, homes)
    if missing or not homes:
        raise Conflict("project.fund_vote_missing", count=len(missing))


def funding_summary(project):
    """{source: fen} of money in hand: recorded funding, and residents' money once received (a pledge is
    not money in hand: see contributions.services.project_totals)."""
    from contributions.services import project_totals
    rows = db.session.execute(select(Funding.source, func.sum(Funding.amount)).where(
        Funding.project_id == project.id).group_by(Funding.source)).all()
    summary = {source: int(total) for source, total in rows}
    received = project_totals(project.id)["received"]
    if received:
        summary["resident_received"] = received
    return summary


# residents -----------------------------------------------------------------------------------------
# The latest project covering a compound (built once: see core.accounts.PLACE_OF).
LATEST_PROJECT = (select(Project).join(project_compounds).where(project_compounds.c.compound_id == bindparam("compound"))
                  .order_by(Project.id.desc()).limit(1))


def project_for_resident(account, compound_id=None):
    """The latest project covering the resident's compound (NotFound when none); `compound_id`: their compound's,
    when the caller has it already."""
    if account.dwelling_id is None:
        raise Forbidden("bind.required")
    compound_id = compound_id or compound_of_dwelling(account.dwelling_id).id
    project = db.session.scalars(LATEST_PROJECT, {"compound": compound_id}).first()
    if project is None:
        raise NotFound("project.none")
    return project


def timeline(account):
    """What a resident sees: stages, items with progress, funding by source, milestones."""
    project = project_for_resident(account)
    from surveys.services import satisfaction_of, satisfaction_rates_of
    index = satisfaction_of(project.id)
    from contributions.services import project_totals
    totals = project_totals(project.id)
    rates = satisfaction_rates_of(project.id)

    def percent(value):
        return None if value is None else round(value.numerator * 100 / value.denominator, 1)
    return {"project": project, "progress": progress_of(project), "funding": funding_summary(project),
            "contributions": {"pledged": totals["pledged"], "received": totals["received"]},
            "satisfaction": percent(index),
            "satisfaction_rate": percent(rates.satisfaction_rate) if rates else None,
            "response_rate": percent(rates.response_rate) if rates else None,
            "milestones": Milestone.query.filter_by(project_id=project.id).order_by(Milestone.at.desc()).all(),
            "management": _management(account)}


def _management(account):
    """The resident's compound's management mode as its owners chose it by vote (None: not decided yet)."""
    from projects.care import management_mode_of, mode_label
    chosen = management_mode_of(compound_of_dwelling(account.dwelling_id).id)
    if chosen is None:
        return None
    mode, decided_at, vote_id = chosen
    return {"mode": mode, "label": mode_label(mode), "decided_at": decided_at, "vote_id": vote_id}


def report_problem(account, text, kind="report", photos=(), latitude=None, longitude=None, channel="miniprogram"):
    """A resident reports a problem on site (or a dispute) for their compound (`channel`: miniprogram | bot)."""
    if account.dwelling_id is None:
        raise Forbidden("bind.required")
    only_from_chat(photos, channel)
    text = (text or "").strip()
    if not text or len(text) > 1000:
        raise field_error("text", "wish.empty" if not text else "wish.too_long", limit=1000)
    if kind not in ("report", "dispute"):
        raise field_error("kind", "error.invalid")
    compound_id = compound_of_dwelling(account.dwelling_id).id
    project = (Project.query.join(project_compounds).filter(project_compounds.c.compound_id == compound_id)
               .order_by(Project.id.desc()).first())
    report = SiteReport(project_id=project.id if project else None, compound_id=compound_id, account_id=account.id,
                        kind=kind, text=text, photos=stored_names(photos), latitude=latitude, longitude=longitude)
    db.session.add(report)
    db.session.flush()
    link_uploads(report.photos, "site_report", report.id)
    request_chat_photos("site_report", report.id, account.id, photos)  # sent in chat: fetched by a worker
    from projects.works import start_deadline
    start_deadline(report)
    return report


def my_reports(account):
    return SiteReport.query.filter_by(account_id=account.id).order_by(SiteReport.id.desc()).all()


def reports_in_scope(staff, status=None):
    authorize(staff, "projects.read")
    scope = compounds_in_scope(staff).with_entities(Compound.id)
    query = SiteReport.query.filter(SiteReport.compound_id.in_(scope))
    if status:
        query = query.filter(SiteReport.status == status)
    return query.order_by(SiteReport.id.desc()).limit(500).all()


def project_reports(project, limit=100):
    """The latest on-site reports of a project's compounds, newest first, with {report id: escalation}."""
    from projects.models import ReportEscalation, SiteReport
    compound_ids = [c.id for c in project.compounds]
    reports = SiteReport.query.filter(SiteReport.compound_id.in_(compound_ids)).order_by(
        SiteReport.id.desc()).limit(limit).all() if compound_ids else []
    escalations = {e.report_id: e for e in ReportEscalation.query.filter(
        ReportEscalation.report_id.in_([r.id for r in reports] or [0]))}
    return reports, escalations


def report_of_project(staff, project_id, report_id):
    """The id of a report (as a form sends it) of one of the project's compounds; NotFound otherwise."""
    from projects.models import SiteReport
    from core.ids import row_id
    report = db.session.get(SiteReport, row_id(report_id)) if row_id(report_id) else None
    project = get_project(staff, project_id)
    if report is None or report.compound_id not in {c.id for c in project.compounds}:
        raise NotFound()
    return report.id


def milestones_of(project):
    """A project's milestones, the latest recorded first."""
    return Milestone.query.filter_by(project_id=project.id).order_by(Milestone.id.desc()).all()


REPORT_FLOW = {"new": {"triaged", "assigned", "resolved"}, "triaged": {"assigned", "resolved"},
               "assigned": {"resolved"}, "resolved": set()}


def locked_report(report_id):
    """The report as it stands, its row locked until the transaction ends (FOR UPDATE on PostgreSQL), with its
    escalation read after the lock; None when there is none. Whoever changes a report's status or its
    escalation (handling, the reporter's verdict, escalation on time) takes the report's row first, and one
    report at a time or in the order of their ids: they wait for each other, and never deadlock."""
    return db.session.get(SiteReport, report_id, with_for_update=True, populate_existing=True)


def handle_report(staff, report_id, status, assignee=None, answer=None, outcome=None, priority=None):
    """Triage, assign or resolve a report; the reporter is told the answer."""
    report = locked_report(report_id)  # an escalation on time waits, and then finds it resolved
    if report is None:
        raise NotFound()
    compound = db.session.get(Compound, report.compound_id)
    from projects.works import authorize_report
    authorize_report(staff, report, compound)
    if status not in REPORT_FLOW.get(report.status, set()):
        raise Conflict("report.bad_transition", status=status)
    if status == "assigned" and not (assignee or "").strip():
        raise field_error("assignee", "error.field_required")
    if status == "resolved" and not (answer or "").strip():
        raise field_error("answer", "error.field_required")
    before = {"status": report.status}
    report.status = status
    report.assignee = assignee or report.assignee
    report.priority = priority or report.priority
    if status == "resolved":
        report.answer, report.outcome, report.resolved_at = answer.strip(), outcome, utcnow()
        queue_direct_message(report.account_id, "report_answer",
                             {"reference": f"R{report.id:06d}", "answer": report.answer}, created_by=staff.id)
    # at which level it was handled: the committee's, or one it was passed up to
    held_at = report.escalation.level if report.escalation is not None else None
    audit.record(staff, "report.handle", "site_report", report.id, compound.community_id, before=before,
                 after={"status": status, "assignee": report.assignee, "level": held_at})
    from projects.works import report_handled
    report_handled(report, status, staff)
    db.session.flush()
    return report


def record_view(account, verdict, text="", photos=()):
    """A resident's view at acceptance (one per resident; a later one replaces it)."""
    project = project_for_resident(account)
    if project.stage != "acceptance":
        raise Conflict("project.not_in_acceptance")
    if verdict not in ("accept", "problems"):
        raise field_error("verdict", "error.invalid")
    if verdict == "problems" and not (text or "").strip():
        raise field_error("text", "error.field_required")
    only_from_chat(photos)
    view = AcceptanceView.query.filter_by(project_id=project.id, account_id=account.id).first()
    if view is None:
        view = AcceptanceView(project_id=project.id, account_id=account.id)
        db.session.add(view)
    view.verdict, view.text, view.photos, view.at = verdict, (text or "")[:1000], list(photos), utcnow()
    db.session.flush()
    link_uploads(view.photos, "acceptance_view", view.id)
    return view


def acceptance_summary(project):
    rows = db.session.execute(select(AcceptanceView.verdict, func.count()).where(
        AcceptanceView.project_id == project.id).group_by(AcceptanceView.verdict)).all()
    return dict(rows)


def record_joint_acceptance(staff, project_id, note, participants=(), defects=()):
    """Staff record the joint acceptance with its participants (residents' representatives included) and
    the defects found; with no defect open the project is handed over at once, otherwise once each
    defect is closed or waived (hand_over)."""
    from projects import works
    project = get_project(staff, project_id, "projects.edit")
    if project.stage != "acceptance":
        raise Conflict("project.not_in_acceptance")
    if project.accepted_at is not None:
        raise Conflict("works.already_accepted")
    if not (note or "").strip():
        raise field_error("note", "error.field_required")
    record, found = works.record_acceptance(staff, project, note.strip(), participants, defects)
    project.accepted_at, project.accepted_by, project.acceptance_note = utcnow(), staff.id, note.strip()
    audit.record(staff, "project.accept", "project", project.id, project.region_id,
                 after={"note": note, "views": acceptance_summary(project), "participants": record.participants,
                        "defects": [d.id for d in found]})
    if not found:
        _hand_over(staff, project)
    db.session.flush()
    return project


def hand_over(staff, project_id):
    """Hand the works over once every defect of the acceptance is closed or waived with a reason."""
    from projects import works
    project = get_project(staff, project_id, "projects.edit")
    if project.stage != "acceptance" or project.accepted_at is None:
        raise Conflict("project.needs_acceptance")
    blockers = works.handover_blockers(project)
    if blockers:
        raise Conflict("works.defects_open", count=len(blockers))
    _hand_over(staff, project)
    db.session.flush()
    return project


def _hand_over(staff, project):
    current = StageRecord.query.filter_by(project_id=project.id, stage="acceptance").first()
    if current is not None:
        current.actual_end = beijing_today()
    db.session.add(StageRecord(project_id=project.id, stage="handover", actual_start=beijing_today()))
    project.stage = "handover"
    audit.record(staff, "project.handover", "project", project.id, project.region_id, after={"stage": "handover"})
    _notify_compounds(project, "stage_change", {"stage": "handover"}, staff)
    for hook in ACCEPTANCE_HOOKS:
        hook(project)


def overdue_stages(today=None):
    """Stages past their planned end without an actual end (for the daily check)."""
    today = today or beijing_today()
    return (StageRecord.query.join(Project).filter(StageRecord.planned_end < today,
                                                   StageRecord.actual_end.is_(None),
                                                   StageRecord.stage == Project.stage).all())
