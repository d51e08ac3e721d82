"""A consent vote end to end through its real doors: staff API, mini-program, bot and paper."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import Unit, utcnow
from simulator.sender import text_xml
from tests.builders import STAIRWELL_ROWS as ROWS, rooms_on_record
from tests.builders import Bot, login, open_lift_vote, owner, roll_with_owner, sign_in, window
from votes.models import Ballot, PaperEntry


@pytest.fixture
def setup(client, world, simulator):
    roll_with_owner(world.compound_a.id, ROWS)
    staff = client.application.test_client()
    token = login(staff, "committee_a")
    headers = {"X-CSRFToken": token}
    unit_id = db.session.scalar(select(Unit.id))
    rooms = rooms_on_record()
    return staff, headers, unit_id, rooms


# The whole vote through every channel, step by step: each test runs the steps before its own, so a failure
# names the step that broke.

def cast_online(client, simulator, staff, headers, rooms, vote_id):
    """The buyer of 101/102 votes for 101 alone in the mini-program; 103 disagrees, then agrees."""
    zhang = owner(client, simulator, staff, headers, rooms["101"], "zhang")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang,
                      json={"choice": "agree", "dwelling_ids": [rooms["101"]]}).status_code == 200
    li = owner(client, simulator, staff, headers, rooms["103"], "li")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "disagree"}).status_code == 200
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"}).status_code == 200
    return li


def cast_by_chat(client, simulator, staff, headers, rooms):
    """104 votes by chat: the only open vote goes straight to its question."""
    owner(client, simulator, staff, headers, rooms["104"], "wang")
    bot = Bot(client)
    assert "加装电梯" in bot.say(text_xml("wang", "投票"))
    bot.say(text_xml("wang", "1"))
    assert "回执" in bot.say(text_xml("wang", "1"))


def enter_on_paper(client, staff, headers, unit_id, rooms, vote_id):
    """Door to door: 105 and 107 agree, the developer's 108 abstains, 106 is typed and confirmed differently.
    Each entry is typed by one committee member and confirmed by a second."""
    codes = {c["dwelling_id"]: c["code"] for c in staff.get(f"/api/v1/admin/votes/{vote_id}/ballot-codes").get_json()}
    second = client.application.test_client()
    from core.staff import create_staff
    create_staff(None, "committee_a2", "复核员", "committee", db.session.get(Unit, unit_id).building.compound.community_id,
                 "correct horse battery")
    db.session.commit()
    token2 = login(second, "committee_a2")
    for room, choice, confirm in (("105", "agree", "agree"), ("107", "agree", "agree"), ("108", "abstain", "abstain"),
                                  ("106", "agree", "disagree")):
        entry = staff.post(f"/api/v1/admin/votes/{vote_id}/paper", headers=headers,
                           json={"code": codes[rooms[room]], "choice": choice}).get_json()
        same = staff.post(f"/api/v1/admin/votes/{vote_id}/paper/{entry['id']}/confirm", headers=headers,
                          json={"choice": confirm})
        assert same.status_code == 403  # the one who typed it cannot confirm it
        confirmed = second.post(f"/api/v1/admin/votes/{vote_id}/paper/{entry['id']}/confirm",
                                headers={"X-CSRFToken": token2}, json={"choice": confirm}).get_json()
        assert confirmed["state"] == ("confirmed" if choice == confirm else "mismatch")


def cast_everywhere(client, simulator, setup):
    """Every step above on one lift vote that publishes each home's choice; the vote's id and 103's headers."""
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id, publish_details=True)
    li = cast_online(client, simulator, staff, headers, rooms, vote_id)
    cast_by_chat(client, simulator, staff, headers, rooms)
    enter_on_paper(client, staff, headers, unit_id, rooms, vote_id)
    return vote_id, li


def test_in_the_mini_program_an_owner_votes_for_the_flat_chosen_and_the_last_choice_counts(client, setup, simulator):
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    cast_online(client, simulator, staff, headers, rooms, vote_id)
    live = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert (live["participating_heads"], live["agree_heads"], live["participating_area"]) == (2, 2, "160.00")
    non_voters = [d["room"] for d in staff.get(f"/api/v1/admin/votes/{vote_id}/non-voters").get_json()]
    assert "101" not in non_voters and "102" in non_voters and "103" not in non_voters


def test_an_owner_votes_by_chat_and_gets_a_receipt(client, setup, simulator):
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    cast_by_chat(client, simulator, staff, headers, rooms)
    non_voters = [d["room"] for d in staff.get(f"/api/v1/admin/votes/{vote_id}/non-voters").get_json()]
    assert "104" not in non_voters


def test_a_paper_ballot_counts_once_a_second_staff_member_confirms_the_same_choice(client, setup):
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    enter_on_paper(client, staff, headers, unit_id, rooms, vote_id)
    assert db.session.scalar(select(PaperEntry.state).where(PaperEntry.dwelling_id == rooms["106"])) == "mismatch"
    non_voters = [d["room"] for d in staff.get(f"/api/v1/admin/votes/{vote_id}/non-voters").get_json()]
    assert {"105", "107", "108"} & set(non_voters) == set() and "106" in non_voters


def test_the_live_tally_counts_every_channel_by_heads_and_area(client, setup, simulator):
    staff = setup[0]
    vote_id, _li = cast_everywhere(client, simulator, setup)
    live = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    # heads: 张三 (101+102), 李四, 王五, 赵六, 孙七, 周八, developer = 7; participating: 张三, 李四, 王五, 赵六,
    # 周八, developer = 6; agreeing 5 of 6; area: 8 x 80 = 640 m², participating 101,103,104,105,107,108 = 480 m²
    assert (live["total_heads"], live["participating_heads"], live["agree_heads"], live["abstain_heads"]) == (7, 6, 5, 1)
    assert (live["total_area"], live["participating_area"], live["agree_area"]) == ("640.00", "480.00", "400.00")
    assert live["quorum_met"] is True and live["approved"] is True
    non_voters = [d["room"] for d in staff.get(f"/api/v1/admin/votes/{vote_id}/non-voters").get_json()]
    assert non_voters == ["102", "106"]


