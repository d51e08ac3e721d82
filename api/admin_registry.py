"""Staff API over the registry: compounds, dwellings, roll import, catalogue, audit log."""
from flask import request, session
from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint

from api.schemas import (AuditEntrySchema, AuditQuerySchema, CatalogueItemSchema, CompoundSchema,
                         DwellingSchema, ImportReportSchema, RollOptionsSchema, RollUploadSchema)
from core import audit, catalogue, registry
from core.auth import authorize, current_staff
from core.errors import InvalidInput
from core.extensions import db

blp = Blueprint("admin_registry", __name__, url_prefix="/api/v1/admin",
                description="The registry, for staff within their region.")


@blp.route("/compounds")
class Compounds(MethodView):
    @blp.response(200, CompoundSchema(many=True))
    def get(self):
        """The compounds in my region."""
        return registry.list_compounds(current_staff(session))


@blp.route("/compounds/<int:compound_id>")
class CompoundDetail(MethodView):
    @blp.response(200, CompoundSchema)
    def get(self, compound_id):
        """One compound in my region."""
        return registry.get_compound(current_staff(session), compound_id)


@blp.route("/compounds/<int:compound_id>/dwellings")
class Dwellings(MethodView):
    @blp.response(200, DwellingSchema(many=True))
    def get(self, compound_id):
        """The dwellings and owners of a compound (phones masked unless my role needs them)."""
        return registry.list_dwellings(current_staff(session), compound_id)


@blp.route("/compounds/<int:compound_id>/roll")
class Roll(MethodView):
    @blp.arguments(RollUploadSchema, location="files")
    @blp.arguments(RollOptionsSchema, location="form")
    @blp.response(200, ImportReportSchema)
    def post(self, files, options, compound_id):
        """Import a voter roll (.xlsx or .csv, UTF-8 or GBK); all or nothing; `dry_run` previews it."""
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput([{"field": "file", "key": "error.field_required"}])
        report = registry.import_roll(current_staff(session), compound_id, upload.read(),
                                      filename=upload.filename, dry_run=options["dry_run"])
        db.session.commit()
        return registry.report_as_dict(report)


@blp.route("/catalogue")
class Catalogue(MethodView):
    @blp.response(200, CatalogueItemSchema(many=True))
    def get(self):
        """The renovation catalogue as it applies in my region."""
        staff = current_staff(session)
        authorize(staff, "catalogue.read")
        english = str(get_locale()).startswith("en")
        return [dict(code=i.code, cls=i.cls, name_zh=i.name_zh, name_en=i.name_en,
                     name=i.name_en if english else i.name_zh)
                for i in catalogue.items_for_region(staff.region)]


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, query):
        """The audit log of my region, newest first."""
        staff = current_staff(session)
        authorize(staff, "audit.read")
        return audit.audit_entries(staff, **query)
