"""Registry services: regions, compounds, and the voter-roll import."""
import hashlib
import os
import re
import secrets
import time
import zlib
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update

from core import audit, identity, pii, rolls
from core.auth import authorize, can, compounds_in_scope
from core.errors import InvalidInput, NotFound, Unauthorised
from core.extensions import db
from core.models import (Building, Compound, Dwelling, Ownership, Person, Region, RegionLevel, Unit)

CHUNK = 2000


def parse_areas(registered_area, surveyed_area, contract_area):
    """The three areas as typed ('85.60', '85.6㎡'): {column: hundredths of m²}, each fault next to its field,
    and at least one area given."""
    from core.areas import parse_area
    from core.errors import RuleViolation
    faults, parsed = [], {}
    for name, value in (("registered_area", registered_area), ("surveyed_area", surveyed_area),
                        ("contract_area", contract_area)):
        try:
            parsed[name] = parse_area(value)
        except RuleViolation as fault:
            faults.append({"field": name, "key": fault.key, "params": fault.params})
    if faults:
        raise InvalidInput(faults)
    if all(value is None for value in parsed.values()):
        raise InvalidInput([{"field": "registered_area", "key": "roll.no_area", "params": {}}])
    return parsed


def add_region(parent, level, name):
    """Create a region under `parent` (None for a province) and set its path."""
    region = Region(parent=parent, level=level, name=name, path="")
    db.session.add(region)
    db.session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    db.session.flush()
    return region


def add_compound(community, staff=None, **facts):
    """Register a compound in a community."""
    if community.level != RegionLevel.COMMUNITY:
        raise InvalidInput([{"field": "community_id", "key": "error.invalid"}])
    compound = Compound(community=community, **facts)
    db.session.add(compound)
    db.session.flush()
    audit.record(staff, "compound.create", "compound", compound.id, community.id,
                 after={"name": compound.name})
    return compound


NEXT_LEVEL = dict(zip(RegionLevel.ORDER, RegionLevel.ORDER[1:]))
MAX_NAME = 100


def _clean_name(value, field="name", limit=MAX_NAME):
    text = identity.normalise_text(value or "").strip()
    if not text:
        raise InvalidInput([{"field": field, "key": "error.field_required"}])
    if len(text) > limit:
        raise InvalidInput([{"field": field, "key": "registry.too_long", "params": {"limit": limit}}])
    return text


def list_regions(staff=None):
    """The regions in the staff member's region (every region for the system), top down."""
    query = Region.query
    if staff is not None:
        authorize(staff, "registry.read")
        query = query.filter(Region.path.startswith(staff.region.path, autoescape=True))
    return query.order_by(Region.path).all()


def region_path_names(region, known=None):
    """'四川省 › 成都市 › 武侯区': the names from the top down."""
    known = known or {}
    ids = [int(part) for part in region.path.strip("/").split("/") if part]
    names = []
    for ident in ids:
        found = known.get(ident) or db.session.get(Region, ident)
        names.append(found.name if found else "?")
    return " › ".join(names)


def create_region(staff, parent_id, name):
    """Create a region one level below `parent_id` (a province when None: the system only), audited."""
    name = _clean_name(name)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Region, parent_id)
        if parent is None:
            raise InvalidInput([{"field": "parent_id", "key": "registry.unknown_region"}])
    if staff is not None:
        if parent is None:
            raise InvalidInput([{"field": "parent_id", "key": "error.field_required"}])
        try:
            authorize(staff, "regions.create", parent)
        except NotFound:
            raise InvalidInput([{"field": "parent_id", "key": "registry.unknown_region"}]) from None
    level = NEXT_LEVEL.get(parent.level) if parent else RegionLevel.PROVINCE
    if level is None:
        raise InvalidInput([{"field": "parent_id", "key": "registry.below_community"}])
    if Region.query.filter_by(parent_id=parent.id if parent else None, name=name).first() is not None:
        raise InvalidInput([{"field": "name", "key": "registry.duplicate_region", "params": {"name": name}}])
    region = add_region(parent, level, name)
    audit.record(staff, "region.create", "region", region.id, region.id,
                 after={"name": name, "level": level, "parent_id": parent.id if parent else None})
    return region