def test_a_closed_vote_is_published_with_each_homes_choice_and_its_chain_verifies(client, setup, simulator):
    staff, headers = setup[0], setup[1]
    vote_id, li = cast_everywhere(client, simulator, setup)
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code == 200
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/publish", headers=headers, json={}).status_code == 200
    result = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert result["state"] == "published" and result["approved"] is True and "≥3/4" in result["reason"]
    assert {d["room"]: d["choice"] for d in result["details"]}["103"] == "agree"
    receipt = client.get(f"/api/v1/votes/{vote_id}/ballot", headers=li).get_json()["receipt"]
    assert client.get(f"/api/v1/votes/{vote_id}/receipts/{receipt}", headers=li).get_json() == {
        "counted": True, "choice": "agree"}
    verified = client.application.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
    assert verified.exit_code == 0 and "verified" in verified.output


def test_bad_ballots_are_refused(client, setup, simulator):
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    zhang = owner(client, simulator, staff, headers, rooms["101"], "z1")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang, json={"choice": "maybe"}).status_code == 422
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang,
                      json={"choice": "agree", "dwelling_id": rooms["103"]}).status_code == 403
    tenant = sign_in(client, simulator, "tenant-x")
    code = staff.post(f"/api/v1/admin/dwellings/{rooms['104']}/binding-codes", json={"kind": "tenant"},
                      headers=headers).get_json()["code"]
    client.post("/api/v1/me/binding/code", headers=tenant, json={"code": code})
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=tenant, json={"choice": "agree"}).status_code == 403
    assert staff.patch(f"/api/v1/admin/votes/{vote_id}", headers=headers, json={"title": "改"}).status_code == 409
    staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers)
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang, json={"choice": "agree"}).status_code == 409


def test_a_ballot_before_opening_is_refused(client, setup, simulator):
    staff, headers, unit_id, rooms = setup
    vote = staff.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "加装电梯"}).get_json()
    now = utcnow()
    staff.post(f"/api/v1/admin/votes/{vote['id']}/open", headers=headers, json={
        "opens_at": (now + timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=8)).isoformat()})
    zhang = owner(client, simulator, staff, headers, rooms["101"], "z2")
    assert client.put(f"/api/v1/votes/{vote['id']}/ballot", headers=zhang, json={"choice": "agree"}).status_code == 409


def test_a_paper_code_from_another_vote_or_forged_is_refused(client, setup):
    staff, headers, unit_id, rooms = setup
    first = open_lift_vote(staff, headers, unit_id)
    other = open_lift_vote(staff, headers, unit_id, title="另一项表决")
    code = staff.get(f"/api/v1/admin/votes/{other}/ballot-codes").get_json()[0]["code"]
    assert staff.post(f"/api/v1/admin/votes/{first}/paper", headers=headers,
                      json={"code": code, "choice": "agree"}).status_code == 422
    forged = f"V{first}-D{rooms['101']}-ABCDEF"
    assert staff.post(f"/api/v1/admin/votes/{first}/paper", headers=headers,
                      json={"code": forged, "choice": "agree"}).status_code == 422


def test_another_community_cannot_run_the_vote(client, setup):
    staff, headers, unit_id, _rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    other = client.application.test_client()
    token = login(other, "committee_b")
    assert other.get(f"/api/v1/admin/votes/{vote_id}/result").status_code == 404
    assert other.post(f"/api/v1/admin/votes/{vote_id}/close", headers={"X-CSRFToken": token}).status_code == 404


def test_tampering_with_a_stored_ballot_is_caught(client, setup, simulator):
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    zhang = owner(client, simulator, staff, headers, rooms["101"], "z3")
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang, json={"choice": "disagree"})
    db.session.execute(text("UPDATE ballots SET choice = 'agree'"))
    db.session.commit()
    result = client.application.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
    assert result.exit_code == 1 and "TAMPERED" in result.output
    db.session.execute(text("UPDATE ballots SET choice = 'disagree'"))
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):  # the log itself cannot be rewritten in place
        db.session.execute(text("UPDATE ballot_events SET actor = 'someone else'"))
    db.session.rollback()


def test_reminders_go_to_owners_who_have_not_voted(client, setup, simulator):
    from notices.models import Notice
    from votes.services import run_due
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    voted = owner(client, simulator, staff, headers, rooms["101"], "r1")
    owner(client, simulator, staff, headers, rooms["103"], "r2")
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=voted, json={"choice": "agree"})
    run_due(now=utcnow() + timedelta(days=6))
    reminders = db.session.scalars(select(Notice).where(Notice.kind == "vote_reminder")).all()
    assert len(reminders) == 1
    run_due(now=utcnow() + timedelta(days=6))
    assert len(db.session.scalars(select(Notice).where(Notice.kind == "vote_reminder")).all()) == 1
    run_due(now=utcnow() + timedelta(days=8))
    assert staff.get(f"/api/v1/admin/votes/{vote_id}").get_json()["state"] == "closed"


def test_fifty_concurrent_casts_for_one_dwelling_leave_one_ballot(app, setup, simulator, database):
    import threading
    from core.models import WechatAccount
    from votes.services import cast_ballot, verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    from core.models import Ownership, utcnow as now
    owner_id = db.session.scalar(select(Ownership.person_id).where(Ownership.dwelling_id == rooms["103"]))
    account = WechatAccount(openid="race", dwelling_id=rooms["103"], person_id=owner_id, kind="owner",
                            locale="zh_Hans_CN", privacy_consented_at=now())
    db.session.add(account)
    db.session.commit()
    account_id = account.id
    errors = []
    barrier = threading.Barrier(50 if database["kind"] == "postgresql" else 10)

    def cast(n):
        with app.app_context():
            try:
                barrier.wait()
                cast_ballot(db.session.get(WechatAccount, account_id), vote_id, ("agree", "disagree")[n % 2], "miniprogram")
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                db.session.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=cast, args=(n,)) for n in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 1
    assert verify(vote_id) == []


