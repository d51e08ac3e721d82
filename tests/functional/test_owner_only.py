"""Only the owner's vote counts: each way an attacker cast a ballot for a flat they do not own, through the
real doors (mini-program API, signed WeChat messages, the staff API and pages), now refused, told or caught."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import Unit, WechatAccount, utcnow
from notices.models import Notice
from simulator.sender import text_xml
from tests.builders import CERT, PASSWORD, Bot, csv_bytes, id_number, login, page_sign_in, rooms_on_record
from tests.builders import sign_in
from tests.builders import CERT_HEADER as HEADER
from votes.models import Ballot, PaperEntry

# One stairwell: 张三 owns 101 and 102 (one head), 李四 103, 王五 104, 赵六 105.
ROWS = [["1", "1", "101", "80", "", "", "张三", id_number(1), "13800000001", "否", "是", CERT.format(101)],
        ["1", "1", "102", "80", "", "", "张三", id_number(1), "13800000001", "否", "是", CERT.format(102)],
        ["1", "1", "103", "80", "", "", "李四", id_number(3), "13800000003", "否", "是", CERT.format(103)],
        ["1", "1", "104", "80", "", "", "王五", id_number(4), "13800000004", "否", "是", CERT.format(104)],
        ["1", "1", "105", "80", "", "", "赵六", id_number(5), "13800000005", "否", "是", CERT.format(105)]]


def import_rows(staff, headers, compound_id, rows):
    response = staff.post(f"/api/v1/admin/compounds/{compound_id}/roll", headers=headers,
                          content_type="multipart/form-data",
                          data={"file": (io.BytesIO(csv_bytes(rows, HEADER)), "roll.csv")})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def stairwell(client, world, simulator):
    staff = client.application.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    import_rows(staff, headers, world.compound_a.id, ROWS)
    unit_id = db.session.scalar(select(Unit.id))
    rooms = rooms_on_record()
    second = client.application.test_client()
    from core.staff import create_staff
    create_staff(None, "committee_a2", "复核员", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    return {"staff": staff, "headers": headers, "unit_id": unit_id, "rooms": rooms, "world": world,
            "second": second, "second_headers": {"X-CSRFToken": login(second, "committee_a2")}}


def verified_owner(client, simulator, openid, serial, room):
    me = sign_in(client, simulator, openid)
    response = client.post("/api/v1/me/binding/owner", headers=me,
                           json={"id_number": id_number(serial), "certificate_no": CERT.format(room)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return me


def open_vote(s, **extra):
    body = dict({"scope_kind": "unit", "scope_id": s["unit_id"], "matter": "rebuild", "title": "1单元加装电梯"}, **extra)
    vote = s["staff"].post("/api/v1/admin/votes", json=body, headers=s["headers"])
    assert vote.status_code == 201, vote.get_data(as_text=True)
    now = utcnow()
    opened = s["staff"].post(f"/api/v1/admin/votes/{vote.get_json()['id']}/open", headers=s["headers"], json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    return vote.get_json()["id"]


def told(openid, kind):
    """The direct messages of one kind queued for an account."""
    account = WechatAccount.query.filter_by(openid=openid).one()
    return [n for n in Notice.query.filter_by(kind=kind, scope_kind="account", scope_id=account.id)]


# 1. verified by what a neighbour does not know ------------------------------------------------------------
def test_room_and_phone_digits_bind_a_household_member_who_cannot_vote(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s)
    owner = verified_owner(client, simulator, "li-owner", 3, 103)
    neighbour = sign_in(client, simulator, "neighbour")
    bound = client.post("/api/v1/me/binding/room", headers=neighbour,
                        json={"unit_id": s["unit_id"], "room": "103", "phone_last4": "0003"})
    assert bound.get_json() == {"outcome": "household"}
    me = client.get("/api/v1/me", headers=neighbour).get_json()
    assert me["bound"] is True and me["kind"] == "family" and me["owner_verified"] is False
    assert client.get("/api/v1/votes", headers=neighbour).get_json() == []
    cast = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=neighbour, json={"choice": "disagree"})
    assert cast.status_code == 403
    assert db.session.scalar(select(Ballot.id)) is None
    # the owner hears that someone bound to the flat
    (notice,) = told("li-owner", "binding_notice")
    assert "1-1-103" in notice.params["body"]
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=owner, json={"choice": "agree"}).status_code == 200


def test_owner_verification_needs_the_certificate_number_and_tries_are_limited(client, simulator, stairwell):
    attacker = sign_in(client, simulator, "guesser")
    for guess in range(5):
        wrong = client.post("/api/v1/me/binding/owner", headers=attacker,
                            json={"id_number": id_number(3), "certificate_no": CERT.format(900 + guess)})
        assert wrong.status_code == 422
        assert wrong.get_json()["error"]["code"] == "error.invalid"
    right = client.post("/api/v1/me/binding/owner", headers=attacker,
                        json={"id_number": id_number(3), "certificate_no": CERT.format(103)})
    assert right.status_code == 403  # even the right numbers, after five wrong tries today
    assert client.get("/api/v1/me", headers=attacker).get_json()["bound"] is False


def test_tries_are_limited_per_flat_whoever_makes_them(client, simulator, stairwell):
    s = stairwell
    for n in range(5):
        someone = sign_in(client, simulator, f"stranger-{n}")
        answer = client.post("/api/v1/me/binding/room", headers=someone,
                             json={"unit_id": s["unit_id"], "room": "104", "phone_last4": f"99{n:02d}"})
        assert answer.get_json() == {"outcome": "pending"}
    late = sign_in(client, simulator, "stranger-late")
    refused = client.post("/api/v1/me/binding/room", headers=late,
                          json={"unit_id": s["unit_id"], "room": "104", "phone_last4": "0004"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "bind.too_many_flat"


def test_nothing_personal_before_the_privacy_notice_is_agreed(client, simulator, stairwell):
    s = stairwell
    fresh = sign_in(client, simulator, "fresh", consent=False)
    assert client.get("/api/v1/me", headers=fresh).get_json()["privacy_consented"] is False
    refused = client.post("/api/v1/me/binding/room", headers=fresh,
                          json={"unit_id": s["unit_id"], "room": "103", "phone_last4": "0003"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "privacy.consent_required"
    notice = client.get("/api/v1/privacy").get_json()
    assert notice["text"] and notice["version"]
    old = client.post("/api/v1/me/privacy-consent", headers=fresh, json={"version": "1999-01"})
    assert old.status_code == 422


def test_the_bot_asks_for_consent_then_verifies_an_owner_by_id_and_certificate(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s)
    bot = Bot(client)
    assert "回复 1" in bot.say(text_xml("wx-li", "业主认证"))  # the privacy notice first
    assert "身份证号" in bot.say(text_xml("wx-li", "1"))
    assert "不动产权证号" in bot.say(text_xml("wx-li", id_number(3)))
    done = bot.say(text_xml("wx-li", CERT.format(103)))
    assert "103" in done
    account = WechatAccount.query.filter_by(openid="wx-li").one()
    assert account.kind == "owner"
    assert "1单元加装电梯" in bot.say(text_xml("wx-li", "投票"))
    assert db.session.get(Ballot, 1) is None and vote_id


# 2. the right to vote follows the frozen roll -------------------------------------------------------------
def test_a_flat_sold_before_the_vote_opens_is_cast_by_nobody_from_the_old_account(client, simulator, stairwell):
    s = stairwell
    seller = verified_owner(client, simulator, "seller", 5, 105)
    sold = [r[:] for r in ROWS]
    sold[4] = ["1", "1", "105", "80", "", "", "钱九", id_number(9), "13800000009", "否", "是", CERT.format(205)]
    report = import_rows(s["staff"], s["headers"], s["world"].compound_a.id, sold)
    assert report["owners_removed"] == 1
    (notice,) = told("seller", "ownership_ended")
    assert "105" in notice.params["body"]
    assert WechatAccount.query.filter_by(openid="seller").one().kind == "family"
    vote_id = open_vote(s)
    assert client.get("/api/v1/votes", headers=seller).get_json() == []
    cast = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=seller, json={"choice": "disagree"})
    assert cast.status_code == 403
    buyer = verified_owner(client, simulator, "buyer", 9, 205)
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=buyer, json={"choice": "agree"}).status_code == 200


# 3. one head, all their flats -----------------------------------------------------------------------------
def test_an_owner_of_two_flats_casts_once_for_both_and_the_receipt_lists_them(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s)
    zhang = verified_owner(client, simulator, "zhang", 1, 101)
    (listed,) = client.get("/api/v1/votes", headers=zhang).get_json()
    assert [d["address"] for d in listed["dwellings"]] == ["1-1-101", "1-1-102"]
    me = client.get("/api/v1/me", headers=zhang).get_json()
    compound = s["world"].compound_a.name
    assert (me["bound"], me["compound"], me["building"], me["unit"], me["room"]) == (True, compound, "1", "1", "101")
    assert [d["address"] for d in me["dwellings"]] == [f"{compound} 1-1-101", f"{compound} 1-1-102"]
    receipt = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang, json={"choice": "agree"}).get_json()
    assert [f["address"] for f in receipt["flats"]] == ["1-1-101", "1-1-102"]
    assert all(f["choice"] == "agree" for f in receipt["flats"]) and len(receipt["chain_head"]) == 64
    live = s["staff"].get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert (live["participating_heads"], live["participating_area"]) == (1, "160.00")
    one = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=zhang,
                     json={"choice": "disagree", "dwelling_ids": [s["rooms"]["102"]]}).get_json()
    assert [f["choice"] for f in one["flats"]] == ["disagree"]


# 4. every replacement is known ----------------------------------------------------------------------------
def test_a_paper_ballot_after_an_online_one_tells_the_online_voter_and_a_code_counts_once(client, simulator,
                                                                                            stairwell):
    s = stairwell
    vote_id = open_vote(s)
    li = verified_owner(client, simulator, "li", 3, 103)
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"})
    codes = {c["dwelling_id"]: c["code"] for c in
             s["staff"].get(f"/api/v1/admin/votes/{vote_id}/ballot-codes").get_json()}
    entry = s["staff"].post(f"/api/v1/admin/votes/{vote_id}/paper", headers=s["headers"],
                            json={"code": codes[s["rooms"]["103"]], "choice": "disagree"}).get_json()
    confirmed = s["second"].post(f"/api/v1/admin/votes/{vote_id}/paper/{entry['id']}/confirm",
                                 headers=s["second_headers"], json={"choice": "disagree"})
    assert confirmed.get_json()["state"] == "confirmed"
    (notice,) = told("li", "ballot_replaced")
    assert "1-1-103" in notice.params["body"]
    receipt = client.get(f"/api/v1/votes/{vote_id}/ballot", headers=li).get_json()
    assert (receipt["choice"], receipt["channel"]) == ("disagree", "paper")
    again = s["staff"].post(f"/api/v1/admin/votes/{vote_id}/paper", headers=s["headers"],
                            json={"code": codes[s["rooms"]["103"]], "choice": "agree"}).get_json()
    assert again["state"] == "held"
    assert db.session.scalar(select(PaperEntry.reason).where(PaperEntry.id == again["id"])) == "code_already_entered"
    assert client.get(f"/api/v1/votes/{vote_id}/ballot", headers=li).get_json()["choice"] == "disagree"


# 5. two people for every act on someone's behalf ------------------------------------------------------------
def test_a_proxy_needs_the_signed_authorisation_a_second_staff_member_and_the_owner_is_told(client, simulator,
                                                                                            stairwell):
    s = stairwell
    vote_id = open_vote(s)
    wang = verified_owner(client, simulator, "wang", 4, 104)
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=wang, json={"choice": "disagree"})
    # a committee member's own WeChat account, verified as a household member only
    mine = sign_in(client, simulator, "committee-phone")
    client.post("/api/v1/me/binding/room", headers=mine,
                json={"unit_id": s["unit_id"], "room": "103", "phone_last4": "0003"})
    account_id = WechatAccount.query.filter_by(openid="committee-phone").one().id
    url = f"/api/v1/admin/votes/{vote_id}/proxies"
    bare = s["staff"].post(url, headers=s["headers"], content_type="multipart/form-data",
                           data={"dwelling_id": s["rooms"]["104"], "account_id": account_id, "authorisation": ".",
                                 "id_number": id_number(3)})
    assert bare.status_code == 422  # no signed authorisation uploaded
    pdf = b"%PDF-1.4\n% authorisation\n"
    unverified = s["staff"].post(url, headers=s["headers"], content_type="multipart/form-data",
                                 data={"dwelling_id": s["rooms"]["104"], "account_id": account_id,
                                       "authorisation": "委托书", "id_number": id_number(3),
                                       "file": (io.BytesIO(pdf), "auth.pdf")})
    assert unverified.status_code == 422  # the account is not verified as the person named
    proxy_openid = "proxy-li"
    verified_owner(client, simulator, proxy_openid, 3, 103)
    proxy_headers = sign_in(client, simulator, proxy_openid)
    proxy_account = WechatAccount.query.filter_by(openid=proxy_openid).one().id
    registered = s["staff"].post(url, headers=s["headers"], content_type="multipart/form-data",
                                 data={"dwelling_id": s["rooms"]["104"], "account_id": proxy_account,
                                       "authorisation": "王五委托李四代为表决", "id_number": id_number(3),
                                       "file": (io.BytesIO(pdf), "auth.pdf")})
    assert registered.status_code == 201, registered.get_data(as_text=True)
    proxy = registered.get_json()
    assert proxy["state"] == "pending"
    refused = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=proxy_headers,
                         json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert refused.status_code == 403  # not yet confirmed
    alone = s["staff"].post(f"{url}/{proxy['id']}/confirm", headers=s["headers"])
    assert alone.status_code == 403
    second = s["second"].post(f"{url}/{proxy['id']}/confirm", headers=s["second_headers"])
    assert second.get_json()["state"] == "confirmed"
    (notice,) = told("wang", "proxy_registered")
    assert "1-1-104" in notice.params["body"]
    cast = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=proxy_headers,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert cast.status_code == 200 and cast.get_json()["channel"] == "proxy"
    assert len(told("wang", "ballot_replaced")) == 1


# 7. the simulator page -----------------------------------------------------------------------------------
def test_the_simulator_page_is_not_for_officials_and_what_it_sends_is_the_staff_members_act(client, stairwell,
                                                                                          simulator):
    import re
    from core.models import AuditLog
    street = client.application.test_client()
    login(street, "county_a")
    assert street.get("/admin/simulator").status_code == 404
    verified_owner(client, simulator, "demo-li", 3, 103)
    committee = client.application.test_client()
    login(committee, "committee_a")
    page = committee.get("/admin/simulator")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    sent = committee.post("/admin/simulator", data={"csrf_token": csrf, "openid": "demo-li", "text": "帮助"})
    assert sent.status_code == 302
    entry = AuditLog.query.filter_by(action="simulator.message").one()
    assert entry.staff_id == stairwell["world"].committee_a.id and entry.target_id == "demo-li"
    client.application.config["ENV"] = "production"
    try:
        assert committee.get("/admin/simulator").status_code == 404
    finally:
        client.application.config["ENV"] = "test"


# 8. tamper evidence beyond the database ------------------------------------------------------------------
def test_a_consistent_rewrite_of_the_database_is_caught_without_the_chain_key(client, simulator, stairwell):
    import hashlib
    import json
    s = stairwell
    vote_id = open_vote(s)
    li = verified_owner(client, simulator, "li-t", 3, 103)
    receipt = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "disagree"}).get_json()
    published_head = receipt["chain_head"]
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE ballot_events SET choice = 'agree'"))
    db.session.rollback()
    # An attacker with the database's owner rights drops the trigger, flips the ballot and rebuilds the chain,
    # its head and the stored result consistently, but without the key that is kept outside the database.
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        db.session.execute(text("DROP TRIGGER ballot_events_no_update"))
    else:
        db.session.execute(text("ALTER TABLE ballot_events DISABLE TRIGGER ballot_events_append_only"))
    event = db.session.execute(text("SELECT seq, dwelling_id, channel, actor, at FROM ballot_events")).one()
    genesis = hashlib.sha256(f"gongjian-vote:{vote_id}".encode()).hexdigest()
    content = {"vote": vote_id, "seq": event[0], "dwelling": event[1], "choice": "agree", "channel": event[2],
               "actor": event[3], "at": event[4]}
    forged = hashlib.sha256((genesis + json.dumps(content, sort_keys=True, ensure_ascii=False)).encode()).hexdigest()
    db.session.execute(text("UPDATE ballot_events SET choice='agree', prev_hash=:g, hash=:h"), {"g": genesis, "h": forged})
    db.session.execute(text("UPDATE ballots SET choice='agree', receipt=:r"), {"r": forged[:16]})
    db.session.execute(text("UPDATE votes SET chain_head=:h"), {"h": forged})
    db.session.commit()
    try:
        runner = client.application.test_cli_runner()
        result = runner.invoke(args=["votes", "verify", str(vote_id)])
        assert result.exit_code == 1 and "TAMPERED" in result.output
        against_head = runner.invoke(args=["votes", "verify", str(vote_id), "--head", published_head])
        assert against_head.exit_code == 1 and published_head in against_head.output
    finally:  # PostgreSQL keeps the schema between tests: put the trigger back
        if dialect != "sqlite":
            db.session.rollback()
            db.session.execute(text("ALTER TABLE ballot_events ENABLE TRIGGER ballot_events_append_only"))
            db.session.commit()


def test_verify_accepts_the_published_head_and_a_residents_receipt(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s)
    li = verified_owner(client, simulator, "li-v", 3, 103)
    receipt = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"}).get_json()
    runner = client.application.test_cli_runner()
    assert runner.invoke(args=["votes", "verify", str(vote_id), "--head", receipt["receipt"]]).exit_code == 0
    s["staff"].post(f"/api/v1/admin/votes/{vote_id}/close", headers=s["headers"])
    s["staff"].post(f"/api/v1/admin/votes/{vote_id}/publish", headers=s["headers"], json={})
    page = client.get(f"/public/votes/{vote_id}").get_data(as_text=True)
    head = db.session.scalar(text("SELECT chain_head FROM votes"))
    assert head in page
    assert runner.invoke(args=["votes", "verify", str(vote_id), "--head", head]).exit_code == 0
    assert runner.invoke(args=["votes", "verify", str(vote_id), "--head", "0" * 64]).exit_code == 1


# 9. choices stay private -----------------------------------------------------------------------------------
def test_publishing_choices_is_fixed_before_opening_and_never_public(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s, publish_details=True)
    li = verified_owner(client, simulator, "li-p", 3, 103)
    (listed,) = client.get("/api/v1/votes", headers=li).get_json()
    assert listed["publish_details"] is True  # voters see it before they cast
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"})
    s["staff"].post(f"/api/v1/admin/votes/{vote_id}/close", headers=s["headers"])
    changed = s["staff"].post(f"/api/v1/admin/votes/{vote_id}/publish", headers=s["headers"],
                              json={"publish_details": False})
    assert changed.status_code == 422
    assert s["staff"].post(f"/api/v1/admin/votes/{vote_id}/publish", headers=s["headers"], json={}).status_code == 200
    public = client.get(f"/public/votes/{vote_id}").get_data(as_text=True)
    assert "<td>103</td>" not in public and "每户的选择" not in public  # no room-by-room choices for anyone
    details = client.get(f"/api/v1/votes/{vote_id}/details", headers=li)
    assert details.status_code == 200 and details.get_json()[0]["room"] == "103"
    outsider = sign_in(client, simulator, "outsider")
    assert client.get(f"/api/v1/votes/{vote_id}/details", headers=outsider).status_code == 404


def test_a_resident_deletes_their_data_and_the_vote_still_verifies(client, simulator, stairwell):
    s = stairwell
    vote_id = open_vote(s)
    li = verified_owner(client, simulator, "li-d", 3, 103)
    client.put(f"/api/v1/votes/{vote_id}/ballot", headers=li, json={"choice": "agree"})
    assert client.post("/api/v1/me/deletion", headers=li).status_code == 204
    assert client.get("/api/v1/me", headers=li).status_code == 401
    assert WechatAccount.query.filter_by(openid="li-d").first() is None
    assert db.session.scalar(select(Ballot.choice)) == "agree"
    assert client.application.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)]).exit_code == 0


def test_proxies_through_the_panel_need_two_staff_members(client, simulator, stairwell):
    import re
    s = stairwell
    vote_id = open_vote(s)
    verified_owner(client, simulator, "proxy-page", 3, 103)
    proxy_account = WechatAccount.query.filter_by(openid="proxy-page").one().id
    first = page_sign_in(client.application.test_client(), "committee_a")
    url = f"/admin/votes/{vote_id}/proxies"
    html = first.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf, "dwelling_id": str(s["rooms"]["104"]), "account_id": str(proxy_account),
            "id_number": id_number(3), "authorisation": "王五委托李四"}
    forged = first.post(url, data=dict(form, dwelling_id="1 OR 1=1", document=(io.BytesIO(b"%PDF-1.4\n"), "a.pdf")),
                        content_type="multipart/form-data")
    assert forged.status_code == 422  # a forged choice is a field fault, not a server error
    missing = first.post(url, data=dict(form), content_type="multipart/form-data")
    assert missing.status_code == 422 and "委托书" in missing.get_data(as_text=True)
    done = first.post(url, data=dict(form, document=(io.BytesIO(b"%PDF-1.4\n"), "a.pdf")),
                      content_type="multipart/form-data")
    assert done.status_code == 302
    page = first.get(url).get_data(as_text=True)
    assert "另一位工作人员" in page or "second staff" in page
    second = page_sign_in(client.application.test_client(), "committee_a2")
    html = second.get(url).get_data(as_text=True)
    action = re.search(r'action="(/admin/votes/\d+/proxies/\d+/confirm)"', html).group(1)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert second.post(action, data={"csrf_token": csrf}).status_code == 302
    proxy = sign_in(client, simulator, "proxy-page")
    cast = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=proxy,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert cast.status_code == 200 and cast.get_json()["channel"] == "proxy"