def create_compound(staff, community_id, name, address=None, built_year=None, households=None):
    """Register a compound in a community of the staff member's region, audited."""
    name = _clean_name(name)
    community = db.session.get(Region, community_id) if community_id is not None else None
    if community is None:
        raise InvalidInput([{"field": "community_id", "key": "registry.unknown_region"}])
    if staff is not None:
        try:
            authorize(staff, "compounds.create", community)
        except NotFound:
            raise InvalidInput([{"field": "community_id", "key": "registry.unknown_region"}]) from None
    if community.level != RegionLevel.COMMUNITY:
        raise InvalidInput([{"field": "community_id", "key": "registry.not_a_community"}])
    address = (address or "").strip() or None
    if address and len(address) > 255:
        raise InvalidInput([{"field": "address", "key": "registry.too_long", "params": {"limit": 255}}])
    if built_year is not None and not 1900 <= built_year <= 2100:
        raise InvalidInput([{"field": "built_year", "key": "registry.bad_year"}])
    if households is not None and not 0 <= households <= 100000:
        raise InvalidInput([{"field": "households", "key": "registry.bad_count"}])
    if Compound.query.filter_by(community_id=community.id, name=name).first() is not None:
        raise InvalidInput([{"field": "name", "key": "registry.duplicate_compound", "params": {"name": name}}])
    return add_compound(community, staff, name=name, address=address, built_year=built_year,
                        households=households)


def add_building(staff, compound_id, name, floors=None, has_lift=False):
    """Add a building to a compound by hand (named as a roll would name it: '3栋' is '3')."""
    compound = get_compound(staff, compound_id, "registry.edit") if staff is not None else \
        get_compound(None, compound_id)
    name = rolls.clean_building(_clean_name(name, limit=32))
    if floors is not None and not 1 <= floors <= 200:
        raise InvalidInput([{"field": "floors", "key": "registry.bad_floors"}])
    if Building.query.filter_by(compound_id=compound.id, name=name).first() is not None:
        raise InvalidInput([{"field": "name", "key": "registry.duplicate_building", "params": {"name": name}}])
    building = Building(compound_id=compound.id, name=name, floors=floors, has_lift=bool(has_lift))
    db.session.add(building)
    db.session.flush()
    audit.record(staff, "building.create", "building", building.id, compound.community_id,
                 after={"compound_id": compound.id, "name": name, "floors": floors, "has_lift": bool(has_lift)})
    return building


def _building_in_scope(staff, building_id, field="building_id"):
    building = db.session.get(Building, building_id) if building_id is not None else None
    if building is None:
        raise InvalidInput([{"field": field, "key": "registry.unknown_building"}])
    get_compound(staff, building.compound_id, "registry.edit") if staff is not None else None
    return building


def building_of_compound(compound_id, building_id):
    """A building of this compound (a field fault otherwise, so a form or client can say which)."""
    building = db.session.get(Building, building_id)
    if building is None or building.compound_id != compound_id:
        raise InvalidInput([{"field": "building_id", "key": "registry.unknown_building"}])
    return building


def unit_of_compound(compound_id, unit_id):
    """A stairwell unit of this compound (a field fault otherwise)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.building.compound_id != compound_id:
        raise InvalidInput([{"field": "unit_id", "key": "registry.unknown_unit"}])
    return unit


def units_of_compound(compound_id):
    """The stairwell units of a compound, by building and unit name."""
    return (Unit.query.join(Building, Unit.building_id == Building.id).filter(Building.compound_id == compound_id)
            .order_by(Building.name, Unit.name).all())


def dwelling_counts(compound_id):
    """{unit id: how many dwellings it has} for the units of a compound that have any."""
    from sqlalchemy import func
    return dict(db.session.execute(
        select(Dwelling.unit_id, func.count()).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id).where(Building.compound_id == compound_id)
        .group_by(Dwelling.unit_id)).all())


# A dwelling's compound in one statement (walking dwelling.unit.building.compound loads each in turn).
_COMPOUND_OF_DWELLING = (select(Compound).join(Building, Building.compound_id == Compound.id)
                         .join(Unit, Unit.building_id == Building.id).join(Dwelling, Dwelling.unit_id == Unit.id)
                         .where(Dwelling.id == bindparam("dwelling")))


def compound_of_dwelling(dwelling_id):
    """The compound a dwelling is in (None for no such dwelling), in one query."""
    if dwelling_id is None:
        return None
    return db.session.scalars(_COMPOUND_OF_DWELLING, {"dwelling": dwelling_id}).first()


def compound_names(compound_ids):
    """{compound id: name} of these compounds."""
    ids = set(compound_ids)
    return dict(db.session.execute(select(Compound.id, Compound.name).where(Compound.id.in_(ids))).all()) \
        if ids else {}


def dwellings_of_compounds(compound_ids, limit=5000):
    """(dwelling id, building, unit, room) of these compounds' dwellings, in address order."""
    return db.session.execute(
        select(Dwelling.id, Building.name, Unit.name, Dwelling.room).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id).where(Building.compound_id.in_(list(compound_ids)))
        .order_by(Building.name, Unit.name, Dwelling.room).limit(limit)).all()