def test_owners_casting_at_once_each_get_a_receipt_that_is_a_link_of_the_chain(app, client, setup, simulator):
    import threading
    from votes.models import BallotEvent, BallotIntake
    from votes.services import verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    # 101 and 102 are one owner's, who casts for both at once.
    owners = {room: owner(client, simulator, staff, headers, rooms[room], f"crowd-{room}")
              for room in ("101", "103", "104", "105", "106", "107")}
    answers = []

    def cast(me, choice, barrier):
        barrier.wait()
        answers.append(client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": choice}))

    for choice in ("agree", "disagree"):
        barrier = threading.Barrier(len(owners))
        threads = [threading.Thread(target=cast, args=(me, choice, barrier)) for me in owners.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert [a.status_code for a in answers] == [200] * 12, [a.get_json() for a in answers if a.status_code != 200]
    receipts = [flat["receipt"] for a in answers for flat in a.get_json()["flats"]]
    links = set(db.session.scalars(select(BallotEvent.hash).where(BallotEvent.vote_id == vote_id)))
    assert len(receipts) == len(set(receipts)) == len(links) == 14
    assert all(any(link.startswith(r) for link in links) for r in receipts)
    assert all(any(link == a.get_json()["chain_head"] for link in links) for a in answers)
    stored = dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all())
    assert stored == {rooms[r]: "disagree" for r in ("101", "102", "103", "104", "105", "106", "107")}
    assert db.session.scalar(select(db.func.count()).select_from(BallotIntake).where(
        BallotIntake.state == "waiting")) == 0
    assert verify(vote_id) == []


@pytest.mark.postgresql_only
def test_a_cast_that_finds_the_chain_busy_is_kept_and_gets_its_receipt_once_the_chain_is_free(
        app, client, setup, simulator, database_url):
    import threading
    import time
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes.models import BallotIntake
    from votes.services import CHAIN_LOCK, verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    li = owner(client, simulator, staff, headers, rooms["103"], "li")
    answers = []
    caster = threading.Thread(target=lambda: answers.append(
        client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"})))
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:  # another cast is appending to the vote's chain
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            caster.start()
            deadline = time.monotonic() + 30
            # The ballot is received and kept (committed) without waiting for the chain...
            while not conn.scalar(select(db.func.count()).select_from(BallotIntake).where(
                    BallotIntake.vote_id == vote_id, BallotIntake.state == "waiting")):
                assert time.monotonic() < deadline, "the ballot was not kept while the chain was busy"
                time.sleep(0.02)
            assert not answers  # ...and the owner has no answer before it is chained
        caster.join(30)
    finally:
        other.dispose()
    (answer,) = answers
    assert answer.status_code == 200, answer.get_json()
    receipt = answer.get_json()
    assert receipt["choice"] == "agree" and receipt["chain_head"].startswith(receipt["receipt"])
    assert verify(vote_id, head=receipt["receipt"]) == []
    assert db.session.scalar(select(BallotIntake.state).where(BallotIntake.vote_id == vote_id)) == "chained"


def test_printable_ballots_carry_each_dwellings_code_and_qr(client, setup):
    import re
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    page = client.application.test_client()
    login_page = page.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    page.post("/admin/login", data={"username": "committee_a", "password": "correct horse battery",
                                    "csrf_token": token})
    html = page.get(f"/admin/votes/{vote_id}/ballots").get_data(as_text=True)
    codes = re.findall(rf"V{vote_id}-D\d+-[0-9A-F]{{6}}", html)
    assert len(set(codes)) == 8 and html.count("<svg") == 8 and "加装电梯" in html
    from votes.services import read_paper_code
    assert {read_paper_code(c)[1] for c in codes} == set(rooms.values())
    listing = page.get(f"/admin/votes/{vote_id}/non-voters").get_data(as_text=True)
    assert listing.count("<tr>") == 9  # header and eight dwellings


def test_a_plan_document_is_attached_and_voters_can_read_it(client, setup, simulator):
    import io
    staff, headers, unit_id, rooms = setup
    vote = staff.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "加装电梯"}).get_json()
    pdf = b"%PDF-1.4\n% plan\n"
    attached = staff.post(f"/api/v1/admin/votes/{vote['id']}/documents", headers=headers,
                          content_type="multipart/form-data",
                          data={"title": "加装电梯方案", "file": (io.BytesIO(pdf), "plan.pdf")})
    assert attached.status_code == 201
    bad = staff.post(f"/api/v1/admin/votes/{vote['id']}/documents", headers=headers,
                     content_type="multipart/form-data", data={"file": (io.BytesIO(b"MZ\x90 exe"), "x.pdf")})
    assert bad.status_code == 422
    now = utcnow()
    staff.post(f"/api/v1/admin/votes/{vote['id']}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=3)).isoformat()})
    me = owner(client, simulator, staff, headers, rooms["103"], "doc-reader")
    (seen,) = client.get("/api/v1/votes", headers=me).get_json()
    document = seen["documents"][0]
    assert document["title"] == "加装电梯方案"
    downloaded = client.get(f"/api/v1/files/{document['file']}", headers=me)
    assert downloaded.data == pdf
    downloaded.close()
    assert client.get(f"/api/v1/files/{document['file']}").status_code == 401
    assert client.get("/api/v1/files/..%2F..%2Fetc%2Fpasswd", headers=me).status_code == 404


@pytest.mark.postgresql_only
def test_a_ballot_replaced_within_one_round_of_chaining_is_told_to_whoever_cast_it(
        app, client, setup, simulator, database_url):
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from core.models import WechatAccount
    from notices.models import Notice
    from votes.services import CHAIN_LOCK, cast_ballots, chain_waiting, verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    # 李四 of 103 on two WeChat accounts (the official account's and the mini-program's), each bound as owner.
    owner(client, simulator, staff, headers, rooms["103"], "li-chat")
    owner(client, simulator, staff, headers, rooms["103"], "li-phone")
    first, second = (WechatAccount.query.filter_by(openid=o).one() for o in ("li-chat", "li-phone"))
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:  # another cast is appending to the vote's chain: both ballots wait in the intake
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            for account, choice in ((first, "agree"), (second, "disagree")):
                (waiting,) = cast_ballots(account, vote_id, choice, "miniprogram", defer=True)
                assert waiting.link is None
                db.session.commit()
    finally:
        other.dispose()
    chain_waiting(vote_id)  # one round carries both, in the order they came
    db.session.commit()
    assert db.session.scalar(select(Ballot.choice).where(Ballot.vote_id == vote_id)) == "disagree"

    def told(account):
        return db.session.scalars(select(Notice).where(Notice.kind == "ballot_replaced", Notice.scope_kind == "account",
                                                       Notice.scope_id == account.id)).all()
    (notice,) = told(first)  # the first ballot was replaced by the second, as if each had been chained alone
    assert "1-1-103" in notice.params["body"]
    assert told(second) == []
    assert verify(vote_id) == []


@pytest.fixture
def chaining_fails(app):
    """A function making the database refuse the next `times` appends to any vote's chain (as a full disk or a
    restart would): a trigger counting on a sequence, which a rolled-back transaction does not take back. The
    trigger is gone after the test (tests share the database's schema)."""
    def fail(times, vote_id=None):
        """With `vote_id`, only that vote's chain is refused (once per round: its first event)."""
        row = vote_id is not None
        db.session.execute(text(f"""
            CREATE SEQUENCE chain_faults;
            CREATE FUNCTION chain_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('chain_faults') <= {int(times)} THEN RAISE EXCEPTION 'could not write the chain'; END IF;
                RETURN {'NEW' if row else 'NULL'};
            END $$;
            CREATE TRIGGER chain_fault BEFORE INSERT ON ballot_events FOR EACH {'ROW' if row else 'STATEMENT'}
                {f'WHEN (NEW.vote_id = {int(vote_id)})' if row else ''} EXECUTE FUNCTION chain_fault();
        """))
        db.session.commit()
    yield fail
    db.session.rollback()
    db.session.execute(text("DROP TRIGGER IF EXISTS chain_fault ON ballot_events; DROP FUNCTION IF EXISTS chain_fault();"
                            " DROP SEQUENCE IF EXISTS chain_faults"))
    db.session.commit()


def _cast_while_the_chain_is_busy(client, database_url, vote_id, owners):
    """Each owner casts in the mini-program while another cast holds the vote's chain, so that every ballot
    waits in the intake for a round; the chain is freed once all are kept. Returns {room: answer}."""
    import threading
    import time
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes.models import BallotIntake
    from votes.services import CHAIN_LOCK, _rounds_of
    answers = {}

    def cast(room):
        answers[room] = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=owners[room], json={"choice": "agree"})

    threads = [threading.Thread(target=cast, args=(room,)) for room in owners]
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while conn.scalar(select(db.func.count()).select_from(BallotIntake).where(
                    BallotIntake.vote_id == vote_id, BallotIntake.state == "waiting")) < len(owners) or len(
                    _rounds_of(vote_id).waiting) < len(owners):  # kept, and each cast waiting for a round
                assert time.monotonic() < deadline, "the ballots were not kept while the chain was busy"
                time.sleep(0.02)
    finally:
        other.dispose()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a cast was left waiting for its link"
    return answers


@pytest.mark.postgresql_only
def test_a_round_of_chaining_that_fails_once_is_led_again_and_every_owner_gets_a_receipt(
        app, client, setup, simulator, database_url, chaining_fails):
    from votes import services
    from votes.models import BallotEvent
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    owners = {room: owner(client, simulator, staff, headers, rooms[room], f"round-{room}")
              for room in ("103", "104", "105", "106")}
    chaining_fails(1)
    answers = _cast_while_the_chain_is_busy(client, database_url, vote_id, owners)
    assert [a.status_code for a in answers.values()] == [200] * 4, [a.get_json() for a in answers.values()]
    links = set(db.session.scalars(select(BallotEvent.hash).where(BallotEvent.vote_id == vote_id)))
    assert all(a.get_json()["chain_head"] in links for a in answers.values())
    stored = dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all())
    assert stored == {rooms[room]: "agree" for room in owners}
    assert services.verify(vote_id) == []


