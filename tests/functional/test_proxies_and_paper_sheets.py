"""Who a proxy may be, and who may print what names owners: through the real doors (staff API and panel), with
real staff sessions of every role. A proxy is a WeChat user verified as an owner of the vote's own compound
whose ID number is the one the authorisation names; the sheets, codes and lists that name owners are for the
staff who run the vote's paper ballots."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditLog, BindingCode, Dwelling, Ownership, WechatAccount, utcnow
from core.registry import add_compound
from core.staff import create_staff
from tests.builders import (CERT, PASSWORD, RACE_GATE, csv_bytes, deactivate, gate, held_at, id_number,
                            let_through, login, page_sign_in, race_at_a_gate, sign_in, window)
from tests.builders import CERT_HEADER as HEADER
from votes.models import Proxy

PDF = b"%PDF-1.4\n% signed authorisation\n"
# Compound A, one stairwell: 王五 owns 104 (the flat a proxy votes for), 李四 103, 赵六 105; 刘一 owns 106
# and a flat in compound B, whose roll named her first (so compound A knows her under a key of its own).
A_ROWS = [["1", "1", "103", "80", "", "", "李四", id_number(3), "13800000003", "否", "是", CERT.format(103)],
          ["1", "1", "104", "80", "", "", "王五", id_number(4), "13800000004", "否", "是", CERT.format(104)],
          ["1", "1", "105", "80", "", "", "赵六", id_number(5), "13800000005", "否", "是", CERT.format(105)],
          ["1", "1", "106", "80", "", "", "刘一", id_number(30), "13800000030", "否", "是", CERT.format(106)]]
# Compound B (another county): 刘一 again, and 陈二, who owns nothing in compound A.
B_ROWS = [["9", "1", "901", "70", "", "", "刘一", id_number(30), "13800000030", "否", "是", CERT.format(901)],
          ["9", "1", "902", "70", "", "", "陈二", id_number(40), "13800000040", "否", "是", CERT.format(902)]]
# A second compound of compound A's own community: 孟三 owns a flat there only.
A2_ROWS = [["5", "1", "501", "70", "", "", "孟三", id_number(50), "13800000050", "否", "是", CERT.format(501)]]


def import_roll(http, headers, compound_id, rows):
    response = http.post(f"/api/v1/admin/compounds/{compound_id}/roll", headers=headers,
                         content_type="multipart/form-data",
                         data={"file": (io.BytesIO(csv_bytes(rows, HEADER)), "roll.csv")})
    assert response.status_code == 200, response.get_data(as_text=True)


def verified_owner(client, simulator, openid, serial, room):
    """A WeChat user verified as an owner by ID number and property certificate (what a neighbour doesn't know)."""
    me = sign_in(client, simulator, openid)
    response = client.post("/api/v1/me/binding/owner", headers=me,
                           json={"id_number": id_number(serial), "certificate_no": CERT.format(room)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return WechatAccount.query.filter_by(openid=openid).one().id


def staff_client(client, username):
    http = client.application.test_client()
    return http, {"X-CSRFToken": login(http, username)}


@pytest.fixture
def compounds(client, world, simulator):
    """Rolls of compound B (first), compound A and a second compound of A's community; an open vote over A's
    stairwell; staff of every level signed in to the API, a second committee member and a street official."""
    create_staff(None, "committee_a2", "复核员", "committee", world.community_a.id, PASSWORD)
    create_staff(None, "street_a", "街道", "street", world.street_a.id, PASSWORD)
    compound_a2 = add_compound(world.community_a, None, name="玉林南小区", built_year=1992)
    db.session.commit()
    staff = {name: staff_client(client, name)
             for name in ("committee_a", "committee_a2", "committee_b", "street_a", "county_a", "city", "admin")}
    import_roll(*staff["committee_b"], world.compound_b.id, B_ROWS)
    import_roll(*staff["committee_a"], world.compound_a.id, A_ROWS)
    import_roll(*staff["committee_a"], compound_a2.id, A2_ROWS)
    rooms = dict(db.session.execute(select(Dwelling.room, Dwelling.id)).all())
    unit_id = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == rooms["104"]))
    http, headers = staff["committee_a"]
    made = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "1单元加装电梯"})
    assert made.status_code == 201, made.get_data(as_text=True)
    vote_id = made.get_json()["id"]
    assert http.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json=window()).status_code == 200
    return {"staff": staff, "rooms": rooms, "vote_id": vote_id, "compound_a2": compound_a2,
            "compound_a": world.compound_a.id}


def register(s, account_id, serial, who="committee_a", vote_id=None):
    http, headers = s["staff"][who]
    return http.post(f"/api/v1/admin/votes/{vote_id or s['vote_id']}/proxies", headers=headers,
                     content_type="multipart/form-data",
                     data={"dwelling_id": s["rooms"]["104"], "account_id": account_id,
                           "authorisation": "王五委托代为表决", "id_number": id_number(serial),
                           "file": (io.BytesIO(PDF), "auth.pdf")})


def nothing_recorded():
    return (db.session.scalar(select(func.count(Proxy.id))) == 0
            and db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.like("vote.proxy%"))) == 0)


# proxies ----------------------------------------------------------------------------------------------------
def test_an_owner_verified_in_another_county_is_refused_as_a_proxy_though_the_id_number_matches(
        client, simulator, compounds):
    s = compounds
    outsider = verified_owner(client, simulator, "chen-in-b", 40, 902)
    refused = register(s, outsider, 40)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    (fault,) = refused.get_json()["error"]["details"]
    assert fault["field"] == "account_id" and "本小区" in fault["message"]
    assert nothing_recorded()


def test_the_same_person_verified_in_another_compound_is_refused_for_this_compounds_vote(client, simulator,
                                                                                         compounds):
    s = compounds
    # 刘一 owns 106 here too, but this account was verified for her flat in compound B
    elsewhere = verified_owner(client, simulator, "liu-in-b", 30, 901)
    refused = register(s, elsewhere, 30)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.get_json()["error"]["details"][0]["field"] == "account_id"
    assert nothing_recorded()


def test_an_owner_of_another_compound_of_the_same_community_is_refused(client, simulator, compounds):
    s = compounds
    neighbour_compound = verified_owner(client, simulator, "meng-in-a2", 50, 501)
    refused = register(s, neighbour_compound, 50)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.get_json()["error"]["details"][0]["field"] == "account_id"
    assert nothing_recorded()


def test_a_household_member_of_the_compound_is_refused_as_a_proxy(client, simulator, compounds):
    s = compounds
    verified_owner(client, simulator, "li-owner", 3, 103)
    family = sign_in(client, simulator, "li-family")
    unit_id = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["103"]))
    bound = client.post("/api/v1/me/binding/room", headers=family,
                        json={"unit_id": unit_id, "room": "103", "phone_last4": "0003"})
    assert bound.get_json() == {"outcome": "household"}
    refused = register(s, WechatAccount.query.filter_by(openid="li-family").one().id, 3)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["field"] == "account_id"
    assert nothing_recorded()


def test_an_owner_of_the_compound_known_here_under_its_own_key_may_be_a_proxy(client, simulator, compounds):
    """刘一 was on compound B's roll first, so compound A keys her within A: her ID number still names her here."""
    s = compounds
    liu = verified_owner(client, simulator, "liu-in-a", 30, 106)
    registered = register(s, liu, 30)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    assert registered.get_json()["state"] == "pending"
    http, headers = s["staff"]["committee_a2"]
    confirmed = http.post(f"/api/v1/admin/votes/{s['vote_id']}/proxies/{registered.get_json()['id']}/confirm",
                          headers=headers)
    assert confirmed.get_json()["state"] == "confirmed"
    me = sign_in(client, simulator, "liu-in-a")
    cast = client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=me,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert cast.status_code == 200 and cast.get_json()["channel"] == "proxy"


def test_the_id_number_must_be_the_chosen_accounts_own(client, simulator, compounds):
    s = compounds
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    refused = register(s, li, 5)  # 赵六's number, a real owner of the compound, but not this account's
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["field"] == "id_number"
    assert nothing_recorded()
    assert register(s, li, 3).status_code == 201


