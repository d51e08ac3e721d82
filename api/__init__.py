"""The REST API: the mini-program's and the admin panel's JSON, documented as OpenAPI."""
from flask_smorest import Api
from marshmallow import Schema, fields

from api import (admin_registry, admin_wishes, contributions, files, gate, health, lifts, projects, publicity,
                 resident, staff_session, surveys, votes, works)

class ErrorDetailSchema(Schema):
    field = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    column_label = fields.String(allow_none=True)
    message = fields.String(required=True)


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "a stable message key, e.g. error.not_found"})
    message = fields.String(required=True, metadata={"description": "in the caller's language"})
    details = fields.List(fields.Nested(ErrorDetailSchema), metadata={"description": "one per fault"})


class ErrorSchema(Schema):
    """Every error answer: {"error": {"code", "message", "details"}} (see core/http_errors.py)."""

    error = fields.Nested(ErrorBodySchema, required=True)


class GongjianApi(Api):
    ERROR_SCHEMA = ErrorSchema


def init_app(app):
    """Mount the API blueprints."""
    app.config.setdefault("API_TITLE", "Gongjian API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    rest = GongjianApi(app)
    rest.ma_plugin.converter.add_attribute_function(nullable_in_answers)
    app.register_blueprint(health.blp)
    rest.register_blueprint(files.blp)  # documented: the mini-program downloads through it
    from core.extensions import csrf
    csrf.exempt(resident.blp)  # bearer tokens, not cookies: nothing for CSRF to forge
    csrf.exempt(projects.resident_blp)
    csrf.exempt(votes.resident_blp)
    csrf.exempt(surveys.resident_blp)
    for blueprint in (publicity.resident_blp, lifts.resident_blp, contributions.resident_blp, works.resident_blp):
        csrf.exempt(blueprint)
    for blueprint in (staff_session.blp, admin_registry.blp, admin_wishes.blp, resident.blp, projects.staff_blp,
                      projects.resident_blp, votes.staff_blp, votes.resident_blp, surveys.staff_blp,
                      surveys.resident_blp, publicity.staff_blp, publicity.resident_blp, lifts.staff_blp,
                      lifts.resident_blp, contributions.staff_blp, contributions.resident_blp, gate.blp,
                      works.staff_blp, works.resident_blp):
        rest.register_blueprint(blueprint)


def _require_staff():
    from flask import session

    from core.auth import current_staff
    current_staff(session)


def _require_resident():
    resident.resident()


def _require_resident_except_login():
    from flask import request
    if request.endpoint not in ("resident.Login", "resident.Privacy"):
        resident.resident()


# Who is calling is settled before anything else, so a stranger learns nothing from validation errors.
# (Blueprints are module-level and shared by every app made in one process: set them up once, here.)
for _blueprint in (admin_registry.blp, admin_wishes.blp, projects.staff_blp, votes.staff_blp, surveys.staff_blp,
                   publicity.staff_blp, lifts.staff_blp, contributions.staff_blp, gate.blp, works.staff_blp):
    _blueprint.before_request(_require_staff)
for _blueprint in (projects.resident_blp, votes.resident_blp, surveys.resident_blp, publicity.resident_blp,
                   lifts.resident_blp, contributions.resident_blp, works.resident_blp):
    _blueprint.before_request(_require_resident)
resident.blp.before_request(_require_resident_except_login)


ANSWERED = {"AuditEntrySchema", "BuildingSchema", "PaperEntryListSchema", "CompoundDetailSchema", "RegionSchema", "RollChangeSchema", "RollWarningSchema",
            "UnitSchema", "BallotCodeSchema", "BindingCodeSchema", "BindingRequestSchema", "BindingResultSchema",
            "CatalogueItemSchema", "CompoundSchema", "CountsSchema", "DeliveryReportSchema", "DwellingSchema",
            "ImportReportSchema", "InboxEntrySchema", "MeSchema", "OpenSurveySchema", "MyVoteSchema", "MyFlatSchema", "FlatBallotSchema",
            "DetailsSchema", "PrivacyNoticeSchema", "NonVoterSchema", "NoticeCreatedSchema",
            "ProjectSchema", "PublishedVoteSchema", "QrCodeSchema", "ReceiptCheckSchema", "ReceiptSchema",
            "ReportSchema", "ResultSchema",
            "SessionSchema", "StaffWishSchema", "StageSchema", "SurveyResponseSchema", "SurveyResultsSchema",
            "SurveySchema", "TimelineSchema", "VoteSchema", "WishSchema", "WxLoginResultSchema"}
BOTH = {"CanvassSchema", "FundingSchema", "ItemSchema", "MilestoneSchema", "PaperEntrySchema", "PledgeSchema",
        "ProxySchema", "ViewSchema"}


def nullable_in_answers(_converter, field, **_kwargs):
    """Optional values are null in answers when unknown (no address, no closing time yet): the document
    says so. Schemas only answered with: every optional field. Schemas also read from requests: the fields
    only answered with, and those whose absence already means null."""
    name = type(field.parent).__name__ if field.parent is not None else ""
    if field.allow_none:
        return {}
    if (name in ANSWERED and not field.required) or (name in BOTH and (field.dump_only or field.load_default is None)):
        return {"nullable": True}
    return {}
