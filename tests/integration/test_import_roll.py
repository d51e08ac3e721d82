"""The voter-roll import on a real database (SQLite and PostgreSQL)."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from core import registry
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.models import AuditLog, Dwelling, Ownership, Person
from tests.builders import ROLL_HEADER, csv_bytes, id_number


def rows_for(count, owner_of=lambda i: i):
    """`count` dwellings in building 1, unit 1; dwelling i owned by person owner_of(i)."""
    return [["1", "1", f"{100 + i}", "85.6", "", "", f"业主{owner_of(i)}", id_number(owner_of(i)),
             f"138{owner_of(i):08d}", "否", "是"] for i in range(count)]


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Dwelling, Person, Ownership))


def test_gbk_csv_imports_every_dwelling_and_owner(world):
    data = csv_bytes(rows_for(5), encoding="gbk")
    report = registry.import_roll(world.committee_a, world.compound_a.id, data, "roll.csv")
    db.session.commit()
    assert report.dwellings_created == 5 and report.owners_created == 5
    assert counts() == (5, 5, 5)


def test_xlsx_imports_the_same_as_csv(world):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ROLL_HEADER)
    for cells in rows_for(3):
        cells[3] = 85.6  # Excel stores areas as numbers
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    registry.import_roll(world.committee_a, world.compound_a.id, out.getvalue(), "roll.xlsx")
    db.session.commit()
    areas = db.session.scalars(select(Dwelling.registered_area)).all()
    assert areas == [8560, 8560, 8560]


def test_one_bad_row_imports_nothing(world):
    rows = rows_for(4)
    rows[2][3] = "八十五"
    with pytest.raises(InvalidInput) as caught:
        registry.import_roll(world.committee_a, world.compound_a.id, csv_bytes(rows), "roll.csv")
    db.session.rollback()
    assert [(e.row, e.column) for e in caught.value.errors] == [(4, "registered_area")]
    assert counts() == (0, 0, 0)


def test_reimporting_the_same_roll_changes_nothing(world):
    data = csv_bytes(rows_for(6))
    registry.import_roll(world.committee_a, world.compound_a.id, data, "roll.csv")
    db.session.commit()
    snapshot = db.session.execute(select(Dwelling.id, Dwelling.registered_area).order_by(Dwelling.id)).all()
    report = registry.import_roll(world.committee_a, world.compound_a.id, data, "roll.csv")
    db.session.commit()
    assert not report.changed
    assert report.dwellings_unchanged == 6
    assert db.session.execute(select(Dwelling.id, Dwelling.registered_area).order_by(Dwelling.id)).all() == snapshot


def test_an_amended_roll_updates_in_place_and_is_audited(world):
    rows = rows_for(3)
    registry.import_roll(world.committee_a, world.compound_a.id, csv_bytes(rows), "v1.csv")
    db.session.commit()
    rows[0][3] = "90.10"                                   # corrected area
    rows[1][6:9] = ["新业主", id_number(900), ""]          # the flat was sold
    report = registry.import_roll(world.committee_a, world.compound_a.id, csv_bytes(rows), "v2.csv")
    db.session.commit()
    assert (report.dwellings_updated, report.owners_created, report.owners_removed) == (1, 1, 1)
    assert counts()[0] == 3
    changed = db.session.scalars(select(AuditLog).where(AuditLog.action == "dwelling.update")).one()
    assert changed.before["registered_area"] == 8560 and changed.after["registered_area"] == 9010
    assert changed.actor == "committee_a"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "ownership.update")) == 1


def test_one_buyer_with_several_flats_is_one_person(world):
    registry.import_roll(world.committee_a, world.compound_a.id, csv_bytes(rows_for(6, owner_of=lambda i: i % 2)),
                         "roll.csv")
    db.session.commit()
    assert counts() == (6, 2, 6)


def test_the_same_owner_in_two_compounds_is_a_person_of_each_and_one_head_within_each(world):
    """One compound's roll never speaks for another's: heads are counted within a compound, and an owner
    verified through one compound's roll gains nothing in the other."""
    rows = rows_for(2, owner_of=lambda i: 0)  # one owner of two flats
    registry.import_roll(None, world.compound_a.id, csv_bytes(rows), "a.csv")
    registry.import_roll(None, world.compound_b.id, csv_bytes(rows), "b.csv")
    db.session.commit()
    assert counts() == (4, 2, 4)
    again = registry.import_roll(None, world.compound_b.id, csv_bytes(rows), "b.csv")
    assert not again.changed
    owners = db.session.execute(select(Ownership.person_id, Dwelling.id).join(Dwelling)).all()
    assert len({p for p, _d in owners}) == 2


def test_id_numbers_are_not_stored_in_clear(world):
    registry.import_roll(None, world.compound_a.id, csv_bytes(rows_for(1)), "a.csv")
    db.session.commit()
    person = db.session.scalars(select(Person)).one()
    stored = " ".join(str(v) for v in (person.id_key, person.id_masked, person.phone_enc, person.phone_masked))
    assert id_number(0) not in stored and "13800000000" not in stored
    assert person.phone_masked == "138****0000"


def test_importing_outside_my_community_is_not_found_and_changes_nothing(world):
    with pytest.raises(NotFound):
        registry.import_roll(world.committee_a, world.compound_b.id, csv_bytes(rows_for(2)), "roll.csv")
    db.session.rollback()
    assert counts() == (0, 0, 0)


def test_a_compound_that_does_not_exist_is_named(world):
    with pytest.raises(NotFound) as caught:
        registry.import_roll(None, 999999, csv_bytes(rows_for(1)), "roll.csv")
    assert caught.value.params == {"compound": 999999}
