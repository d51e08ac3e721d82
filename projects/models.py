"""Projects as stored."""
from core.extensions import db
from core.models import utcnow

FUNDING_SOURCES = ("central_subsidy", "provincial_subsidy", "city_county", "special_bond", "resident_cash",
                   "maintenance_fund", "provident_fund", "shared_income", "employer_unit", "utility_company",
                   "social_capital", "bank_credit", "other")

project_compounds = db.Table(
    "project_compounds",
    db.Column("project_id", db.Integer, db.ForeignKey("projects.id"), primary_key=True),
    db.Column("compound_id", db.Integer, db.ForeignKey("compounds.id"), primary_key=True),
)


class Project(db.Model):
    """A renovation project over one compound or several adjacent ones."""

    __tablename__ = "projects"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    stage = db.Column(db.String(16), nullable=False, default="reserve")
    reserve_level = db.Column(db.String(16), nullable=False, default="county")
    plan_year = db.Column(db.Integer)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    accepted_at = db.Column(db.DateTime(timezone=True))
    accepted_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    acceptance_note = db.Column(db.Text)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    compounds = db.relationship("Compound", secondary=project_compounds, order_by="Compound.id")
    items = db.relationship("ProjectItem", order_by="ProjectItem.id", back_populates="project")
    stages = db.relationship("StageRecord", order_by="StageRecord.id", back_populates="project")
    region = db.relationship("Region")


class ProjectItem(db.Model):
    """An item of renovation content in a project, with its budget (fen) and progress (0-100)."""

    __tablename__ = "project_items"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    catalogue_code = db.Column(db.String(32), nullable=False)
    quantity = db.Column(db.Integer)
    unit = db.Column(db.String(16))
    budget = db.Column(db.BigInteger, nullable=False, default=0)
    progress = db.Column(db.Integer, nullable=False, default=0)
    project = db.relationship("Project", back_populates="items")


class StageRecord(db.Model):
    """Planned and actual dates of one stage of a project."""

    __tablename__ = "project_stages"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False)
    stage = db.Column(db.String(16), nullable=False)
    planned_start = db.Column(db.Date)
    planned_end = db.Column(db.Date)
    actual_start = db.Column(db.Date)
    actual_end = db.Column(db.Date)
    skip_reason = db.Column(db.Text)
    project = db.relationship("Project", back_populates="stages")
    __table_args__ = (db.UniqueConstraint("project_id", "stage"),)


class Milestone(db.Model):
    """Something that happened on site, with photos, shown on the residents' timeline."""

    __tablename__ = "project_milestones"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    title = db.Column(db.String(100), nullable=False)
    text = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))


class Funding(db.Model):
    """Money for a project from one source, in fen."""

    __tablename__ = "project_funding"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    source = db.Column(db.String(32), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    note = db.Column(db.String(200))


class SiteReport(db.Model):
    """A problem a resident reports on site, or a dispute, tracked to its resolution."""

    __tablename__ = "site_reports"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), index=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False, default="report")  # report | dispute
    text = db.Column(db.Text, nullable=False)
    photos = db.Column(db.JSON, nullable=False, default=list)
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    status = db.Column(db.String(16), nullable=False, default="new")  # new | triaged | assigned | resolved
    priority = db.Column(db.String(16))
    assignee = db.Column(db.String(100))
    answer = db.Column(db.Text)
    outcome = db.Column(db.Text)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at = db.Column(db.DateTime(timezone=True))


class AcceptanceView(db.Model):
    """A resident's view at acceptance: accept, or problems with photos."""

    __tablename__ = "acceptance_views"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False)
    verdict = db.Column(db.String(16), nullable=False)  # accept | problems
    text = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("project_id", "account_id"),)
