"""The works residents can supervise: who answers for them, inspections and findings, report deadlines
and escalation, acceptance with a defect list, money spent and the final accounts."""
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, get_locale, gettext as _
from sqlalchemy import func, select

from core import audit
from core.accounts import lock_accounts
from core.auth import authorize, can
from core.chat_photos import only_from_chat
from core.decisions import pending_row
from core.errors import Conflict, Forbidden, NotFound, field_error
from core.extensions import db
from core.models import Compound, Region, WechatAccount, aware, beijing_today, utcnow
from core.times import BEIJING
from core.uploads import link_uploads
from notices.services import queue_direct_message
from projects import rules
from projects.models import (PARTY_ROLES, ChangeOrder, Defect, FinalAccount, Finding, Inspection,
                             JointAcceptance, Project, ProjectItem, ProjectParty, ReportEscalation,
                             ResidentSupervisor, SiteReport, Spending, StageRecord)
from projects.services import funding_summary, get_project, locked_report, project_for_resident

PARTICIPANT_ROLES = ("resident_rep", "committee", "street", "county", "implementing", "designer", "contractor",
                     "supervisor", "other")
INSPECTOR_KINDS = ("engineer", "official")


def local_when(moment):
    """A time as a notice board writes it, in Beijing time: 12月2日（周二）上午9:00."""
    local = aware(moment).astimezone(BEIJING)
    if str(get_locale()).startswith("en"):
        return local.strftime("%a %d %b, %H:%M")
    half = "上午" if local.hour < 12 else "下午"
    hour = local.hour if local.hour <= 12 else local.hour - 12
    return f"{local.month}月{local.day}日（周{'一二三四五六日'[local.weekday()]}）{half}{hour}:{local.minute:02d}"


def _text(field, value, limit):
    value = (value or "").strip()
    if not value:
        raise field_error(field, "error.field_required")
    if len(value) > limit:
        raise field_error(field, "wish.too_long", limit=limit)
    return value


def _tell(account_id, title, body, staff=None):
    """A message to one resident, written in their language now (the outbox delivers it as given)."""
    account = db.session.get(WechatAccount, account_id)
    with force_locale(account.locale if account else "zh_Hans_CN"):
        params = {"title": str(title()), "body": str(body())}
    return queue_direct_message(account_id, "works_message", params, created_by=staff.id if staff else None)


# who answers for the works ---------------------------------------------------------------------------
def set_party(staff, project_id, role, organisation, contact, phone):
    """Name the implementing body, designer, contractor or supervising engineer, with a contact."""
    project = get_project(staff, project_id, "projects.edit")
    if role not in PARTY_ROLES:
        raise field_error("role", "error.invalid")
    organisation = _text("organisation", organisation, 200)
    contact = _text("contact", contact, 100)
    phone = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == "-")
    if not 7 <= len(phone) <= 20:
        raise field_error("phone", "works.bad_phone")
    party = ProjectParty.query.filter_by(project_id=project.id, role=role).first()
    before = None if party is None else {"organisation": party.organisation, "contact": party.contact}
    if party is None:
        party = ProjectParty(project_id=project.id, role=role)
        db.session.add(party)
    party.organisation, party.contact, party.phone = organisation, contact, phone
    audit.record(staff, "project.party", "project", project.id, project.region_id, before=before,
                 after={"role": role, "organisation": organisation, "contact": contact})
    db.session.flush()
    return party


def parties_of(project):
    """The project's parties in the order residents read them."""
    rows = {p.role: p for p in ProjectParty.query.filter_by(project_id=project.id)}
    return [rows[r] for r in PARTY_ROLES if r in rows]


# resident supervisors -----------------------------------------------------------------------------------
def own_offer(project, account):
    """The resident's own offer to supervise this project's works (any status), or None."""
    return ResidentSupervisor.query.filter_by(project_id=project.id, account_id=account.id).first()


