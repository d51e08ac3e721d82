"""Every upload belongs to something (a wish, a site report, an acceptance view, a milestone, a vote's
document) and is served only to those who may see that thing; documents are downloads, never pages."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Building, Dwelling, Unit, utcnow
from core.uploads import store_photo
from tests.builders import id_number, login, roll_rows, roll_with_owner
from tests.builders import PNG, sign_in

PDF = b"%PDF-1.4\n% plan of the lift\n"


@pytest.fixture
def town(client, world, simulator):
    """A roll in both compounds, staff clients by name, and residents bound in either compound."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, roll_rows(4))
    others = roll_rows(2, building="9")
    for n, row in enumerate(others):  # other people than compound A's owners (an ID number is one person)
        row[7] = id_number(500 + n)
    roll_with_owner(world.compound_b.id, others)
    staff = {}
    for name in ("committee_a", "committee_b", "county_a", "county_b", "city"):
        http = client.application.test_client()
        staff[name] = (http, {"X-CSRFToken": login(http, name)})

    def resident(openid, compound, index=0):
        dwelling_id = db.session.scalars(select(Dwelling.id).join(Unit).join(Building).where(
            Building.compound_id == compound.id).order_by(Dwelling.id)).all()[index]
        committee = staff["committee_a" if compound is world.compound_a else "committee_b"]
        headers = sign_in(client, simulator, openid)
        code = committee[0].post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={},
                                 headers=committee[1]).get_json()["code"]
        assert client.post("/api/v1/me/binding/code", headers=headers, json={"code": code}).status_code == 200
        return headers

    return staff, resident


def fetch(client, name, headers=None):
    response = client.get(f"/api/v1/files/{name}", headers=headers or {})
    response.get_data()  # read it all, then let the file go
    response.close()
    return response


def staff_status(staff, name):
    return {who: fetch(http, name).status_code for who, (http, _h) in staff.items()}


def test_a_wish_photo_is_for_its_resident_and_the_staff_of_its_region(client, world, town):
    staff, resident = town
    me = resident("wisher", world.compound_a)
    neighbour = resident("neighbour", world.compound_a, 1)
    elsewhere = resident("elsewhere", world.compound_b)
    wish = client.post("/api/v1/wishes", headers=me, content_type="multipart/form-data",
                       data={"text": "单元门口路灯不亮", "photos": [(io.BytesIO(PNG), "a.png")]}).get_json()
    name = wish["photos"][0]
    mine = fetch(client, name, me)
    assert mine.status_code == 200 and mine.mimetype == "image/png"
    assert "attachment" not in mine.headers.get("Content-Disposition", "")
    assert "default-src 'none'" in mine.headers["Content-Security-Policy"]
    assert "sandbox" in mine.headers["Content-Security-Policy"]
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in mine.headers["Cache-Control"] and "public" not in mine.headers["Cache-Control"]
    assert fetch(client, name, neighbour).status_code == 404
    assert fetch(client, name, elsewhere).status_code == 404
    assert fetch(client, name).status_code == 401
    assert staff_status(staff, name) == {"committee_a": 200, "committee_b": 404, "county_a": 200,
                                         "county_b": 404, "city": 200}


def test_an_unbound_resident_or_a_file_that_belongs_to_nothing_gets_nothing(client, world, town, simulator):
    staff, resident = town
    me = resident("wisher", world.compound_a)
    wish = client.post("/api/v1/wishes", headers=me, content_type="multipart/form-data",
                       data={"text": "楼道灯", "photos": [(io.BytesIO(PNG), "a.png")]}).get_json()
    unbound = sign_in(client, simulator, "stranger")
    assert fetch(client, wish["photos"][0], unbound).status_code == 404
    orphan = store_photo(b"\x89PNG\r\n\x1a\n" + b"\1" * 64)  # stored, but attached to nothing
    assert fetch(client, orphan, me).status_code == 404
    assert staff_status(staff, orphan)["city"] == 404


