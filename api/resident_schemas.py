"""Schemas for the mini-program audience: a resident sees only their own things."""
from flask import g
from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from stories.services import prefetch, story_for_api
from wishes.texts import status_label


def wishes_with_stories(found):
    """A list of wishes about to be given with their stories: the stories are read for all of them at once (a few
    queries, not a few per wish), into the request's cache that WishSchema reads."""
    prefetch(found, str(get_locale()), g.setdefault("stories", {}))
    return found


def _story(wish):
    return story_for_api(wish, str(get_locale()), g.setdefault("stories", {}))


class WxLoginSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class WxLoginResultSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    bound = fields.Boolean()


class CodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class RoomBindingSchema(Schema):
    unit_id = fields.Integer(required=True)
    room = fields.String(required=True, validate=validate.Length(min=1, max=32))
    phone_last4 = fields.String(required=True, validate=validate.Length(equal=4))
    name = fields.String(validate=validate.Length(max=100))


class BindingResultSchema(Schema):
    outcome = fields.String(metadata={"description": "bound or pending"})


class StairwellSchema(Schema):
    id = fields.Integer()
    compound = fields.String()
    building = fields.String()
    unit = fields.String()


class MeSchema(Schema):
    bound = fields.Boolean()
    kind = fields.String(allow_none=True)
    locale = fields.String()
    compound = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    phone_bound = fields.Boolean()
    privacy_consented = fields.Boolean(metadata={"description": "false until the privacy notice is agreed to"})
    owner_verified = fields.Boolean(metadata={"description": "an owner verified by ID and certificate, a "
                                                             "committee code or decision: may vote"})
    dwellings = fields.List(fields.Dict(), metadata={"description": "{dwelling_id, address}: every home I own"})


class OwnerBindingSchema(Schema):
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                   metadata={"description": "不动产权证号, as on the property certificate"})


class PrivacyNoticeSchema(Schema):
    version = fields.String()
    text = fields.String()


class ConsentSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=16))


class LocaleSchema(Schema):
    locale = fields.String(required=True, validate=validate.OneOf(["zh_Hans_CN", "en"]))


class WishCreateSchema(Schema):
    text = fields.String(load_default="", validate=validate.Length(max=1000))
    catalogue_code = fields.String(load_default=None, validate=validate.Length(max=32))
    latitude = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))


class WishSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    catalogue_code = fields.String(allow_none=True)
    suggested_codes = fields.List(fields.String())
    text = fields.String()
    photos = fields.List(fields.String())
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    status = fields.String()
    answer = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    status_text = fields.Function(lambda w: status_label(w.status), metadata={"description": "status as read"})
    story = fields.Function(_story, metadata={
        "description": "what came of the wish, oldest first: [{kind, text, at}] (kind: merged | answered | "
                       "survey | vote | item | accepted)"})
