"""Surveys: staff generate, edit, open and read them; residents answer in the mini-program."""
from fractions import Fraction

from flask import Response, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from core.extensions import db
from core.numbers import decimal_text
from core.scopes import SCOPES
from surveys import export
from surveys import services as surveys

staff_blp, resident_blp = door_blueprints(
    __name__, "surveys",
    staff=("/api/v1/admin/surveys", "Co-design and satisfaction surveys, for staff within their region."),
    resident=("/api/v1/surveys", "Surveys open to me, my answers."))


class SurveySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    scope_kind = fields.String()
    scope_id = fields.Integer()
    audience = fields.String()
    per = fields.String()
    state = fields.String()
    version = fields.Integer()
    opens_at = fields.DateTime(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    definition = fields.Function(lambda s: surveys.definition_of(s))


class OpenSurveySchema(SurveySchema):
    """A survey open to me, with the definition I answer."""
    definition = fields.Dict()


_SURVEY_FIELDS = tuple(name for name in SurveySchema().fields if name != "definition")


class SurveyCreateSchema(Schema):
    scope_kind = fields.String(required=True, validate=validate.OneOf(SCOPES))
    scope_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    definition = fields.Dict(required=True)
    kind = fields.String(load_default="other", validate=validate.OneOf(surveys.KINDS))
    audience = fields.String(load_default="residents", validate=validate.OneOf(["residents", "owners"]))
    per = fields.String(load_default="person", validate=validate.OneOf(["person", "dwelling"]))


class SurveyGenerateSchema(Schema):
    compound_id = fields.Integer(required=True)


class SurveyDefinitionSchema(Schema):
    definition = fields.Dict(required=True)


class SurveyWindowSchema(Schema):
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)


class SurveyAnswerSchema(Schema):
    answers = fields.Dict(required=True)
    submit = fields.Boolean(load_default=False)


class SurveyResponseSchema(Schema):
    version = fields.Integer()
    answers = fields.Dict()
    submitted = fields.Boolean()
    updated_at = fields.DateTime()


_RESPONSE_FIELDS = tuple(SurveyResponseSchema().fields)


class SurveyResultsSchema(Schema):
    survey_id = fields.Integer()
    responses = fields.Integer()
    questions = fields.Dict()


class SurveyExportQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


def plain(value):
    """JSON-friendly values: exact fractions as decimal strings for charts."""
    if isinstance(value, Fraction):
        return decimal_text(value, 4)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@staff_blp.route("")
class Surveys(MethodView):
    @staff_blp.arguments(SurveyCreateSchema)
    @staff_blp.response(201, SurveySchema)
    def post(self, body):
        """Create a draft survey from a definition (422 names the path of any fault)."""
        survey = surveys.create_survey(signed_in_staff(), **body)
        db.session.commit()
        return survey


@staff_blp.route("/generate")
class Generate(MethodView):
    @staff_blp.arguments(SurveyGenerateSchema)
    @staff_blp.response(201, SurveySchema)
    def post(self, body):
        """Draft the 一区一策 co-design survey from the compound's facts and its residents' wishes."""
        survey = surveys.generate_codesign(signed_in_staff(), body["compound_id"])
        db.session.commit()
        return survey


@staff_blp.route("/<int:survey_id>")
class SurveyDetail(MethodView):
    @staff_blp.response(200, SurveySchema)
    def get(self, survey_id):
        return surveys.get_survey(signed_in_staff(), survey_id)

    @staff_blp.arguments(SurveyDefinitionSchema)
    @staff_blp.response(200, SurveySchema)
    def put(self, body, survey_id):
        """Edit the questions (a new version once anyone has answered)."""
        survey = surveys.update_definition(signed_in_staff(), survey_id, body["definition"])
        db.session.commit()
        return survey


@staff_blp.route("/<int:survey_id>/open")
class OpenSurvey(MethodView):
    @staff_blp.arguments(SurveyWindowSchema)
    @staff_blp.response(200, SurveySchema)
    def post(self, body, survey_id):
        """Open for answers; the audience is told."""
        survey = surveys.open_survey(signed_in_staff(), survey_id, body["opens_at"], body["closes_at"])
        db.session.commit()
        return survey


@staff_blp.route("/<int:survey_id>/close")
class CloseSurvey(MethodView):
    @staff_blp.response(200, SurveySchema)
    def post(self, survey_id):
        survey = surveys.close_survey(signed_in_staff(), survey_id)
        db.session.commit()
        return survey


@staff_blp.route("/<int:survey_id>/results")
class Results(MethodView):
    @staff_blp.response(200, SurveyResultsSchema)
    def get(self, survey_id):
        """Per-question data for charts."""
        from dataclasses import asdict
        survey, results = surveys.results(signed_in_staff(), survey_id)
        answered = max((r.answered for r in results.values()), default=0)
        return {"survey_id": survey.id, "responses": answered,
                "questions": {qid: plain(asdict(r)) for qid, r in results.items()}}


@staff_blp.route("/<int:survey_id>/export")
class Export(MethodView):
    @staff_blp.arguments(SurveyExportQuerySchema, location="query")
    def get(self, query, survey_id):
        """The answers as .xlsx or .csv, one column per question."""
        header, rows = surveys.export_table(signed_in_staff(), survey_id, _("other, please say"),
                                            [_("Building"), _("Unit"), _("Room")])
        if query["format"] == "csv":
            return Response(export.to_csv(header, rows), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename=survey-{survey_id}.csv"})
        return Response(export.to_xlsx(header, rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=survey-{survey_id}.xlsx"})


@resident_blp.route("")
class OpenToMe(MethodView):
    @resident_blp.response(200, OpenSurveySchema(many=True))
    def get(self):
        """Surveys open to me now, with their questions and conditions."""
        return [dict({name: getattr(survey, name) for name in _SURVEY_FIELDS}, definition=definition)
                for survey, definition in surveys.open_surveys_with_definitions(resident())]


class AnswerPhotosSchema(Schema):
    photos = fields.List(fields.String(), metadata={"description": "stored names, for a photo question's answer"})


@resident_blp.route("/<int:survey_id>/photos")
class AnswerPhotos(MethodView):
    @resident_blp.response(201, AnswerPhotosSchema)
    def post(self, survey_id):
        """Upload a photo for a photo question (multipart 'photos'; wx.uploadFile sends one at a time): the
        answer lists the names returned."""
        names = surveys.keep_answer_photos(resident(), survey_id, request.files)
        db.session.commit()
        return {"photos": names}


@resident_blp.route("/<int:survey_id>/response")
class MyResponse(MethodView):
    @resident_blp.response(200, SurveyResponseSchema)
    def get(self, survey_id):
        """My answers (draft or submitted)."""
        return surveys.my_response(resident(), survey_id)

    @resident_blp.arguments(SurveyAnswerSchema)
    @resident_blp.response(200, SurveyResponseSchema)
    def put(self, body, survey_id):
        """Save a draft, or submit (errors per question); editable until the survey closes."""
        response = surveys.respond(resident(), survey_id, body["answers"], body["submit"])
        # As written: after the commit the response would be expired, and read again only to be shown.
        answer = {field: getattr(response, field) for field in _RESPONSE_FIELDS}
        db.session.commit()
        return answer

