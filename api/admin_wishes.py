"""Staff API: residents' wishes, binding requests and codes, stairwell QR codes."""
from flask import session
from flask.views import MethodView
from api.doors import Blueprint
from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from api.schemas import chat_photos_field, prefetch_chat_photos
from core import accounts
from core.auth import current_staff
from core.extensions import db
from stories.services import story_for_api
from wishes import services as wishes
from wishes.models import WishStatus

blp = Blueprint("admin_wishes", __name__, url_prefix="/api/v1/admin",
                description="Wishes and bindings, for staff within their region.")


class StaffWishSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    compound_id = fields.Integer()
    dwelling_id = fields.Integer()
    catalogue_code = fields.String(allow_none=True)
    suggested_codes = fields.List(fields.String())
    text = fields.String()
    photos = fields.List(fields.String())
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    channel = fields.String()
    status = fields.String()
    answer = fields.String(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    chat_photos = chat_photos_field("wish")


class StaffWishDetailSchema(StaffWishSchema):
    story = fields.Function(lambda w: story_for_api(w, str(get_locale())), metadata={
        "description": "what came of the wish, oldest first: [{kind, text, at}]"})


class WishQuerySchema(Schema):
    compound_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(WishStatus.ALL))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class ClassifySchema(Schema):
    catalogue_code = fields.String(required=True, validate=validate.Length(min=1, max=32))


class MergeSchema(Schema):
    into = fields.Integer(required=True)


class AnswerSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CountsQuerySchema(Schema):
    compound_id = fields.Integer(required=True)


class CountsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "catalogue code -> number of wishes (merged ones excluded)"})


class BindingCodeRequestSchema(Schema):
    kind = fields.String(load_default="owner", validate=validate.OneOf(["owner", "tenant", "family"]))
    person_id = fields.Integer(load_default=None)


class BindingCodeSchema(Schema):
    code = fields.String()


class BindingRequestSchema(Schema):
    id = fields.Integer()
    dwelling_id = fields.Integer()
    room = fields.Function(lambda r: r.dwelling.room)
    claimed_name = fields.String(allow_none=True)
    phone_last4 = fields.String(allow_none=True)
    state = fields.String()
    created_at = fields.DateTime()


class DecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    kind = fields.String(load_default="tenant", validate=validate.OneOf(["owner", "tenant", "family"]))
    person_id = fields.Integer(load_default=None)
    evidence = fields.String(load_default=None, validate=validate.Length(max=500),
                             metadata={"description": "needed to approve an owner: what was checked, e.g. the "
                                                      "property certificate seen in person"})


class QrCodeSchema(Schema):
    scene = fields.String()
    ticket = fields.String()
    url = fields.String()


@blp.route("/wishes")
class StaffWishes(MethodView):
    @blp.arguments(WishQuerySchema, location="query")
    @blp.response(200, StaffWishSchema(many=True))
    def get(self, query):
        """Wishes of the compounds in my region."""
        return prefetch_chat_photos("wish", wishes.staff_wishes(current_staff(session), **query))


@blp.route("/wishes/<int:wish_id>")
class StaffWish(MethodView):
    @blp.response(200, StaffWishDetailSchema)
    def get(self, wish_id):
        """One wish with what came of it (merged, survey, vote, project item, acceptance)."""
        return wishes.staff_wish(current_staff(session), wish_id)


@blp.route("/wishes/counts")
class WishCounts(MethodView):
    @blp.arguments(CountsQuerySchema, location="query")
    @blp.response(200, CountsSchema)
    def get(self, query):
        """How many wishes ask for each catalogue item in a compound."""
        return {"counts": wishes.demand_counts(current_staff(session), query["compound_id"])}


@blp.route("/wishes/<int:wish_id>/classify")
class Classify(MethodView):
    @blp.arguments(ClassifySchema)
    @blp.response(200, StaffWishSchema)
    def post(self, body, wish_id):
        """Set the catalogue item a wish is about."""
        wish = wishes.classify_wish(current_staff(session), wish_id, body["catalogue_code"])
        db.session.commit()
        return wish


@blp.route("/wishes/<int:wish_id>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, StaffWishSchema)
    def post(self, body, wish_id):
        """Mark a wish as a duplicate of another."""
        wish = wishes.merge_wish(current_staff(session), wish_id, body["into"])
        db.session.commit()
        return wish


@blp.route("/wishes/<int:wish_id>/answer")
class Answer(MethodView):
    @blp.arguments(AnswerSchema)
    @blp.response(200, StaffWishSchema)
    def post(self, body, wish_id):
        """Answer a wish; the resident is told on WeChat."""
        wish = wishes.answer_wish(current_staff(session), wish_id, body["text"])
        db.session.commit()
        return wish


@blp.route("/dwellings/<int:dwelling_id>/binding-codes")
class BindingCodes(MethodView):
    @blp.arguments(BindingCodeRequestSchema)
    @blp.response(201, BindingCodeSchema)
    def post(self, body, dwelling_id):
        """Issue a one-time binding code for a dwelling (shown once)."""
        code = accounts.issue_binding_code(current_staff(session), dwelling_id, body["kind"], body["person_id"])
        db.session.commit()
        return {"code": code}


@blp.route("/bindings")
class Bindings(MethodView):
    @blp.response(200, BindingRequestSchema(many=True))
    def get(self):
        """Binding requests waiting for a decision in my region."""
        return accounts.pending_bindings(current_staff(session))


@blp.route("/bindings/<int:request_id>")
class BindingDecision(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, BindingRequestSchema)
    def post(self, body, request_id):
        """Approve or reject a binding request."""
        decided = accounts.decide_binding(current_staff(session), request_id, body["approve"], body["kind"],
                                          body["person_id"], body["evidence"])
        db.session.commit()
        return decided


@blp.route("/units/<int:unit_id>/qrcode")
class UnitQrCode(MethodView):
    @blp.response(201, QrCodeSchema)
    def post(self, unit_id):
        """A permanent parametric QR code for a stairwell unit, to print and post in the stairwell."""
        code = accounts.stairwell_qrcode(current_staff(session), unit_id)
        return code
