"""Electing the owners' committee through its real doors: the staff API opens voting on a roll frozen as it
opens, owners are told with the deadline in Beijing time, vote in chat (选举) and in the mini-program, and the
scheduler closes the election on time and tells the residents who was elected."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Dwelling, utcnow
from core.staff import create_staff
from core.times import format_moment
from notices.sender import drain
from projects import care
from simulator.sender import text_xml
from tests.builders import PASSWORD, Bot, Panel, login, roll_rows, roll_with_owner, sign_in


def owner(client, simulator, staff, headers, dwelling_id, openid):
    """A resident signed in to the mini-program and bound to the dwelling they own (by the committee's code)."""
    me = sign_in(client, simulator, openid)
    code = staff.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={},
                      headers=headers).get_json()["code"]
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code}).status_code == 200
    return me


def test_owners_elect_by_chat_and_mini_program_on_the_roll_frozen_at_opening_and_the_schedule_closes_it(
        client, world, simulator, election):
    staff, headers, eid, candidates, dwellings = election
    wang = owner(client, simulator, staff, headers, dwellings[0], "elect-wang")
    li = owner(client, simulator, staff, headers, dwellings[1], "elect-li")
    closes = utcnow() + timedelta(days=7)
    opened = staff.post(f"/api/v1/admin/elections/{eid}/open", headers=headers, json={"closes_at": closes.isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)

    # the owners on the roll are told, with the deadline as residents read it (Beijing time)
    told = client.get("/api/v1/inbox", headers=wang).get_json()
    entry = next(n for n in told if n["kind"] == "election_open")
    assert "第一届业主委员会选举" in entry["body"] and format_moment(closes, "zh_Hans_CN") in entry["body"]
    assert "选举" in entry["body"] and "3" in entry["body"]

    # the registry changes after opening: a fifth flat is added; it is not on this election's roll
    roll_with_owner(world.compound_a.id, roll_rows(5))
    fifth = db.session.scalar(select(Dwelling.id).where(Dwelling.id.not_in(dwellings)))
    newcomer = owner(client, simulator, staff, headers, fifth, "elect-new")
    assert client.post(f"/api/v1/elections/{eid}/ballot", headers=newcomer,
                       json={"candidate_ids": candidates[:1]}).status_code == 403
    assert staff.post(f"/api/v1/admin/elections/{eid}/paper", headers=headers,
                      json={"dwelling_id": fifth, "candidate_ids": candidates[:1]}).status_code == 404

    # by chat: the only open election goes straight to its candidates
    bot = Bot(client)
    shown = bot.say(text_xml("elect-wang", "选举"))
    assert "刘建国" in shown and "赵志强" in shown and format_moment(closes, "zh_Hans_CN") in shown
    assert "最多只能同意 2 名" in bot.say(text_xml("elect-wang", "1 2 3"))  # three for two seats: asked again
    assert "您同意刘建国、赵志强" in bot.say(text_xml("elect-wang", "1、3"))
    assert "选票已记录" in bot.say(text_xml("elect-wang", "1"))
    again = bot.say(text_xml("elect-wang", "选举"))
    assert "您家已投票给：刘建国、赵志强" in again  # the home's current ballot, shown before asking again
    assert "没有更改" in bot.say(text_xml("elect-wang", "0"))

    # in the mini-program, and on paper for a flat on the roll
    assert client.post(f"/api/v1/elections/{eid}/ballot", headers=li,
                       json={"candidate_ids": candidates[:2]}).status_code == 200
    entry = staff.post(f"/api/v1/admin/elections/{eid}/paper", headers=headers,
                       json={"dwelling_id": dwellings[2], "candidate_ids": [candidates[0]]}).get_json()
    assert entry["state"] == "pending" and entry["candidate_ids"] is None  # the second person reads it afresh
    create_staff(None, "committee_a2", "委员a2", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    second = client.application.test_client()
    second_headers = {"X-CSRFToken": login(second, "committee_a2")}
    confirm = f"/api/v1/admin/elections/{eid}/paper/{entry['id']}/confirm"
    assert second.post(confirm, headers=second_headers,
                       json={"candidate_ids": [candidates[1]]}).get_json()["state"] == "mismatch"
    entry = staff.post(f"/api/v1/admin/elections/{eid}/paper", headers=headers,
                       json={"dwelling_id": dwellings[2], "candidate_ids": [candidates[0]]}).get_json()
    confirm = f"/api/v1/admin/elections/{eid}/paper/{entry['id']}/confirm"
    assert second.post(confirm, headers=second_headers,
                       json={"candidate_ids": [candidates[0]]}).get_json()["state"] == "confirmed"
    # a paper ballot nobody confirms before the close is void
    staff.post(f"/api/v1/admin/elections/{eid}/paper", headers=headers,
               json={"dwelling_id": dwellings[3], "candidate_ids": [candidates[2]]})

    # the scheduler closes it when its time is up; the count is on the frozen roll of four
    care.close_due(now=utcnow())
    assert staff.get(f"/api/v1/admin/elections/{eid}", headers=headers).get_json()["state"] == "open"
    care.close_due(now=closes + timedelta(seconds=1))
    counted = staff.get(f"/api/v1/admin/elections/{eid}", headers=headers).get_json()
    assert counted["state"] == "closed" and counted["elected"] == ["刘建国"]
    first = counted["result"]["candidates"][0]
    assert (first["agree_heads"], first["participating_heads"], first["total_heads"]) == (3, 3, 4)
    drain()  # the outbox fans the result out to the compound's residents
    states = [e["state"] for e in staff.get(f"/api/v1/admin/elections/{eid}/paper", headers=headers).get_json()]
    assert states == ["void", "confirmed", "mismatch"]
    result = client.get("/api/v1/inbox", headers=li).get_json()
    assert any("当选" in n["body"] and "刘建国" in n["body"] for n in result)


def test_the_election_closes_on_a_schedule(app):
    from projects.jobs import register_jobs
    added = []

    class Scheduler:
        def add_job(self, func, trigger, **options):
            added.append((trigger, options.get("seconds"), options["args"][0]))
    register_jobs(app, Scheduler())
    assert ("interval", app.config["VOTES_INTERVAL"], "projects.care:close_due") in added


def test_the_owners_vote_sets_the_management_mode_shown_to_residents_and_officials(client, world, simulator,
                                                                                   election):
    staff, headers, _eid, _candidates, dwellings = election
    pid = staff.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    vote_id = staff.post(f"/api/v1/admin/projects/{pid}/management-vote", headers=headers,
                         json={"compound_id": world.compound_a.id, "mode": "self"}).get_json()["id"]
    now = utcnow()
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat()}).status_code == 200
    owners = [owner(client, simulator, staff, headers, d, f"mode-{n}") for n, d in enumerate(dwellings[:3])]
    for me in owners:
        assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"}).status_code == 200
    assert client.get("/api/v1/project", headers=owners[0]).get_json()["management"] is None
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code == 200
    care.close_due()  # a closed vote not yet published decides nothing
    assert client.get("/api/v1/project", headers=owners[0]).get_json()["management"] is None
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/publish", headers=headers, json={}).status_code == 200
    care.close_due()  # the scheduled job

    shown = client.get("/api/v1/project", headers=owners[0]).get_json()["management"]
    assert (shown["mode"], shown["label"], shown["vote_id"]) == ("self", "业主自治管理", vote_id)
    assert "业主自治管理" in Bot(client).say(text_xml("mode-1", "进度"))
    county = Panel(client.application.test_client(), "county_a")
    overview = county.get("/admin/works")
    assert "玉林小区" in overview and "业主自治管理" in overview
    drain()
    assert any("业主自治管理" in n["body"] for n in client.get("/api/v1/inbox", headers=owners[2]).get_json())
    other = Panel(client.application.test_client(), "county_b")
    assert "业主自治管理" not in other.get("/admin/works")  # another county sees nothing of it


