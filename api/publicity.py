"""Publicity (公示): staff answer objections and end periods; residents read what is published and object."""
from datetime import timedelta

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from api.schemas import chat_photos_field, prefetch_chat_photos
from core.extensions import db
from core.models import aware, utcnow
from core.uploads import store_uploads
from publicity import services as publicity

staff_blp, resident_blp = door_blueprints(
    __name__, "publicity",
    staff=("/api/v1/admin/publicity", "Public notice periods and objections, for staff within their region."),
    resident=("/api/v1/publicity", "What is published for my home, the countdown, my objections."))


class ObjectionSchema(Schema):
    """An objection as published: no name, no home."""

    id = fields.Integer()
    text = fields.String()
    photos = fields.List(fields.String())
    created_at = fields.DateTime()
    answer = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class PublicitySchema(Schema):
    id = fields.Integer()
    subject_kind = fields.String(metadata={"description": "vote_result | plan | final_accounts"})
    subject_id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    record = fields.Dict(allow_none=True, metadata={"description": "what is published, fixed at opening"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    state = fields.String(metadata={"description": "open | ended"})
    extensions = fields.Integer()
    seconds_left = fields.Method("get_seconds_left", metadata={"description": "countdown; 0 once over"})
    objections = fields.List(fields.Nested(ObjectionSchema))

    def get_seconds_left(self, period):
        return max(0, int((aware(period.ends_at) - utcnow()) / timedelta(seconds=1)))


class StaffObjectionSchema(ObjectionSchema):
    """An objection as the committee reads it: with the photos sent in chat that are not kept (yet)."""

    chat_photos = chat_photos_field("objection")


class StaffPublicitySchema(PublicitySchema):
    objections = fields.Method("get_objections")

    def get_objections(self, period):
        return StaffObjectionSchema(many=True).dump(prefetch_chat_photos("objection", list(period.objections)))


class ObjectionCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class MyObjectionSchema(ObjectionSchema):
    publicity_id = fields.Integer()


class ObjectionAnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PublicityExtendSchema(Schema):
    ends_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@staff_blp.route("")
class Periods(MethodView):
    @staff_blp.response(200, StaffPublicitySchema(many=True))
    def get(self):
        """Periods in my region, newest first."""
        return publicity.list_publicity(signed_in_staff())


@staff_blp.route("/<int:publicity_id>")
class Period(MethodView):
    @staff_blp.response(200, StaffPublicitySchema)
    def get(self, publicity_id):
        """One period with its objections and answers."""
        return publicity.get_publicity(signed_in_staff(), publicity_id)


@staff_blp.route("/<int:publicity_id>/objections/<int:objection_id>/answer")
class Answer(MethodView):
    @staff_blp.arguments(ObjectionAnswerSchema)
    @staff_blp.response(200, StaffObjectionSchema)
    def post(self, body, publicity_id, objection_id):
        """Answer an objection: the resident is told, and the answer joins the published record."""
        objection = publicity.answer_objection(signed_in_staff(), objection_id, body["answer"], publicity_id)
        db.session.commit()
        return objection


@staff_blp.route("/<int:publicity_id>/extend")
class Extend(MethodView):
    @staff_blp.arguments(PublicityExtendSchema)
    @staff_blp.response(200, StaffPublicitySchema)
    def post(self, body, publicity_id):
        """Give residents more time, with a reason."""
        period = publicity.extend_publicity(signed_in_staff(), publicity_id, body["ends_at"], body["reason"])
        db.session.commit()
        return period


@staff_blp.route("/<int:publicity_id>/close")
class Close(MethodView):
    @staff_blp.response(200, StaffPublicitySchema)
    def post(self, publicity_id):
        """End a period whose time is up (refused while an objection is unanswered)."""
        period = publicity.close_publicity(signed_in_staff(), publicity_id)
        db.session.commit()
        return period


@resident_blp.route("")
class OpenForMe(MethodView):
    @resident_blp.response(200, PublicitySchema(many=True))
    def get(self):
        """What is being published for my home now, with the time left to object."""
        return publicity.open_for_resident(resident())


@resident_blp.route("/<int:publicity_id>")
class Published(MethodView):
    @resident_blp.response(200, PublicitySchema)
    def get(self, publicity_id):
        """One published record with its objections and answers (names withheld)."""
        resident()
        return publicity.public_period(publicity_id)


@resident_blp.route("/<int:publicity_id>/objections")
class Objections(MethodView):
    @resident_blp.arguments(ObjectionCreateSchema, location="form")
    @resident_blp.response(201, MyObjectionSchema)
    def post(self, body, publicity_id):
        """Object, with photos (multipart): the committee answers each objection."""
        objection = publicity.lodge_objection(resident(), publicity_id, body["text"], store_uploads(request.files))
        db.session.commit()
        return objection


@resident_blp.route("/objections/<int:objection_id>/photos")
class ObjectionPhotos(MethodView):
    @resident_blp.response(200, MyObjectionSchema)
    def post(self, objection_id):
        """Add a photo to my objection (multipart 'photos'; wx.uploadFile sends one file at a time)."""
        objection = publicity.add_objection_photos(resident(), objection_id, store_uploads(request.files))
        db.session.commit()
        return objection


@resident_blp.route("/objections/mine")
class MyObjections(MethodView):
    @resident_blp.response(200, MyObjectionSchema(many=True))
    def get(self):
        """My objections and the answers to them."""
        return publicity.my_objections(resident())
