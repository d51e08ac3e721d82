"""The catalogue on a database: base items, and a county's own additions."""
import pytest

from core import catalogue
from core.errors import Conflict
from core.extensions import db


def test_sync_is_idempotent(world):
    assert catalogue.sync_base_catalogue() == len(catalogue.read_base_catalogue())
    assert catalogue.sync_base_catalogue() == 0


def test_a_county_item_is_seen_in_that_county_only(world):
    catalogue.sync_base_catalogue()
    item = catalogue.add_county_item(world.county_a, "improvement", "非机动车棚", "Bicycle shelter")
    db.session.commit()
    in_a = {i.code for i in catalogue.items_for_region(world.community_a)}
    in_b = {i.code for i in catalogue.items_for_region(world.community_b)}
    assert item.code in in_a and item.code not in in_b
    assert "B01" in in_a and "B01" in in_b


def test_only_a_county_may_extend_and_not_twice(world):
    with pytest.raises(Conflict):
        catalogue.add_county_item(world.city, "basic", "x", "x")
    catalogue.add_county_item(world.county_a, "basic", "雨污分流", "Separate storm and foul drains")
    with pytest.raises(Conflict):
        catalogue.add_county_item(world.county_a, "basic", "雨污分流", "Again")