def test_a_vote_document_is_a_download_for_residents_in_scope_once_the_vote_is_open(client, world, town):
    staff, resident = town
    http, headers = staff["committee_a"]
    unit_id = db.session.scalar(select(Unit.id).join(Building).where(Building.compound_id == world.compound_a.id))
    in_scope = resident("voter", world.compound_a)
    elsewhere = resident("elsewhere", world.compound_b)
    vote = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "加装电梯"}).get_json()
    attached = http.post(f"/api/v1/admin/votes/{vote['id']}/documents", headers=headers,
                         content_type="multipart/form-data",
                         data={"title": "方案", "file": (io.BytesIO(PDF), "plan.pdf")})
    assert attached.status_code == 201
    name = attached.get_json()["documents"][0]["file"]
    assert fetch(client, name, in_scope).status_code == 404  # a draft is not the residents' yet
    now = utcnow()
    assert http.post(f"/api/v1/admin/votes/{vote['id']}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=3)).isoformat()}).status_code == 200
    document = fetch(client, name, in_scope)
    assert document.status_code == 200 and document.data == PDF
    assert document.headers["Content-Disposition"].startswith("attachment")
    assert document.mimetype == "application/pdf"
    assert "sandbox" in document.headers["Content-Security-Policy"]
    assert fetch(client, name, elsewhere).status_code == 404
    assert staff_status(staff, name) == {"committee_a": 200, "committee_b": 404, "county_a": 200,
                                         "county_b": 404, "city": 200}


def test_report_acceptance_and_milestone_photos_follow_their_owners(client, world, town):
    staff, resident = town
    http, headers = staff["committee_a"]
    project = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}).get_json()
    reporter = resident("reporter", world.compound_a)
    neighbour = resident("neighbour", world.compound_a, 1)
    elsewhere = resident("elsewhere", world.compound_b)
    report = client.post("/api/v1/reports", headers=reporter, content_type="multipart/form-data",
                         data={"text": "脚手架挡住了消防通道", "photos": [(io.BytesIO(PNG), "r.png")]})
    assert report.status_code == 201, report.get_data(as_text=True)
    report_photo = report.get_json()["photos"][0]
    assert fetch(client, report_photo, reporter).status_code == 200
    assert fetch(client, report_photo, neighbour).status_code == 404
    assert staff_status(staff, report_photo)["committee_a"] == 200
    assert staff_status(staff, report_photo)["committee_b"] == 404

    other_png = b"\x89PNG\r\n\x1a\n" + b"\2" * 64
    milestone = http.post(f"/api/v1/admin/projects/{project['id']}/milestones", headers=headers,
                          content_type="multipart/form-data",
                          data={"title": "外墙脚手架搭设完成", "photos": [(io.BytesIO(other_png), "m.png")]})
    assert milestone.status_code == 201
    milestone_photo = milestone.get_json()["photos"][0]
    assert fetch(client, milestone_photo, neighbour).status_code == 200  # on every resident's timeline
    assert fetch(client, milestone_photo, elsewhere).status_code == 404
    assert staff_status(staff, milestone_photo) == {"committee_a": 200, "committee_b": 404, "county_a": 200,
                                                    "county_b": 404, "city": 200}


def test_the_admin_pages_show_the_photos_of_their_region(client, world, town):
    staff, resident = town
    http, headers = staff["committee_a"]
    project = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}).get_json()
    http.post(f"/api/v1/admin/projects/{project['id']}/milestones", headers=headers,
              content_type="multipart/form-data",
              data={"title": "开工", "photos": [(io.BytesIO(PNG), "m.png")]})
    page = http.get(f"/admin/projects/{project['id']}").get_data(as_text=True)
    src = page.split('<img src="')[1].split('"')[0]
    assert src.startswith("/api/v1/files/") and fetch(http, src.rsplit("/", 1)[1]).status_code == 200