def _chain_waiters(conn, vote_id):
    """The backends waiting for the vote's chain."""
    from votes.services import CHAIN_LOCK
    return set(conn.scalars(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                 "AND classid = :k AND objid = :v AND objsubid = 2"), {"k": CHAIN_LOCK, "v": vote_id}))


@pytest.mark.postgresql_only
def test_a_round_whose_connection_is_lost_is_led_again_and_the_owner_gets_a_receipt(
        app, client, setup, simulator, database_url):
    """The database drops the connection of the round a cast waits for (a restart, a network cut): the cast
    leads another round on a new connection instead of failing."""
    import threading
    import time
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes.services import CHAIN_LOCK, verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    me = owner(client, simulator, staff, headers, rooms["103"], "cut-103")
    answers = []
    caster = threading.Thread(target=lambda: answers.append(
        client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"})))
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:  # another cast appends to the chain: this one's ballot waits for a round
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            caster.start()
            cut, deadline = set(), time.monotonic() + 30
            while not cut or not _chain_waiters(conn, vote_id) - cut:  # one round cut, and the next one waiting
                assert not answers, answers[0].get_json()
                for pid in _chain_waiters(conn, vote_id) - cut:
                    if not cut:
                        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                        cut.add(pid)
                assert time.monotonic() < deadline, "no round waited for the chain again"
                time.sleep(0.02)
    finally:
        other.dispose()
    caster.join(60)
    (answer,) = answers
    assert answer.status_code == 200, answer.get_json()
    assert verify(vote_id, head=answer.get_json()["receipt"]) == []


@pytest.mark.postgresql_only
def test_casts_whose_rounds_keep_failing_are_told_their_ballot_was_received_and_it_counts(
        app, client, setup, simulator, database_url, chaining_fails):
    from votes import services
    from votes.models import BallotIntake
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    owners = {room: owner(client, simulator, staff, headers, rooms[room], f"round-{room}")
              for room in ("103", "104")}
    chaining_fails(1000)  # the database keeps refusing the chain
    answers = _cast_while_the_chain_is_busy(client, database_url, vote_id, owners)
    for answer in answers.values():
        assert answer.status_code == 503, answer.get_json()
        message = answer.get_json()["error"]["message"]
        assert "收到" in message and "计入" in message and "回执" in message  # received, counted; the receipt to follow
    assert db.session.scalar(select(db.func.count()).select_from(BallotIntake).where(
        BallotIntake.vote_id == vote_id, BallotIntake.state == "waiting")) == 2
    db.session.execute(text("DROP TRIGGER chain_fault ON ballot_events"))
    db.session.commit()
    services.run_due()  # the schedule's sweep chains what was left waiting, though no one casts again
    for headers_ in owners.values():
        receipt = client.get(f"/api/v1/votes/{vote_id}/ballot", headers=headers_).get_json()
        assert receipt["choice"] == "agree" and receipt["receipt"], receipt
    stored = dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all())
    assert stored == {rooms[room]: "agree" for room in owners}
    assert services.verify(vote_id) == []
    rounds = services._rounds_of(vote_id)
    assert (rounds.leading, rounds.waiting, rounds.links) == (False, set(), {})


@pytest.mark.postgresql_only
def test_a_vote_due_whose_chain_keeps_failing_does_not_keep_the_schedule_from_closing_another_due(
        app, client, setup, simulator, database_url, chaining_fails):
    from votes import services
    from votes.models import Vote
    staff, headers, unit_id, rooms = setup
    troubled = open_lift_vote(staff, headers, unit_id)
    other = open_lift_vote(staff, headers, unit_id, title="1栋1单元外墙保温")
    owners = {"103": owner(client, simulator, staff, headers, rooms["103"], "due-103")}
    chaining_fails(1000, vote_id=troubled)  # the database refuses this one vote's chain
    assert _cast_while_the_chain_is_busy(client, database_url, troubled, owners)["103"].status_code == 503
    try:  # the schedule, as core.scheduler.run_job runs it: a failed run is logged and rolled back
        services.run_due(utcnow() + timedelta(days=8))  # both are due
    except Exception:  # noqa: BLE001
        db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Vote, other).state == "closed"
    assert db.session.get(Vote, troubled).state == "open"  # closed by a later run, once its chain is written