def _open_with_a_ballot(client, world, simulator, election):
    """The election open until next week, with one owner's ballot in; the staff who runs it."""
    staff, headers, eid, candidates, dwellings = election
    closes = utcnow() + timedelta(days=7)
    assert staff.post(f"/api/v1/admin/elections/{eid}/open", headers=headers,
                      json={"closes_at": closes.isoformat()}).status_code == 200
    wang = owner(client, simulator, staff, headers, dwellings[0], "race-wang")
    assert client.post(f"/api/v1/elections/{eid}/ballot", headers=wang,
                       json={"candidate_ids": candidates[:1]}).status_code == 200
    return staff, headers, eid, closes


def _at_once(*closes):
    """Run the closes in threads released together; their answers."""
    import threading
    answers, barrier = [], threading.Barrier(len(closes))

    def run(close):
        barrier.wait()
        answers.append(close())
    threads = [threading.Thread(target=run, args=(close,)) for close in closes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def _counted_once(eid):
    """The election closed with one count: one audit entry of its close, one result told to the residents."""
    from sqlalchemy import func
    from core.models import AuditLog
    from notices.models import Notice
    db.session.expire_all()
    closes = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "election.close", AuditLog.target_id == str(eid)))
    told = db.session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "works_message"))
    return (closes, told) == (1, 1)