def volunteer_supervisor(account, name):
    """A resident offers to supervise their compound's works; the committee decides."""
    project = project_for_resident(account)
    name = _text("name", name, 100)
    row = own_offer(project, account)
    if row is not None and row.status != "rejected":
        raise Conflict("works.already_volunteered")
    if row is None:
        row = ResidentSupervisor(project_id=project.id, account_id=account.id)
        db.session.add(row)
    row.name, row.status = name, "pending"
    db.session.flush()
    return row


def decide_supervisor(staff, project_id, supervisor_id, approve):
    """The committee approves or turns down a volunteer; the resident is told."""
    project = get_project(staff, project_id, "projects.edit")
    row = pending_row(ResidentSupervisor, supervisor_id, "works.already_decided", state="status",
                      project_id=project.id)
    # The resident's account first, as their deletion does (standing_changes), before anything is written: a
    # deletion under way finishes first and the offer is read again as it left it (gone: NotFound); one that
    # starts later waits for this decision and takes the decided offer with the rest.
    lock_accounts([row.account_id])
    db.session.expire(row)
    row = pending_row(ResidentSupervisor, supervisor_id, "works.already_decided", state="status",
                      project_id=project.id)
    row.status, row.decided_by = ("approved" if approve else "rejected"), staff.id
    audit.record(staff, "project.supervisor", "project", project.id, project.region_id,
                 after={"supervisor": row.id, "status": row.status})
    if approve:
        _tell(row.account_id, lambda: _("Resident supervisor"),
              lambda: _("You are now a resident supervisor of %(project)s: you can file inspection notes with "
                        "photos and see every report.", project=project.name), staff)
    db.session.flush()
    return row


def supervisors_of(project):
    return ResidentSupervisor.query.filter_by(project_id=project.id).order_by(ResidentSupervisor.id).all()


def supervisor_for(account):
    """The resident's approved supervision of their compound's project (Forbidden otherwise)."""
    project = project_for_resident(account)
    row = ResidentSupervisor.query.filter_by(project_id=project.id, account_id=account.id,
                                             status="approved").first()
    if row is None:
        raise Forbidden("works.not_supervisor")
    return project, row


def supervised_reports(account):
    """Every report and dispute on the supervised project's compounds."""
    project, _row = supervisor_for(account)
    ids = [c.id for c in project.compounds]
    return SiteReport.query.filter(SiteReport.compound_id.in_(ids)).order_by(SiteReport.id.desc()).limit(500).all()


# inspections and findings -------------------------------------------------------------------------------
def _inspection(project, by_kind, inspector, note, findings, photos, staff=None, supervisor=None):
    only_from_chat(photos)
    note = (note or "").strip()[:2000]
    texts = [(f or "").strip() for f in findings or () if (f or "").strip()]
    if not note and not texts:
        raise field_error("note", "error.field_required")
    if any(len(t) > 1000 for t in texts):
        raise field_error("findings", "wish.too_long", limit=1000)
    inspection = Inspection(project_id=project.id, by_kind=by_kind, inspector=inspector, note=note,
                            photos=list(photos), staff_id=staff.id if staff else None,
                            supervisor_id=supervisor.id if supervisor else None)
    db.session.add(inspection)
    db.session.flush()
    link_uploads(inspection.photos, "inspection", inspection.id)
    for text in texts:
        db.session.add(Finding(inspection_id=inspection.id, project_id=project.id, text=text, photos=list(photos)))
    db.session.flush()
    return inspection


def record_inspection(staff, project_id, by_kind, inspector, note="", findings=(), photos=()):
    """Staff record an inspection by the supervising engineer or an official, with findings and photos."""
    project = get_project(staff, project_id, "projects.edit")
    if by_kind not in INSPECTOR_KINDS:
        raise field_error("by_kind", "error.invalid")
    inspector = _text("inspector", inspector or staff.name, 100)
    inspection = _inspection(project, by_kind, inspector, note, findings, photos, staff=staff)
    audit.record(staff, "project.inspection", "project", project.id, project.region_id,
                 after={"inspection": inspection.id, "by": by_kind, "findings": len(inspection.findings)})
    return inspection


