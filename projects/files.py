"""Who may see the photos of a site report, an acceptance view or a milestone; photos sent for a report in chat."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.chat_photos import chat_photo_kind
from core.extensions import db
from core.models import Building, Compound, Dwelling, Unit
from core.uploads import owner_kind, staff_may_read
from projects.models import AcceptanceView, Milestone, Project, SiteReport, project_compounds


def _resident_compound(account):
    if account is None or account.dwelling_id is None:
        return None
    return db.session.scalar(select(Building.compound_id).join(Unit, Unit.building_id == Building.id)
                             .join(Dwelling, Dwelling.unit_id == Unit.id).where(Dwelling.id == account.dwelling_id))


@owner_kind("site_report")
def may_see_report(report_id, staff=None, account=None):
    """The resident who reported it, or staff of the compound's region."""
    report = db.session.get(SiteReport, report_id)
    if report is None:
        return False
    if account is not None:  # the reporter, or a resident supervisor of the project (they see every report)
        return report.account_id == account.id or (report.project_id is not None
                                                   and _supervises(account, report.project_id))
    return staff is not None and staff_may_read(staff, "projects.read",
                                                db.session.get(Compound, report.compound_id).community)


@owner_kind("acceptance_view")
def may_see_view(view_id, staff=None, account=None):
    """The resident whose view it is, or staff of the project's region."""
    view = db.session.get(AcceptanceView, view_id)
    if view is None:
        return False
    if account is not None:
        return view.account_id == account.id
    return staff is not None and staff_may_read(staff, "projects.read", db.session.get(Project, view.project_id).region)


@owner_kind("milestone")
def may_see_milestone(milestone_id, staff=None, account=None):
    """Residents of the project's compounds (it is on their timeline), or staff of the project's region."""
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        return False
    if account is not None:
        compound_id = _resident_compound(account)
        return compound_id is not None and db.session.scalar(select(project_compounds.c.compound_id).where(
            project_compounds.c.project_id == milestone.project_id,
            project_compounds.c.compound_id == compound_id)) is not None
    return staff is not None and staff_may_read(staff, "projects.read",
                                                db.session.get(Project, milestone.project_id).region)


def _supervises(account, project_id):
    from projects.models import ResidentSupervisor
    return db.session.scalar(select(ResidentSupervisor.id).where(
        ResidentSupervisor.project_id == project_id, ResidentSupervisor.account_id == account.id,
        ResidentSupervisor.status == "approved")) is not None


@owner_kind("inspection")
def may_see_inspection(inspection_id, staff=None, account=None):
    """The project's approved resident supervisors, or staff of the project's region."""
    from projects.models import Inspection
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        return False
    if account is not None:
        return _supervises(account, inspection.project_id)
    return staff is not None and staff_may_read(staff, "projects.read",
                                                db.session.get(Project, inspection.project_id).region)


@owner_kind("finding")
def may_see_finding(finding_id, staff=None, account=None):
    """The evidence a finding was closed with: as the inspection's photos."""
    from projects.models import Finding
    finding = db.session.get(Finding, finding_id)
    return finding is not None and may_see_inspection(finding.inspection_id, staff=staff, account=account)


@owner_kind("defect")
def may_see_defect(defect_id, staff=None, account=None):
    """The resident who reported it during the warranty, or staff of the project's region."""
    from projects.models import Defect
    defect = db.session.get(Defect, defect_id)
    if defect is None:
        return False
    if account is not None:
        return defect.account_id == account.id
    return staff is not None and staff_may_read(staff, "projects.read", db.session.get(Project, defect.project_id).region)


chat_photo_kind("site_report", SiteReport, reference=lambda report: f"R{report.id:06d}",
                region_id=lambda report: db.session.get(Compound, report.compound_id).community_id,
                next_step=_l("To add a photo, reply 反映问题 (report) and send it with a few words."))
