"""Surveys as stored: the survey, each version of its definition, and responses."""
from sqlalchemy.dialects.postgresql import JSONB

from core.errors import Conflict
from core.extensions import db
from core.models import utcnow


class Survey(db.Model):
    """A survey for the residents (or owners) of a compound, building or stairwell unit."""

    __tablename__ = "surveys"
    id = db.Column(db.Integer, primary_key=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("projects.id"))
    kind = db.Column(db.String(16), nullable=False)  # codesign | satisfaction | management | other
    title = db.Column(db.String(200), nullable=False)
    scope_kind = db.Column(db.String(16), nullable=False)
    scope_id = db.Column(db.Integer, nullable=False)
    audience = db.Column(db.String(16), nullable=False, default="residents")  # residents | owners
    per = db.Column(db.String(16), nullable=False, default="person")  # person | dwelling
    state = db.Column(db.String(16), nullable=False, default="draft")  # draft | open | closed
    version = db.Column(db.Integer, nullable=False, default=1)
    opens_at = db.Column(db.DateTime(timezone=True))
    closes_at = db.Column(db.DateTime(timezone=True))
    remind_days_before = db.Column(db.Integer, nullable=False, default=2, server_default="2")
    reminded_at = db.Column(db.DateTime(timezone=True))
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    def require(self, *states):
        if self.state not in states:
            from surveys.texts import SURVEY_STATES
            raise Conflict("survey.wrong_state", state=SURVEY_STATES.get(self.state, self.state))


class SurveyVersion(db.Model):
    """One version of a survey's definition; editing after the first response makes a new one."""

    __tablename__ = "survey_versions"
    id = db.Column(db.Integer, primary_key=True)
    survey_id = db.Column(db.Integer, db.ForeignKey("surveys.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    definition = db.Column(db.JSON, nullable=False)
    __table_args__ = (db.UniqueConstraint("survey_id", "version"),)


class SurveyResponse(db.Model):
    """A respondent's answers (a draft until submitted), with the version they answered."""

    __tablename__ = "survey_responses"
    id = db.Column(db.Integer, primary_key=True)
    survey_id = db.Column(db.Integer, db.ForeignKey("surveys.id"), nullable=False)
    respondent = db.Column(db.String(32), nullable=False)  # "a<account>" or "d<dwelling>"
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    # jsonb on PostgreSQL: the results look the written answers up instead of parsing every response in full
    answers = db.Column(db.JSON().with_variant(JSONB(), "postgresql"), nullable=False, default=dict)
    submitted = db.Column(db.Boolean, nullable=False, default=False)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("survey_id", "respondent"),)


class SurveyTally(db.Model):
    """How many submitted responses gave one answer to one question, per building: kept in the same
    transaction as each response, so results at any scale read counts, not every response."""

    __tablename__ = "survey_tallies"
    survey_id = db.Column(db.Integer, db.ForeignKey("surveys.id"), primary_key=True)
    question = db.Column(db.String(64), primary_key=True)
    building_id = db.Column(db.Integer, db.ForeignKey("buildings.id"), primary_key=True)
    digest = db.Column(db.String(40), primary_key=True)   # sha1 of `value`
    value = db.Column(db.Text, nullable=False)              # the answer as canonical JSON
    n = db.Column(db.Integer, nullable=False, default=0)