def test_two_closes_at_once_count_the_election_once(client, world, simulator, election):
    staff, headers, eid, _closes = _open_with_a_ballot(client, world, simulator, election)
    create_staff(None, "committee_a2", "委员a2", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    other = client.application.test_client()
    other_headers = {"X-CSRFToken": login(other, "committee_a2")}
    answers = _at_once(lambda: staff.post(f"/api/v1/admin/elections/{eid}/close", headers=headers),
                       lambda: other.post(f"/api/v1/admin/elections/{eid}/close", headers=other_headers))
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409).get_json()["error"]["message"]
    assert "已经关闭" in refused
    assert _counted_once(eid)
    assert staff.get(f"/api/v1/admin/elections/{eid}", headers=headers).get_json()["state"] == "closed"


def test_a_close_by_hand_and_the_schedule_at_once_count_the_election_once(app, client, world, simulator, election):
    staff, headers, eid, closes = _open_with_a_ballot(client, world, simulator, election)

    def schedule():
        with app.app_context():
            care.close_due(now=closes + timedelta(seconds=1))
            db.session.remove()
        return "schedule"
    answers = _at_once(lambda: staff.post(f"/api/v1/admin/elections/{eid}/close", headers=headers), schedule)
    by_hand = next(a for a in answers if a != "schedule")
    assert by_hand.status_code in (200, 409), by_hand.get_data(as_text=True)
    assert _counted_once(eid)


BALLOT_HOLD = 0x656C6563  # the advisory lock a ballot's insert waits on in the test below


@pytest.fixture
def ballots_held(app, database_url):
    """A context in which every election ballot's insert waits (inside its transaction, after the service's
    checks) until the context ends; the trigger is gone after the test (tests share the database's schema)."""
    from sqlalchemy import create_engine, text
    from core.config import sqlalchemy_url
    db.session.execute(text(f"""
        CREATE FUNCTION ballot_hold() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock_shared({BALLOT_HOLD}); RETURN NEW; END $$;
        CREATE TRIGGER ballot_hold BEFORE INSERT ON election_ballots FOR EACH ROW EXECUTE FUNCTION ballot_hold();
    """))
    db.session.commit()
    other = create_engine(sqlalchemy_url(database_url))

    @contextmanager
    def held():
        with other.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": BALLOT_HOLD})
            yield conn
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": BALLOT_HOLD})
            conn.commit()
    yield held
    other.dispose()
    db.session.rollback()
    db.session.execute(text("DROP TRIGGER IF EXISTS ballot_hold ON election_ballots;"
                            " DROP FUNCTION IF EXISTS ballot_hold()"))
    db.session.commit()


@pytest.mark.postgresql_only
def test_a_ballot_cast_while_the_election_closes_is_counted(client, world, simulator, election, ballots_held):
    """An owner casts as staff close the election: the close counts the ballot the owner is told was recorded
    (before, the close counted without it, and the ballot was kept in a closed election, never counted)."""
    import threading
    from sqlalchemy import text
    from tests.builders import wait_until
    staff, headers, eid, _closes = _open_with_a_ballot(client, world, simulator, election)
    candidates, dwellings = election[3], election[4]
    li = owner(client, simulator, staff, headers, dwellings[1], "race-li")
    answers = {}

    def run(name, call):
        answers[name] = call()

    with ballots_held() as conn:
        def waiting(count):
            sessions = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                         " AND datname = current_database()")).scalar()
            conn.commit()  # the next look reads the activity afresh
            return sessions >= count
        cast = threading.Thread(target=run, args=("cast", lambda: client.post(
            f"/api/v1/elections/{eid}/ballot", headers=li, json={"candidate_ids": candidates[:1]})))
        cast.start()
        assert wait_until(lambda: waiting(1), 10)  # the ballot is on its way in
        close = threading.Thread(target=run, args=("close", lambda: staff.post(
            f"/api/v1/admin/elections/{eid}/close", headers=headers)))
        close.start()
        assert wait_until(lambda: "close" in answers or waiting(2), 10)  # closed, or waiting for the ballot
    cast.join(30)
    close.join(30)
    assert answers["cast"].status_code == 200, answers["cast"].get_data(as_text=True)
    counted = answers["close"].get_json()
    assert counted["state"] == "closed", counted
    assert counted["result"]["candidates"][0]["participating_heads"] == 2  # Wang's ballot and Li's
