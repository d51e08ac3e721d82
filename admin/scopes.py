"""Choices of compounds, buildings and stairwell units in a staff member's region, for forms."""
from flask_babel import gettext as _

from core.auth import compounds_in_scope
from core.extensions import db
from core.models import Building, Compound, Unit


def compound_choices(staff):
    """(id, name) of the compounds in the region."""
    return [(str(c.id), c.name) for c in compounds_in_scope(staff).order_by(Compound.name).limit(2000)]


def scope_choices(staff, units=True):
    """'compound:1', 'building:4', 'unit:9' with readable labels, grouped by compound."""
    compounds = compounds_in_scope(staff).order_by(Compound.name).limit(200).all()
    ids = [c.id for c in compounds]
    buildings = db.session.query(Building).filter(Building.compound_id.in_(ids)).order_by(Building.name).all() \
        if ids else []
    by_compound = {}
    for b in buildings:
        by_compound.setdefault(b.compound_id, []).append(b)
    unit_rows = db.session.query(Unit).filter(Unit.building_id.in_([b.id for b in buildings])).order_by(
        Unit.name).all() if units and buildings else []
    by_building = {}
    for u in unit_rows:
        by_building.setdefault(u.building_id, []).append(u)
    choices = []
    for c in compounds:
        choices.append((f"compound:{c.id}", _("%(compound)s (whole compound)", compound=c.name)))
        for b in by_compound.get(c.id, []):
            choices.append((f"building:{b.id}", _("%(compound)s, building %(building)s", compound=c.name,
                                                  building=b.name)))
            for u in by_building.get(b.id, []):
                choices.append((f"unit:{u.id}", _("%(compound)s, building %(building)s, unit %(unit)s",
                                                  compound=c.name, building=b.name, unit=u.name)))
    return choices


def split_scope(value):
    """('unit', 9) from 'unit:9'."""
    kind, _sep, ident = (value or "").partition(":")
    return kind, int(ident)


def describe_scope(kind, ident):
    """A readable name of a scope."""
    if kind == "compound":
        c = db.session.get(Compound, ident)
        return c.name if c else ""
    if kind == "building":
        b = db.session.get(Building, ident)
        return _("%(compound)s, building %(building)s", compound=b.compound.name, building=b.name) if b else ""
    u = db.session.get(Unit, ident)
    return _("%(compound)s, building %(building)s, unit %(unit)s", compound=u.building.compound.name,
             building=u.building.name, unit=u.name) if u else ""