@pytest.mark.postgresql_only
def test_casts_waiting_together_through_failing_rounds_are_answered_after_two_of_them_not_two_each(
        app, client, setup, simulator, database_url, chaining_fails):
    """While the database refuses the chain, every cast waiting for a round is answered once the rounds that
    would carry its ballot failed ROUND_TRIES times, whoever led them: it does not wait in turn for each other
    cast's own failed rounds (the last of many would wait far past a request's time), nor press a database in
    trouble with two more rounds per cast."""
    from votes import services
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    owners = {room: owner(client, simulator, staff, headers, rooms[room], f"many-{room}")
              for room in ("103", "104", "105", "106", "107")}
    chaining_fails(1000)
    answers = _cast_while_the_chain_is_busy(client, database_url, vote_id, owners)
    assert [a.status_code for a in answers.values()] == [503] * len(owners), [a.get_json() for a in answers.values()]
    # All waited together from the first round on (which may have read the intake before some of them were in it):
    # at most one more than ROUND_TRIES rounds in all, not ROUND_TRIES for each.
    tried = db.session.scalar(text("SELECT last_value FROM chain_faults"))
    assert tried <= services.ROUND_TRIES + 1, f"{tried} rounds tried for {len(owners)} casts"
    rounds = services._rounds_of(vote_id)
    assert (rounds.leading, rounds.waiting, rounds.links) == (False, set(), {})


@pytest.mark.postgresql_only
def test_a_vote_whose_chain_keeps_failing_does_not_keep_the_schedule_from_closing_the_others(
        app, client, setup, simulator, database_url, chaining_fails):
    from votes import services
    from votes.models import Vote
    staff, headers, unit_id, rooms = setup
    now = utcnow()
    due = staff.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "1栋1单元外墙保温",
        "text": "外墙保温方案见附件。"}).get_json()["id"]
    opened = staff.post(f"/api/v1/admin/votes/{due}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    troubled = open_lift_vote(staff, headers, unit_id)  # closes in a week
    owners = {"103": owner(client, simulator, staff, headers, rooms["103"], "troubled-103")}
    chaining_fails(1000, vote_id=troubled)  # the database refuses this one vote's chain
    answers = _cast_while_the_chain_is_busy(client, database_url, troubled, owners)
    assert answers["103"].status_code == 503, answers["103"].get_json()
    try:  # the schedule, as core.scheduler.run_job runs it: a failed run is logged and rolled back
        services.run_due(now + timedelta(days=2))
    except Exception:  # noqa: BLE001
        db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Vote, due).state == "closed"  # the vote due was closed on time
    assert db.session.get(Vote, troubled).state == "open"


def _cast_reaching_the_intake_after_the_close(staff, headers, client, database_url, vote_id, me):
    """A cast reads the vote open, but its ballot reaches the intake only after a close by hand chained what was
    waiting and committed; then the database refuses every round (its worker might as well have stopped). Returns
    the cast's answer; the database accepts writes to the intake again afterwards."""
    import threading
    import time
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes.services import CHAIN_LOCK
    gate = 0x6761  # held by the test: a ballot's way into the intake waits for it
    db.session.execute(text(f"""
        CREATE FUNCTION intake_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock({gate}); RETURN NULL; END $$;
        CREATE TRIGGER intake_gate BEFORE INSERT ON ballot_intake FOR EACH STATEMENT EXECUTE FUNCTION intake_gate();
        CREATE FUNCTION intake_fault() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not write the intake'; END $$;
        CREATE TRIGGER intake_fault BEFORE UPDATE ON ballot_intake FOR EACH STATEMENT EXECUTE FUNCTION intake_fault();
    """))
    db.session.commit()
    answers = {}

    def cast():
        answers["me"] = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"})

    other = create_engine(sqlalchemy_url(database_url))
    thread = threading.Thread(target=cast)
    try:
        with other.connect() as holder, other.connect() as chain:
            holder.execute(text("SELECT pg_advisory_lock(:g)"), {"g": gate})
            holder.commit()
            with chain.begin():  # another cast appends to the chain: this one goes to the intake
                chain.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
                thread.start()
                deadline = time.monotonic() + 30
                while not holder.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                             "AND NOT granted AND objid = :g"), {"g": gate}):
                    assert time.monotonic() < deadline, "the cast did not reach the intake"
                    time.sleep(0.02)
            closed = staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers)
            assert closed.status_code == 200, closed.get_data(as_text=True)
            holder.execute(text("SELECT pg_advisory_unlock(:g)"), {"g": gate})
            holder.commit()
        thread.join(60)
        assert not thread.is_alive(), "the cast was left waiting"
    finally:
        other.dispose()
        db.session.rollback()
        db.session.execute(text("DROP TRIGGER IF EXISTS intake_gate ON ballot_intake; DROP FUNCTION IF EXISTS "
                                "intake_gate(); DROP TRIGGER IF EXISTS intake_fault ON ballot_intake; "
                                "DROP FUNCTION IF EXISTS intake_fault()"))
        db.session.commit()
    return answers["me"]


