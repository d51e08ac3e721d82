"""Projects as stored."""
from core.extensions import db
from core.models import utcnow
from votes.models import PaperEntryMixin, RollOwnerMixin, RollPartMixin

FUNDING_SOURCES = ("central_subsidy", "provincial_subsidy", "city_county", "special_bond", "resident_cash",
                   "maintenance_fund", "provident_fund", "shared_income", "employer_unit", "utility_company",
                   "social_capital", "bank_credit", "other")

project_compounds = db.Table(
    "project_compounds",
    db.Column("project_id", db.Integer, db.ForeignKey("projects.id"), primary_key=True),
    db.Column("compound_id", db.Integer, db.ForeignKey("compounds.id"), primary_key=True),
    db.Index("ix_project_compounds_compound", "compound_id", "project_id"),  # a resident's project, by compound
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
    escalation = db.relationship("ReportEscalation", uselist=False, lazy="selectin")


class AcceptanceView(db.Model):
    """A resident's view at acceptance: accept, or problems with photos."""

    __tablename__ = "acceptance_views"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    verdict = db.Column(db.String(16), nullable=False)  # accept | problems
    text = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("project_id", "account_id"),)


# Who answers for the works, supervision, acceptance defects, money spent, care afterwards ----------
PARTY_ROLES = ("implementing", "designer", "contractor", "supervisor")


class ProjectParty(db.Model):
    """An organisation that answers for the works: implementing body, designer, contractor, supervising engineer."""

    __tablename__ = "project_parties"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    role = db.Column(db.String(16), nullable=False)
    organisation = db.Column(db.String(200), nullable=False)
    contact = db.Column(db.String(100), nullable=False)
    phone = db.Column(db.String(20), nullable=False)
    __table_args__ = (db.UniqueConstraint("project_id", "role"),)


class ResidentSupervisor(db.Model):
    """A resident volunteer supervising the works, once the committee approves."""

    __tablename__ = "resident_supervisors"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending")  # pending | approved | rejected
    decided_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("project_id", "account_id"),)


class Inspection(db.Model):
    """An inspection of the works by a resident supervisor, the supervising engineer or an official."""

    __tablename__ = "inspections"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    by_kind = db.Column(db.String(16), nullable=False)  # supervisor | engineer | official
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"))
    supervisor_id = db.Column(db.Integer, db.ForeignKey("resident_supervisors.id"))
    inspector = db.Column(db.String(100), nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    findings = db.relationship("Finding", order_by="Finding.id", back_populates="inspection")


class Finding(db.Model):
    """Something an inspection found wrong; it stays open until closed with evidence."""

    __tablename__ = "inspection_findings"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    text = db.Column(db.Text, nullable=False)
    photos = db.Column(db.JSON, nullable=False, default=list)
    status = db.Column(db.String(16), nullable=False, default="open")  # open | closed
    evidence = db.Column(db.Text)
    evidence_photos = db.Column(db.JSON, nullable=False, default=list)
    closed_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    closed_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    inspection = db.relationship("Inspection", back_populates="findings")


class ReportEscalation(db.Model):
    """A report's response deadline and how far it has been escalated (community, street, county)."""

    __tablename__ = "report_escalations"
    report_id = db.Column(db.Integer, db.ForeignKey("site_reports.id"), primary_key=True)
    level = db.Column(db.String(16), nullable=False, default="community")  # community | street | county
    due_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    escalated_at = db.Column(db.DateTime(timezone=True))
    answered_at = db.Column(db.DateTime(timezone=True))
    reporter_verdict = db.Column(db.String(16))  # resolved | unresolved
    history = db.Column(db.JSON, nullable=False, default=list)


class RecordedMixin:
    """When the row was written down and by which staff member (the last columns of the tables using it)."""

    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    recorded_by = db.Column(db.Integer, db.ForeignKey("staff.id"))


class JointAcceptance(RecordedMixin, db.Model):
    """The joint acceptance: who took part (residents' representatives included) and its conclusion."""

    __tablename__ = "joint_acceptances"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, unique=True)
    participants = db.Column(db.JSON, nullable=False, default=list)  # [{"name", "role"}]
    note = db.Column(db.Text, nullable=False)