def file_inspection_note(account, note="", findings=(), photos=()):
    """A resident supervisor files an inspection note with photos (and findings, if any)."""
    project, row = supervisor_for(account)
    inspection = _inspection(project, "supervisor", row.name, note, findings, photos, supervisor=row)
    audit.record(None, "project.inspection", "project", project.id, project.region_id,
                 after={"inspection": inspection.id, "by": "supervisor", "supervisor": row.id,
                        "findings": len(inspection.findings)})
    return inspection


def inspections_of(project):
    return Inspection.query.filter_by(project_id=project.id).order_by(Inspection.id.desc()).all()


def close_finding(staff, finding_id, evidence, photos=()):
    """A finding is closed only with evidence of what was done."""
    finding = db.session.get(Finding, finding_id)
    if finding is None:
        raise NotFound()
    project = get_project(staff, finding.project_id, "projects.edit")
    if finding.status != "open":
        raise Conflict("works.finding_closed")
    evidence = (evidence or "").strip()
    if not evidence:
        raise field_error("evidence", "works.evidence_required")
    only_from_chat(photos)
    finding.status, finding.evidence, finding.evidence_photos = "closed", evidence[:2000], list(photos)
    finding.closed_by, finding.closed_at = staff.id, utcnow()
    link_uploads(finding.evidence_photos, "finding", finding.id)
    audit.record(staff, "project.finding_close", "project", project.id, project.region_id,
                 after={"finding": finding.id, "evidence": finding.evidence, "photos": len(finding.evidence_photos)})
    db.session.flush()
    return finding


# what is late and open, for the committee's and officials' pages -------------------------------------
def _projects_under(region):
    query = select(Project.id)
    if region is None:  # every region (the daily job)
        return query
    return query.join(Region, Region.id == Project.region_id).where(
        Region.path.startswith(region.path, autoescape=True))


def overdue_stages_in(region, today=None):
    """(project, stage record) of current stages past their planned end, in the region."""
    today = today or beijing_today()
    rows = db.session.execute(
        select(Project, StageRecord).join(StageRecord, StageRecord.project_id == Project.id)
        .where(Project.id.in_(_projects_under(region)), StageRecord.planned_end < today,
               StageRecord.actual_end.is_(None), StageRecord.stage == Project.stage)
        .order_by(StageRecord.planned_end)).all()
    return [(p, s) for p, s in rows]


def open_findings_in(region):
    """(project, finding) of findings not yet closed, in the region, oldest first."""
    rows = db.session.execute(
        select(Project, Finding).join(Finding, Finding.project_id == Project.id)
        .where(Project.id.in_(_projects_under(region)), Finding.status == "open").order_by(Finding.id)).all()
    return [(p, f) for p, f in rows]


def push_to_staff(today=None):
    """Daily: each overdue stage and open finding is pushed to the staff who answer for the project's region
    (responsible_staff: its own, or the nearest staffed region above; their panel inbox, and WeChat for those who
    linked it) and written to the region's alert list (the audit log)."""
    from core.staff import responsible_staff
    from notices.staff import notify_staff
    today = today or beijing_today()
    for project, record in overdue_stages_in(None, today):
        audit.record(None, "works.alert", "project", project.id, project.region_id,
                     after={"kind": "stage_overdue", "stage": record.stage, "planned_end": str(record.planned_end),
                            "on": str(today)})
        notify_staff(responsible_staff(project.region_id), "staff_stage_overdue", {
            "project": project.name, "project_id": project.id, "stage": record.stage,
            "planned_end": str(record.planned_end)})
    for project, finding in open_findings_in(None):
        audit.record(None, "works.alert", "project", project.id, project.region_id,
                     after={"kind": "finding_open", "finding": finding.id, "on": str(today)})
        notify_staff(responsible_staff(project.region_id), "staff_finding_open", {
            "project": project.name, "project_id": project.id, "finding": finding.id,
            "text": finding.text[:200], "found_at": aware(finding.created_at).isoformat()})
    db.session.commit()