def test_the_panel_refuses_a_forged_choice_of_an_account_from_another_compound(client, simulator, compounds):
    s = compounds
    outsider = verified_owner(client, simulator, "chen-in-b", 40, 902)
    verified_owner(client, simulator, "li-owner", 3, 103)
    panel = page_sign_in(client.application.test_client(), "committee_a")
    url = f"/admin/votes/{s['vote_id']}/proxies"
    html = panel.get(url).get_data(as_text=True)
    assert "李四" in html and "陈二" not in html  # only the compound's verified owners are offered
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    answer = panel.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf, "dwelling_id": str(s["rooms"]["104"]), "account_id": str(outsider),
        "id_number": id_number(40), "authorisation": "王五委托陈二", "document": (io.BytesIO(PDF), "a.pdf")})
    assert answer.status_code == 422
    assert "本小区" in answer.get_data(as_text=True)
    assert nothing_recorded()


def test_a_proxy_who_unlinked_before_the_second_staff_member_confirms_is_not_confirmed(client, simulator, compounds):
    s = compounds
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    registered = register(s, li, 3)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    me = sign_in(client, simulator, "li-owner")
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    http, headers = s["staff"]["committee_a2"]
    refused = http.post(f"/api/v1/admin/votes/{s['vote_id']}/proxies/{registered.get_json()['id']}/confirm",
                        headers=headers)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert db.session.get(Proxy, registered.get_json()["id"]).state == "pending"
    cast = client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=me,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert cast.status_code == 403



def served(http, name):
    response = http.get(f"/api/v1/files/{name}")
    response.close()
    return response.status_code


def proxy_for(s, vote_id, room, account_id, serial, document, authorisation):
    """A proxy registered by committee_a for a flat, through the staff API (the 委托书 uploaded); its id."""
    http, headers = s["staff"]["committee_a"]
    made = http.post(f"/api/v1/admin/votes/{vote_id}/proxies", headers=headers, content_type="multipart/form-data",
                     data={"dwelling_id": s["rooms"][room], "account_id": account_id, "authorisation": authorisation,
                           "id_number": id_number(serial), "file": (io.BytesIO(document), "auth.pdf")})
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["id"]


def test_a_proxy_who_deletes_their_data_no_longer_stands_and_their_authorisation_leaves_the_disk(
        client, simulator, compounds):
    from core.uploads import stored_path
    from votes.models import Ballot
    s = compounds
    http, headers = s["staff"]["committee_a"]
    second, second_headers = s["staff"]["committee_a2"]
    other_document = PDF + b"% for the lift vote of next spring\n"
    made = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": db.session.scalar(select(Dwelling.unit_id).where(
            Dwelling.id == s["rooms"]["104"])), "matter": "rebuild", "title": "1单元外墙维修"})
    later_vote = made.get_json()["id"]
    assert http.post(f"/api/v1/admin/votes/{later_vote}/open", headers=headers, json=window()).status_code == 200
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    liu = verified_owner(client, simulator, "liu-in-a", 30, 106)
    # 李四 stands for 王五 (confirmed), and is registered for the later vote (pending); 刘一 stands for 赵六 with
    # the same signed form (the same file, stored once)
    standing = proxy_for(s, s["vote_id"], "104", li, 3, PDF, "王五委托李四代为表决")
    assert second.post(f"/api/v1/admin/votes/{s['vote_id']}/proxies/{standing}/confirm",
                       headers=second_headers).status_code == 200
    waiting = proxy_for(s, later_vote, "104", li, 3, other_document, "王五委托李四（身份证号见委托书）")
    neighbours = proxy_for(s, s["vote_id"], "105", liu, 30, PDF, "赵六委托刘一代为表决")
    me = sign_in(client, simulator, "li-owner")
    cast = client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=me,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})
    assert cast.status_code == 200 and cast.get_json()["channel"] == "proxy"
    files = {name: db.session.scalar(select(Proxy.document).where(Proxy.id == proxy))
             for name, proxy in (("shared", standing), ("own", waiting))}

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    # neither proxy stands: the pending one left the committee's queue and cannot be confirmed
    assert [p["id"] for p in http.get(f"/api/v1/admin/votes/{s['vote_id']}/proxies").get_json()] == [neighbours]
    assert http.get(f"/api/v1/admin/votes/{later_vote}/proxies").get_json() == []
    assert second.post(f"/api/v1/admin/votes/{later_vote}/proxies/{waiting}/confirm",
                       headers=second_headers).status_code == 409
    for proxy in (standing, waiting):
        row = db.session.get(Proxy, proxy)
        assert (row.state, row.authorisation, row.document, row.proxy_person_id) == ("withdrawn", "", None, None)
    # the document that named them leaves the disk; the same form 刘一's proxy holds stays, for the committee
    assert stored_path(files["own"]) is None and served(http, files["own"]) == 404
    assert stored_path(files["shared"]).read_bytes() == PDF and served(http, files["shared"]) == 200
    # the ballot cast as proxy stays counted and the vote's chain verifies; 王五 may authorise someone else
    assert db.session.scalar(select(Ballot.choice).where(Ballot.dwelling_id == s["rooms"]["104"])) == "agree"
    verify = client.application.test_cli_runner().invoke(args=["votes", "verify", str(s["vote_id"])])
    assert verify.exit_code == 0, verify.output
    zhao = verified_owner(client, simulator, "zhao-owner", 5, 105)
    assert proxy_for(s, later_vote, "104", zhao, 5, other_document, "王五改为委托赵六") == waiting

# what names owners, by role ---------------------------------------------------------------------------------
ROLES = ("committee_a", "committee_a2", "admin", "street_a", "county_a", "city", "committee_b")
# Who runs the vote's paper ballots (the committee of its community, the administrator), who may only read it
# (the officials above), and who is outside its region (another community's committee: never told it exists).
RUNS, READS, OUTSIDE = {"committee_a", "committee_a2", "admin"}, {"street_a", "county_a", "city"}, {"committee_b"}


def panel(client, username):
    return page_sign_in(client.application.test_client(), username)


def test_paper_ballot_sheets_and_codes_are_for_the_staff_who_run_the_vote(client, compounds):
    s = compounds
    vote_id = s["vote_id"]
    for name in ROLES:
        http, _headers = s["staff"][name]
        codes = http.get(f"/api/v1/admin/votes/{vote_id}/ballot-codes")
        sheets = panel(client, name).get(f"/admin/votes/{vote_id}/ballots")
        page = sheets.get_data(as_text=True)
        if name in RUNS:
            assert codes.status_code == 200 and len(codes.get_json()) == 4, name
            assert sheets.status_code == 200 and "王五" in page, name
        elif name in READS:
            assert codes.status_code == 403, name
            assert codes.get_json()["error"]["message"] == "纸质选票及其编码载有业主姓名，只有负责本次表决纸质投票的工作人员可以打印。"
            assert sheets.status_code == 403 and "只有负责本次表决纸质投票的工作人员" in page, name
            assert "王五" not in page and "V%d-D" % vote_id not in page, name
        else:
            assert codes.status_code == 404 and sheets.status_code == 404, name
            assert "王五" not in page


def test_the_vote_page_links_officials_only_to_what_they_may_open(client, compounds):
    s = compounds
    url = f"/admin/votes/{s['vote_id']}"
    committee = panel(client, "committee_a").get(url).get_data(as_text=True)
    assert f"{url}/ballots" in committee and f"{url}/proxies" in committee
    official = panel(client, "county_a").get(url).get_data(as_text=True)
    assert f"{url}/non-voters" in official
    assert f"{url}/ballots" not in official and f"{url}/proxies" not in official


def test_the_list_of_homes_not_voted_names_owners_only_for_the_staff_who_go_door_to_door(client, compounds):
    s = compounds
    url = f"/admin/votes/{s['vote_id']}/non-voters"
    committee = panel(client, "committee_a").get(url).get_data(as_text=True)
    assert "王五" in committee and "13800000004" in committee  # committee staff ring the owner
    for name in READS:
        page = panel(client, name).get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, name
        assert "104" in html and "王五" not in html and "0004" not in html, name
    http, _headers = s["staff"]["county_a"]
    rows = http.get(f"/api/v1/admin/votes/{s['vote_id']}/non-voters").get_json()
    assert {row["room"] for row in rows} == {"103", "104", "105", "106"}
    assert all(set(row) == {"dwelling_id", "building", "unit", "room", "canvass"} for row in rows)


