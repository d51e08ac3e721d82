"""Registry services: regions, compounds, and the voter-roll import."""
import hashlib
from dataclasses import asdict, dataclass

from sqlalchemy import insert, select, update

from core import audit, identity, pii, rolls
from core.auth import authorize, can, compounds_in_scope
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.models import (Building, Compound, Dwelling, Ownership, Person, Region, RegionLevel, Unit)

CHUNK = 2000


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


def list_dwellings(staff, compound_id, dwelling_id=None):
    """The dwellings of a compound (or just one of them) with their owners."""
    compound = get_compound(staff, compound_id)
    show_phone = can(staff, "pii.phone")
    keys = pii.keys() if show_phone else None
    rows = db.session.execute(
        select(Dwelling, Unit.name, Building.name)
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
        owners.setdefault(ownership.dwelling_id, []).append({
            "person_id": person.id,
            "name": person.name,
            "id_number": person.id_masked,
            "phone": keys.decrypt(person.phone_enc) if show_phone and person.phone_enc else person.phone_masked,
            "developer_held": ownership.developer_held,
            "delivered": ownership.delivered,
            "share": ownership.share,
        })
    return [DwellingRow(d.id, b, u, d.room, d.registered_area, d.surveyed_area, d.contract_area,
                        d.counted_area, owners.get(d.id, [])) for d, u, b in rows]


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    rows: int
    dwellings_created: int
    dwellings_updated: int
    dwellings_unchanged: int
    people_created: int
    people_updated: int
    ownerships_added: int
    ownerships_removed: int
    ownerships_updated: int

    @property
    def changed(self):
        """Whether the import changed anything."""
        return any((self.dwellings_created, self.dwellings_updated, self.people_created,
                    self.people_updated, self.ownerships_added, self.ownerships_removed,
                    self.ownerships_updated))


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


def _ensure_units(compound, dwellings):
    """Create missing buildings and units; return {(building, unit): unit_id}."""
    buildings = {b.name: b for b in Building.query.filter_by(compound_id=compound.id)}
    units = {(b, u): uid for uid, u, b in db.session.execute(
        select(Unit.id, Unit.name, Building.name).join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id == compound.id))}
    for spec in dwellings:
        if spec.building not in buildings:
            buildings[spec.building] = Building(compound_id=compound.id, name=spec.building)
            db.session.add(buildings[spec.building])
    db.session.flush()
    new_units = {}
    for spec in dwellings:
        key = (spec.building, spec.unit)
        if key not in units and key not in new_units:
            new_units[key] = Unit(building_id=buildings[spec.building].id, name=spec.unit)
            db.session.add(new_units[key])
    db.session.flush()
    units.update({key: unit.id for key, unit in new_units.items()})
    return units


def _dwelling_map(compound):
    rows = db.session.execute(
        select(Dwelling.id, Dwelling.unit_id, Dwelling.room, Dwelling.registered_area,
               Dwelling.surveyed_area, Dwelling.contract_area)
        .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id == compound.id))
    return {(r.unit_id, r.room): r for r in rows}


def _sync_dwellings(staff, compound, dwellings, units):
    """Insert new dwellings, update changed areas; return ({spec key: id}, created, updated)."""
    existing = _dwelling_map(compound)
    new_rows, changes = [], []
    for spec in dwellings:
        unit_id = units[(spec.building, spec.unit)]
        areas = {"registered_area": spec.registered_area, "surveyed_area": spec.surveyed_area,
                 "contract_area": spec.contract_area}
        row = existing.get((unit_id, spec.room))
        if row is None:
            new_rows.append(dict(unit_id=unit_id, room=spec.room, use="residential", **areas))
            continue
        before = {"registered_area": row.registered_area, "surveyed_area": row.surveyed_area,
                  "contract_area": row.contract_area}
        if before != areas:
            changes.append(dict(id=row.id, **areas))
            audit.record(staff, "dwelling.update", "dwelling", row.id, compound.community_id,
                         before=before, after=areas)
    for chunk in _chunks(new_rows):
        db.session.execute(insert(Dwelling.__table__), chunk)
    if changes:
        db.session.execute(update(Dwelling), changes)
    ids = {(unit_id, room): row.id for (unit_id, room), row in _dwelling_map(compound).items()}
    by_spec = {spec.key: ids[(units[(spec.building, spec.unit)], spec.room)] for spec in dwellings}
    return by_spec, len(new_rows), len(changes)


