"""Lift retrofits: counties set their rule, committees draw up a stairwell's scheme and open its vote,
owners see their own share before voting."""
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from api.schemas import ID
from core.errors import InvalidInput
from core.extensions import db
from core.i18n import translate
from lifts import services as lifts

staff_blp, resident_blp = door_blueprints(
    __name__, "lifts",
    staff=("/api/v1/admin/lifts", "Lift retrofits per stairwell: county rules, schemes, shares, votes."),
    resident=("/api/v1/lifts", "My share of a stairwell's lift, before I vote."))
FEN = validate.Range(min=0, max=10**12)


class RuleSchema(Schema):
    min_owner_share = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16),
                                    metadata={"description": "e.g. '2/3' of the unit's owners; empty: none"})
    affected_must_agree = fields.Boolean(load_default=False)


class SchemeCreateSchema(Schema):
    unit_id = fields.Integer(required=True, validate=ID)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(load_default="", validate=validate.Length(max=20000))
    total_cost = fields.Integer(required=True, validate=FEN, metadata={"description": "fen"})
    subsidy = fields.Integer(load_default=0, validate=FEN)
    provident_fund = fields.Integer(load_default=0, validate=FEN)
    coefficients = fields.Dict(keys=fields.String(validate=validate.Length(max=4)),
                               values=fields.String(validate=validate.Length(max=16)), required=True,
                               metadata={"description": "per floor, e.g. {'1': '0', '2': '0.6', '3': '1'}"})
    by_area = fields.Boolean(load_default=False)
    affected = fields.List(fields.Integer(validate=ID), load_default=list,
                           metadata={"description": "dwellings whose part the shaft occupies"})


class SchemeSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    title = fields.String()
    total_cost = fields.Integer()
    subsidy = fields.Integer()
    provident_fund = fields.Integer()
    coefficients = fields.Dict()
    by_area = fields.Boolean()
    affected = fields.List(fields.Integer())
    rule = fields.Dict(allow_none=True, metadata={"description": "the county's rule, fixed when the vote opened"})
    shares = fields.Method("get_shares", metadata={"description": "{dwelling id: fen}; null while they cannot be "
                                                                 "computed (see shares_problem)"})
    shares_problem = fields.Method("get_shares_problem")
    vote_id = fields.Integer(allow_none=True)
    project_item_id = fields.Integer(allow_none=True)
    outcome = fields.Method("get_outcome")

    def get_shares(self, scheme):
        try:
            return {str(k): v for k, v in lifts.shares_of(scheme).items()}
        except InvalidInput:
            return None

    def get_shares_problem(self, scheme):
        try:
            lifts.shares_of(scheme)
        except InvalidInput as fault:
            detail = fault.errors[0]
            return translate(detail["key"], **detail.get("params", {}))
        return None

    def get_outcome(self, scheme):
        decided = lifts.outcome(scheme)
        if decided is None:
            return None
        return {"approved": decided.approved, "civil_code_approved": decided.civil_code_approved,
                "owner_share_met": decided.owner_share_met, "affected_missing": list(decided.affected_missing),
                "reason": translate(decided.reason_key, **decided.reason_params)}


class OpenSchema(Schema):
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)


class LinkSchema(Schema):
    item_id = fields.Integer(required=True, validate=ID)


class FloorSchema(Schema):
    floor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4),
                          metadata={"description": "empty: read the floor from the room number again"})


class DwellingFloorSchema(Schema):
    id = fields.Integer()
    room = fields.String()
    floor = fields.Integer(allow_none=True)
    storey = fields.Integer(allow_none=True, metadata={"description": "the floor used: recorded or from the room"})


class ShareSchema(Schema):
    scheme_id = fields.Integer()
    dwelling_id = fields.Integer()
    room = fields.String()
    floor = fields.Integer(allow_none=True)
    coefficient = fields.String(allow_none=True)
    share = fields.Integer(metadata={"description": "fen this home pays if the lift is built"})
    total_cost = fields.Integer()
    subsidy = fields.Integer()
    provident_fund = fields.Integer()
    net_cost = fields.Integer()
    min_owner_share = fields.String(allow_none=True)
    affected_must_agree = fields.Boolean()
    affected = fields.Boolean()
    fixed = fields.Boolean(metadata={"description": "true once the vote opened"})


@staff_blp.route("/rules/<int:region_id>")
class CountyRule(MethodView):
    @staff_blp.arguments(RuleSchema)
    @staff_blp.response(200, RuleSchema)
    def put(self, body, region_id):
        """A county's rule for lift votes (votes already open keep theirs)."""
        record = lifts.set_lift_rule(signed_in_staff(), region_id, body["min_owner_share"], body["affected_must_agree"])
        db.session.commit()
        return record


@staff_blp.route("/schemes")
class Schemes(MethodView):
    @staff_blp.response(200, SchemeSchema(many=True))
    def get(self):
        """Lift schemes in my region."""
        return lifts.schemes_for(signed_in_staff())

    @staff_blp.arguments(SchemeCreateSchema)
    @staff_blp.response(201, SchemeSchema)
    def post(self, body):
        """A stairwell's lift scheme with its draft vote (special matter, counted within the unit)."""
        scheme = lifts.create_scheme(signed_in_staff(), **body)
        db.session.commit()
        return scheme


@staff_blp.route("/schemes/<int:scheme_id>")
class Scheme(MethodView):
    @staff_blp.response(200, SchemeSchema)
    def get(self, scheme_id):
        """One scheme with every dwelling's share and, once counted, the decision."""
        return lifts.get_scheme(signed_in_staff(), scheme_id)


@staff_blp.route("/schemes/<int:scheme_id>/open")
class OpenScheme(MethodView):
    @staff_blp.arguments(OpenSchema)
    @staff_blp.response(200, SchemeSchema)
    def post(self, body, scheme_id):
        """Open the stairwell's vote: the rule and the shares are fixed with it."""
        scheme = lifts.open_lift_vote(signed_in_staff(), scheme_id, body["opens_at"], body["closes_at"])
        db.session.commit()
        return scheme


@staff_blp.route("/schemes/<int:scheme_id>/item")
class LinkItem(MethodView):
    @staff_blp.arguments(LinkSchema)
    @staff_blp.response(200, SchemeSchema)
    def put(self, body, scheme_id):
        """Link the approved stairwell vote to the project item that builds the lift."""
        scheme = lifts.link_item(signed_in_staff(), scheme_id, body["item_id"])
        db.session.commit()
        return scheme


@staff_blp.route("/dwellings/<int:dwelling_id>/floor")
class DwellingFloor(MethodView):
    @staff_blp.arguments(FloorSchema)
    @staff_blp.response(200, DwellingFloorSchema)
    def put(self, body, dwelling_id):
        """Correct the floor a dwelling is on."""
        dwelling = lifts.set_floor(signed_in_staff(), dwelling_id, body["floor"])
        db.session.commit()
        return dwelling


@resident_blp.route("/votes/<int:vote_id>/my-share")
class MyShare(MethodView):
    @resident_blp.response(200, ShareSchema)
    def get(self, vote_id):
        """What my home pays if the stairwell's lift is built, and the rule the vote is counted by."""
        return lifts.resident_share(resident(), vote_id)