def _intake_states(vote_id):
    from votes.models import BallotIntake
    return db.session.scalars(select(BallotIntake.state).where(BallotIntake.vote_id == vote_id)
                              .order_by(BallotIntake.id)).all()


def _refused_as_closed(answer):
    """Whether a cast was answered that the vote is not open (and not that its ballot will count)."""
    message = answer.get_json()["error"]["message"]
    return answer.status_code == 409 and "不在投票时间内" in message and "计入" not in message


@pytest.mark.postgresql_only
def test_a_cast_kept_after_the_close_counted_is_not_told_its_ballot_counts_when_its_rounds_fail(
        app, client, setup, simulator, database_url):
    """The ballot can never count: the answer must not say it will (nor leave the caster waiting for a receipt
    that never comes)."""
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    me = owner(client, simulator, staff, headers, rooms["103"], "late-103")
    answer = _cast_reaching_the_intake_after_the_close(staff, headers, client, database_url, vote_id, me)
    assert _refused_as_closed(answer), answer.get_json()  # the vote was not open for it any more
    result = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert result["participating_heads"] == 0


@pytest.mark.postgresql_only
def test_a_ballot_left_waiting_in_the_intake_of_a_closed_vote_is_marked_late_by_the_schedule(
        app, client, setup, simulator, database_url):
    """Its cast's rounds were refused, so nothing marked it: the schedule's sweep does, without touching what
    counted; its caster asking again is told the vote is not open."""
    from core.models import AuditLog
    from votes import services
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    counted = owner(client, simulator, staff, headers, rooms["104"], "counted-104")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=counted, json={"choice": "agree"}).status_code == 200
    me = owner(client, simulator, staff, headers, rooms["103"], "late-103")
    answer = _cast_reaching_the_intake_after_the_close(staff, headers, client, database_url, vote_id, me)
    assert _refused_as_closed(answer), answer.get_json()
    assert _intake_states(vote_id) == ["waiting"]  # nothing could mark it late: the database refused
    before = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    services.run_due()
    assert _intake_states(vote_id) == ["late"]
    late = db.session.scalar(select(AuditLog).where(AuditLog.action == "vote.ballots_late"))
    assert late is not None and late.after["dwellings"] == [rooms["103"]]
    again = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"})
    assert _refused_as_closed(again), again.get_json()
    assert client.get(f"/api/v1/votes/{vote_id}/ballot", headers=me).status_code == 404  # no ballot of theirs
    assert staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json() == before
    assert before["participating_heads"] == 1
    verified = app.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
    assert verified.exit_code == 0 and "chain and tally verified" in verified.output, verified.output


@contextmanager
def _close_held(app, staff, headers, database_url, vote_id, closing):
    """Close the vote by hand (the staff API) or on time (the schedule's run at its end), held midway: the close
    has read the intake and holds the chain when its change of the vote to closed waits for a lock the test
    holds. Yields a connection of the test's own; the close goes on, and is checked, as the block ends."""
    import threading
    import time
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes import services
    gate = 0x636C  # held by the test: the close's write of the vote waits for it
    db.session.execute(text(f"""
        CREATE FUNCTION close_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock({gate}); RETURN NEW; END $$;
        CREATE TRIGGER close_gate BEFORE UPDATE ON votes FOR EACH ROW
            WHEN (OLD.state = 'open' AND NEW.state = 'closed') EXECUTE FUNCTION close_gate();
    """))
    db.session.commit()
    outcome = []

    def close():
        if closing == "by hand":
            outcome.append(staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code)
            return
        with app.app_context():
            services.run_due(utcnow() + timedelta(days=8))  # the vote is due
            outcome.append(200)

    closer = threading.Thread(target=close)
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:g)"), {"g": gate})
            holder.commit()
            closer.start()
            deadline = time.monotonic() + 30
            while not holder.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                         "AND NOT granted AND objid = :g"), {"g": gate}):
                assert time.monotonic() < deadline, "the close did not get as far as closing the vote"
                time.sleep(0.02)
            holder.commit()
            try:
                yield holder
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:g)"), {"g": gate})
                holder.commit()
                closer.join(60)
        assert not closer.is_alive() and outcome == [200], outcome
    finally:
        other.dispose()
        db.session.rollback()
        db.session.execute(text("DROP TRIGGER IF EXISTS close_gate ON votes; DROP FUNCTION IF EXISTS close_gate()"))
        db.session.commit()
    db.session.expire_all()


