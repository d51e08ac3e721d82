from core.catalogue import read_base_catalogue
from core.models import CatalogueClass


def test_base_catalogue_has_all_three_classes_with_unique_codes():
    items = read_base_catalogue()
    assert {i.cls for i in items} == set(CatalogueClass.ALL)
    assert len({i.code for i in items}) == len(items)


def test_items_from_the_policy_sit_in_their_class():
    by_name = {i.name_zh: i for i in read_base_catalogue()}
    assert by_name["供水"].cls == "basic"
    assert by_name["光纤入户"].cls == "basic"
    assert by_name["加装电梯"].cls == "improvement"
    assert by_name["照明"].cls == "improvement"
    assert by_name["幼儿园"].cls == "enhancement"


def test_every_item_has_an_english_name():
    assert all(i.name_en.strip() and i.name_en.isascii() for i in read_base_catalogue())