def _sync_people(staff, compound, dwellings, keys):
    """Insert new owners and update changed names or phones; return ({person key: id}, created, updated)."""
    wanted = {}
    for spec in dwellings:
        for owner in spec.owners:
            key = _person_key(keys, owner)
            if key not in wanted or (owner.phone and not wanted[key].phone):
                wanted[key] = owner
    existing = {}
    for chunk in _chunks(wanted):
        for row in db.session.execute(select(Person.id, Person.id_key, Person.name, Person.phone_key)
                                      .where(Person.id_key.in_(chunk))):
            existing[row.id_key] = row
    new_rows, changes = [], []
    for key, owner in wanted.items():
        phone_key = keys.phone_key(owner.phone)
        row = existing.get(key)
        if row is None:
            new_rows.append({
                "name": owner.name, "doc_type": owner.doc_type, "id_key": key,
                "id_masked": identity.mask_document(owner.doc_number) if owner.doc_number else None,
                "phone_enc": keys.encrypt(owner.phone), "phone_key": phone_key,
                "phone_masked": identity.mask_phone(owner.phone)})
        elif row.name != owner.name or (owner.phone and row.phone_key != phone_key):
            change = {"id": row.id, "name": owner.name}
            if owner.phone and row.phone_key != phone_key:
                change.update(phone_enc=keys.encrypt(owner.phone), phone_key=phone_key,
                              phone_masked=identity.mask_phone(owner.phone))
            changes.append(change)
            audit.record(staff, "person.update", "person", row.id, compound.community_id,
                         before={"name": row.name}, after={"name": owner.name,
                                                           "phone_changed": "phone_key" in change})
    for chunk in _chunks(new_rows):
        db.session.execute(insert(Person.__table__), chunk)
    if changes:
        db.session.execute(update(Person), changes)
    ids = {}
    for chunk in _chunks(wanted):
        ids.update(db.session.execute(select(Person.id_key, Person.id).where(Person.id_key.in_(chunk))).all())
    return ids, len(new_rows), len(changes)


def _sync_ownerships(staff, compound, dwellings, dwelling_ids, person_ids, keys):
    """Make each listed dwelling's owners exactly those on the roll."""
    listed = set(dwelling_ids.values())
    current = {}
    rows = db.session.execute(
        select(Ownership.id, Ownership.dwelling_id, Ownership.person_id, Ownership.share,
               Ownership.developer_held, Ownership.delivered, Ownership.certificate_key)
        .join(Dwelling, Ownership.dwelling_id == Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id).where(Building.compound_id == compound.id))
    for row in rows:
        if row.dwelling_id in listed:
            current[(row.dwelling_id, row.person_id)] = row
    desired = {}
    for spec in dwellings:
        dwelling_id = dwelling_ids[spec.key]
        for owner in spec.owners:
            person_id = person_ids[_person_key(keys, owner)]
            desired[(dwelling_id, person_id)] = {
                "share": owner.share, "developer_held": spec.developer_held, "delivered": spec.delivered,
                "certificate_key": identity.certificate_key(keys.identity, owner.certificate)}
    added = [dict(dwelling_id=d, person_id=p, **v) for (d, p), v in desired.items() if (d, p) not in current]
    removed = [row for key, row in current.items() if key not in desired]
    updated = []
    touched = {a["dwelling_id"] for a in added} | {r.dwelling_id for r in removed}
    for key, values in desired.items():
        row = current.get(key)
        if row is not None and (row.share, row.developer_held, row.delivered, row.certificate_key) != (
                values["share"], values["developer_held"], values["delivered"], values["certificate_key"]):
            updated.append(dict(id=row.id, **values))
            touched.add(key[0])
    if current:  # an amended roll: say what changed for each dwelling
        before, after = {}, {}
        for d, p in current:
            before.setdefault(d, []).append(p)
        for d, p in desired:
            after.setdefault(d, []).append(p)
        for dwelling_id in sorted(touched):
            audit.record(staff, "ownership.update", "dwelling", dwelling_id, compound.community_id,
                         before={"owners": sorted(before.get(dwelling_id, []))},
                         after={"owners": sorted(after.get(dwelling_id, []))})
    if removed:
        db.session.execute(Ownership.__table__.delete().where(Ownership.id.in_([r.id for r in removed])))
        from core.accounts import ownerships_ended
        ownerships_ended([(r.dwelling_id, r.person_id) for r in removed])
    for chunk in _chunks(added):
        db.session.execute(insert(Ownership.__table__), chunk)
    if updated:
        db.session.execute(update(Ownership), updated)
    return len(added), len(removed), len(updated)


