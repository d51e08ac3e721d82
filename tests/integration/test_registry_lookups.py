"""What the doors ask the registry, the audit log and the catalogue, on a database."""
import pytest

from core import audit, catalogue, registry
from core.errors import Forbidden, InvalidInput
from core.extensions import db


def test_a_unit_is_added_only_to_a_building_of_the_compound_named(world):
    elsewhere = registry.add_building(None, world.compound_b.id, "9")
    with pytest.raises(InvalidInput) as refused:
        registry.add_unit(world.admin, elsewhere.id, "1", compound_id=world.compound_a.id)
    assert refused.value.errors == [{"field": "building_id", "key": "registry.unknown_building"}]
    unit = registry.add_unit(world.admin, elsewhere.id, "1", compound_id=world.compound_b.id)
    with pytest.raises(InvalidInput) as refused:
        registry.add_dwelling(world.admin, unit.id, "101", compound_id=world.compound_a.id)
    assert refused.value.errors == [{"field": "unit_id", "key": "registry.unknown_unit"}]
    registry.add_dwelling(world.admin, unit.id, "101", "85.6", compound_id=world.compound_b.id)
    assert registry.dwelling_counts(world.compound_b.id) == {unit.id: 1}


def test_addresses_and_compound_names_by_id(world):
    building = registry.add_building(None, world.compound_a.id, "3栋")
    unit = registry.add_unit(None, building.id, "2单元")
    dwelling = registry.add_dwelling(None, unit.id, "501", "70")
    assert registry.addresses([dwelling.id]) == {dwelling.id: "3-2-501"}
    assert registry.addresses([]) == {}
    assert registry.compound_names([world.compound_a.id]) == {world.compound_a.id: "玉林小区"}
    assert [u.id for u in registry.units_of_compound(world.compound_a.id)] == [unit.id]


def test_the_audit_log_refuses_those_who_may_not_read_it(world):
    with pytest.raises(Forbidden):
        audit.audit_entries(world.county_staff_a)
    with pytest.raises(Forbidden):
        audit.logged_actions(world.county_staff_a)
    registry.add_building(world.admin, world.compound_a.id, "1")
    db.session.commit()
    assert "building.create" in audit.logged_actions(world.admin)


def test_a_county_item_added_by_staff_is_audited(world):
    item = catalogue.add_county_item(world.county_a, "improvement", "非机动车棚", "Bicycle shelter", actor=world.county_staff_a)
    db.session.commit()
    assert item.code in {i.code for i in catalogue.catalogue_for(world.committee_a)}
    assert [e.target_id for e in audit.audit_entries(world.admin, action="catalogue.add")] == [item.code]

