import pytest

from core import rolls
from core.errors import InvalidInput
from tests.builders import csv_bytes, id_number

HEADER_EN = ["building", "unit", "room", "registered_area", "surveyed_area", "contract_area", "owner_name",
             "id_number", "phone", "developer_held", "delivered"]


def row(building="3", unit="2", room="501", reg="85.6", sur="", con="", name="张三", number=None, phone="13812345678",
        dev="否", delivered="是"):
    return [building, unit, room, reg, sur, con, name, id_number(1) if number is None else number, phone, dev, delivered]


@pytest.mark.parametrize("text", ["3栋2单元501", "3-2-501", "3号楼2单元501室", "３栋２单元５０１"])
def test_combined_addresses_split_the_same_way(text):
    assert rolls.parse_address(text) == ("3", "2", "501")


@pytest.mark.parametrize("value,expected", [("是", True), ("Y", True), ("1", True), ("√", True), ("否", False),
                                            ("N", False), ("0", False), ("", False), (None, False)])
def test_yes_no_cells(value, expected):
    assert rolls.parse_yes_no(value) is expected


def test_english_headers_and_co_owners_on_two_rows_make_one_dwelling():
    data = csv_bytes([row(), row(name="李四", number=id_number(2), phone="")], header=HEADER_EN)
    (dwelling,) = rolls.parse_roll(data)
    assert dwelling.key == ("3", "2", "501")
    assert dwelling.registered_area == 8560
    assert [o.name for o in dwelling.owners] == ["张三", "李四"]


def test_split_columns_with_suffixes_and_combined_address_column_agree():
    split = rolls.parse_roll(csv_bytes([row(building="3栋", unit="2单元", room="501室")]))
    combined = rolls.parse_roll(csv_bytes([["3-2-501", "85.6", "张三", id_number(1)]],
                                          header=["房屋地址", "登记面积", "业主姓名", "身份证号"]))
    assert split[0].key == combined[0].key == ("3", "2", "501")


def test_gbk_csv_with_rare_characters_decodes_as_gb18030():
    data = csv_bytes([row(name="王䶮")], encoding="gb18030")
    assert rolls.parse_roll(data)[0].owners[0].name == "王䶮"


def test_utf8_with_bom_is_read():
    data = b"\xef\xbb\xbf" + csv_bytes([row()])
    assert rolls.parse_roll(data)[0].owners[0].name == "张三"


def test_each_fault_names_its_row_and_column():
    data = csv_bytes([row(), row(room="502", reg="-5"), row(room="503", phone="12345")])
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(data)
    faults = {(e.row, e.column, e.key) for e in caught.value.errors}
    assert faults == {(3, "registered_area", "roll.bad_area"), (4, "phone", "roll.bad_phone")}


def test_missing_owner_column_is_named():
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([["3", "2", "501", "85.6"]], header=["楼栋", "单元", "房号", "登记面积"]))
    assert [(e.row, e.column, e.key) for e in caught.value.errors] == [(1, "owner_name", "roll.missing_column")]


def test_owner_row_without_a_dwelling_is_refused():
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([row(), row(building="", unit="", room="", number=id_number(5))]))
    assert (3, "building", "roll.required") in {(e.row, e.column, e.key) for e in caught.value.errors}


def test_the_same_owner_twice_on_one_dwelling_is_a_duplicate():
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([row(), row()]))
    (fault,) = caught.value.errors
    assert (fault.row, fault.key, fault.params) == (3, "roll.duplicate_owner", {"first": 2})


def test_co_owner_rows_that_disagree_on_area_are_refused():
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([row(), row(reg="90", name="李四", number=id_number(2))]))
    assert caught.value.errors[0].key == "roll.area_conflict"


def test_developer_rows_need_no_id_and_default_to_undelivered():
    (dwelling,) = rolls.parse_roll(csv_bytes([row(name="某开发公司", number="", phone="", dev="是", delivered="")]))
    assert dwelling.developer_held and not dwelling.delivered
    assert dwelling.owners[0].doc_number is None


def test_owner_without_id_number_is_refused_unless_developer():
    data = csv_bytes([[*row()[:7], "", "", "否", "是"]])
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(data)
    assert caught.value.errors[0].key == "roll.id_required"


def test_old_xls_and_garbage_are_refused_clearly():
    with pytest.raises(InvalidInput) as xls:
        rolls.parse_roll(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert xls.value.errors[0].key == "roll.xls_unsupported"
    with pytest.raises(InvalidInput) as empty:
        rolls.parse_roll(b"")
    assert empty.value.errors[0].key == "roll.empty"


def test_header_only_file_has_no_rows():
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([]))
    assert caught.value.errors[0].key == "roll.no_rows"