def _region_at(region_id, level):
    """The region of `level` at or above the given one (None when there is none)."""
    region = db.session.get(Region, region_id)
    while region is not None and region.level != level:
        region = region.parent
    return region


def alerts_for(staff, limit=50):
    """The latest alerts about projects in the staff member's region."""
    from core.models import AuditLog
    authorize(staff, "projects.read")
    return (AuditLog.query.join(Region, Region.id == AuditLog.region_id)
            .filter(AuditLog.action == "works.alert", Region.path.startswith(staff.region.path, autoescape=True))
            .order_by(AuditLog.id.desc()).limit(limit).all())


# report deadlines and escalation -------------------------------------------------------------------------
def _deadline(kind):
    return timedelta(hours=rules.deadline_hours(current_app.config["REPORT_DEADLINES"], kind))


def start_deadline(report):
    """A new report or dispute gets its response deadline by kind; the reporter is told when."""
    due = utcnow() + _deadline(report.kind)
    report.escalation = ReportEscalation(report_id=report.id, level="community", due_at=due,
                                         history=[{"level": "community", "at": utcnow().isoformat()}])
    db.session.flush()
    _tell(report.account_id, lambda: _("Report %(reference)s received", reference=f"R{report.id:06d}"),
          lambda: _("Answer by %(due)s", due=local_when(due)))
    return due


def report_handled(report, status, staff):
    """A report moved on: the reporter is told it is being handled; an answer stops the clock."""
    escalation = report.escalation
    if status == "resolved":
        if escalation is not None:
            escalation.answered_at = report.resolved_at
    elif status == "assigned":
        _tell(report.account_id, lambda: _("Report %(reference)s is being handled", reference=f"R{report.id:06d}"),
              lambda: _("Passed to %(assignee)s", assignee=report.assignee), staff)


def report_holders(report, compound=None, known=None):
    """The region that holds a report at its level (its community, street or county) and the staff who answer for
    it there: that region's own active staff or, when it has none, those of the nearest staffed region above
    (responsible_staff). They are the ones told a report passed up is theirs, and the officials among them the only
    ones who may answer it. `known` ({(community id, level): (region, staff)}) spares asking again."""
    compound = compound or db.session.get(Compound, report.compound_id)
    level = report.escalation.level if report.escalation is not None else "community"
    key = (compound.community_id, level)
    if known is not None and key in known:
        return known[key]
    from core.staff import responsible_staff
    region = _region_at(compound.community_id, level)
    holders = (region, responsible_staff(region.id) if region is not None else [])
    if known is not None:
        known[key] = holders
    return holders


def authorize_report(staff, report, compound=None, known=None):
    """Raise NotFound outside the staff member's region, Forbidden unless they may triage, assign or answer the
    report: committee and street staff (reports.handle) any report in their region; officials
    (reports.handle_passed_up) only one that fell to them (report_holders), never one a level below still holds."""
    compound = compound or db.session.get(Compound, report.compound_id)
    if can(staff, "reports.handle"):
        authorize(staff, "reports.handle", compound.community)
        return
    authorize(staff, "reports.handle_passed_up", compound.community)
    if staff.id not in {s.id for s in report_holders(report, compound, known)[1]}:
        raise Forbidden("report.not_passed_up")


def answerable_reports(staff, reports):
    """The ids of these reports the staff member may handle now (authorize_report), for the pages' forms."""
    known, ids = {}, set()
    for report in reports:
        try:
            authorize_report(staff, report, known=known)
        except (NotFound, Forbidden):
            continue
        ids.add(report.id)
    return ids


