"""The contribution ledger: residents pledge for their home and see their own entries and the totals; the
committee records receipts, refunds and cancellations, sets apportionment rules and exports the ledger."""
from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from api.schemas import ID
from contributions import services as contributions
from contributions.models import RULES
from core.extensions import db
from core.scopes import SCOPES

staff_blp, resident_blp = door_blueprints(
    __name__, "contributions",
    staff=("/api/v1/admin/projects", "Residents' contributions per dwelling, for committee staff."),
    resident=("/api/v1/project/contributions", "My home's contributions and my compound's totals."))


class ContributionSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    item_id = fields.Integer(allow_none=True)
    dwelling_id = fields.Integer()
    kind = fields.String()
    amount = fields.Integer(allow_none=True, metadata={"description": "fen"})
    hours = fields.Integer(allow_none=True)
    description = fields.String()
    state = fields.String(metadata={"description": "pledged | received | refunded | cancelled"})
    receipt_no = fields.String(allow_none=True)
    pledged_at = fields.DateTime()
    received_at = fields.DateTime(allow_none=True)


class StaffPledgeSchema(Schema):
    dwelling_id = fields.Integer(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(("money", "maintenance_fund", "labour", "goods")))
    amount = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10**12))
    hours = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10**6))
    description = fields.String(load_default=None, validate=validate.Length(max=200))
    item_id = fields.Integer(load_default=None, validate=ID)


class ReceiveSchema(Schema):
    receipt_no = fields.String(required=True, validate=validate.Length(max=64))


class CloseSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(("refunded", "cancelled")))
    reason = fields.String(required=True, validate=validate.Length(max=200))


class ApportionSchema(Schema):
    rule = fields.String(required=True, validate=validate.OneOf(RULES))
    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=10**12), metadata={"description": "fen"})
    coefficients = fields.Dict(keys=fields.String(validate=validate.Length(max=4)),
                               values=fields.String(validate=validate.Length(max=16)), load_default=None)
    scope_kind = fields.String(load_default=None, validate=validate.OneOf(SCOPES))
    scope_id = fields.Integer(load_default=None, validate=ID)


class DuesSchema(Schema):
    item_id = fields.Integer()
    rule = fields.String()
    amount = fields.Integer()
    dues = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "fen per dwelling"})


class TotalsSchema(Schema):
    pledged = fields.Integer(metadata={"description": "fen promised, not in hand"})
    received = fields.Integer(metadata={"description": "fen received (with receipts)"})
    refunded = fields.Integer()
    maintenance_fund_received = fields.Integer()
    hours_pledged = fields.Integer()
    hours_given = fields.Integer()


class LedgerRowSchema(Schema):
    dwelling_id = fields.Integer()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    due = fields.Integer()
    pledged = fields.Integer()
    received = fields.Integer()
    entries = fields.List(fields.Nested(ContributionSchema))


class LedgerSchema(Schema):
    rows = fields.List(fields.Nested(LedgerRowSchema))
    totals = fields.Nested(TotalsSchema)


class MyLedgerSchema(Schema):
    entries = fields.List(fields.Nested(ContributionSchema))
    totals = fields.Nested(TotalsSchema)
    dues = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "fen per item"})


@staff_blp.route("/<int:project_id>/contributions")
class Ledger(MethodView):
    @staff_blp.response(200, LedgerSchema)
    def get(self, project_id):
        """Who has given what: per dwelling, pledged and received apart."""
        return contributions.committee_ledger(signed_in_staff(), project_id)

    @staff_blp.arguments(StaffPledgeSchema)
    @staff_blp.response(201, ContributionSchema)
    def post(self, body, project_id):
        """Write down a pledge made at the door or in the office."""
        entry = contributions.record_pledge(signed_in_staff(), project_id, **body)
        db.session.commit()
        return entry


@staff_blp.route("/<int:project_id>/contributions/<int:contribution_id>/receive")
class Receive(MethodView):
    @staff_blp.arguments(ReceiveSchema)
    @staff_blp.response(200, ContributionSchema)
    def post(self, body, project_id, contribution_id):
        """Record money received, with the receipt number (the recorder is the signed-in staff member)."""
        entry = contributions.receive(signed_in_staff(), contribution_id, body["receipt_no"])
        db.session.commit()
        return entry


@staff_blp.route("/<int:project_id>/contributions/<int:contribution_id>/close")
class CloseEntry(MethodView):
    @staff_blp.arguments(CloseSchema)
    @staff_blp.response(200, ContributionSchema)
    def post(self, body, project_id, contribution_id):
        """Refund money received, or cancel a pledge never paid."""
        entry = contributions.close_entry(signed_in_staff(), contribution_id, body["state"], body["reason"])
        db.session.commit()
        return entry


@staff_blp.route("/<int:project_id>/items/<int:item_id>/apportionment")
class Apportion(MethodView):
    @staff_blp.arguments(ApportionSchema)
    @staff_blp.response(200, DuesSchema)
    def put(self, body, project_id, item_id):
        """How the residents' part of an item is shared: by area, floor coefficients or equally."""
        record = contributions.set_apportionment(signed_in_staff(), item_id, **body)
        dues = contributions.dues_of(record)
        db.session.commit()
        return {"item_id": record.item_id, "rule": record.rule, "amount": record.amount,
                "dues": {str(k): v for k, v in dues.items()}}


@staff_blp.route("/<int:project_id>/contributions.xlsx")
class LedgerExport(MethodView):
    @staff_blp.response(200, {"format": "binary", "type": "string"}, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    def get(self, project_id):
        """The committee's ledger as an .xlsx workbook."""
        data = contributions.export_ledger(signed_in_staff(), project_id)
        db.session.commit()
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=contributions-{project_id}.xlsx"})


@resident_blp.route("")
class Mine(MethodView):
    @resident_blp.response(200, MyLedgerSchema)
    def get(self):
        """My home's entries, my share of each item, and my compound's totals (pledged and received apart)."""
        mine = contributions.my_ledger(resident())
        return {"entries": mine["entries"], "totals": mine["totals"],
                "dues": {str(k): v for k, v in mine["dues"].items()}}


@resident_blp.route("/<int:contribution_id>/cancel")
class CancelMine(MethodView):
    @resident_blp.response(200, ContributionSchema)
    def post(self, contribution_id):
        """Withdraw my pledge before anything was received."""
        entry = contributions.cancel_own(resident(), contribution_id)
        db.session.commit()
        return entry
