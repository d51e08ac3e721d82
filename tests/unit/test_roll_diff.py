"""The roll diff: what an import changes, as a pure function of (roll on record, new roll)."""
from core.rolls import DwellingRecord, OwnerRecord, diff_roll


def owner(key, name="张三", phone=None, row=0, **kw):
    return OwnerRecord(key, name, phone, row=row, doc_type=kw.pop("doc_type", "cn_id"), **kw)


def flat(room, *owners, area=8560, row=0):
    return DwellingRecord(("1", "1", room), area, None, None, tuple(owners), row)


def test_the_same_roll_again_changes_nothing():
    current = [flat("101", owner("a", phone="p1")), flat("102", owner("b"))]
    diff = diff_roll(current, current)
    assert not diff.changed
    assert (len(diff.unchanged), diff.dwellings_unchanged, diff.warnings) == (2, 2, ())


def test_a_sold_flat_removes_one_owner_and_creates_another():
    diff = diff_roll([flat("101", owner("a"))], [flat("101", owner("b", "李四", row=2))])
    assert [o.person_key for _k, o in diff.create] == ["b"]
    assert [o.person_key for _k, o in diff.remove] == ["a"]
    assert diff.update == () and diff.dwellings_unchanged == 1


def test_a_new_phone_or_name_is_an_update_and_a_blank_phone_keeps_the_one_on_record():
    current = [flat("101", owner("a", phone="p1")), flat("102", owner("b", "李四", phone="p2"))]
    new = [flat("101", owner("a", phone="p9", row=2)), flat("102", owner("b", "李四", row=3))]
    diff = diff_roll(current, new)
    assert [(before.phone_key, after.phone_key) for _k, before, after in diff.update] == [("p1", "p9")]
    assert [o.person_key for _k, o in diff.unchanged] == ["b"]


def test_changed_areas_update_the_dwelling_not_its_owners():
    diff = diff_roll([flat("101", owner("a"))], [flat("101", owner("a"), area=9010)])
    assert [(b.registered_area, a.registered_area) for b, a in diff.dwellings_updated] == [(8560, 9010)]
    assert len(diff.unchanged) == 1


def test_a_second_phone_for_one_person_is_dropped_with_a_warning_naming_both_rows():
    new = [flat("101", owner("a", phone="p1", row=2)), flat("102", owner("a", phone="p2", row=3))]
    diff = diff_roll([], new)
    assert {o.phone_key for _k, o in diff.create} == {"p1"}
    assert [(w.row, w.column, w.key, w.params) for w in diff.warnings] == [
        (3, "phone", "roll.second_phone", {"first": 2})]


def test_a_phone_given_only_on_a_later_row_is_used_without_a_warning():
    new = [flat("101", owner("a", row=2)), flat("102", owner("a", phone="p2", row=3))]
    diff = diff_roll([], new)
    assert {o.phone_key for _k, o in diff.create} == {"p2"} and diff.warnings == ()


def test_a_developer_flag_on_a_personal_id_is_doubted_but_on_a_company_is_not():
    new = [flat("101", owner("a", row=2, developer_held=True)),
           flat("102", owner("d", "某开发公司", row=3, developer_held=True, doc_type="org_code"))]
    diff = diff_roll([], new)
    assert [(w.row, w.key) for w in diff.warnings] == [(2, "roll.developer_private_person")]


def test_dwellings_missing_from_the_roll_are_kept_and_reported():
    current = [flat("101", owner("a")), flat("102", owner("b"))]
    diff = diff_roll(current, [flat("101", owner("a"))])
    assert [d.key for d in diff.dwellings_not_on_roll] == [("1", "1", "102")]
    assert diff.remove == ()
    assert [(w.key, w.params) for w in diff.warnings] == [("roll.dwellings_not_on_roll", {"count": 1})]