def addresses(dwelling_ids):
    """{dwelling id: '1-1-101'} (building, unit and room as the roll names them)."""
    ids = set(dwelling_ids)
    if not ids:
        return {}
    return {d: f"{b}-{u}-{r}" for d, b, u, r in db.session.execute(
        select(Dwelling.id, Building.name, Unit.name, Dwelling.room).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id).where(Dwelling.id.in_(ids)))}


def add_unit(staff, building_id, name, compound_id=None):
    """Add a stairwell unit to a building by hand ('2单元' is '2'); with `compound_id`, only to a building of
    that compound (a field fault otherwise)."""
    if compound_id is not None:
        get_compound(staff, compound_id, "registry.edit")
        building_of_compound(compound_id, building_id)
    building = _building_in_scope(staff, building_id)
    name = rolls.clean_unit(_clean_name(name, limit=32))
    if Unit.query.filter_by(building_id=building.id, name=name).first() is not None:
        raise InvalidInput([{"field": "name", "key": "registry.duplicate_unit", "params": {"name": name}}])
    unit = Unit(building_id=building.id, name=name)
    db.session.add(unit)
    db.session.flush()
    audit.record(staff, "unit.create", "unit", unit.id, building.compound.community_id,
                 after={"building_id": building.id, "name": name})
    return unit


def add_dwelling(staff, unit_id, room, registered_area=None, surveyed_area=None, contract_area=None,
                 compound_id=None):
    """Add a dwelling to a stairwell unit by hand, with its areas typed as on the roll (e.g. '85.60'); with
    `compound_id`, only to a unit of that compound (a field fault otherwise)."""
    if compound_id is not None:
        get_compound(staff, compound_id, "registry.edit")
        unit_of_compound(compound_id, unit_id)
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        raise InvalidInput([{"field": "unit_id", "key": "registry.unknown_unit"}])
    if staff is not None:
        get_compound(staff, unit.building.compound_id, "registry.edit")
    room = rolls.clean_room(_clean_name(room, "room", limit=32))
    parsed = parse_areas(registered_area, surveyed_area, contract_area)
    if Dwelling.query.filter_by(unit_id=unit.id, room=room).first() is not None:
        raise InvalidInput([{"field": "room", "key": "registry.duplicate_dwelling", "params": {"room": room}}])
    dwelling = Dwelling(unit_id=unit.id, room=room, use="residential", **parsed)
    db.session.add(dwelling)
    db.session.flush()
    audit.record(staff, "dwelling.create", "dwelling", dwelling.id, unit.building.compound.community_id,
                 after=dict(parsed, unit_id=unit.id, room=room))
    return dwelling


def get_compound(staff, compound_id, action="registry.read"):
    """A compound the staff member may act on (NotFound when absent or out of region)."""
    compound = db.session.get(Compound, compound_id)
    if compound is None:
        raise NotFound("error.compound_not_found", compound=compound_id)
    if staff is not None:
        authorize(staff, action, compound.community)
    return compound


def list_compounds(staff):
    """The compounds in the staff member's region."""
    authorize(staff, "registry.read")
    return compounds_in_scope(staff).order_by(Compound.id).all()


@dataclass(frozen=True)
class DwellingRow:
    """A dwelling as staff see it, with owners' phones masked unless the role needs them."""

    id: int
    building: str
    unit: str
    room: str
    registered_area: int
    surveyed_area: int
    contract_area: int
    counted_area: int
    owners: list
    unit_id: int = None
    building_id: int = None


def list_dwellings(staff, compound_id, dwelling_id=None):
    """The dwellings of a compound (or just one of them) with their owners."""
    compound = get_compound(staff, compound_id)
    show_phone = can(staff, "pii.phone")
    keys = pii.keys() if show_phone else None
    rows = db.session.execute(
        select(Dwelling, Unit.name, Building.name, Building.id)
        .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id == compound.id, *([Dwelling.id == dwelling_id] if dwelling_id else []))
        .order_by(Building.name, Unit.name, Dwelling.room)).all()
    owners = {}
    ownership_rows = db.session.execute(
        select(Ownership, Person).join(Person, Ownership.person_id == Person.id)
        .join(Dwelling, Ownership.dwelling_id == Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id).where(Building.compound_id == compound.id)
        .where(*([Dwelling.id == dwelling_id] if dwelling_id else [])).order_by(Ownership.id))
    for ownership, person in ownership_rows:
        # what this compound's roll says; rows from before rolls kept their own fall back to the person
        source = ownership if ownership.name is not None else person
        owners.setdefault(ownership.dwelling_id, []).append({
            "person_id": person.id,
            "name": source.name,
            "id_number": person.id_masked,
            "phone": keys.decrypt(source.phone_enc) if show_phone and source.phone_enc else source.phone_masked,
            "developer_held": ownership.developer_held,
            "delivered": ownership.delivered,
            "share": ownership.share,
        })
    return [DwellingRow(d.id, b, u, d.room, d.registered_area, d.surveyed_area, d.contract_area,
                        d.counted_area, owners.get(d.id, []), d.unit_id, building_id)
            for d, u, b, building_id in rows]