def escalate_due(now=None):
    """Reports past their deadline without an answer go up a level (street, then county); the new level
    gets a fresh deadline and the reporter is told. Run by the scheduler."""
    now = now or utcnow()
    due = db.session.scalars(
        select(ReportEscalation.report_id).join(SiteReport, SiteReport.id == ReportEscalation.report_id)
        .where(ReportEscalation.answered_at.is_(None), ReportEscalation.due_at <= now,
               SiteReport.status != "resolved").order_by(ReportEscalation.report_id)).all()
    moved = 0
    for report_id in due:
        # Each report's row locked, in the order of their ids, as handling a report locks it: one resolved (or
        # answered, or sent up by another run) while this waited for it stays where it is.
        report = locked_report(report_id)
        escalation = report.escalation
        if (report.status == "resolved" or escalation is None or escalation.answered_at is not None
                or aware(escalation.due_at) > now):
            continue
        target = rules.next_level(escalation.level)
        if target is None:
            continue  # the county holds it; it shows as overdue on the officials' page
        compound = db.session.get(Compound, report.compound_id)
        escalation.level, escalation.escalated_at = target, now
        escalation.due_at = now + _deadline(report.kind)
        escalation.history = list(escalation.history) + [{"level": target, "at": now.isoformat()}]
        audit.record(None, "report.escalate", "site_report", report.id, compound.community_id,
                     after={"level": target})
        level_name = {"street": lambda: _("the street"), "county": lambda: _("the county housing department")}[target]
        # _tell calls both at once, in the resident's language: the loop's variables are still this report's.
        _tell(report.account_id, lambda: _("Report %(reference)s sent up", reference=f"R{report.id:06d}"),  # noqa: B023
              lambda: _("Not answered in time: %(level)s now follows it up", level=level_name()))  # noqa: B023
        # Told it is theirs to answer: the very staff who may now answer it (authorize_report).
        region, holders = report_holders(report, compound)
        if holders:
            from notices.staff import notify_staff
            params = {"reference": f"R{report.id:06d}", "compound": compound.name, "kind": report.kind,
                      "text": report.text[:200], "level": target, "due_at": aware(escalation.due_at).isoformat()}
            if holders[0].region_id != region.id:  # standing in for a level with no active staff
                params["no_staff_in"] = region.name
            notify_staff(holders, "staff_report_escalated", params)
        moved += 1
    db.session.commit()
    return moved


def reporter_verdict(account, report_id, resolved):
    """The reporter says whether the answer resolved it; if not, the report reopens with a new deadline."""
    report = locked_report(report_id)
    if report is None or report.account_id != account.id:
        raise NotFound()
    if report.status != "resolved":
        raise Conflict("works.not_answered")
    escalation = report.escalation
    if escalation is None:  # a report from before deadlines were kept
        escalation = report.escalation = ReportEscalation(report_id=report.id, level="community", due_at=utcnow(),
                                                          history=[])
    escalation.reporter_verdict = "resolved" if resolved else "unresolved"
    if not resolved:
        report.status, report.resolved_at = "assigned", None  # the time to answer runs until the final answer
        escalation.answered_at = None
        escalation.due_at = utcnow() + _deadline(report.kind)
        escalation.history = list(escalation.history) + [{"level": escalation.level, "at": utcnow().isoformat(),
                                                          "reopened": True}]
    compound = db.session.get(Compound, report.compound_id)
    audit.record(None, "report.verdict", "site_report", report.id, compound.community_id,
                 after={"resolved": bool(resolved)})
    db.session.flush()
    return report


# acceptance with a defect list --------------------------------------------------------------------------
def check_participants(participants):
    """[{"name", "role"}] with at least one residents' representative."""
    clean = []
    for index, entry in enumerate(participants or ()):
        name = (entry.get("name") or "").strip() if isinstance(entry, dict) else ""
        role = entry.get("role") if isinstance(entry, dict) else None
        if not name or len(name) > 100 or role not in PARTICIPANT_ROLES:
            raise field_error("participants", "works.bad_participant", row=index + 1)
        clean.append({"name": name, "role": role})
    if not any(p["role"] == "resident_rep" for p in clean):
        raise field_error("participants", "works.no_resident_rep")
    return clean