def test_proxies_their_candidates_and_the_signed_authorisation_are_for_the_staff_who_run_the_vote(
        client, simulator, compounds):
    s = compounds
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    registered = register(s, li, 3)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    document = registered.get_json()["document"]
    api = f"/api/v1/admin/votes/{s['vote_id']}/proxies"
    page = f"/admin/votes/{s['vote_id']}/proxies"
    for name in ROLES:
        http, _headers = s["staff"][name]
        listed = http.get(api)
        shown = panel(client, name).get(page)
        fetched = http.get(f"/api/v1/files/{document}")
        fetched.close()
        if name in RUNS:
            assert listed.status_code == 200 and listed.get_json()[0]["authorisation"] == "王五委托代为表决", name
            assert shown.status_code == 200 and "李四" in shown.get_data(as_text=True), name
            assert fetched.status_code == 200, name
        else:
            assert listed.status_code == (403 if name in READS else 404), name
            assert shown.status_code == (403 if name in READS else 404), name
            assert "李四" not in shown.get_data(as_text=True) and "王五委托" not in shown.get_data(as_text=True)
            assert fetched.status_code == 404, name
    me = sign_in(client, simulator, "li-owner")
    mine = client.get(f"/api/v1/files/{document}", headers=me)
    mine.close()
    assert mine.status_code == 200  # and the proxy it authorises...
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    gone = client.get(f"/api/v1/files/{document}", headers=me)
    gone.close()
    assert gone.status_code == 404  # ...while they may be one: not once their account is unlinked


def test_binding_requests_with_names_and_phone_digits_are_for_the_committee(client, simulator, compounds):
    s = compounds
    stranger = sign_in(client, simulator, "stranger")
    unit_id = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["105"]))
    asked = client.post("/api/v1/me/binding/room", headers=stranger,
                        json={"unit_id": unit_id, "room": "105", "phone_last4": "9999", "name": "周某"})
    assert asked.get_json() == {"outcome": "pending"}
    for name in ROLES:
        http, _headers = s["staff"][name]
        listed = http.get("/api/v1/admin/bindings")
        shown = panel(client, name).get("/admin/bindings")
        if name in RUNS:
            assert listed.status_code == 200 and [r["claimed_name"] for r in listed.get_json()] == ["周某"], name
            assert "周某" in shown.get_data(as_text=True), name
        elif name in READS:
            assert listed.status_code == 403 and shown.status_code == 403, name
            assert "周某" not in shown.get_data(as_text=True) and "赵六" not in shown.get_data(as_text=True)
        else:  # another community's committee sees its own (none)
            assert listed.get_json() == [] and "周某" not in shown.get_data(as_text=True), name


def test_a_binding_code_for_a_tenant_or_family_member_names_nobody_on_a_roll(client, simulator, compounds):
    s = compounds
    http, headers = s["staff"]["committee_a"]
    chen = db.session.scalar(select(Ownership.person_id).where(Ownership.dwelling_id == s["rooms"]["902"]))
    wang = db.session.scalar(select(Ownership.person_id).where(Ownership.dwelling_id == s["rooms"]["104"]))
    url = f"/api/v1/admin/dwellings/{s['rooms']['104']}/binding-codes"
    for kind in ("family", "tenant"):
        for person_id in (chen, wang):  # an owner of another county's compound, or of this very flat
            refused = http.post(url, headers=headers, json={"kind": kind, "person_id": person_id})
            assert refused.status_code == 422, refused.get_data(as_text=True)
            assert refused.get_json()["error"]["details"][0]["field"] == "person_id"
    assert http.post(url, headers=headers, json={"kind": "owner", "person_id": chen}).status_code == 422
    assert http.post(url, headers=headers, json={"kind": "family"}).status_code == 201
    assert db.session.scalar(select(func.count(BindingCode.id))) == 1


def test_which_candidates_a_home_ticked_on_paper_is_for_the_staff_who_run_the_election(client, world, compounds):
    s = compounds
    http, headers = s["staff"]["committee_a"]
    made = http.post("/api/v1/admin/elections", headers=headers, json={
        "compound_id": world.compound_a.id, "title": "第一届业主委员会选举", "seats": 1})
    eid = made.get_json()["id"]
    (candidate,) = [http.post(f"/api/v1/admin/elections/{eid}/candidates", headers=headers,
                              json={"name": "刘建国", "nominated_by": "业主联名"}).get_json()["id"]]
    closes = (utcnow() + timedelta(days=7)).isoformat()
    assert http.post(f"/api/v1/admin/elections/{eid}/open", headers=headers,
                     json={"closes_at": closes}).status_code == 200
    entry = http.post(f"/api/v1/admin/elections/{eid}/paper", headers=headers,
                      json={"dwelling_id": s["rooms"]["104"], "candidate_ids": [candidate]}).get_json()
    second, second_headers = s["staff"]["committee_a2"]
    confirmed = second.post(f"/api/v1/admin/elections/{eid}/paper/{entry['id']}/confirm", headers=second_headers,
                            json={"candidate_ids": [candidate]})
    assert confirmed.get_json()["state"] == "confirmed"
    for name in ROLES:
        staff, _headers = s["staff"][name]
        listed = staff.get(f"/api/v1/admin/elections/{eid}/paper")
        shown = panel(client, name).get(f"/admin/elections/{eid}")
        html = shown.get_data(as_text=True)
        if name in RUNS:
            assert listed.get_json()[0]["candidate_ids"] == [candidate], name
            assert "1-1-104" in html, name
        elif name in READS:
            assert listed.status_code == 403, name
            assert shown.status_code == 200 and "刘建国" in html, name  # the election and its candidates
            assert "1-1-104" not in html, name  # but not what a home ticked
        else:
            assert listed.status_code == 404 and shown.status_code == 404, name


def confirmed_proxy(s, account_id, serial, vote_id=None):
    registered = register(s, account_id, serial, vote_id=vote_id)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    http, headers = s["staff"]["committee_a2"]
    confirmed = http.post(f"/api/v1/admin/votes/{vote_id or s['vote_id']}/proxies/{registered.get_json()['id']}/confirm",
                          headers=headers)
    assert confirmed.get_json()["state"] == "confirmed", confirmed.get_data(as_text=True)


def cast_for_104(client, s, me):
    return client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=me,
                      json={"choice": "agree", "dwelling_ids": [s["rooms"]["104"]]})


def offered_votes(client, me):
    return [v["id"] for v in client.get("/api/v1/votes", headers=me).get_json()]


def test_a_confirmed_proxy_who_unlinks_their_account_casts_no_more(client, simulator, compounds):
    s = compounds
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    confirmed_proxy(s, li, 3)
    me = sign_in(client, simulator, "li-owner")
    assert s["vote_id"] in offered_votes(client, me)
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    assert s["vote_id"] not in offered_votes(client, me)
    refused = cast_for_104(client, s, me)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert "error" in refused.get_json()
    # nor is the vote's reminder sent to them as one who may cast
    from votes.services import voters_to_tell
    from votes.models import Vote
    assert li not in {account for account, _dwelling in voters_to_tell(db.session.get(Vote, s["vote_id"]))}


