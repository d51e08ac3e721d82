"""Setting up without code: regions and compounds (administrators, county staff); buildings, units and dwellings
(committees)."""
from flask import g, url_for
from flask_babel import gettext as _

from admin.common import bp, page, run_form
from admin.forms import BuildingForm, CompoundForm, NewDwellingForm, RegionForm, UnitForm
from core import registry
from core.auth import authorize, can
from core.models import RegionLevel


def _number(value):
    from core.ids import row_id
    return row_id(value)


def _regions_page(region_form=None, compound_form=None):
    from admin import labels
    if not (can(g.staff, "regions.create") or can(g.staff, "compounds.create")):
        authorize(g.staff, "regions.create")
    regions = registry.list_regions(g.staff)
    known = {r.id: r for r in regions}
    rows = [(r, registry.region_path_names(r, known)) for r in regions]
    compounds = {}
    for compound in registry.list_compounds(g.staff):
        compounds.setdefault(compound.community_id, []).append(compound)
    region_form = region_form or RegionForm(formdata=None, prefix="region")
    region_form.parent_id.choices = [("", _("Choose…"))] + [
        (str(r.id), f"{path} ({labels.label(labels.LEVELS, r.level)})")
        for r, path in rows if r.level != RegionLevel.COMMUNITY]
    compound_form = compound_form or CompoundForm(formdata=None, prefix="compound")
    compound_form.community_id.choices = [("", _("Choose…"))] + [
        (str(r.id), path) for r, path in rows if r.level == RegionLevel.COMMUNITY]
    failed = region_form if region_form.errors or region_form.form_errors else compound_form
    return page("admin/regions.html", form=failed, region_form=region_form, compound_form=compound_form,
                rows=rows, compounds=compounds)


@bp.get("/regions")
def regions():
    """The regions of my area with their ids and compounds; forms to add a region or a compound."""
    return _regions_page()


@bp.post("/regions/new")
def region_create():
    """Create a region one level below one of mine."""
    form = RegionForm(prefix="region")
    done = run_form(form, lambda: registry.create_region(g.staff, _number(form.parent_id.data), form.name.data),
                    _("Region created."), url_for("admin.regions"))
    return done if done is not None else _regions_page(region_form=form)


@bp.post("/regions/compounds")
def compound_create():
    """Register a compound in one of my communities; then its committee adds buildings or imports the roll."""
    form = CompoundForm(prefix="compound")
    made = {}

    def run():
        made["compound"] = registry.create_compound(
            g.staff, _number(form.community_id.data), form.name.data, form.address.data, form.built_year.data,
            form.households.data)
    done = run_form(form, run, _("Compound registered."),
                    lambda _made: url_for("admin.compound_structure", compound_id=made["compound"].id))
    return done if done is not None else _regions_page(compound_form=form)


def _structure_page(compound_id, forms=None):
    item = registry.get_compound(g.staff, compound_id)
    forms = forms or {}
    building_form = forms.get("building") or BuildingForm(formdata=None, prefix="building")
    unit_form = forms.get("unit") or UnitForm(formdata=None, prefix="unit")
    dwelling_form = forms.get("dwelling") or NewDwellingForm(formdata=None, prefix="dwelling")
    buildings = sorted(item.buildings, key=lambda b: (len(b.name), b.name))
    unit_form.building_id.choices = [("", _("Choose…"))] + [
        (str(b.id), _("Building %(name)s", name=b.name)) for b in buildings]
    dwelling_form.unit_id.choices = [("", _("Choose…"))] + [
        (str(u.id), _("Building %(building)s, unit %(unit)s", building=b.name, unit=u.name))
        for b in buildings for u in b.units]
    counts = registry.dwelling_counts(item.id)
    failed = next((f for f in (building_form, unit_form, dwelling_form) if f.errors or f.form_errors), None)
    return page("admin/compound_structure.html", form=failed, compound=item, buildings=buildings, counts=counts,
                building_form=building_form, unit_form=unit_form, dwelling_form=dwelling_form)


@bp.get("/compounds/<int:compound_id>/structure")
def compound_structure(compound_id):
    """A compound's buildings and stairwell units with their ids; forms to add them and dwellings by hand."""
    return _structure_page(compound_id)


@bp.post("/compounds/<int:compound_id>/buildings")
def building_create(compound_id):
    """Add a building."""
    form = BuildingForm(prefix="building")
    target = url_for("admin.compound_structure", compound_id=compound_id)
    done = run_form(form, lambda: registry.add_building(g.staff, compound_id, form.name.data, form.floors.data,
                                                        form.has_lift.data), _("Building added."), target)
    return done if done is not None else _structure_page(compound_id, {"building": form})


@bp.post("/compounds/<int:compound_id>/units")
def unit_create(compound_id):
    """Add a stairwell unit to a building of this compound."""
    form = UnitForm(prefix="unit")
    done = run_form(form, lambda: registry.add_unit(g.staff, _number(form.building_id.data), form.name.data,
                                                    compound_id=compound_id),
                    _("Unit added."), url_for("admin.compound_structure", compound_id=compound_id))
    return done if done is not None else _structure_page(compound_id, {"unit": form})


@bp.post("/compounds/<int:compound_id>/dwellings")
def dwelling_create(compound_id):
    """Add a dwelling to a stairwell unit of this compound (its owners come from the roll)."""
    form = NewDwellingForm(prefix="dwelling")
    done = run_form(form, lambda: registry.add_dwelling(g.staff, _number(form.unit_id.data), form.room.data,
                                                        form.registered_area.data, form.surveyed_area.data,
                                                        form.contract_area.data, compound_id=compound_id),
                    _("Dwelling added."), url_for("admin.compound_structure", compound_id=compound_id))
    return done if done is not None else _structure_page(compound_id, {"dwelling": form})