def record_acceptance(staff, project, note, participants, defects):
    """The joint acceptance with its participants and defect list (called by record_joint_acceptance)."""
    participants = check_participants(participants)
    items = {i.id for i in project.items}
    rows = []
    for entry in defects or ():
        text = (entry.get("text") or "").strip()
        item_id = entry.get("item_id")
        if not text or len(text) > 1000:
            raise field_error("defects", "works.bad_defect")
        if item_id is not None and item_id not in items:
            raise field_error("defects", "works.bad_defect_item")
        rows.append(Defect(project_id=project.id, item_id=item_id, text=text, source="acceptance",
                           routed_to=_contractor(project)))
    record = JointAcceptance(project_id=project.id, participants=participants, note=note, recorded_by=staff.id)
    db.session.add(record)
    db.session.add_all(rows)
    db.session.flush()
    return record, rows


def _contractor(project):
    party = ProjectParty.query.filter_by(project_id=project.id, role="contractor").first()
    return f"{party.organisation} {party.contact} {party.phone}" if party else None


def _defect(staff, defect_id):
    defect = db.session.get(Defect, defect_id)
    if defect is None:
        raise NotFound()
    return get_project(staff, defect.project_id, "projects.edit"), defect


def rectify_defect(staff, defect_id, text, photos=()):
    """The contractor's rectification, with evidence; it waits for re-inspection."""
    project, defect = _defect(staff, defect_id)
    if defect.status != "open":
        raise Conflict("works.defect_not_open")
    only_from_chat(photos)
    defect.rectification = _text("text", text, 2000)
    defect.rectification_photos = list(photos)
    defect.status = "rectified"
    link_uploads(defect.rectification_photos, "defect", defect.id)
    audit.record(staff, "defect.rectify", "project", project.id, project.region_id,
                 after={"defect": defect.id, "text": defect.rectification, "photos": len(defect.rectification_photos)})
    db.session.flush()
    return defect


def reinspect_defect(staff, defect_id, passed, note):
    """Re-inspection: passed closes the defect; failed sends it back to the contractor."""
    project, defect = _defect(staff, defect_id)
    if defect.status != "rectified":
        raise Conflict("works.defect_not_rectified")
    defect.reinspection = _text("note", note, 2000)
    defect.status = "closed" if passed else "open"
    defect.closed_at = utcnow() if passed else None
    audit.record(staff, "defect.reinspect", "project", project.id, project.region_id,
                 after={"defect": defect.id, "passed": bool(passed), "note": defect.reinspection})
    if defect.account_id and passed:
        _tell(defect.account_id, lambda: _("Defect repaired"),
              lambda: _("The defect you reported at %(project)s was repaired and checked.", project=project.name),
              staff)
    elif defect.account_id:
        _tell(defect.account_id, lambda: _("Defect %(reference)s not yet repaired", reference=f"D{defect.id:06d}"),
              lambda: _("The check found it not repaired; the contractor has been asked again."), staff)
    db.session.flush()
    return defect


def waive_defect(staff, defect_id, reason):
    """A defect that will not be fixed is waived, with the reason on record."""
    project, defect = _defect(staff, defect_id)
    if defect.status in rules.DEFECT_DONE:
        raise Conflict("works.defect_done")
    defect.waive_reason = _text("reason", reason, 1000)
    defect.status, defect.closed_at = "waived", utcnow()
    audit.record(staff, "defect.waive", "project", project.id, project.region_id,
                 after={"defect": defect.id, "reason": defect.waive_reason})
    db.session.flush()
    return defect


def defects_of(project):
    return Defect.query.filter_by(project_id=project.id).order_by(Defect.id).all()


def handover_blockers(project):
    return rules.handover_blockers([(d.id, d.status) for d in defects_of(project) if d.source == "acceptance"])