def test_a_proxy_confirmed_before_the_rule_for_an_account_of_another_compound_casts_nothing(
        client, simulator, compounds):
    """A proxy recorded before register_proxy checked the compound (an owner verified in another county) stands
    confirmed in the table: it must not cast or be offered the vote."""
    s = compounds
    outsider = verified_owner(client, simulator, "chen-in-b", 40, 902)
    account = db.session.get(WechatAccount, outsider)
    from core.models import Staff
    staff_ids = db.session.scalar(select(Staff.id).where(Staff.username == "committee_a"))
    db.session.add(Proxy(vote_id=s["vote_id"], dwelling_id=s["rooms"]["104"], account_id=outsider,
                         authorisation="王五委托陈二", proxy_person_id=account.person_id, state="confirmed",
                         recorded_by=staff_ids, confirmed_by=staff_ids, confirmed_at=utcnow()))
    db.session.commit()
    me = sign_in(client, simulator, "chen-in-b")
    assert s["vote_id"] not in offered_votes(client, me)
    refused = cast_for_104(client, s, me)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert LAPSED_CAST in refused.get_json()["error"]["message"]  # why, and whom to ask: not "only owners vote"
    from votes.models import Ballot
    assert db.session.scalar(select(func.count(Ballot.vote_id)).where(Ballot.vote_id == s["vote_id"])) == 0


# a proxy that stops standing lapses, and the owner and the proxy are told ------------------------------------
LAPSED_CAST = "您代人投票的委托已失效"
ACCOUNT_GONE = "您的微信未绑定为本小区的认证业主"


def inbox(client, simulator, openid, kind="proxy_lapsed"):
    """What the resident reads in the mini-program's inbox, of one kind."""
    return [entry for entry in client.get("/api/v1/inbox", headers=sign_in(client, simulator, openid)).get_json()
            if entry["kind"] == kind]


def lapses(s):
    """The audit log's proxy lapses, as the administrator reads it through the API."""
    http, _headers = s["staff"]["admin"]
    return http.get("/api/v1/admin/audit", query_string={"action": "vote.proxy_lapsed"}).get_json()


def wang_relies_on_li(client, simulator, s):
    """王五 (104) verified in WeChat; 李四 (103), a verified owner, his confirmed proxy, and able to cast for 104."""
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    confirmed_proxy(s, li, 3)
    assert s["vote_id"] in offered_votes(client, sign_in(client, simulator, "li-owner"))
    return li


def assert_told_and_logged(client, simulator, s, cause, actor="system", proxy_told=True):
    (owner_note,) = inbox(client, simulator, "wang")
    assert owner_note["title"] == "代您投票的代理人已不能投票"
    body = owner_note["body"]
    assert "1-1-104" in body and "「1单元加装电梯」" in body, body
    assert re.search(r"\d+月\d+日（周.）", body) and "回复「投票」" in body and "居委会" in body, body
    if proxy_told:
        (proxy_note,) = inbox(client, simulator, "li-owner")
        assert "1-1-104" in proxy_note["body"] and "联系居委会" in proxy_note["body"], proxy_note
    (entry,) = lapses(s)
    assert (entry["actor"], entry["target_type"], entry["target_id"]) == (actor, "dwelling", str(s["rooms"]["104"]))
    assert entry["before"] == {"state": "confirmed"}
    # A proxy who deleted their data is withdrawn (privacy.deletion): lapsed all the same.
    assert entry["after"]["state"] == ("withdrawn" if cause == "deletion" else "lapsed")
    assert entry["after"]["cause"] == cause


def assert_refused_as_lapsed(client, s, me):
    """Refused with the reason that applies: the proxy's own WeChat no longer linked as a verified owner here."""
    refused = cast_for_104(client, s, me)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    message = refused.get_json()["error"]["message"]
    assert LAPSED_CAST in message and ACCOUNT_GONE in message and "居委会" in message, message
    assert SIGNER_LEFT not in message, message


def test_a_proxy_who_unlinks_in_the_mini_program_lapses_and_the_owner_and_the_proxy_are_told(
        client, simulator, compounds):
    s = compounds
    wang_relies_on_li(client, simulator, s)
    me = sign_in(client, simulator, "li-owner")
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    assert_told_and_logged(client, simulator, s, "unbinding")
    assert_refused_as_lapsed(client, s, me)
    # linked again as the same owner, the authorisation does not come back by itself: the committee registers it anew
    verified_owner(client, simulator, "li-owner", 3, 103)
    document = client.get(f"/api/v1/files/{db.session.scalar(select(Proxy.document))}", headers=me)
    document.close()
    assert document.status_code == 404
    (listed,) = client.get("/api/v1/votes", headers=me).get_json()  # he votes for his own flat, not for 104
    assert [d["dwelling_id"] for d in listed["dwellings"]] == [s["rooms"]["103"]]
    # refused, and told the truth: he is linked now, the authorisation simply does not come back
    refused = cast_for_104(client, s, me)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    message = refused.get_json()["error"]["message"]
    assert message.startswith(LAPSED_CAST) and "不会自动恢复" in message and "重新登记" in message, message
    assert ACCOUNT_GONE not in message and SIGNER_LEFT not in message, message
    assert len(inbox(client, simulator, "wang")) == 1 and len(lapses(s)) == 1
    # the owner votes himself
    wang = sign_in(client, simulator, "wang")
    assert client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=wang,
                      json={"choice": "agree"}).status_code == 200


def test_an_owner_who_reads_english_is_told_of_the_lapse_with_the_projects_own_words_for_voting(
        client, simulator, compounds):
    """The lapse notice says "Reply 投票 (vote)", as every other English line of the service does."""
    s = compounds
    wang_relies_on_li(client, simulator, s)
    changed = client.put("/api/v1/me/locale", headers=sign_in(client, simulator, "wang"), json={"locale": "en"})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert client.delete("/api/v1/me/binding", headers=sign_in(client, simulator, "li-owner")).status_code == 204
    (owner_note,) = inbox(client, simulator, "wang")
    assert owner_note["title"] == "Your proxy can no longer vote", owner_note
    assert "Reply 投票 (vote) to vote yourself" in owner_note["body"], owner_note
    assert "Please reply" not in owner_note["body"], owner_note


def test_a_proxy_who_unlinks_in_the_chat_lapses_and_the_owner_is_told(client, simulator, compounds):
    from simulator.sender import text_xml
    from tests.builders import Bot
    s = compounds
    wang_relies_on_li(client, simulator, s)
    bot = Bot(client)
    assert "回复 1" in bot.say(text_xml("li-owner", "解绑"))
    assert "绑定" in bot.say(text_xml("li-owner", "1"))
    assert WechatAccount.query.filter_by(openid="li-owner").one().dwelling_id is None
    assert_told_and_logged(client, simulator, s, "unbinding")
    assert_refused_as_lapsed(client, s, sign_in(client, simulator, "li-owner"))


def test_a_proxy_who_verifies_as_the_owner_of_a_flat_in_another_compound_lapses(client, simulator, compounds):
    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    liu = verified_owner(client, simulator, "liu-in-a", 30, 106)
    confirmed_proxy(s, liu, 30)
    me = sign_in(client, simulator, "liu-in-a")
    moved = client.post("/api/v1/me/binding/owner", headers=me,
                        json={"id_number": id_number(30), "certificate_no": CERT.format(901)})
    assert moved.status_code == 200 and moved.get_json()["room"] == "901", moved.get_data(as_text=True)
    (owner_note,) = inbox(client, simulator, "wang")
    assert "1-1-104" in owner_note["body"]
    (proxy_note,) = inbox(client, simulator, "liu-in-a")
    assert "1-1-104" in proxy_note["body"]
    (entry,) = lapses(s)
    assert entry["actor"] == "system" and entry["after"]["cause"] == "binding"
    assert_refused_as_lapsed(client, s, me)


def test_a_proxy_the_committee_links_to_another_home_lapses_and_the_log_names_the_staff_member(
        client, simulator, compounds):
    s = compounds
    wang_relies_on_li(client, simulator, s)
    me = sign_in(client, simulator, "li-owner")
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["501"]))
    asked = client.post("/api/v1/me/binding/room", headers=me,
                        json={"unit_id": unit, "room": "501", "phone_last4": "1234", "name": "李四"})
    assert asked.get_json() == {"outcome": "pending"}
    assert s["vote_id"] in offered_votes(client, me)  # asking changes nothing yet
    http, headers = s["staff"]["committee_a"]
    (request,) = http.get("/api/v1/admin/bindings").get_json()
    decided = http.post(f"/api/v1/admin/bindings/{request['id']}", headers=headers,
                        json={"approve": True, "kind": "tenant"})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    assert_told_and_logged(client, simulator, s, "binding", actor="committee_a")
    assert_refused_as_lapsed(client, s, me)