def test_a_proxys_written_authorisation_is_for_the_staff_who_run_the_vote_and_the_proxy(client, world, town,
                                                                                       simulator):
    """The 委托书 names the owner and the proxy: the committee that registers and confirms proxies reads it,
    officials who may only read the vote do not."""
    from core.models import WechatAccount
    staff, resident = town
    http, headers = staff["committee_a"]
    unit_id = db.session.scalar(select(Unit.id).join(Building).where(Building.compound_id == world.compound_a.id))
    dwelling_id = db.session.scalars(select(Dwelling.id).where(Dwelling.unit_id == unit_id)
                                     .order_by(Dwelling.id)).all()[2]
    owner_elsewhere = resident("neighbour", world.compound_a, 1)
    proxy_headers = resident("the-proxy", world.compound_a, 3)  # the owner of another flat, verified
    proxy_account = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "the-proxy"))
    vote = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "加装电梯"}).get_json()
    url = f"/api/v1/admin/votes/{vote['id']}/proxies"
    form = {"dwelling_id": dwelling_id, "account_id": proxy_account, "authorisation": "业主书面委托，2026-11-27",
            "id_number": id_number(3, "19700101")}
    stranger = staff["committee_b"]
    assert stranger[0].post(url, headers=stranger[1], content_type="multipart/form-data",
                            data=dict(form, file=(io.BytesIO(PDF), "auth.pdf"))).status_code == 404
    registered = http.post(url, headers=headers, content_type="multipart/form-data",
                           data=dict(form, file=(io.BytesIO(PDF + b"% signed\n"), "auth.pdf")))
    assert registered.status_code == 201, registered.get_data(as_text=True)
    name = registered.get_json()["document"]
    mine = fetch(client, name, proxy_headers)
    assert mine.status_code == 200 and mine.headers["Content-Disposition"].startswith("attachment")
    assert fetch(client, name, owner_elsewhere).status_code == 404
    assert staff_status(staff, name) == {"committee_a": 200, "committee_b": 404, "county_a": 404,
                                         "county_b": 404, "city": 404}


def test_a_survey_photo_answer_is_for_its_resident_and_the_staff_who_manage_the_survey(client, world, town):
    staff, resident = town
    http, headers = staff["committee_a"]
    made = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "楼道照片",
        "definition": {"sections": [{"id": "s", "questions": [
            {"id": "shot", "type": "photo", "title": "拍一张楼道", "required": True}]}]}})
    assert made.status_code == 201, made.get_data(as_text=True)
    survey_id = made.get_json()["id"]
    now = utcnow()
    assert http.post(f"/api/v1/admin/surveys/{survey_id}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat()}).status_code == 200
    me = resident("answerer", world.compound_a)
    neighbour = resident("neighbour", world.compound_a, 1)
    elsewhere = resident("elsewhere", world.compound_b)
    uploaded = client.post(f"/api/v1/surveys/{survey_id}/photos", headers=me, content_type="multipart/form-data",
                           data={"photos": (io.BytesIO(PNG + b"stairs"), "stairs.png")})
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    name = uploaded.get_json()["photos"][0]
    assert fetch(client, name, neighbour).status_code == 404
    # Naming a stored file one did not upload here (a neighbour's wish photo) opens nothing: it is refused.
    wish = client.post("/api/v1/wishes", headers=neighbour, content_type="multipart/form-data",
                       data={"text": "楼道灯坏了", "photos": [(io.BytesIO(PNG + b"theirs"), "w.png")]}).get_json()
    theirs = wish["photos"][0]
    taken = client.put(f"/api/v1/surveys/{survey_id}/response", headers=me,
                       json={"answers": {"shot": [theirs]}, "submit": False})
    assert taken.status_code == 422 and taken.get_json()["error"]["details"][0]["field"] == "shot"
    assert fetch(client, theirs, me).status_code == 404
    assert client.put(f"/api/v1/surveys/{survey_id}/response", headers=neighbour,
                      json={"answers": {"shot": [name]}, "submit": False}).status_code == 422
    draft = client.put(f"/api/v1/surveys/{survey_id}/response", headers=me,
                       json={"answers": {"shot": [name]}, "submit": False})
    assert draft.status_code == 200, draft.get_data(as_text=True)
    mine = fetch(client, name, me)
    assert mine.status_code == 200 and mine.mimetype == "image/png"
    assert staff_status(staff, name)["committee_a"] == 404  # a draft is the resident's own
    sent = client.put(f"/api/v1/surveys/{survey_id}/response", headers=me,
                      json={"answers": {"shot": [name]}, "submit": True})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert fetch(client, name, me).status_code == 200
    assert fetch(client, name, neighbour).status_code == 404
    assert fetch(client, name, elsewhere).status_code == 404
    assert fetch(client, name).status_code == 401
    # Those who manage the survey open it; staff who only read surveys, or of another region, get nothing.
    assert staff_status(staff, name) == {"committee_a": 200, "committee_b": 404, "county_a": 404,
                                         "county_b": 404, "city": 404}