def owners_by_dwelling(dwelling_ids, full_phone=False):
    """{dwelling id: [{name, phone}]}: each dwelling's owners as its compound's roll has them, with their phone (in
    full only where the reader's role needs it, masked otherwise)."""
    keys = pii.keys() if full_phone else None
    owners = {}
    for ownership, person in db.session.execute(
            select(Ownership, Person).join(Person, Ownership.person_id == Person.id)
            .where(Ownership.dwelling_id.in_(dwelling_ids)).order_by(Ownership.id)):
        # what this compound's roll says; rows from before rolls kept their own fall back to the person
        source = ownership if ownership.name is not None else person
        phone = keys.decrypt(source.phone_enc) if keys and source.phone_enc else source.phone_masked
        owners.setdefault(ownership.dwelling_id, []).append({"name": source.name, "phone": phone or ""})
    return owners


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, as a preview, would do) to one compound's roll; nothing about elsewhere."""

    rows: int
    owners_created: int
    owners_updated: int
    owners_unchanged: int
    owners_removed: int
    dwellings_created: int
    dwellings_updated: int
    dwellings_unchanged: int
    dwellings_not_on_roll: int
    warnings: list
    dry_run: bool = False
    changes: list = ()  # the first CHANGES_SHOWN owner changes: {kind, building, unit, room, name, was}

    @property
    def changed(self):
        """Whether the import changed anything."""
        return any((self.owners_created, self.owners_updated, self.owners_removed, self.dwellings_created,
                    self.dwellings_updated))


class _KeyCache:
    """The PII keys, remembering each owner's identity key (an owner row is hashed once)."""

    def __init__(self, keys):
        self.keys = keys
        self.person_keys = {}

    def __getattr__(self, name):
        return getattr(self.keys, name)


def _person_key(keys, owner):
    key = keys.person_keys.get(owner)
    if key is None:
        if owner.doc_number:
            key = identity.identity_key(keys.identity, owner.doc_type, owner.doc_number)
        else:
            key = identity.organisation_key(keys.identity, owner.name)
        keys.person_keys[owner] = key
    return key


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _ensure_units(compound, keys):
    """Create missing buildings and units for (building, unit, room) keys; return {(building, unit): unit_id}."""
    buildings = {b.name: b for b in Building.query.filter_by(compound_id=compound.id)}
    units = {(b, u): uid for uid, u, b in db.session.execute(
        select(Unit.id, Unit.name, Building.name).join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id == compound.id))}
    for building, _unit, _room in keys:
        if building not in buildings:
            buildings[building] = Building(compound_id=compound.id, name=building)
            db.session.add(buildings[building])
    db.session.flush()
    new_units = {}
    for building, unit, _room in keys:
        key = (building, unit)
        if key not in units and key not in new_units:
            new_units[key] = Unit(building_id=buildings[building].id, name=unit)
            db.session.add(new_units[key])
    db.session.flush()
    units.update({key: unit.id for key, unit in new_units.items()})
    return units


