"""Before works start: what a project still lacks, publishing its plan, and officials' override."""
from flask import session
from flask.views import MethodView
from api.doors import Blueprint
from marshmallow import Schema, fields, validate

from core.auth import current_staff
from core.extensions import db
from core.i18n import translate
from projects import consent, services as projects

blp = Blueprint("admin_gate", __name__, url_prefix="/api/v1/admin/projects",
                description="The gate before works: consent, the plan's publicity, lift votes; overrides.")


class MissingSchema(Schema):
    key = fields.String()
    message = fields.String()


class GateSchema(Schema):
    open = fields.Boolean(metadata={"description": "true when works may start"})
    missing = fields.List(fields.Nested(MissingSchema))
    publicity_id = fields.Integer(allow_none=True)
    publicity_state = fields.String(allow_none=True)
    unanswered = fields.Integer()
    consent_votes = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                                metadata={"description": "compound id: approved vote id or null"})
    overridden = fields.Boolean()
    override_reason = fields.String(allow_none=True)


class PlanPublicitySchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    summary = fields.String(load_default="", validate=validate.Length(max=5000))


class PublicityCreatedSchema(Schema):
    id = fields.Integer()
    ends_at = fields.DateTime()


class OverrideSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def gate_body(project):
    """The gate as the API and the panel show it."""
    status = consent.gate_status(project)
    period, override = status["publicity"], status["override"]
    return {"open": not status["missing"] or override is not None,
            "missing": [{"key": m["key"], "message": translate(m["key"], **m["params"])} for m in status["missing"]],
            "publicity_id": period.id if period else None, "publicity_state": period.state if period else None,
            "unanswered": status["unanswered"],
            "consent_votes": {str(k): v.id if v else None for k, v in status["votes"].items()},
            "overridden": override is not None, "override_reason": override.reason if override else None}


@blp.route("/<int:project_id>/gate")
class Gate(MethodView):
    @blp.response(200, GateSchema)
    def get(self, project_id):
        """What the project still lacks before works may start."""
        return gate_body(projects.get_project(current_staff(session), project_id))


@blp.route("/<int:project_id>/plan-publicity")
class PlanPublicity(MethodView):
    @blp.arguments(PlanPublicitySchema)
    @blp.response(201, PublicityCreatedSchema)
    def post(self, body, project_id):
        """Publish the plan (items, budgets, funding) to the residents of the project's compounds."""
        period = consent.publish_plan(current_staff(session), project_id, body["starts_at"], body["ends_at"],
                                      body["summary"])
        db.session.commit()
        return period


@blp.route("/<int:project_id>/gate/override")
class Override(MethodView):
    @blp.arguments(OverrideSchema)
    @blp.response(200, GateSchema)
    def post(self, body, project_id):
        """An official lets works start without what is missing, with a reason (audited)."""
        staff = current_staff(session)
        consent.override_gate(staff, project_id, body["reason"])
        db.session.commit()
        return gate_body(projects.get_project(staff, project_id))
