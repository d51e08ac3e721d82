"""Marshmallow schemas for the staff (admin) audience."""
from marshmallow import Schema, fields, validate

from core.areas import format_area

ID = validate.Range(min=1, max=2**31 - 1)  # a database row id, as `<int:...>` in a route takes it


class Area(fields.Field):
    """Hundredths of m² shown as a decimal string ('85.60')."""

    def _serialize(self, value, attr, obj, **kwargs):
        return format_area(value)


def chat_photos_field(kind):
    """The photos sent in chat for a thing of `kind` that are not kept (yet), each with what the committee reads
    of it; read once per request for a whole list (`prefetch_chat_photos`)."""
    return fields.Function(lambda row: chat_photo_notes(kind, row.id), dump_only=True, metadata={
        "type": "array", "items": {"type": "object"},
        "description": "photos the resident sent in WeChat that are not kept (yet): [{state: fetching | refused | "
                       "gone | failed, reason, text}]; those kept are in photos"})


def prefetch_chat_photos(kind, rows):
    """Read the chat photos of a list of things in one query before it is dumped."""
    from flask import g

    from core.chat_photos import notes_for
    ids = [row.id for row in rows]
    found = notes_for(kind, ids)
    g.setdefault("chat_photo_notes", {}).setdefault(kind, {}).update({i: found.get(i, []) for i in ids})
    return rows


def chat_photo_notes(kind, target_id):
    """The notes of one thing's chat photos (from the request's prefetch, else read now)."""
    from flask import g

    from core.chat_photos import notes_for
    known = g.setdefault("chat_photo_notes", {}).setdefault(kind, {})
    if target_id not in known:
        known[target_id] = notes_for(kind, [target_id]).get(target_id, [])
    return known[target_id]


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


class RegionSchema(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    level = fields.String(metadata={"description": "province, city, county, street or community"})
    name = fields.String()
    full_name = fields.String(metadata={"description": "The names from the province down."})


class RegionCreateSchema(Schema):
    parent_id = fields.Integer(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CompoundCreateSchema(Schema):
    community_id = fields.Integer(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    built_year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2100))
    households = fields.Integer(load_default=None, validate=validate.Range(min=0, max=100000))


class UnitSchema(Schema):
    id = fields.Integer()
    building_id = fields.Integer()
    name = fields.String()


class BuildingSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    name = fields.String()
    floors = fields.Integer(allow_none=True)
    has_lift = fields.Boolean()
    units = fields.List(fields.Nested(UnitSchema))


class CompoundDetailSchema(CompoundSchema):
    buildings = fields.List(fields.Nested(BuildingSchema),
                            metadata={"description": "Buildings with their stairwell units, ids for scopes and QR codes."})


class BuildingCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    floors = fields.Integer(load_default=None, validate=validate.Range(min=1, max=200))
    has_lift = fields.Boolean(load_default=False)


class UnitCreateSchema(Schema):
    building_id = fields.Integer(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))


class DwellingCreateSchema(Schema):
    unit_id = fields.Integer(required=True, validate=ID)
    room = fields.String(required=True, validate=validate.Length(min=1, max=32))
    registered_area = fields.String(load_default=None, validate=validate.Length(max=20),
                                    metadata={"description": "m² as on the roll, e.g. '85.60'"})
    surveyed_area = fields.String(load_default=None, validate=validate.Length(max=20))
    contract_area = fields.String(load_default=None, validate=validate.Length(max=20))


class OwnerSchema(Schema):
    person_id = fields.Integer(metadata={"description": "the owner as a person (who signs a proxy's authorisation, "
                                                        "whom a binding code names)"})
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
    unit_id = fields.Integer()
    building_id = fields.Integer()


class RollUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RollWarningSchema(Schema):
    row = fields.Integer(metadata={"description": "Spreadsheet row (header is row 1); 0 for the whole roll."})
    column = fields.String()
    column_label = fields.String()
    code = fields.String()
    message = fields.String()


class RollChangeSchema(Schema):
    kind = fields.String(metadata={"description": "created, updated or removed"})
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    name = fields.String()
    was = fields.String(allow_none=True, metadata={"description": "the name before, when it changed"})


class ImportReportSchema(Schema):
    rows = fields.Integer()
    dry_run = fields.Boolean(metadata={"description": "True for a preview: nothing was saved."})
    owners_created = fields.Integer()
    owners_updated = fields.Integer()
    owners_unchanged = fields.Integer()
    owners_removed = fields.Integer()
    dwellings_created = fields.Integer()
    dwellings_updated = fields.Integer()
    dwellings_unchanged = fields.Integer()
    dwellings_not_on_roll = fields.Integer()
    warnings = fields.List(fields.Nested(RollWarningSchema))
    changes = fields.List(fields.Nested(RollChangeSchema),
                          metadata={"description": "Owner changes flat by flat (the first 200)."})


class RollOptionsSchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Preview: report what the import would do, save nothing."})


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