class _OnRecord:
    """A compound's roll as stored: DwellingRecords plus the row ids an import needs to apply a diff."""

    def __init__(self, compound):
        rows = db.session.execute(
            select(Dwelling.id, Dwelling.room, Dwelling.registered_area, Dwelling.surveyed_area,
                   Dwelling.contract_area, Unit.name.label("unit"), Building.name.label("building"))
            .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(Building.compound_id == compound.id))
        self.dwelling_ids, areas = {}, {}
        for r in rows:
            key = (r.building, r.unit, r.room)
            self.dwelling_ids[key] = r.id
            areas[key] = (r.registered_area, r.surveyed_area, r.contract_area)
        by_id = {v: k for k, v in self.dwelling_ids.items()}
        owners, self.ownership_ids, self.person_ids = {}, {}, {}
        for r in db.session.execute(
                select(Ownership.id, Ownership.dwelling_id, Ownership.person_id, Ownership.share,
                       Ownership.developer_held, Ownership.delivered, Ownership.name, Ownership.phone_key,
                       Ownership.certificate_key,
                       Person.id_key, Person.doc_type, Person.name.label("person_name"),
                       Person.phone_key.label("person_phone_key"))
                .join(Person, Ownership.person_id == Person.id)
                .join(Dwelling, Ownership.dwelling_id == Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
                .join(Building, Unit.building_id == Building.id).where(Building.compound_id == compound.id)):
            key = by_id[r.dwelling_id]
            person_key = r.id_key or f"person:{r.person_id}"
            owners.setdefault(key, []).append(rolls.OwnerRecord(
                person_key, r.name if r.name is not None else r.person_name,
                r.phone_key if r.name is not None else r.person_phone_key, r.share, r.developer_held,
                r.delivered, r.doc_type, extra=(("certificate_key", r.certificate_key),)))
            self.ownership_ids[(key, person_key)] = r.id
            self.person_ids[person_key] = r.person_id
        self.records = [rolls.DwellingRecord(key, *areas[key], owners=tuple(owners.get(key, ())))
                        for key in self.dwelling_ids]


def _keys_in_compound(compound, parsed, keys, on_record):
    """{identity key: the key that person has in this compound}.

    A person already on this compound's roll keeps their key. A person new to it whom the registry already
    knows (from another compound's roll) becomes a person of this compound only, under a key scoped to it:
    what one roll says (names, phones, certificate numbers) then never verifies anyone for another compound's
    flats, and whether an ID number is known elsewhere changes nothing the importer can see."""
    here = set(on_record.person_ids)
    resolved, pending = {}, []
    for global_key in {_person_key(keys, o) for spec in parsed for o in spec.owners}:
        scoped = identity.scoped_key(keys.identity, compound.id, global_key)
        if global_key in here:
            resolved[global_key] = global_key
        elif scoped in here:
            resolved[global_key] = scoped
        else:
            pending.append((global_key, scoped))
    known = set()
    for chunk in _chunks([g for g, _s in pending]):
        known.update(db.session.scalars(select(Person.id_key).where(Person.id_key.in_(chunk))))
    resolved.update({g: s if g in known else g for g, s in pending})
    return resolved


def _new_records(parsed, keys, resolved):
    """The parsed roll as DwellingRecords, and the first roll owner of each person (to create them)."""
    records, people = [], {}
    for spec in parsed:
        owners = []
        for owner in spec.owners:
            person_key = resolved[_person_key(keys, owner)]
            people.setdefault(person_key, owner)
            owners.append(rolls.OwnerRecord(
                person_key, owner.name, keys.phone_key(owner.phone), owner.share, spec.developer_held,
                spec.delivered, owner.doc_type, owner.row, owner.phone,
                (("certificate_key", identity.certificate_key(keys.identity, owner.certificate)),)))
        records.append(rolls.DwellingRecord(spec.key, spec.registered_area, spec.surveyed_area,
                                            spec.contract_area, tuple(owners), spec.first_row))
    return records, people


def _ownership_values(keys, owner, new=False):
    values = {"share": owner.share, "developer_held": owner.developer_held, "delivered": owner.delivered,
              "name": owner.name}
    if new:
        values.update(phone_enc=None, phone_key=None, phone_masked=None)
    if owner.phone:
        values.update(phone_enc=keys.encrypt(owner.phone), phone_key=owner.phone_key,
                      phone_masked=identity.mask_phone(owner.phone))
    values.update(dict(owner.extra))
    return values


def _apply_people(staff, compound, diff, first_owners, keys, on_record):
    """Create the people new to the registry; return {person key: person id}.

    A person already known keeps their shared record unless they own nothing outside this compound: the
    name and phone as this roll writes them live on this compound's ownerships."""
    wanted = {owner.person_key: owner for _key, owner in diff.create}
    wanted.update({after.person_key: after for _key, _before, after in diff.update})
    ids = {k: v for k, v in on_record.person_ids.items() if k in wanted}
    missing = [k for k in wanted if k not in ids]
    existing = {}
    for chunk in _chunks(missing):
        for row in db.session.execute(select(Person.id, Person.id_key, Person.name, Person.phone_key)
                                      .where(Person.id_key.in_(chunk))):
            existing[row.id_key] = row
            ids[row.id_key] = row.id
    new_rows = []
    for key in missing:
        if key in existing:
            continue
        first = first_owners[key]
        owner = wanted[key]
        new_rows.append({
            "name": owner.name, "doc_type": first.doc_type, "id_key": key,
            "id_masked": identity.mask_document(first.doc_number) if first.doc_number else None,
            "phone_enc": keys.encrypt(owner.phone), "phone_key": owner.phone_key,
            "phone_masked": identity.mask_phone(owner.phone) if owner.phone else None})
    for chunk in _chunks(new_rows):
        db.session.execute(insert(Person.__table__), chunk)
    for chunk in _chunks([r["id_key"] for r in new_rows]):
        ids.update(db.session.execute(select(Person.id_key, Person.id).where(Person.id_key.in_(chunk))).all())
    # People known before whose record this compound alone may correct.
    created = {r["id_key"] for r in new_rows}
    known = [ids[k] for k in wanted if k not in created]
    elsewhere = set()
    for chunk in _chunks(known):
        elsewhere.update(db.session.scalars(
            select(Ownership.person_id).join(Dwelling, Ownership.dwelling_id == Dwelling.id)
            .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(Ownership.person_id.in_(chunk), Building.compound_id != compound.id)))
    changes = []
    for key, owner in wanted.items():
        person_id = ids[key]
        if key in created or person_id in elsewhere:
            continue
        change = {"id": person_id, "name": owner.name}
        if owner.phone:
            change.update(phone_enc=keys.encrypt(owner.phone), phone_key=owner.phone_key,
                          phone_masked=identity.mask_phone(owner.phone))
        changes.append(change)
    _bulk_update(Person, changes)
    return ids


def _bulk_update(model, changes):
    """Update rows by primary key, one statement per set of columns (some rows change their phone too)."""
    groups = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    for group in groups.values():
        db.session.execute(update(model), group)


def _apply(staff, compound, diff, first_owners, keys, on_record):
    """Write a diff: dwellings, people, and this compound's ownerships (with the roll's names and phones)."""
    units = _ensure_units(compound, [d.key for d in diff.dwellings_created])
    for chunk in _chunks(diff.dwellings_created):
        db.session.execute(insert(Dwelling.__table__), [
            dict(unit_id=units[d.key[:2]], room=d.key[2], use="residential", registered_area=d.registered_area,
                 surveyed_area=d.surveyed_area, contract_area=d.contract_area) for d in chunk])
    dwelling_ids = dict(on_record.dwelling_ids)
    if diff.dwellings_created:
        for r in db.session.execute(
                select(Dwelling.id, Dwelling.room, Unit.name, Building.name.label("building"))
                .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
                .where(Building.compound_id == compound.id)):
            dwelling_ids[(r.building, r.name, r.room)] = r.id
    names = ("registered_area", "surveyed_area", "contract_area")
    area_changes = []
    for before, after in diff.dwellings_updated:
        area_changes.append(dict(id=dwelling_ids[after.key], **dict(zip(names, after.areas))))
        audit.record(staff, "dwelling.update", "dwelling", dwelling_ids[after.key], compound.community_id,
                     before=dict(zip(names, before.areas)), after=dict(zip(names, after.areas)))
    if area_changes:
        db.session.execute(update(Dwelling), area_changes)
    person_ids = _apply_people(staff, compound, diff, first_owners, keys, on_record)
    added = [dict(dwelling_id=dwelling_ids[key], person_id=person_ids[o.person_key], **_ownership_values(keys, o, True))
             for key, o in diff.create]
    changed = [dict(id=on_record.ownership_ids[(key, after.person_key)], **_ownership_values(keys, after))
               for key, _before, after in diff.update]
    removed = [on_record.ownership_ids[(key, o.person_key)] for key, o in diff.remove]
    touched = {}
    for key, o in diff.create:
        touched.setdefault(key, {"before": [], "after": []})["after"].append(o.name)
    for key, before, after in diff.update:
        entry = touched.setdefault(key, {"before": [], "after": []})
        entry["before"].append(before.name)
        entry["after"].append(after.name)
        if before.phone_key != after.phone_key:
            entry["phone_changed"] = True
    for key, o in diff.remove:
        touched.setdefault(key, {"before": [], "after": []})["before"].append(o.name)
    if on_record.records:  # an amended roll: say what changed for each dwelling
        for key, entry in sorted(touched.items()):
            if key in on_record.dwelling_ids:
                audit.record(staff, "ownership.update", "dwelling", dwelling_ids[key], compound.community_id,
                             before={"owners": sorted(entry["before"])},
                             after={"owners": sorted(entry["after"]),
                                    "phone_changed": entry.get("phone_changed", False)})
    ended = [(dwelling_ids[key], on_record.person_ids[o.person_key]) for key, o in diff.remove]
    with _owners_change(staff, ended):
        for chunk in _chunks(removed):
            db.session.execute(Ownership.__table__.delete().where(Ownership.id.in_(chunk)))
        if ended:
            from core.accounts import ownerships_ended
            ownerships_ended(ended)  # the former owners' accounts stop voting for those flats, and are told
        for chunk in _chunks(added):
            db.session.execute(insert(Ownership.__table__), chunk)
        _bulk_update(Ownership, changed)


def _owners_change(staff, ended):
    """Around a roll's writing of ownerships that ends these (dwelling id, person id) ones: what rests on the
    standing of the accounts bound to them (a proxy they stand as), or on those owners' word for those flats (a
    proxy they authorised), is looked at again once the flats' new owners are written (whom it then concerns)."""
    if not ended:
        return nullcontext()
    from core.accounts import owner_accounts, standing_changes
    return standing_changes(owner_accounts(ended), staff, "roll",
                            dwelling_ids=sorted({dwelling for dwelling, _person in ended}))


ROLL_TOKEN = re.compile(r"^[0-9a-f]{32}$")
HELD_FOR = 24 * 3600  # seconds a previewed roll waits for its confirmation


def _held_path(token):
    from flask import current_app
    return Path(current_app.config["UPLOAD_FOLDER"]) / "rolls" / f"{token}.roll"


def hold_roll(staff, compound_id, data):
    """Keep an uploaded roll until it is confirmed after its preview; returns a token.

    The file holds ID numbers, so it is kept compressed and encrypted, readable only by the same staff member
    for the same compound, and swept after a day."""
    token = secrets.token_hex(16)
    path = _held_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("*.roll"):
        if time.time() - old.stat().st_mtime > HELD_FOR:
            old.unlink(missing_ok=True)
    nonce = os.urandom(12)
    sealed = pii.keys().cipher.encrypt(nonce, zlib.compress(data), f"{staff.id}:{compound_id}:{token}".encode())
    path.write_bytes(nonce + sealed)
    return token


def held_roll(staff, compound_id, token):
    """The roll kept under `token` for this staff member and compound (NotFound when gone or not theirs)."""
    from cryptography.exceptions import InvalidTag
    path = _held_path(token) if ROLL_TOKEN.match(token or "") else None
    if path is None or not path.is_file() or time.time() - path.stat().st_mtime > HELD_FOR:
        raise NotFound("roll.preview_gone")
    raw = path.read_bytes()
    try:
        return zlib.decompress(pii.keys().cipher.decrypt(raw[:12], raw[12:],
                                                         f"{staff.id}:{compound_id}:{token}".encode()))
    except InvalidTag:
        raise NotFound("roll.preview_gone") from None


def drop_roll(token):
    """Forget a held roll (after its import or when cancelled)."""
    if ROLL_TOKEN.match(token or ""):
        _held_path(token).unlink(missing_ok=True)


CHANGES_SHOWN = 200


def _changes(diff):
    """The owner changes flat by flat, as this compound's rolls name them (never anything from elsewhere)."""
    rows = [("removed", key, o.name, None) for key, o in diff.remove]
    rows += [("updated", key, after.name, before.name if before.name != after.name else None)
             for key, before, after in diff.update]
    rows += [("created", key, o.name, None) for key, o in diff.create]
    rows.sort(key=lambda r: (r[1], r[0]))
    return [{"kind": kind, "building": key[0], "unit": key[1], "room": key[2], "name": name, "was": was}
            for kind, key, name, was in rows[:CHANGES_SHOWN]]


def report_as_dict(report):
    """An import report for people: its counts, and each warning in words with its row and column."""
    from core.http_errors import describe_fault
    body = asdict(report)
    body["warnings"] = [dict(describe_fault(w), code=w.key) for w in report.warnings]
    return body


def import_roll(staff, compound_id, data, filename=None, dry_run=False):
    """Import a voter roll into a compound, all or nothing; returns an ImportReport.

    With `dry_run` nothing is written: the report says what the import would do (the preview)."""
    compound = get_compound(staff, compound_id, "registry.import")
    parsed = rolls.parse_roll(data)
    keys = _KeyCache(pii.keys())
    on_record = _OnRecord(compound)
    new, first_owners = _new_records(parsed, keys, _keys_in_compound(compound, parsed, keys, on_record))
    diff = rolls.diff_roll(on_record.records, new)
    report = ImportReport(
        rows=sum(len(d.owners) for d in parsed), owners_created=len(diff.create), owners_updated=len(diff.update),
        owners_unchanged=len(diff.unchanged), owners_removed=len(diff.remove),
        dwellings_created=len(diff.dwellings_created), dwellings_updated=len(diff.dwellings_updated),
        dwellings_unchanged=diff.dwellings_unchanged, dwellings_not_on_roll=len(diff.dwellings_not_on_roll),
        warnings=list(diff.warnings), dry_run=dry_run, changes=_changes(diff))
    if dry_run:
        return report
    _apply(staff, compound, diff, first_owners, keys, on_record)
    _apply_floors(staff, compound, parsed)
    audit.record(staff, "roll.import", "compound", compound.id, compound.community_id,
                 after=dict(asdict(report), warnings=len(report.warnings), changes=None, filename=filename,
                            sha256=hashlib.sha256(data).hexdigest()))
    db.session.flush()
    return report


def _apply_floors(staff, compound, parsed):
    """Floors the roll gives (a 楼层 column); a blank cell keeps what the committee set."""
    given = {spec.key: spec.floor for spec in parsed if getattr(spec, "floor", None) is not None}
    if not given:
        return
    rows = db.session.execute(
        select(Dwelling.id, Dwelling.floor, Dwelling.room, Unit.name.label("unit"), Building.name.label("building"))
        .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id == compound.id)).all()
    changes = []
    for r in rows:
        floor = given.get((r.building, r.unit, r.room))
        if floor is not None and floor != r.floor:
            changes.append({"id": r.id, "floor": floor})
            audit.record(staff, "dwelling.floor", "dwelling", r.id, compound.community_id,
                         before={"floor": r.floor}, after={"floor": floor})
    if changes:
        db.session.execute(update(Dwelling), changes)