@pytest.mark.postgresql_only
@pytest.mark.parametrize("closing", ["by hand", "on time"])
def test_a_ballot_received_while_the_vote_closes_is_marked_late_by_the_close_and_never_said_to_count(
        app, client, setup, simulator, database_url, closing):
    """The close has read the intake when a cast finds the chain busy and leaves its ballot there; then the
    database drops the connection of each round the cast waits for. The close marks the ballot late as it
    commits, and the cast is answered that the vote is not open: it does not say the ballot will count while
    the close, which passed it by, is still under way."""
    import threading
    import time
    from votes import services
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    counted = owner(client, simulator, staff, headers, rooms["104"], "counted-104")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=counted, json={"choice": "agree"}).status_code == 200
    me = owner(client, simulator, staff, headers, rooms["103"], "closing-103")
    answers = []
    caster = threading.Thread(target=lambda: answers.append(
        client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "disagree"})))
    with _close_held(app, staff, headers, database_url, vote_id, closing) as conn:
        caster.start()
        cut, deadline = set(), time.monotonic() + 30
        while True:  # every round's connection is dropped as it waits for the chain; what waits after them is let be
            waiters = _chain_waiters(conn, vote_id) - cut
            if answers or (waiters and len(cut) == services.ROUND_TRIES):
                break
            for pid in waiters:
                assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                cut.add(pid)
            assert time.monotonic() < deadline, "the cast's rounds never waited for the chain"
            time.sleep(0.02)
        conn.commit()
        assert not answers, answers[0].get_json()  # no answer while the close is under way
    caster.join(60)
    (answer,) = answers
    assert _refused_as_closed(answer), answer.get_json()
    assert _intake_states(vote_id) == ["late"]
    english = client.put(f"/api/v1/votes/{vote_id}/ballot?lang=en", headers=me, json={"choice": "disagree"})
    assert english.status_code == 409 and "not open" in english.get_json()["error"]["message"]
    result = staff.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert result["state"] == "closed" and result["participating_heads"] == 1 and result["agree_heads"] == 1
    assert services.verify(vote_id) == []

@pytest.mark.postgresql_only
def test_casts_in_the_mini_program_and_in_chat_racing_the_close_lose_nothing_and_double_nothing(
        app, client, setup, simulator):
    import threading
    import time
    from datetime import datetime
    from core.models import aware
    from votes.models import BallotEvent, BallotIntake, Vote
    from votes.services import verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    online = {room: owner(client, simulator, staff, headers, rooms[room], f"race-{room}")
              for room in ("101", "103", "104", "105")}  # 101's owner casts for 101 and 102 at once
    in_chat = {room: f"race-chat-{room}" for room in ("103", "106", "107")}  # 103: a second account of its owner
    for room, openid in in_chat.items():
        owner(client, simulator, staff, headers, rooms[room], openid)
    answers, said, lock = [], [], threading.Lock()

    def cast_online(room):
        for n in range(6):
            answer = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=online[room],
                                json={"choice": ("agree", "disagree")[n % 2]})
            with lock:
                answers.append((room, answer.status_code, answer.get_json()))

    def cast_in_chat(room):
        bot = Bot(client)
        for _n in range(2):
            if "加装电梯" not in bot.say(text_xml(in_chat[room], "投票")):
                return  # closed: the vote is no longer offered
            bot.say(text_xml(in_chat[room], "1"))
            reply = bot.say(text_xml(in_chat[room], "1"))
            with lock:
                said.append((room, reply))

    threads = [threading.Thread(target=cast_online, args=(room,)) for room in online]
    threads += [threading.Thread(target=cast_in_chat, args=(room,)) for room in in_chat]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(answers) < 8:  # the vote closes while owners are still casting
        assert time.monotonic() < deadline
        time.sleep(0.01)
    closed = staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers)
    assert closed.status_code == 200, closed.get_json()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert {status for _room, status, _body in answers} <= {200, 409}
    db.session.expire_all()
    vote = db.session.get(Vote, vote_id)
    events = db.session.scalars(select(BallotEvent).where(BallotEvent.vote_id == vote_id)
                                .order_by(BallotEvent.seq)).all()
    links = {e.hash for e in events}
    accepted = [body for _room, status, body in answers if status == 200]
    assert accepted
    # Every receipt given is a link of the chain, and every flat of every accepted cast is one event of it.
    for body in accepted:
        assert body["chain_head"] in links
        assert all(any(link.startswith(flat["receipt"]) for link in links) for flat in body["flats"])
    chat_receipts = [reply for _room, reply in said if "回执" in reply]
    assert len(events) == sum(len(body["flats"]) for body in accepted) + len(chat_receipts)
    # Nothing was chained after the vote closed, and nothing received is left waiting.
    assert all(aware(datetime.fromisoformat(e.at)) < aware(vote.closed_at) for e in events)
    assert db.session.scalar(select(db.func.count()).select_from(BallotIntake).where(
        BallotIntake.state == "waiting")) == 0
    last = {}
    for e in events:
        last[e.dwelling_id] = e.choice
    assert dict(db.session.execute(select(Ballot.dwelling_id, Ballot.choice).where(Ballot.vote_id == vote_id)).all()) == last
    assert verify(vote_id) == []  # the stored result counts the chain as it stood when the vote closed
    checked = app.test_cli_runner().invoke(args=["votes", "verify", str(vote_id), "--head", vote.result["inputs"]["chain_head"]])
    assert checked.exit_code == 0 and "chain and tally verified" in checked.output, checked.output


def test_a_close_counts_the_chain_as_it_stands_once_it_holds_the_chain(app, client, setup, simulator):
    from votes.models import Vote
    from votes.services import close_vote, verify
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    li = owner(client, simulator, staff, headers, rooms["103"], "li")
    db.session.commit()
    vote = db.session.get(Vote, vote_id)  # the closing transaction has read the vote...
    assert vote.event_count == 0
    # ...when a cast that found the chain free appends to it and commits, before the close takes the chain.
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"}).status_code == 200
    close_vote(None, vote_id)
    db.session.commit()
    assert vote.result["inputs"]["events"] == 1
    assert verify(vote_id) == []


def _wait_for_a_chain_waiter(conn, what):
    """Poll (with a deadline) until a request waits on an advisory lock, here the vote's chain held by `conn`."""
    import time
    deadline = time.monotonic() + 30
    while not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND wait_event = 'advisory'")):
        assert time.monotonic() < deadline, f"{what} never waited for the chain"
        time.sleep(0.02)