class Defect(db.Model):
    """A defect found at acceptance (or reported during the warranty), rectified and re-inspected."""

    __tablename__ = "defects"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, index=True)
    item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"))
    source = db.Column(db.String(16), nullable=False, default="acceptance")  # acceptance | warranty
    text = db.Column(db.Text, nullable=False)
    photos = db.Column(db.JSON, nullable=False, default=list)
    # open | rectified (awaiting re-inspection) | closed | waived
    status = db.Column(db.String(16), nullable=False, default="open")
    routed_to = db.Column(db.String(200))
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), index=True)
    rectification = db.Column(db.Text)
    rectification_photos = db.Column(db.JSON, nullable=False, default=list)
    reinspection = db.Column(db.Text)
    waive_reason = db.Column(db.Text)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime(timezone=True))


class Spending(RecordedMixin, db.Model):
    """Money actually spent on an item (fen)."""

    __tablename__ = "project_spending"
    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    note = db.Column(db.String(200), nullable=False)


class ChangeOrder(RecordedMixin, db.Model):
    """A change to an item's budget (fen, may be negative), with its reason."""

    __tablename__ = "change_orders"
    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.Integer, db.ForeignKey("project_items.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    reason = db.Column(db.Text, nullable=False)


class FinalAccount(db.Model):
    """The final accounts (决算) as published: the figures frozen when they went to public notice."""

    __tablename__ = "final_accounts"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"), nullable=False, unique=True)
    figures = db.Column(db.JSON, nullable=False)
    publicity_id = db.Column(db.Integer)
    published_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    published_by = db.Column(db.Integer, db.ForeignKey("staff.id"))


class Election(db.Model):
    """Electing the owners' committee from candidates; each candidate is counted under art. 278."""

    __tablename__ = "elections"
    id = db.Column(db.Integer, primary_key=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"))
    title = db.Column(db.String(200), nullable=False)
    seats = db.Column(db.Integer, nullable=False)
    state = db.Column(db.String(16), nullable=False, default="nominating")  # nominating | open | closed
    opens_at = db.Column(db.DateTime(timezone=True))
    closes_at = db.Column(db.DateTime(timezone=True))
    result = db.Column(db.JSON)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    candidates = db.relationship("Candidate", order_by="Candidate.id")


class Candidate(db.Model):
    """A nominated owner standing for the owners' committee."""

    __tablename__ = "election_candidates"
    id = db.Column(db.Integer, primary_key=True)
    election_id = db.Column(db.Integer, db.ForeignKey("elections.id"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)
    statement = db.Column(db.String(500), nullable=False, default="")
    nominated_by = db.Column(db.String(100), nullable=False)


class ElectionPart(RollPartMixin, db.Model):
    """The election's roll, frozen when voting opens: each exclusive part's counted area and head."""

    __tablename__ = "election_parts"
    election_id = db.Column(db.Integer, db.ForeignKey("elections.id"), primary_key=True)


class ElectionOwner(RollOwnerMixin, db.Model):
    """Who owned each part when voting opened: only they cast its ballot."""

    __tablename__ = "election_owners"
    election_id = db.Column(db.Integer, db.ForeignKey("elections.id"), primary_key=True)
    __table_args__ = (db.Index("ix_election_owners_person", "person_id", "election_id"),)


class ElectionPaperEntry(PaperEntryMixin, db.Model):
    """A collected paper ballot typed by one staff member; it counts once a second one ticks the same names."""

    __tablename__ = "election_paper_entries"
    id = db.Column(db.Integer, primary_key=True)
    election_id = db.Column(db.Integer, db.ForeignKey("elections.id"), nullable=False, index=True)
    candidate_ids = db.Column(db.JSON, nullable=False, default=list)
    confirm_ids = db.Column(db.JSON)


class ElectionBallot(db.Model):
    """One ballot per dwelling: the candidates it agrees to (none: taking part, agreeing to nobody)."""

    __tablename__ = "election_ballots"
    id = db.Column(db.Integer, primary_key=True)
    election_id = db.Column(db.Integer, db.ForeignKey("elections.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    candidate_ids = db.Column(db.JSON, nullable=False, default=list)
    channel = db.Column(db.String(16), nullable=False)  # online | paper
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), index=True)
    entered_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("election_id", "dwelling_id"),)


class ManagementChoice(db.Model):
    """A management mode put to the owners' vote for a compound; applied (the compound's mode from then on) once
    the vote's published result approves it."""

    __tablename__ = "management_choices"
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), primary_key=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"))
    mode = db.Column(db.String(16), nullable=False)  # property | self | street
    outcome = db.Column(db.String(16))  # None while voting; approved | rejected
    decided_at = db.Column(db.DateTime(timezone=True))
