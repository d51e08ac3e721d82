"""先自治后整治: a project's works start only after its residents consented and its plan was published.

The gate asks, for each compound of the project, for an approved renovation vote (or a willingness poll
passed at the county's threshold), for the plan's publicity to have ended with every objection answered,
and for each lift item, an approved vote of its stairwell. An official may override it, with a reason."""
from sqlalchemy import select

from core import audit
from core.auth import authorize
from core.errors import Conflict, field_error
from core.extensions import db
from core.models import CatalogueItem, utcnow
from projects import rules
from projects.models import Funding, Project
from publicity import services as publicity
from votes import outcomes
from votes.models import Vote, VoteState

CONSENT_MATTERS = ("rebuild", "renovation_willingness")
LIFT_CODES = ("I16",)  # 加装电梯 in the catalogue
WORKS_START = "construction"


class GateOverride(db.Model):
    """An official let a project's works start without what the gate asks for, with a reason."""

    __tablename__ = "project_gate_overrides"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    reason = db.Column(db.Text, nullable=False)
    missing = db.Column(db.JSON, nullable=False, default=list)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


def consent_vote(compound_id):
    """The latest published renovation vote or willingness poll of a whole compound that was approved."""
    votes = (Vote.query.filter(Vote.compound_id == compound_id, Vote.scope_kind == "compound",
                               Vote.matter.in_(CONSENT_MATTERS),
                               Vote.state.in_((VoteState.PUBLISHED, VoteState.ARCHIVED)))
             .order_by(Vote.id.desc()).all())
    decided = outcomes.outcomes_of(votes)
    return next((v for v in votes if v.id in decided and decided[v.id].approved), None)


def missing_for_works(project):
    """What the project still lacks before works may start: [{key, params}] (empty when nothing)."""
    from lifts import services as lifts
    missing = []
    for compound in project.compounds:
        if consent_vote(compound.id) is None:
            missing.append({"key": "gate.no_consent", "params": {"compound": compound.name}})
    period = publicity.current_publicity("plan", project.id)
    if period is None:
        missing.append({"key": "gate.plan_not_published", "params": {}})
    elif period.unanswered:
        missing.append({"key": "gate.objections_unanswered", "params": {"count": len(period.unanswered)}})
    elif period.state != "ended":
        missing.append({"key": "gate.plan_publicity_running", "params": {}})
    names = dict(db.session.execute(select(CatalogueItem.code, CatalogueItem.name_zh)).all()) \
        if any(i.catalogue_code in LIFT_CODES for i in project.items) else {}
    for item in project.items:
        if item.catalogue_code in LIFT_CODES and not lifts.item_approved(item.id):
            missing.append({"key": "gate.lift_not_approved", "params": {"item": item.id,
                                                                       "name": names.get(item.catalogue_code, "")}})
    return missing


def override_of(project):
    """The latest override of the gate for this project (None when there is none)."""
    return GateOverride.query.filter_by(project_id=project.id).order_by(GateOverride.id.desc()).first()


def check_gate(project, target):
    """Refuse a move into the works (construction or later) while something is missing and not overridden."""
    if rules.STAGES.index(target) < rules.STAGES.index(WORKS_START) or \
            rules.STAGES.index(project.stage) >= rules.STAGES.index(WORKS_START):
        return
    missing = missing_for_works(project)
    if missing and override_of(project) is None:
        raise Conflict("gate.closed", count=len(missing))


def override_gate(staff, project_id, reason):
    """An official lets the works start without what is missing; the reason and the gaps are recorded."""
    project = db.session.get(Project, project_id)
    if project is None:
        from core.errors import NotFound
        raise NotFound()
    authorize(staff, "projects.override_gate", project.region)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "error.field_required")
    if len(reason) > 2000:
        raise field_error("reason", "wish.too_long", limit=2000)
    missing = missing_for_works(project)
    if not missing:
        raise Conflict("gate.nothing_missing")
    entry = GateOverride(project_id=project.id, reason=reason, missing=missing, staff_id=staff.id)
    db.session.add(entry)
    audit.record(staff, "project.gate_override", "project", project.id, project.region_id,
                 after={"reason": reason, "missing": [m["key"] for m in missing]})
    db.session.flush()
    return entry


def plan_record(project):
    """What the plan's publicity shows: items with budgets, and funding by source (fen)."""
    from contributions import services as contributions
    names = dict(db.session.execute(select(CatalogueItem.code, CatalogueItem.name_zh)).all())
    funding = {}
    for source, amount in db.session.execute(select(Funding.source, Funding.amount)
                                             .where(Funding.project_id == project.id)):
        funding[source] = funding.get(source, 0) + int(amount)
    totals = contributions.project_totals(project.id)
    return {"items": [{"id": i.id, "code": i.catalogue_code, "name": names.get(i.catalogue_code, ""),
                       "quantity": i.quantity, "unit": i.unit, "budget": i.budget} for i in project.items],
            "budget": sum(i.budget for i in project.items), "funding": funding,
            "residents": {"pledged": totals["pledged"], "received": totals["received"]}}


def publish_plan(staff, project_id, starts, ends, summary):
    """Publish the compound plan (一区一策) with budgets and funding to the residents of its compounds."""
    from projects.services import get_project
    project = get_project(staff, project_id, "projects.read")
    if not project.items:
        raise Conflict("gate.plan_empty")
    return publicity.open_publicity(staff, "plan", project.id, starts, ends, summary,
                                    audience=[("compound", c.id) for c in project.compounds],
                                    region=project.region, title=project.name, record=plan_record(project))


def gate_status(project):
    """For the panels: the consent votes, the plan's publicity, what is missing and any override."""
    period = publicity.current_publicity("plan", project.id)
    return {"votes": {c.id: consent_vote(c.id) for c in project.compounds}, "publicity": period,
            "unanswered": len(period.unanswered) if period else 0, "missing": missing_for_works(project),
            "override": override_of(project)}