def update_dwelling(staff, dwelling_id, registered_area, surveyed_area, contract_area):
    """Correct a dwelling's areas (typed as in the roll, e.g. '85.60'); audited with before and after."""
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    authorize(staff, "registry.edit", dwelling.unit.building.compound.community)
    parsed = parse_areas(registered_area, surveyed_area, contract_area)
    before = {name: getattr(dwelling, name) for name in parsed}
    for name, value in parsed.items():
        setattr(dwelling, name, value)
    audit.record(staff, "dwelling.update", "dwelling", dwelling.id, dwelling.unit.building.compound.community_id,
                 before=before, after=parsed)
    db.session.flush()
    return dwelling


@dataclass(frozen=True)
class OwnerOnRoll:
    """An owner as one compound's roll has them."""

    id: int
    name: str
    phone_masked: str
    id_masked: str


def _ownerships_in_scope(staff, person_id, action):
    person = db.session.get(Person, person_id)
    if person is None or staff is None:
        raise NotFound() if staff is not None else Unauthorised()
    ownerships = (Ownership.query.filter_by(person_id=person_id).join(Dwelling).join(Unit).join(Building)
                  .join(Compound).join(Region, Compound.community_id == Region.id)
                  .filter(Region.path.startswith(staff.region.path, autoescape=True)).order_by(Ownership.id).all())
    if not ownerships:
        raise NotFound()
    compound = ownerships[0].dwelling.unit.building.compound
    authorize(staff, action, compound.community)
    return person, compound, [o for o in ownerships if o.dwelling.unit.building.compound_id == compound.id]


