"""Fixtures shared by the functional tests."""
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Building, Dwelling
from tests.builders import FORM_ROWS, LEDGER_ROWS, LIFT_ROOMS, LIFT_ROWS, SURVEY_ROWS, login, page_sign_in
from tests.builders import roll_rows, roll_with_owner, rooms_on_record, sign_in, staff_api


@pytest.fixture
def committee(client, world):
    """Compound A with two owners and the catalogue; committee_a signed in to the admin panel."""
    roll_with_owner(world.compound_a.id, FORM_ROWS)
    sync_base_catalogue()
    db.session.commit()
    return page_sign_in(client, "committee_a")


@pytest.fixture
def staff(client, world):
    """Compound A with four owners in six-floor buildings without lifts; committee_a on the staff API."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, SURVEY_ROWS)
    for building in Building.query.all():
        building.floors, building.has_lift = 6, False
    db.session.commit()
    return staff_api(client)


@pytest.fixture
def project(client, world):
    """Compound A with four owners and a project with one item; committee_a on the staff API."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, LEDGER_ROWS)
    http, headers = staff_api(client)
    created = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}).get_json()
    http.post(f"/api/v1/admin/projects/{created['id']}/items", headers=headers,
              json={"catalogue_code": "B01", "budget": 1_000_000})
    rooms = rooms_on_record()
    return http, headers, created["id"], rooms


@pytest.fixture
def stairwell(client, world, simulator):
    """The roll imported, the committee and the county signed in, every owner signed in to the mini-program."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, LIFT_ROWS)
    committee, committee_headers = staff_api(client)
    county, county_headers = staff_api(client, "county_a")
    rooms = rooms_on_record()
    unit_id = db.session.get(Dwelling, rooms["101"]).unit_id
    owners = {}
    for room in LIFT_ROOMS:
        me = sign_in(client, simulator, f"owner-{room}")
        code = committee.post(f"/api/v1/admin/dwellings/{rooms[room]}/binding-codes", json={},
                              headers=committee_headers).get_json()["code"]
        assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code}).status_code == 200
        owners[room] = me
    return committee, committee_headers, county, county_headers, rooms, unit_id, owners


@pytest.fixture
def election(client, world, simulator):
    """Four owned flats; an election of two seats with three candidates, not yet open."""
    roll_with_owner(world.compound_a.id, roll_rows(4))
    staff = client.application.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    made = staff.post("/api/v1/admin/elections", headers=headers, json={
        "compound_id": world.compound_a.id, "title": "第一届业主委员会选举", "seats": 2})
    assert made.status_code == 201, made.get_data(as_text=True)
    eid = made.get_json()["id"]
    candidates = [staff.post(f"/api/v1/admin/elections/{eid}/candidates", headers=headers,
                             json={"name": name, "nominated_by": "业主联名"}).get_json()["id"]
                  for name in ("刘建国", "陈秀英", "赵志强")]
    dwellings = db.session.scalars(select(Dwelling.id).order_by(Dwelling.room)).all()
    return staff, headers, eid, candidates, dwellings


WISH_HOLD = 0x77697368  # the advisory lock a wish's COMMIT waits on while a test holds it


class WishCommits:
    """Faults at the COMMIT of a transaction that files a wish, from a deferred constraint trigger on `wishes`:
    `refuse` makes the database refuse it (by default as a deferred constraint does, an integrity error);
    `held()` is a context while which such a COMMIT waits, yielding a look at whether one is waiting."""

    def __init__(self, database_url):
        from sqlalchemy import create_engine
        from core.config import sqlalchemy_url
        self.other = create_engine(sqlalchemy_url(database_url))

    def install(self, refuse=True, errcode="check_violation"):
        """Put the fault in place (refusing, or only waiting while held)."""
        from sqlalchemy import text
        outcome = f"RAISE EXCEPTION 'wish refused' USING ERRCODE = '{errcode}';" if refuse else "RETURN NULL;"
        db.session.execute(text(f"""
            CREATE FUNCTION wish_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared({WISH_HOLD});
                {outcome}
            END $$;
            CREATE CONSTRAINT TRIGGER wish_fault AFTER INSERT ON wishes DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION wish_fault();
        """))
        db.session.commit()

    def lift(self):
        """The fault is gone."""
        from sqlalchemy import text
        db.session.rollback()
        db.session.execute(text("DROP TRIGGER IF EXISTS wish_fault ON wishes; DROP FUNCTION IF EXISTS wish_fault()"))
        db.session.commit()

    @contextmanager
    def held(self):
        from sqlalchemy import text
        with self.other.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": WISH_HOLD})
            conn.commit()

            def committing():
                sessions = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                             " AND datname = current_database()")).scalar()
                conn.commit()  # the next look reads the activity afresh
                return sessions > 0
            yield committing
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": WISH_HOLD})
            conn.commit()


@pytest.fixture
def wish_commits(app, database_url):
    """WishCommits on the test's database; the trigger is gone after the test (tests share the schema)."""
    faults = WishCommits(database_url)
    yield faults
    faults.other.dispose()
    faults.lift()