@pytest.mark.postgresql_only
def test_a_paper_confirmation_waiting_for_the_chain_holds_nothing_the_close_needs(app, client, setup, database_url):
    import threading
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError
    from core.config import sqlalchemy_url
    from core.staff import create_staff
    from votes.models import BallotEvent
    from votes.services import CHAIN_LOCK
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    codes = {c["dwelling_id"]: c["code"] for c in staff.get(f"/api/v1/admin/votes/{vote_id}/ballot-codes").get_json()}
    entry = staff.post(f"/api/v1/admin/votes/{vote_id}/paper", headers=headers,
                       json={"code": codes[rooms["105"]], "choice": "agree"}).get_json()
    create_staff(None, "committee_a2", "复核员", "committee", db.session.get(Unit, unit_id).building.compound.community_id,
                 "correct horse battery")
    db.session.commit()
    second = app.test_client()
    token2 = login(second, "committee_a2")
    answers = []
    confirming = threading.Thread(target=lambda: answers.append(second.post(
        f"/api/v1/admin/votes/{vote_id}/paper/{entry['id']}/confirm", headers={"X-CSRFToken": token2},
        json={"choice": "agree"})))
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:  # the vote is closing: it holds the chain, and voids what is unconfirmed
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            confirming.start()
            _wait_for_a_chain_waiter(conn, "the confirmation")
            conn.execute(text("SET LOCAL lock_timeout = '3s'"))
            try:
                conn.execute(text("UPDATE paper_entries SET state = 'void' WHERE id = :id"), {"id": entry["id"]})
            except OperationalError:
                pytest.fail("the confirmation holds the paper entry while it waits for the chain: the close deadlocks")
    finally:
        other.dispose()
    confirming.join(30)
    (answer,) = answers
    assert answer.status_code == 409  # voided by the close first: not counted
    assert db.session.scalar(select(db.func.count()).select_from(BallotEvent)) == 0


@pytest.mark.postgresql_only
def test_a_paper_ballot_typed_while_the_vote_closes_is_refused_not_left_pending(app, client, setup, database_url):
    import threading
    from sqlalchemy import create_engine
    from core.config import sqlalchemy_url
    from votes.services import CHAIN_LOCK
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    codes = {c["dwelling_id"]: c["code"] for c in staff.get(f"/api/v1/admin/votes/{vote_id}/ballot-codes").get_json()}
    answers = []
    typing = threading.Thread(target=lambda: answers.append(staff.post(
        f"/api/v1/admin/votes/{vote_id}/paper", headers=headers, json={"code": codes[rooms["105"]], "choice": "agree"})))
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.begin() as conn:  # the vote is closing: it holds the chain until its close commits
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :v)"), {"k": CHAIN_LOCK, "v": vote_id})
            typing.start()
            _wait_for_a_chain_waiter(conn, "the entry")
            conn.execute(text("UPDATE votes SET state = 'closed', closed_at = now() WHERE id = :id"), {"id": vote_id})
    finally:
        other.dispose()
    typing.join(30)
    (answer,) = answers
    assert answer.status_code == 409, answer.get_json()
    assert db.session.scalar(select(db.func.count()).select_from(PaperEntry).where(PaperEntry.vote_id == vote_id)) == 0


def test_a_paper_ballot_confirmed_twice_at_once_is_counted_once(app, client, setup):
    import threading
    from core.staff import create_staff
    from votes.models import BallotEvent
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    codes = {c["dwelling_id"]: c["code"] for c in staff.get(f"/api/v1/admin/votes/{vote_id}/ballot-codes").get_json()}
    entry = staff.post(f"/api/v1/admin/votes/{vote_id}/paper", headers=headers,
                       json={"code": codes[rooms["105"]], "choice": "agree"}).get_json()
    community = db.session.get(Unit, unit_id).building.compound.community_id
    checkers = []
    for name in ("committee_a2", "committee_a3"):
        create_staff(None, name, "复核员", "committee", community, "correct horse battery")
        db.session.commit()
        checker = app.test_client()
        checkers.append((checker, {"X-CSRFToken": login(checker, name)}))
    answers, barrier = [], threading.Barrier(2)

    def confirm(checker, checker_headers):
        barrier.wait()
        answers.append(checker.post(f"/api/v1/admin/votes/{vote_id}/paper/{entry['id']}/confirm",
                                    headers=checker_headers, json={"choice": "agree"}).status_code)
    threads = [threading.Thread(target=confirm, args=checker) for checker in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [200, 409]
    assert db.session.scalar(select(db.func.count()).select_from(BallotEvent).where(BallotEvent.vote_id == vote_id)) == 1


def test_an_action_the_votes_state_does_not_allow_names_the_state_in_the_staff_members_language(client, setup):
    staff, headers, unit_id, _rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    again = staff.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json=window())
    assert again.status_code == 409, again.get_json()
    message = again.get_json()["error"]["message"]
    assert "进行中" in message and "open" not in message
    english = staff.post(f"/api/v1/admin/votes/{vote_id}/open?lang=en", headers=headers, json=window())
    assert "while the vote is open" in english.get_json()["error"]["message"]


@pytest.mark.postgresql_only
def test_verifying_a_vote_while_owners_cast_reads_one_moment_and_finds_nothing_wrong(app, client, setup, simulator):
    """An auditor runs `flask votes verify` on a vote still open: a ballot changed between its reads of the log and
    of the ballots is no tampering."""
    import threading
    from sqlalchemy import event
    staff, headers, unit_id, rooms = setup
    vote_id = open_lift_vote(staff, headers, unit_id)
    me = owner(client, simulator, staff, headers, rooms["103"], "audited")
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"}).status_code == 200
    changed, auditor = [], threading.get_ident()

    def change_of_mind():
        changed.append(client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "disagree"}))

    def between_reads(conn, cursor, statement, parameters, context, executemany):
        # the owner changes their mind once the log was read, just before the ballots are
        if threading.get_ident() == auditor and not changed and statement.startswith(
                "SELECT ballots.dwelling_id, ballots.choice"):
            other = threading.Thread(target=change_of_mind)
            other.start()
            other.join(30)

    event.listen(db.engine, "before_cursor_execute", between_reads)
    try:
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
    finally:
        event.remove(db.engine, "before_cursor_execute", between_reads)
    assert [c.status_code for c in changed] == [200], (result.output, repr(result.exception))  # it did change while the auditor read
    assert result.exit_code == 0, result.output
    assert "TAMPERED" not in result.output and "chain and tally verified" in result.output
    assert "1 log entries" in result.output  # the moment the auditor began at
    after = app.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
    assert after.exit_code == 0 and "2 log entries" in after.output