def import_roll(staff, compound_id, data, filename=None):
    """Import a voter roll into a compound, all or nothing; returns an ImportReport."""
    compound = get_compound(staff, compound_id, "registry.import")
    dwellings = rolls.parse_roll(data)
    keys = _KeyCache(pii.keys())
    units = _ensure_units(compound, dwellings)
    dwelling_ids, created, updated = _sync_dwellings(staff, compound, dwellings, units)
    person_ids, people_created, people_updated = _sync_people(staff, compound, dwellings, keys)
    added, removed, owners_updated = _sync_ownerships(staff, compound, dwellings, dwelling_ids,
                                                      person_ids, keys)
    report = ImportReport(
        rows=sum(len(d.owners) for d in dwellings), dwellings_created=created,
        dwellings_updated=updated, dwellings_unchanged=len(dwellings) - created - updated,
        people_created=people_created, people_updated=people_updated, ownerships_added=added,
        ownerships_removed=removed, ownerships_updated=owners_updated)
    audit.record(staff, "roll.import", "compound", compound.id, compound.community_id,
                 after=dict(asdict(report), filename=filename, sha256=hashlib.sha256(data).hexdigest()))
    db.session.flush()
    return report


def update_dwelling(staff, dwelling_id, registered_area, surveyed_area, contract_area):
    """Correct a dwelling's areas (typed as in the roll, e.g. '85.60'); audited with before and after."""
    from core.areas import parse_area
    from core.errors import RuleViolation
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    authorize(staff, "registry.edit", dwelling.unit.building.compound.community)
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
    before = {name: getattr(dwelling, name) for name in parsed}
    for name, value in parsed.items():
        setattr(dwelling, name, value)
    audit.record(staff, "dwelling.update", "dwelling", dwelling.id, dwelling.unit.building.compound.community_id,
                 before=before, after=parsed)
    db.session.flush()
    return dwelling


def owner_in_scope(staff, person_id, action="registry.edit"):
    """An owner of some dwelling in the staff member's region (NotFound otherwise)."""
    person = db.session.get(Person, person_id)
    ownership = Ownership.query.filter_by(person_id=person_id).first() if person is not None else None
    if ownership is None:
        raise NotFound()
    authorize(staff, action, ownership.dwelling.unit.building.compound.community)
    return person, ownership.dwelling.unit.building.compound


def update_owner(staff, person_id, name, phone):
    """Correct an owner's name or phone; the phone is stored encrypted and masked as at import."""
    from core.errors import RuleViolation
    person, compound = owner_in_scope(staff, person_id)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput([{"field": "name", "key": "error.field_required"}])
    before = {"name": person.name, "phone": person.phone_masked}
    person.name = name
    if (phone or "").strip():
        try:
            clean = identity.normalise_phone(phone)
        except RuleViolation as fault:
            raise InvalidInput([{"field": "phone", "key": fault.key, "params": fault.params}]) from None
        keys = pii.keys()
        person.phone_enc, person.phone_key = keys.encrypt(clean), keys.phone_key(clean)
        person.phone_masked = identity.mask_phone(clean)
    audit.record(staff, "person.update", "person", person.id, compound.community_id, before=before,
                 after={"name": person.name, "phone": person.phone_masked})
    db.session.flush()
    return person