def report_warranty_defect(account, text, photos=()):
    """During the warranty a resident reports a defect; it is routed to the contractor."""
    project = project_for_resident(account)
    if project.stage not in ("handover", "management") or project.accepted_at is None:
        raise Conflict("works.not_in_warranty")
    days = current_app.config["WARRANTY_DAYS"]
    if utcnow() > aware(project.accepted_at) + timedelta(days=days):
        raise Conflict("works.warranty_over")
    only_from_chat(photos)
    defect = Defect(project_id=project.id, source="warranty", text=_text("text", text, 1000), photos=list(photos),
                    account_id=account.id, routed_to=_contractor(project))
    db.session.add(defect)
    db.session.flush()
    link_uploads(defect.photos, "defect", defect.id)
    audit.record(None, "defect.warranty", "project", project.id, project.region_id,
                 after={"defect": defect.id, "routed_to": defect.routed_to})
    contractor = (defect.routed_to or "").split(" ")[0]
    _tell(account.id, lambda: _("Defect %(reference)s received", reference=f"D{defect.id:06d}"),
          lambda: _("Passed to the contractor %(contractor)s; the committee will check the repair.",
                    contractor=contractor) if contractor else _("The committee will have it repaired and check it."))
    _alert_committee(project, defect, "staff_warranty_defect")
    return defect


# the contractor's page for a warranty defect: a signed link the committee forwards ----------------------------
DEFECT_SALT = "defect-page"


def _defect_signer():
    from itsdangerous import URLSafeSerializer
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEFECT_SALT)


def defect_link(defect):
    """The contractor's page for one defect: the signed token is the only key (no sign-in)."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/public/defects/{_defect_signer().dumps(int(defect.id))}"


def defect_by_token(token):
    """The warranty defect a signed token names (NotFound otherwise)."""
    from itsdangerous import BadSignature
    try:
        defect_id = _defect_signer().loads(token)
    except BadSignature:
        raise NotFound() from None
    defect = db.session.get(Defect, defect_id) if isinstance(defect_id, int) else None
    if defect is None or defect.source != "warranty":
        raise NotFound()
    return defect


def _alert_committee(project, defect, kind):
    """The staff who answer for the project's region (responsible_staff) hear of the defect, with the contractor's
    page to forward."""
    from core.staff import responsible_staff
    from notices.staff import notify_staff
    notify_staff(responsible_staff(project.region_id), kind, {
        "project": project.name, "project_id": project.id, "reference": f"D{defect.id:06d}",
        "text": defect.text[:200], "contractor": defect.routed_to or "", "link": defect_link(defect)})


def contractor_rectify(token, text, photos=()):
    """The contractor reports the defect repaired, with evidence, on the signed page; the committee is asked to
    re-inspect and the resident is told."""
    defect = defect_by_token(token)
    if defect.status != "open":
        raise Conflict("works.defect_not_open")
    only_from_chat(photos)
    project = db.session.get(Project, defect.project_id)
    defect.rectification = _text("text", text, 2000)
    defect.rectification_photos = list(photos)
    defect.status = "rectified"
    link_uploads(defect.rectification_photos, "defect", defect.id)
    audit.record(None, "defect.rectify", "project", project.id, project.region_id,
                 after={"defect": defect.id, "by": "contractor", "text": defect.rectification,
                        "photos": len(defect.rectification_photos)})
    if defect.account_id:
        _tell(defect.account_id, lambda: _("Defect %(reference)s repaired", reference=f"D{defect.id:06d}"),
              lambda: _("The contractor reports it repaired; the committee will check it."))
    _alert_committee(project, defect, "staff_defect_rectified")
    db.session.flush()
    return defect


def my_defects(account):
    return Defect.query.filter_by(account_id=account.id).order_by(Defect.id.desc()).all()


# money spent and the final accounts -----------------------------------------------------------------------
def _item(staff, project_id, item_id):
    project = get_project(staff, project_id, "projects.edit")
    item = db.session.get(ProjectItem, item_id)
    if item is None or item.project_id != project.id:
        raise NotFound()
    return project, item


def record_spending(staff, project_id, item_id, amount, note):
    """Money actually spent on an item (fen, positive)."""
    project, item = _item(staff, project_id, item_id)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise field_error("amount", "project.bad_amount")
    row = Spending(item_id=item.id, amount=amount, note=_text("note", note, 200), recorded_by=staff.id)
    db.session.add(row)
    db.session.flush()
    audit.record(staff, "project.spending", "project", project.id, project.region_id,
                 after={"item": item.id, "amount": amount, "note": row.note})
    return row


def add_change_order(staff, project_id, item_id, amount, reason):
    """A change to an item's budget (fen, positive or negative) with its reason."""
    project, item = _item(staff, project_id, item_id)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise field_error("amount", "project.bad_amount")
    if item.budget + amount < 0:
        raise field_error("amount", "works.budget_below_zero")
    row = ChangeOrder(item_id=item.id, amount=amount, reason=_text("reason", reason, 2000), recorded_by=staff.id)
    db.session.add(row)
    db.session.flush()
    audit.record(staff, "project.change_order", "project", project.id, project.region_id,
                 after={"item": item.id, "amount": amount, "reason": row.reason})
    return row