def test_a_roll_import_that_ends_the_proxys_ownership_lapses_the_proxy(client, simulator, compounds):
    s = compounds
    wang_relies_on_li(client, simulator, s)
    sold = [row[:] for row in A_ROWS]
    sold[0] = ["1", "1", "103", "80", "", "", "钱九", id_number(9), "13800000009", "否", "是", CERT.format(203)]
    import_roll(*s["staff"]["committee_a"], s["compound_a"], sold)
    assert_told_and_logged(client, simulator, s, "roll", actor="committee_a")
    assert len(inbox(client, simulator, "li-owner", "ownership_ended")) == 1
    assert_refused_as_lapsed(client, s, sign_in(client, simulator, "li-owner"))


def test_a_proxy_stands_while_a_roll_leaves_them_an_owner_of_the_compound_and_lapses_when_it_no_longer_does(
        client, simulator, compounds):
    s = compounds
    two = [row[:] for row in A_ROWS]
    two[2] = ["1", "1", "105", "80", "", "", "李四", id_number(3), "13800000003", "否", "是", CERT.format(105)]
    import_roll(*s["staff"]["committee_a"], s["compound_a"], two)  # 李四 owns 103 and 105
    wang_relies_on_li(client, simulator, s)
    sold = [row[:] for row in two]
    sold[0] = ["1", "1", "103", "80", "", "", "钱九", id_number(9), "13800000009", "否", "是", CERT.format(203)]
    import_roll(*s["staff"]["committee_a"], s["compound_a"], sold)  # 103 sold: his account moves to 105
    assert WechatAccount.query.filter_by(openid="li-owner").one().dwelling_id == s["rooms"]["105"]
    assert inbox(client, simulator, "wang") == [] and lapses(s) == []
    me = sign_in(client, simulator, "li-owner")
    cast = cast_for_104(client, s, me)
    assert cast.status_code == 200 and cast.get_json()["channel"] == "proxy", cast.get_data(as_text=True)
    sold[2] = ["1", "1", "105", "80", "", "", "钱九", id_number(9), "13800000009", "否", "是", CERT.format(205)]
    import_roll(*s["staff"]["committee_a"], s["compound_a"], sold)  # and 105: he owns nothing here any more
    assert_told_and_logged(client, simulator, s, "roll", actor="committee_a")
    assert_refused_as_lapsed(client, s, me)


def test_a_proxy_who_deletes_their_data_lapses_and_the_owner_is_told(client, simulator, compounds):
    s = compounds
    li = wang_relies_on_li(client, simulator, s)
    me = sign_in(client, simulator, "li-owner")
    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204
    assert_told_and_logged(client, simulator, s, "deletion", proxy_told=False)
    # the committee hears that the proxy is no longer a verified owner here, not that they had their data deleted
    html = alerts(client, "committee_a2")
    assert html.count(ALERT) == 1 and "代理人已不是本小区的认证业主" in html, html
    assert "删除" not in html, html
    from notices.models import Notice
    assert db.session.scalar(select(func.count(Notice.id)).where(  # nobody is left to tell at the deleted account
        Notice.kind == "proxy_lapsed", Notice.scope_kind == "account", Notice.scope_id == li)) == 0


def test_a_proxy_who_deletes_their_data_in_the_chat_lapses_and_the_owner_is_told(client, simulator, compounds):
    from simulator.sender import text_xml
    from tests.builders import Bot
    s = compounds
    wang_relies_on_li(client, simulator, s)
    bot = Bot(client)
    assert "回复 1" in bot.say(text_xml("li-owner", "删除我的数据"))
    bot.say(text_xml("li-owner", "1"))
    assert WechatAccount.query.filter_by(openid="li-owner").first() is None  # its openid is gone
    assert_told_and_logged(client, simulator, s, "deletion", proxy_told=False)


def test_only_the_proxies_of_votes_still_open_lapse_and_are_told(client, simulator, compounds):
    """A closed vote's proxy did its work: unlinking afterwards changes nothing there; the open vote's lapses."""
    s = compounds
    li = wang_relies_on_li(client, simulator, s)
    http, headers = s["staff"]["committee_a"]
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["104"]))
    second = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit, "matter": "rebuild", "title": "1单元外墙保温"}).get_json()["id"]
    assert http.post(f"/api/v1/admin/votes/{second}/open", headers=headers, json=window()).status_code == 200
    confirmed_proxy(s, li, 3, vote_id=second)
    assert http.post(f"/api/v1/admin/votes/{s['vote_id']}/close", headers=headers).status_code == 200
    me = sign_in(client, simulator, "li-owner")
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    (owner_note,) = inbox(client, simulator, "wang")
    assert "「1单元外墙保温」" in owner_note["body"] and "加装电梯" not in owner_note["body"]
    (proxy_note,) = inbox(client, simulator, "li-owner")
    assert "「1单元外墙保温」" in proxy_note["body"]
    (entry,) = lapses(s)
    assert entry["after"]["proxy"] == db.session.scalar(select(Proxy.id).where(Proxy.vote_id == second))
    assert dict(db.session.execute(select(Proxy.vote_id, Proxy.state)).all()) == {s["vote_id"]: "confirmed",
                                                                                  second: "lapsed"}


# the committee hears of a lapse in its alerts ----------------------------------------------------------------
ALERT = "委托投票已失效"


def alerts(client, username):
    """The staff member's alerts page in the panel (signed in through its login form)."""
    return panel(client, username).get("/admin/inbox").get_data(as_text=True)


def test_the_committee_is_alerted_once_when_a_proxy_unlinks_with_the_vote_the_flat_the_cause_and_the_next_step(
        client, simulator, compounds):
    s = compounds
    wang_relies_on_li(client, simulator, s)
    me = sign_in(client, simulator, "li-owner")
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204

    html = alerts(client, "committee_a2")
    assert html.count(ALERT) == 1, html
    for words in ("玉林小区 1-1-104", "「1单元加装电梯」", "代理人解除了微信绑定", "另一位工作人员复核"):
        assert words in html, words
    assert re.search(r"投票于(\d+年)?\d+月\d+日（周.）\D*\d+:\d\d截止", html), html
    assert ALERT in alerts(client, "committee_a")  # every committee member of the vote's community
    for outside in ("committee_b", "street_a"):
        assert ALERT not in alerts(client, outside), outside
    # linked again and unlinked again: the lapse was one, and so is the alert
    verified_owner(client, simulator, "li-owner", 3, 103)
    assert client.delete("/api/v1/me/binding", headers=me).status_code == 204
    assert alerts(client, "committee_a2").count(ALERT) == 1 and len(lapses(s)) == 1


def test_a_lapse_in_a_community_whose_committee_is_all_deactivated_is_alerted_to_its_street_alone(
        client, simulator, compounds):
    """Nobody of the vote's community is active to hear it: the street's staff are, told that nobody there can
    register a new proxy; the county above the street is not. (With the committee active, the street hears nothing:
    test_the_committee_is_alerted_once_when_a_proxy_unlinks_...)"""
    s = compounds
    wang_relies_on_li(client, simulator, s)
    deactivate(client, "committee_a", "committee_a2")
    assert client.delete("/api/v1/me/binding", headers=sign_in(client, simulator, "li-owner")).status_code == 204

    html = alerts(client, "street_a")
    assert html.count(ALERT) == 1, html
    for words in ("玉林小区 1-1-104", "「1单元加装电梯」", "代理人解除了微信绑定", "截止",
                  "玉林北路社区目前没有在岗的居委会工作人员", "请联系系统管理员"):
        assert words in html, words
    assert "另一位工作人员复核" not in html, html  # a step the street cannot take
    for outside in ("county_a", "committee_b"):
        assert ALERT not in alerts(client, outside), outside


