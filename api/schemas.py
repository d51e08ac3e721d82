"""Marshmallow schemas for the staff (admin) audience."""
from marshmallow import Schema, fields, validate

from core.areas import format_area


class Area(fields.Field):
    """Hundredths of m² shown as a decimal string ('85.60')."""

    def _serialize(self, value, attr, obj, **kwargs):
        return format_area(value)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256),
                                 metadata={"description": "at least 10 characters, not a common password, "
                                                          "not containing the user name"})


class StaffSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    role = fields.String()
    region_id = fields.Integer()
    region_name = fields.Function(lambda s: s.region.name)
    must_change_password = fields.Boolean(metadata={
        "description": "true: only changing the password (POST /api/v1/admin/session/password) and signing "
                       "out are open until it is changed"})


class SessionSchema(Schema):
    csrf_token = fields.String()
    staff = fields.Nested(StaffSchema, allow_none=True)


class CompoundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    community_id = fields.Integer()
    community_name = fields.Function(lambda c: c.community.name)
    built_year = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    building_count = fields.Integer(allow_none=True)
    total_floor_area = Area()
    heritage = fields.Boolean()
    dangerous = fields.Boolean()
    demolition = fields.Boolean()
    reserve_level = fields.String(allow_none=True)
    status = fields.String()


class OwnerSchema(Schema):
    name = fields.String()
    id_number = fields.String(allow_none=True, metadata={"description": "Always masked."})
    phone = fields.String(allow_none=True, metadata={"description": "Masked unless the role needs it."})
    developer_held = fields.Boolean()
    delivered = fields.Boolean()
    share = fields.String(allow_none=True)


class DwellingSchema(Schema):
    id = fields.Integer()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    registered_area = Area()
    surveyed_area = Area()
    contract_area = Area()
    counted_area = Area()
    owners = fields.List(fields.Nested(OwnerSchema))


class RollUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportReportSchema(Schema):
    rows = fields.Integer()
    dwellings_created = fields.Integer()
    dwellings_updated = fields.Integer()
    dwellings_unchanged = fields.Integer()
    people_created = fields.Integer()
    people_updated = fields.Integer()
    ownerships_added = fields.Integer()
    ownerships_removed = fields.Integer()
    ownerships_updated = fields.Integer()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    region_id = fields.Integer(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class AuditQuerySchema(Schema):
    action = fields.String(validate=validate.Length(max=64))
    before_id = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class CatalogueItemSchema(Schema):
    code = fields.String()
    cls = fields.String(data_key="class")
    name_zh = fields.String()
    name_en = fields.String()
    name = fields.String(metadata={"description": "In the request's language."})
