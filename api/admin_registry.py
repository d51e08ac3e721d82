"""Staff API over the registry: compounds, dwellings, roll import, catalogue, audit log."""
from flask import request, session
from flask.views import MethodView
from flask_babel import get_locale
from api.doors import Blueprint

from api.schemas import (AuditEntrySchema, AuditQuerySchema, BuildingCreateSchema, BuildingSchema,
                         CatalogueItemSchema, CompoundCreateSchema, CompoundDetailSchema, CompoundSchema,
                         DwellingCreateSchema, DwellingSchema, ImportReportSchema, RegionCreateSchema, RegionSchema,
                         RollOptionsSchema, RollUploadSchema, UnitCreateSchema, UnitSchema)
from core import audit, catalogue, registry
from core.auth import current_staff
from core.errors import InvalidInput
from core.extensions import db

blp = Blueprint("admin_registry", __name__, url_prefix="/api/v1/admin",
                description="The registry, for staff within their region.")


def _region_body(region, known):
    return dict(id=region.id, parent_id=region.parent_id, level=region.level, name=region.name,
                full_name=registry.region_path_names(region, known))


@blp.route("/regions")
class Regions(MethodView):
    @blp.response(200, RegionSchema(many=True))
    def get(self):
        """The regions in my region, top down, with their ids."""
        regions = registry.list_regions(current_staff(session))
        known = {r.id: r for r in regions}
        return [_region_body(r, known) for r in regions]

    @blp.arguments(RegionCreateSchema)
    @blp.response(201, RegionSchema)
    def post(self, body):
        """Create a region one level below a region of mine (administrators and county staff)."""
        region = registry.create_region(current_staff(session), body["parent_id"], body["name"])
        db.session.commit()
        return _region_body(region, {})


@blp.route("/compounds")
class Compounds(MethodView):
    @blp.response(200, CompoundSchema(many=True))
    def get(self):
        """The compounds in my region."""
        return registry.list_compounds(current_staff(session))

    @blp.arguments(CompoundCreateSchema)
    @blp.response(201, CompoundDetailSchema)
    def post(self, body):
        """Register a compound in a community of my region (administrators and county staff)."""
        compound = registry.create_compound(current_staff(session), **body)
        db.session.commit()
        return compound


@blp.route("/compounds/<int:compound_id>")
class CompoundDetail(MethodView):
    @blp.response(200, CompoundDetailSchema)
    def get(self, compound_id):
        """One compound in my region, with its buildings and their stairwell units (ids included)."""
        return registry.get_compound(current_staff(session), compound_id)


@blp.route("/compounds/<int:compound_id>/buildings")
class Buildings(MethodView):
    @blp.arguments(BuildingCreateSchema)
    @blp.response(201, BuildingSchema)
    def post(self, body, compound_id):
        """Add a building to a compound by hand (a roll import also adds the buildings it names)."""
        building = registry.add_building(current_staff(session), compound_id, **body)
        db.session.commit()
        return building


@blp.route("/compounds/<int:compound_id>/units")
class Units(MethodView):
    @blp.arguments(UnitCreateSchema)
    @blp.response(201, UnitSchema)
    def post(self, body, compound_id):
        """Add a stairwell unit to one of the compound's buildings."""
        unit = registry.add_unit(current_staff(session), body["building_id"], body["name"], compound_id=compound_id)
        db.session.commit()
        return unit


@blp.route("/compounds/<int:compound_id>/dwellings")
class Dwellings(MethodView):
    @blp.response(200, DwellingSchema(many=True))
    def get(self, compound_id):
        """The dwellings and owners of a compound (phones masked unless my role needs them)."""
        return registry.list_dwellings(current_staff(session), compound_id)

    @blp.arguments(DwellingCreateSchema)
    @blp.response(201, DwellingSchema)
    def post(self, body, compound_id):
        """Add a dwelling to one of the compound's stairwell units, with its areas; owners come from the roll."""
        staff = current_staff(session)
        dwelling = registry.add_dwelling(staff, compound_id=compound_id, **body)
        db.session.commit()
        return registry.list_dwellings(staff, compound_id, dwelling_id=dwelling.id)[0]


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
        english = str(get_locale()).startswith("en")
        return [dict(code=i.code, cls=i.cls, name_zh=i.name_zh, name_en=i.name_en,
                     name=i.name_en if english else i.name_zh)
                for i in catalogue.catalogue_for(current_staff(session))]


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, query):
        """The audit log of my region, newest first."""
        return audit.audit_entries(current_staff(session), **query)