def test_the_wechat_alert_of_a_lapse_names_the_compound_the_flat_and_the_vote_in_chinese_and_in_english(
        client, simulator, compounds):
    """Two committee members follow the official account and linked it, one reading English; days later (outside
    the customer-service window) a proxy lapses: each is pushed a template message whose two 20-character fields
    name the compound, the flat and the vote, with the vote's deadline as its time."""
    from core.times import wechat_time
    from notices.sender import drain
    from simulator.sender import event_xml, text_xml
    from tests.builders import Bot, Panel
    from tests.builders import simulator_calls as calls
    from tests.functional.test_staff_alerts import link
    from votes.models import Vote
    s = compounds
    wang_relies_on_li(client, simulator, s)
    bot = Bot(client)
    for username, openid in (("committee_a", "staff-zh"), ("committee_a2", "staff-en")):
        bot.say(event_xml(openid, "subscribe"))
        assert "已关联" in link(Panel(client.application.test_client(), username), bot, openid)
    assert "English" in bot.say(text_xml("staff-en", "English"))
    db.session.execute(WechatAccount.__table__.update().where(WechatAccount.openid.in_(["staff-zh", "staff-en"]))
                       .values(last_inbound_at=utcnow() - timedelta(days=3)))  # three days without writing
    db.session.commit()

    assert client.delete("/api/v1/me/binding", headers=sign_in(client, simulator, "li-owner")).status_code == 204
    drain()
    deadline = wechat_time(db.session.get(Vote, s["vote_id"]).closes_at)
    for openid, headline in (("staff-zh", "委托"), ("staff-en", "Proxy")):
        (data,) = [c["body"]["data"] for c in calls(simulator, "/cgi-bin/message/template/send")
                   if c["body"]["touser"] == openid]
        fields = {key: field["value"] for key, field in data.items()}
        shown = f"{fields['thing1']} {fields['thing2']}"
        for words in (headline, "玉林小区", "1-1-104", "1单元加装电梯"):
            assert words in shown, (openid, words, fields)
        assert len(fields["thing1"]) <= 20 and len(fields["thing2"]) <= 20, fields
        assert fields["time3"] == deadline, fields


def test_the_committee_is_alerted_when_a_roll_import_ends_the_signers_ownership_and_told_once_as_the_vote_opens(
        client, simulator, compounds):
    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    draft = draft_vote(s, "1单元屋面防水")
    confirmed_proxy(s, li, 3, vote_id=draft)
    from core.models import Staff
    db.session.execute(Staff.__table__.update().where(Staff.username == "committee_a").values(locale="en"))
    db.session.commit()

    import_roll(*s["staff"]["committee_a"], s["compound_a"], SOLD_104)

    html = alerts(client, "committee_a2")
    assert html.count(ALERT) == 1, html
    for words in ("玉林小区 1-1-104", "「1单元屋面防水」", SIGNER_LEFT, "重新登记"):
        assert words in html, words
    assert "截止" not in html  # a draft has no deadline yet
    english = alerts(client, "committee_a")
    for words in ("Proxy vote lapsed", "1-1-104", "the owner who signed the authorisation is no longer on the "
                  "owners&#39; roll for this home", "a second staff member"):
        assert words in english, words
    open_draft(s, draft)
    assert alerts(client, "committee_a2").count(ALERT) == 1


def test_the_committee_is_not_given_a_deadline_already_passed_when_a_proxy_lapses_before_the_vote_is_closed(
        client, simulator, compounds):
    """The vote's closing time has passed but the scheduler has not closed it yet: the alert is not urgent and
    names no deadline."""
    s = compounds
    wang_relies_on_li(client, simulator, s)
    from notices.models import StaffNotice
    from votes.models import Vote
    db.session.execute(Vote.__table__.update().where(Vote.id == s["vote_id"])
                       .values(closes_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert client.delete("/api/v1/me/binding", headers=sign_in(client, simulator, "li-owner")).status_code == 204

    html = alerts(client, "committee_a2")
    assert html.count(ALERT) == 1 and "代理人解除了微信绑定" in html, html
    assert "截止" not in html, html
    params = [entry.params for entry in db.session.scalars(select(StaffNotice)) if entry.kind == "staff_proxy_lapsed"]
    assert params and all(not p["urgent"] and p["closes_at"] is None for p in params), params


def test_a_ballot_replaced_is_told_in_english_with_the_projects_own_words_for_voting(client, simulator, compounds):
    """The owner's own ballot, replaced by their proxy's: "回复「投票」" in Chinese, "Reply 投票 (vote)" in English."""
    s = compounds
    wang_relies_on_li(client, simulator, s)
    wang, li = sign_in(client, simulator, "wang"), sign_in(client, simulator, "li-owner")
    assert client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=wang, json={"choice": "disagree"}).status_code == 200
    assert cast_for_104(client, s, li).status_code == 200
    (chinese,) = inbox(client, simulator, "wang", "ballot_replaced")
    assert "请回复「投票」重新投票" in chinese["body"], chinese
    assert client.put("/api/v1/me/locale", headers=wang, json={"locale": "en"}).status_code == 200
    assert client.put(f"/api/v1/votes/{s['vote_id']}/ballot", headers=wang, json={"choice": "disagree"}).status_code == 200
    assert cast_for_104(client, s, li).status_code == 200
    english = [note for note in inbox(client, simulator, "wang", "ballot_replaced") if note["id"] != chinese["id"]]
    (note,) = english
    assert "Reply 投票 (vote) to vote again" in note["body"] and "reply 投票 to" not in note["body"], note


# a proxy confirmed just as its account unlinks --------------------------------------------------------------


# Where the test holds whichever goes first: confirming as it writes its audit entry (its checks done), unlinking
# as it writes the account (what it stood as before read).
GATES = {"confirming": "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'vote.proxy_confirm')",
         "unlinking": "BEFORE UPDATE ON wechat_accounts FOR EACH ROW "
                      "WHEN (OLD.dwelling_id IS NOT NULL AND NEW.dwelling_id IS NULL)"}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("first", ["confirming", "unlinking"])
def test_a_proxy_confirmed_just_as_its_account_unlinks_is_never_left_standing_for_a_relink(
        client, simulator, compounds, database_url, first):
    """The second staff member confirms 李四 as 王五's proxy just as 李四 unlinks his WeChat. Whichever holds his
    account first finishes first, the other waits for it and sees what it did: confirmed first, the proxy lapses
    as he unlinks and 王五 is told; unlinked first, the confirmation is refused and 王五 is not told a proxy
    will vote. Either way, linking again as the same owner does not make him 王五's proxy."""


    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    registered = register(s, li, 3)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    proxy_id = registered.get_json()["id"]
    me = sign_in(client, simulator, "li-owner")
    answers = {}
    second, second_headers = s["staff"]["committee_a2"]

    def confirm():
        answers["confirm"] = second.post(f"/api/v1/admin/votes/{s['vote_id']}/proxies/{proxy_id}/confirm",
                                         headers=second_headers)

    def unlink():
        answers["unlink"] = client.application.test_client().delete("/api/v1/me/binding", headers=me)

    waited = race_at_a_gate(database_url, GATES[first], {"confirming": confirm, "unlinking": unlink}, first,
                            "the account's row")
    assert answers["unlink"].status_code == 204, answers["unlink"].get_data(as_text=True)
    state = db.session.scalar(select(Proxy.state).where(Proxy.id == proxy_id))
    if first == "confirming":
        assert answers["confirm"].status_code == 200, answers["confirm"].get_data(as_text=True)
        assert state == "lapsed"
        assert len(inbox(client, simulator, "wang")) == 1
    else:
        assert answers["confirm"].status_code == 422, answers["confirm"].get_data(as_text=True)
        assert state == "pending"
        assert inbox(client, simulator, "wang", "proxy_registered") == []
    verified_owner(client, simulator, "li-owner", 3, 103)
    refused = cast_for_104(client, s, me)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert waited, f"{'unlinking' if first == 'confirming' else 'the confirmation'} did not wait for the account"


def test_the_owner_is_told_of_a_proxy_confirmed_before_the_vote_opens(client, simulator, compounds):
    """The committee prepares the vote and registers the proxies before opening it: the owner hears of the proxy
    all the same (their safeguard against a forged authorisation), not only of one confirmed while it is open."""
    s = compounds
    http, headers = s["staff"]["committee_a"]
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["104"]))
    draft = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit, "matter": "rebuild", "title": "1单元屋面防水"}).get_json()["id"]
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    confirmed_proxy(s, li, 3, vote_id=draft)
    (told,) = inbox(client, simulator, "wang", "proxy_registered")
    assert "1-1-104" in told["body"] and "「1单元屋面防水」" in told["body"], told
    assert inbox(client, simulator, "li-owner", "proxy_registered") == []