def accounts_of(project):
    """The project's accounts as they stand (fen): per item budget, changes, spending; funding by source."""
    ids = [i.id for i in project.items]
    spent = dict(db.session.execute(select(Spending.item_id, func.sum(Spending.amount))
                                    .where(Spending.item_id.in_(ids or [0])).group_by(Spending.item_id)).all())
    changes = dict(db.session.execute(select(ChangeOrder.item_id, func.sum(ChangeOrder.amount))
                                      .where(ChangeOrder.item_id.in_(ids or [0])).group_by(ChangeOrder.item_id)).all())
    items = [rules.ItemMoney(i.catalogue_code, int(i.budget), int(changes.get(i.id) or 0), int(spent.get(i.id) or 0))
             for i in project.items]
    funding = {k: v for k, v in funding_summary(project).items() if v}
    figures = rules.final_accounts(items, funding)
    figures["change_orders"] = [{"item": c.item_id, "code": code, "amount": int(c.amount), "reason": c.reason}
                                for c, code in db.session.execute(
                                    select(ChangeOrder, ProjectItem.catalogue_code)
                                    .join(ProjectItem, ProjectItem.id == ChangeOrder.item_id)
                                    .where(ChangeOrder.item_id.in_(ids or [0])).order_by(ChangeOrder.id)).all()]
    return figures


def _open_publicity(staff, project, title, body, days=7):
    """Put the final accounts to public notice through the publicity step (objections, answers, countdown)
    for the residents of every compound of the project. Returns the publicity's id."""
    from publicity.services import open_publicity
    now = utcnow()
    period = open_publicity(staff, "final_accounts", project.id, now, now + timedelta(days=days), body,
                            audience=[("compound", c.id) for c in project.compounds], title=title,
                            record={"project": project.id})
    return period.id


def publish_final_accounts(staff, project_id):
    """Freeze and publish the final accounts (决算) once the works are accepted."""
    project = get_project(staff, project_id, "projects.edit")
    if project.stage not in ("acceptance", "handover", "management"):
        raise Conflict("works.accounts_too_early")
    if FinalAccount.query.filter_by(project_id=project.id).first() is not None:
        raise Conflict("works.accounts_published")
    figures = accounts_of(project)
    with force_locale("zh_Hans_CN"):
        title = _("Final accounts of %(project)s", project=project.name)
        body = _("Budget %(budget)s yuan, spent %(spent)s yuan, %(changes)s change orders. See the full "
                 "accounts in the mini-program.", budget=_yuan(figures["totals"]["revised"]),
                 spent=_yuan(figures["totals"]["spent"]), changes=len(figures["change_orders"]))
    publicity_id = _open_publicity(staff, project, title, body)
    record = FinalAccount(project_id=project.id, figures=figures, publicity_id=publicity_id, published_by=staff.id)
    db.session.add(record)
    audit.record(staff, "project.final_accounts", "project", project.id, project.region_id,
                 after={"totals": figures["totals"], "publicity": publicity_id})
    db.session.flush()
    return record


def _yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}" if fen >= 0 else f"-{_yuan(-fen)}"


def published_accounts(project):
    return FinalAccount.query.filter_by(project_id=project.id).first()

