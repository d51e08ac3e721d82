"""Schemas for the mini-program audience: a resident sees only their own things."""
from marshmallow import Schema, fields, validate


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


class MeSchema(Schema):
    bound = fields.Boolean()
    kind = fields.String(allow_none=True)
    locale = fields.String()
    compound = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    phone_bound = fields.Boolean()


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