# a proxy stands on the word of the owner who signed it ----------------------------------------------------------
SIGNER_LEFT = "签署委托书的业主已不在这套房屋的业主名册上"
# 104 sold to 赵六, who owns 105 already (and is verified in WeChat for it).
SOLD_104 = [A_ROWS[0], ["1", "1", "104", "80", "", "", "赵六", id_number(5), "13800000005", "否", "是",
                        CERT.format(204)], A_ROWS[2], A_ROWS[3]]


def draft_vote(s, title):
    """A draft vote over 104's stairwell, drafted by committee_a through the staff API; its id."""
    http, headers = s["staff"]["committee_a"]
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == s["rooms"]["104"]))
    made = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit, "matter": "rebuild", "title": title})
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["id"]


def open_draft(s, vote_id):
    http, headers = s["staff"]["committee_a"]
    opened = http.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json=window())
    assert opened.status_code == 200, opened.get_data(as_text=True)


def cast(client, simulator, openid, vote_id, *dwelling_ids):
    return client.put(f"/api/v1/votes/{vote_id}/ballot", headers=sign_in(client, simulator, openid),
                      json={"choice": "agree", **({"dwelling_ids": list(dwelling_ids)} if dwelling_ids else {})})


def assert_refused_for(client, simulator, s, vote_id, openid="li-owner"):
    """Refused with the reason that applies: the owner who signed no longer owns the flat (the proxy's own WeChat
    is still linked as a verified owner of the compound)."""
    refused = cast(client, simulator, openid, vote_id, s["rooms"]["104"])
    assert refused.status_code == 403, refused.get_data(as_text=True)
    message = refused.get_json()["error"]["message"]
    assert LAPSED_CAST in message and SIGNER_LEFT in message and "居委会" in message, message
    assert ACCOUNT_GONE not in message, message


def test_a_proxy_on_a_draft_vote_lapses_when_a_roll_import_gives_the_flat_another_owner(client, simulator, compounds):
    """王五 authorised 李四 for the roof vote the committee is still preparing; then 王五 sold 104 to 赵六 and the
    committee imported the amended roll. 李四 must not vote for 赵六's home on 王五's word: the proxy lapses there
    and then, 赵六 hears that it no longer votes for his home (and that he can vote himself), 李四 hears why, and
    the log names the committee member whose import did it."""
    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    verified_owner(client, simulator, "zhao", 5, 105)
    draft = draft_vote(s, "1单元屋面防水")
    confirmed_proxy(s, li, 3, vote_id=draft)  # 104's only owner on the roll signed: 王五

    import_roll(*s["staff"]["committee_a"], s["compound_a"], SOLD_104)

    (owner_note,) = inbox(client, simulator, "zhao")
    assert owner_note["title"] == "为您房屋登记的代理人已不能投票", owner_note
    assert all(words in owner_note["body"] for words in ("1-1-104", "「1单元屋面防水」", "业主名册", "投票开始后")), owner_note
    (proxy_note,) = inbox(client, simulator, "li-owner")
    assert SIGNER_LEFT in proxy_note["body"] and "1-1-104" in proxy_note["body"], proxy_note
    (entry,) = lapses(s)
    assert (entry["actor"], entry["target_id"]) == ("committee_a", str(s["rooms"]["104"]))
    assert {key: entry["after"][key] for key in ("state", "cause", "signer_left")} == {
        "state": "lapsed", "cause": "roll", "signer_left": True}
    # once the vote opens, 李四 cannot cast for 104; 赵六 votes for both his homes himself
    open_draft(s, draft)
    assert_refused_for(client, simulator, s, draft)
    mine = cast(client, simulator, "zhao", draft)
    assert mine.status_code == 200, mine.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Proxy.id)).where(Proxy.state == "lapsed")) == 1
    assert inbox(client, simulator, "zhao") == [owner_note]  # told once: opening the vote told nobody again


CO_OWNED = [A_ROWS[0], A_ROWS[1],
            ["1", "1", "104", "80", "", "", "孙七", id_number(7), "13800000007", "否", "是", CERT.format(104)],
            A_ROWS[2], A_ROWS[3]]


def owner_ids(s, room):
    """{name: person id} of a flat's owners, as the staff API lists the compound's dwellings."""
    http, _headers = s["staff"]["committee_a"]
    (flat,) = [d for d in http.get(f"/api/v1/admin/compounds/{s['compound_a']}/dwellings").get_json()
               if d["room"] == room]
    return {owner["name"]: owner["person_id"] for owner in flat["owners"]}


def panel_roll_import(client, s, rows):
    """committee_a imports a roll through the panel: uploaded, previewed, confirmed."""
    http = panel(client, "committee_a")
    page = f"/admin/compounds/{s['compound_a']}"
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(page).get_data(as_text=True)).group(1)
    sent = http.post(page, data={"csrf_token": csrf, "file": (io.BytesIO(csv_bytes(rows, HEADER)), "roll.csv")},
                     content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:800]
    preview = sent.headers["Location"]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(preview).get_data(as_text=True)).group(1)
    assert http.post(preview, data={"csrf_token": csrf}).status_code == 302