def dwelling_in_scope(staff, dwelling_id, action="registry.read"):
    """A dwelling of a compound the staff member may act on, with that compound (NotFound when absent or out
    of region)."""
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    return dwelling, get_compound(staff, dwelling.unit.building.compound_id, action)


def owner_in_scope(staff, person_id, action="registry.edit"):
    """An owner of some dwelling in the staff member's region, as that compound's roll has them."""
    person, compound, ownerships = _ownerships_in_scope(staff, person_id, action)
    first = ownerships[0]
    source = first if first.name is not None else person
    return OwnerOnRoll(person.id, source.name, source.phone_masked, person.id_masked), compound


def update_owner(staff, person_id, name, phone):
    """Correct an owner's name or phone on this compound's roll (stored encrypted and masked as at import).

    The shared person record changes too only when they own nothing outside this compound."""
    from core.errors import RuleViolation
    person, compound, ownerships = _ownerships_in_scope(staff, person_id, "registry.edit")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput([{"field": "name", "key": "error.field_required"}])
    first = ownerships[0]
    source = first if first.name is not None else person
    before = {"name": source.name, "phone": source.phone_masked}
    values = {"name": name}
    if (phone or "").strip():
        try:
            clean = identity.normalise_phone(phone)
        except RuleViolation as fault:
            raise InvalidInput([{"field": "phone", "key": fault.key, "params": fault.params}]) from None
        keys = pii.keys()
        values.update(phone_enc=keys.encrypt(clean), phone_key=keys.phone_key(clean),
                      phone_masked=identity.mask_phone(clean))
    for ownership in ownerships:
        if ownership.name is None:  # from before rolls kept their own: start from the person's
            ownership.phone_enc, ownership.phone_key = person.phone_enc, person.phone_key
            ownership.phone_masked = person.phone_masked
        for key, value in values.items():
            setattr(ownership, key, value)
    elsewhere = Ownership.query.filter_by(person_id=person.id).join(Dwelling).join(Unit).join(Building).filter(
        Building.compound_id != compound.id).first()
    if elsewhere is None:
        for key, value in values.items():
            setattr(person, key, value)
    audit.record(staff, "person.update", "person", person.id, compound.community_id, before=before,
                 after={"name": name, "phone": values.get("phone_masked", before["phone"])})
    db.session.flush()
    return person
