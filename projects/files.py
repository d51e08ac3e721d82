"""Who may see the photos of a site report, an acceptance view or a milestone."""
from sqlalchemy import select

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
    if account is not None:
        return report.account_id == account.id
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