def test_a_co_owners_authorisation_stands_while_they_own_the_flat_whatever_the_other_co_owner_does(
        client, simulator, compounds):
    """104 is 王五's and 孙七's. In the panel the committee names who signed each authorisation: 王五 authorised
    李四 for the roof vote, 孙七 authorised 刘一 for the wall vote. When the roll no longer lists 王五 for 104,
    李四's proxy lapses and 孙七, the owner left, is told; 刘一's stands, on 孙七's word."""
    s = compounds
    import_roll(*s["staff"]["committee_a"], s["compound_a"], CO_OWNED)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    liu = verified_owner(client, simulator, "liu-in-a", 30, 106)
    verified_owner(client, simulator, "sun", 7, 104)
    roof, wall = draft_vote(s, "1单元屋面防水"), draft_vote(s, "1单元外墙维修")
    owners = owner_ids(s, "104")
    # the panel asks which of the two signed
    first = panel(client, "committee_a")
    url = f"/admin/votes/{roof}/proxies"
    html = first.get(url).get_data(as_text=True)
    assert f'<option value="{owners["王五"]}">王五 · 1-1-104</option>' in html, html
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf, "dwelling_id": str(s["rooms"]["104"]), "account_id": str(li),
            "id_number": id_number(3), "authorisation": "王五委托李四代为表决"}
    unnamed = first.post(url, data=dict(form, document=(io.BytesIO(PDF), "a.pdf")), content_type="multipart/form-data")
    assert unnamed.status_code == 422 and "多位业主" in unnamed.get_data(as_text=True)
    done = first.post(url, data=dict(form, owner_id=str(owners["王五"]), document=(io.BytesIO(PDF), "a.pdf")),
                      content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    second = panel(client, "committee_a2")
    html = second.get(url).get_data(as_text=True)
    assert "<td>王五</td>" in html  # the second staff member checks who signed against the document
    action = re.search(r'action="(/admin/votes/\d+/proxies/\d+/confirm)"', html).group(1)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert second.post(action, data={"csrf_token": csrf}).status_code == 302
    # 孙七's authorisation for the wall vote, through the staff API
    http, headers = s["staff"]["committee_a"]
    made = http.post(f"/api/v1/admin/votes/{wall}/proxies", headers=headers, content_type="multipart/form-data",
                     data={"dwelling_id": s["rooms"]["104"], "account_id": liu, "owner_id": owners["孙七"],
                           "authorisation": "孙七委托刘一代为表决", "id_number": id_number(30),
                           "file": (io.BytesIO(PDF), "auth.pdf")})
    assert made.status_code == 201 and made.get_json()["owner_id"] == owners["孙七"], made.get_data(as_text=True)
    second_http, second_headers = s["staff"]["committee_a2"]
    assert second_http.post(f"/api/v1/admin/votes/{wall}/proxies/{made.get_json()['id']}/confirm",
                            headers=second_headers).get_json()["state"] == "confirmed"
    proxies_told = len(inbox(client, simulator, "sun", "proxy_registered"))

    panel_roll_import(client, s, [row for row in CO_OWNED if row[6] != "王五"])  # 104 is 孙七's alone now

    (owner_note,) = inbox(client, simulator, "sun")
    assert "「1单元屋面防水」" in owner_note["body"] and "外墙" not in owner_note["body"], owner_note
    (proxy_note,) = inbox(client, simulator, "li-owner")
    assert SIGNER_LEFT in proxy_note["body"]
    assert inbox(client, simulator, "liu-in-a") == [] and proxies_told == 2
    assert dict(db.session.execute(select(Proxy.vote_id, Proxy.state)).all()) == {roof: "lapsed", wall: "confirmed"}
    open_draft(s, roof)
    open_draft(s, wall)
    assert_refused_for(client, simulator, s, roof)
    stands = cast(client, simulator, "liu-in-a", wall, s["rooms"]["104"])
    assert stands.status_code == 200 and stands.get_json()["channel"] == "proxy", stands.get_data(as_text=True)


def test_a_proxy_registered_before_its_signer_was_recorded_lapses_as_its_vote_opens(client, simulator, compounds):
    """A proxy confirmed for a draft vote before the committee named who signed (the migration could not tell)
    stands on nobody's word: when the vote opens, with its roll frozen, it lapses, and 王五 hears at once that
    he can vote himself before the deadline."""
    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    draft = draft_vote(s, "1单元屋面防水")
    from core.models import Staff
    staff_id = db.session.scalar(select(Staff.id).where(Staff.username == "committee_a"))
    db.session.add(Proxy(vote_id=draft, dwelling_id=s["rooms"]["104"], account_id=li,
                         authorisation="业主委托（签字人未录入）",
                         proxy_person_id=db.session.get(WechatAccount, li).person_id, state="confirmed",
                         recorded_by=staff_id, confirmed_by=staff_id, confirmed_at=utcnow()))
    db.session.commit()

    open_draft(s, draft)

    (owner_note,) = inbox(client, simulator, "wang")
    body = owner_note["body"]
    assert "「1单元屋面防水」" in body and re.search(r"\d+月\d+日（周.）", body) and "回复「投票」" in body, body
    (entry,) = lapses(s)
    assert (entry["actor"], entry["after"]["cause"], entry["after"]["state"]) == ("committee_a", "opening", "lapsed")
    assert_refused_for(client, simulator, s, draft)
    assert cast(client, simulator, "wang", draft).status_code == 200


@pytest.mark.postgresql_only
def test_a_proxy_confirmed_just_as_a_roll_import_sells_the_flat_lapses_as_its_vote_opens(
        client, simulator, compounds, database_url):
    """The second staff member confirms 李四 as 王五's proxy for a draft vote just as the committee imports the
    roll that gives 104 to 赵六: the import finishes first, and does not see the proxy (not confirmed yet), the
    confirmation does not see the import (it checked the roll before). The proxy never stands on 王五's word for
    赵六's home, and it lapses when the vote opens: 赵六 is told then, with the deadline, and 李四 cannot cast."""
    import threading


    s = compounds
    verified_owner(client, simulator, "wang", 4, 104)
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    verified_owner(client, simulator, "zhao", 5, 105)
    draft = draft_vote(s, "1单元屋面防水")
    registered = register(s, li, 3, vote_id=draft)
    assert registered.status_code == 201, registered.get_data(as_text=True)
    answers = {}
    second, second_headers = s["staff"]["committee_a2"]

    def confirm():
        answers["confirm"] = second.post(
            f"/api/v1/admin/votes/{draft}/proxies/{registered.get_json()['id']}/confirm", headers=second_headers)

    thread = threading.Thread(target=confirm)
    with gate(database_url, "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'vote.proxy_confirm')") \
            as holder:
        thread.start()
        held_at(holder, RACE_GATE, "the confirmation")
        import_roll(*s["staff"]["committee_a"], s["compound_a"], SOLD_104)
        let_through(holder)
        thread.join(60)
        assert not thread.is_alive()
    assert answers["confirm"].status_code == 200, answers["confirm"].get_data(as_text=True)
    assert lapses(s) == [] and inbox(client, simulator, "zhao") == []

    open_draft(s, draft)

    (owner_note,) = inbox(client, simulator, "zhao")
    assert "1-1-104" in owner_note["body"] and "回复「投票」" in owner_note["body"], owner_note
    (proxy_note,) = inbox(client, simulator, "li-owner")
    assert SIGNER_LEFT in proxy_note["body"]
    (entry,) = lapses(s)
    assert (entry["actor"], entry["after"]["cause"]) == ("committee_a", "opening")
    assert_refused_for(client, simulator, s, draft)


def field_message(response, field):
    return " ".join(d["message"] for d in response.get_json()["error"]["details"] if d["field"] == field)


def test_a_proxy_names_an_owner_of_the_flat_on_the_roll_that_counts_and_is_confirmed_only_while_they_are_one(
        client, simulator, compounds):
    """The owner who signed must own the flat: on the frozen roll once the vote is open (赵六, who owns 105, is not
    104's), on the registry's roll while it is a draft; a proxy whose signer sold the flat before the second staff
    member looked is not confirmed."""
    s = compounds
    li = verified_owner(client, simulator, "li-owner", 3, 103)
    http, headers = s["staff"]["committee_a"]
    zhao = owner_ids(s, "105")["赵六"]
    url = f"/api/v1/admin/votes/{s['vote_id']}/proxies"
    data = {"dwelling_id": s["rooms"]["104"], "account_id": li, "authorisation": "赵六委托李四",
            "id_number": id_number(3)}
    wrong = http.post(url, headers=headers, content_type="multipart/form-data",
                      data=dict(data, owner_id=zhao, file=(io.BytesIO(PDF), "auth.pdf")))
    assert wrong.status_code == 422 and "业主名册" in field_message(wrong, "owner_id"), wrong.get_data(as_text=True)
    draft = draft_vote(s, "1单元屋面防水")
    registered = register(s, li, 3, vote_id=draft)
    assert registered.status_code == 201 and registered.get_json()["owner_id"] == owner_ids(s, "104")["王五"]
    import_roll(*s["staff"]["committee_a"], s["compound_a"], SOLD_104)
    second, second_headers = s["staff"]["committee_a2"]
    refused = second.post(f"/api/v1/admin/votes/{draft}/proxies/{registered.get_json()['id']}/confirm",
                          headers=second_headers)
    assert refused.status_code == 422 and "重新登记" in field_message(refused, "owner_id"), refused.get_data(as_text=True)
    assert db.session.get(Proxy, registered.get_json()["id"]).state == "pending"


def test_a_lapsed_proxy_push_names_the_flat_when_the_compound_has_a_long_name(app, world):
    """The committee must know which flat's owner may come to register a new proxy: with a compound name of
    fifteen characters (and the flat and the vote as usual), the push still names the flat."""
    from flask_babel import force_locale
    from notices.fitting import LIMITS, push_fields
    from votes.texts import staff_proxy_lapsed
    params = {"title": "关于3栋2单元加装电梯的表决", "vote_id": 1, "compound": "成都市武侯区玉林北路12号院",
              "home": "3栋-2单元-501", "reason": "standing", "closes_at": None, "urgent": False}
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        words = staff_proxy_lapsed(params, None)
    fields = push_fields(words.title, words.where, words.detail, words.body, utcnow(), layouts=words.layouts)
    shown = f"{fields['thing1']} {fields['thing2']}"
    assert len(fields["thing1"]) <= LIMITS["thing"] and len(fields["thing2"]) <= LIMITS["thing"]
    assert "3栋-2单元-501" in shown, fields
