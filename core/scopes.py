"""Scopes: a compound, a building or a stairwell unit, what lies in one, and how it is named.

Votes, surveys, notices, publicity and lifts all speak of "the residents of this compound, building or
unit"; they ask this module, once, what that means."""
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select

from core.auth import compounds_in_scope, scope_pattern
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.models import Building, Compound, Dwelling, Region, Unit, WechatAccount

SCOPES = ("compound", "building", "unit")
LABELS = {"compound": _l("whole compound"), "building": _l("building"), "unit": _l("stairwell unit")}


def scope_compound(scope_kind, scope_id):
    """The compound a compound, building or unit scope lies in (NotFound if none)."""
    if scope_kind == "compound":
        compound = db.session.get(Compound, scope_id)
    elif scope_kind == "building":
        building = db.session.get(Building, scope_id)
        compound = building.compound if building else None
    elif scope_kind == "unit":
        unit = db.session.get(Unit, scope_id)
        compound = unit.building.compound if unit else None
    else:
        raise InvalidInput([{"field": "scope_kind", "key": "error.invalid"}])
    if compound is None:
        raise NotFound()
    return compound


def dwellings_in(scope_kind, scope_id):
    """A select of the ids of the dwellings in a scope."""
    query = select(Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
    if scope_kind == "unit":
        return query.where(Dwelling.unit_id == scope_id)
    if scope_kind == "building":
        return query.where(Unit.building_id == scope_id)
    return query.join(Building, Unit.building_id == Building.id).where(Building.compound_id == scope_id)


def accounts_in(scope_kind, scope_id):
    """A select of the ids of bound accounts whose dwelling lies in the scope (never one whose holder deleted
    their data: nothing reaches them any more)."""
    query = (select(WechatAccount.id).join(Dwelling, WechatAccount.dwelling_id == Dwelling.id)
             .where(WechatAccount.deleted_at.is_(None)))
    if scope_kind == "unit":
        return query.where(Dwelling.unit_id == scope_id)
    query = query.join(Unit, Dwelling.unit_id == Unit.id)
    if scope_kind == "building":
        return query.where(Unit.building_id == scope_id)
    return query.join(Building, Unit.building_id == Building.id).where(Building.compound_id == scope_id)


def count_accounts_in(scope_kind, scope_id):
    """How many residents bound in WeChat live in the scope (whom a notice to it reaches)."""
    return db.session.scalar(select(func.count()).select_from(accounts_in(scope_kind, scope_id).subquery()))


# Whether a dwelling lies in a scope, by the scope's kind (built once: asked on most residents' requests).
_CONTAINS = {
    "unit": select(Dwelling.id).where(Dwelling.id == bindparam("dwelling"), Dwelling.unit_id == bindparam("scope")),
    "building": select(Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id).where(
        Dwelling.id == bindparam("dwelling"), Unit.building_id == bindparam("scope")),
    "compound": select(Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id).join(
        Building, Unit.building_id == Building.id).where(
        Dwelling.id == bindparam("dwelling"), Building.compound_id == bindparam("scope")),
}


def contains(scope_kind, scope_id, dwelling_id):
    """Whether a dwelling lies in the scope (any kind but unit and building is a compound, as in dwellings_in)."""
    statement = _CONTAINS.get(scope_kind, _CONTAINS["compound"])
    return db.session.scalar(statement, {"dwelling": dwelling_id, "scope": scope_id}) is not None


def holds(scoped, dwelling_id):
    """A condition on the rows of a scoped model (its scope_kind and scope_id columns): their scope holds the
    dwelling (any kind but unit and building is a compound, as in contains), for a query that asks it of each row."""
    place = case((scoped.scope_kind == "unit", Dwelling.unit_id), (scoped.scope_kind == "building", Unit.building_id),
                 else_=Building.compound_id)
    return select(Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id).join(
        Building, Unit.building_id == Building.id).where(Dwelling.id == dwelling_id, place == scoped.scope_id).exists()


def scope_dwellings(scoped):
    """The dwellings in the scope of anything with scope_kind and scope_id (a vote, a survey, a notice)."""
    return dwellings_in(scoped.scope_kind, scoped.scope_id)


def in_scope(scoped, dwelling_id):
    """Whether a dwelling lies in the scope of anything with scope_kind and scope_id."""
    return contains(scoped.scope_kind, scoped.scope_id, dwelling_id)


# names, for people ---------------------------------------------------------------------------------
_COMPOUND_NAME = select(Compound.name).where(Compound.id == bindparam("compound"))  # built once: pages name a scope


def describe_scope(scope_kind, scope_id):
    """A readable name of a scope ('' when it does not exist)."""
    if scope_kind == "compound":
        return db.session.scalar(_COMPOUND_NAME, {"compound": scope_id}) or ""
    if scope_kind == "building":
        b = db.session.get(Building, scope_id)
        return _("%(compound)s, building %(building)s", compound=b.compound.name, building=b.name) if b else ""
    u = db.session.get(Unit, scope_id)
    return _("%(compound)s, building %(building)s, unit %(unit)s", compound=u.building.compound.name,
             building=u.building.name, unit=u.name) if u else ""


def split_scope(value):
    """('unit', 9) from 'unit:9'."""
    from core.ids import row_id
    kind, _sep, ident = (value or "").partition(":")
    return kind, row_id(ident) or 0  # no row has id 0: an id beyond 32 bits is simply not found


_CHOICES = (select(Compound.id, Compound.name).join(Region, Compound.community_id == Region.id)
            .where(Region.path.like(bindparam("scope"), escape="/")).order_by(Compound.name).limit(2000))  # built once


def compound_choices(staff):
    """(id, name) of the compounds in the staff member's region."""
    return [(str(ident), name) for ident, name in db.session.execute(_CHOICES, {"scope": scope_pattern(staff)})]


def scope_choices(staff, units=True):
    """'compound:1', 'building:4', 'unit:9' with readable labels, grouped by compound."""
    return compound_scope_choices(compounds_in_scope(staff).order_by(Compound.name).limit(200).all(), units)


def compound_scope_choices(compounds, units=True):
    """The scope choices of these compounds, in their order: each compound, its buildings, their units."""
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
    result = []
    for c in compounds:
        result.append((f"compound:{c.id}", _("%(compound)s (whole compound)", compound=c.name)))
        for b in by_compound.get(c.id, []):
            result.append((f"building:{b.id}", _("%(compound)s, building %(building)s", compound=c.name,
                                                 building=b.name)))
            for u in by_building.get(b.id, []):
                result.append((f"unit:{u.id}", _("%(compound)s, building %(building)s, unit %(unit)s",
                                                 compound=c.name, building=b.name, unit=u.name)))
    return result
