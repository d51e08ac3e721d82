"""Roll imports through HTTP: a compound's roll changes only that compound, previews save nothing, reports
count and warn (SQLite and PostgreSQL)."""
import io

from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditLog, Dwelling, Ownership, Person
from votes.models import Ballot
from tests.builders import csv_bytes, id_number, login

VICTIM_PHONE, ATTACKER_PHONE = "13900000007", "13811112222"


def upload(client, compound_id, rows, token, dry_run=None, lang=None):
    data = {"file": (io.BytesIO(csv_bytes(rows)), "roll.csv")}
    if dry_run is not None:
        data["dry_run"] = "true" if dry_run else "false"
    url = f"/api/v1/admin/compounds/{compound_id}/roll" + (f"?lang={lang}" if lang else "")
    return client.post(url, data=data, headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def row(room, name, serial, phone="", developer="否", area="85.6"):
    return ["1", "1", room, area, "", "", name, id_number(serial), phone, developer, "是"]


def owners_of(client, compound_id):
    response = client.get(f"/api/v1/admin/compounds/{compound_id}/dwellings")
    assert response.status_code == 200
    return {d["room"]: [(o["name"], o["phone"]) for o in d["owners"]] for d in response.get_json()}


def test_a_roll_naming_another_communitys_owner_changes_nothing_there_and_reveals_nothing(app, world):
    victim_side, attacker = app.test_client(), app.test_client()
    token_b = login(victim_side, "committee_b")
    assert upload(victim_side, world.compound_b.id, [row("301", "王芳", 7, VICTIM_PHONE)], token_b).status_code == 200
    audit_b = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.region_id == world.community_b.id))

    token_a = login(attacker, "committee_a")
    stranger = upload(attacker, world.compound_a.id, [row("102", "路人", 8, ATTACKER_PHONE)], token_a,
                      dry_run=True).get_json()
    response = upload(attacker, world.compound_a.id, [row("101", "冒名", 7, ATTACKER_PHONE)], token_a)
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()

    # the other community's roll still has the victim's own name and phone, and nothing was done there
    assert owners_of(victim_side, world.compound_b.id) == {"301": [("王芳", VICTIM_PHONE)]}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.region_id == world.community_b.id)) == audit_b
    # the report reads exactly as for a person never seen anywhere
    assert {k: v for k, v in report.items() if k not in ("dry_run", "changes")} == {
        k: v for k, v in stranger.items() if k not in ("dry_run", "changes")}
    assert [(c["kind"], c["name"], c["was"]) for c in report["changes"]] == [("created", "冒名", None)]
    assert (report["owners_created"], report["owners_updated"], report["warnings"]) == (1, 0, [])
    # the importer's roll shows what the importer wrote, not the other roll's name or phone
    assert owners_of(attacker, world.compound_a.id) == {"101": [("冒名", ATTACKER_PHONE)]}
    # the owner's page on the importer's side shows the importer's roll, not the other community's
    person_id = db.session.scalar(select(Ownership.person_id).join(Dwelling).where(Dwelling.room == "101"))
    page = attacker.get(f"/admin/owners/{person_id}")
    assert page.status_code == 200
    assert "冒名" in page.get_data(as_text=True) and "王芳" not in page.get_data(as_text=True)
    # nor does a binding request for that flat show the other roll's name or phone
    from core.models import BindingRequest, WechatAccount
    account = WechatAccount(openid="someone", follows=True, locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))
    db.session.add(BindingRequest(account_id=account.id, dwelling_id=dwelling_id, claimed_name="某人",
                                  phone_last4="2222"))
    db.session.commit()
    bindings = attacker.get("/admin/bindings").get_data(as_text=True)
    assert "冒名 138****2222" in bindings and "王芳" not in bindings and "0007" not in bindings


def test_a_preview_counts_and_saves_nothing(client, world):
    token = login(client, "committee_a")
    rows = [row("101", "张三", 1, "13800000001"), row("102", "李四", 2)]
    preview = upload(client, world.compound_a.id, rows, token, dry_run=True)
    assert preview.status_code == 200
    body = preview.get_json()
    assert (body["dry_run"], body["owners_created"], body["dwellings_created"]) == (True, 2, 2)
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    assert upload(client, world.compound_a.id, rows, token).get_json()["owners_created"] == 2
    assert db.session.scalar(select(func.count()).select_from(Ownership)) == 2


def test_an_amended_roll_reports_each_kind_of_change(client, world):
    token = login(client, "committee_a")
    upload(client, world.compound_a.id, [row("101", "张三", 1, "13800000001"), row("102", "李四", 2),
                                         row("103", "王五", 3)], token)
    amended = [row("101", "张三", 1, "13800000009"),        # new phone
               row("102", "李四", 2),                         # as before
               row("103", "赵六", 4),                         # sold: one removed, one created
               row("104", "孙七", 5)]                         # a new flat
    body = upload(client, world.compound_a.id, amended, token).get_json()
    assert {k: body[k] for k in ("owners_created", "owners_updated", "owners_unchanged", "owners_removed",
                                 "dwellings_created", "dwellings_unchanged")} == {
        "owners_created": 2, "owners_updated": 1, "owners_unchanged": 1, "owners_removed": 1,
        "dwellings_created": 1, "dwellings_unchanged": 3}
    assert owners_of(client, world.compound_a.id)["101"] == [("张三", "13800000009")]
    assert [(c["room"], c["kind"], c["name"]) for c in body["changes"]] == [
        ("101", "updated", "张三"), ("103", "created", "赵六"), ("103", "removed", "王五"), ("104", "created", "孙七")]


def test_a_second_phone_and_a_developer_flag_on_a_person_are_warned_about(client, world):
    token = login(client, "committee_a")
    rows = [row("101", "张三", 1, "13800000001"), row("102", "张三", 1, "13800000002"),
            row("103", "李四", 2, developer="是")]
    body = upload(client, world.compound_a.id, rows, token, dry_run=True, lang="en").get_json()
    warnings = [(w["row"], w["column"], w["code"]) for w in body["warnings"]]
    assert warnings == [(3, "phone", "roll.second_phone"), (4, "developer_held", "roll.developer_private_person")]
    assert "row 2" in body["warnings"][0]["message"]
    assert "李四" in body["warnings"][1]["message"]
    body = upload(client, world.compound_a.id, rows, token).get_json()
    assert len(body["warnings"]) == 2
    assert owners_of(client, world.compound_a.id)["102"] == [("张三", "13800000001")]


def admin_sign_in(client, username):
    from tests.builders import page_sign_in as sign_in
    return sign_in(client, username)


def page_token(client, path):
    from tests.builders import form_token as token
    return token(client, path)


def test_the_panel_previews_an_upload_and_imports_it_only_when_confirmed(app, world):
    committee = admin_sign_in(app.test_client(), "committee_a")
    compound_page = f"/admin/compounds/{world.compound_a.id}"
    rows = [row("101", "张三", 1, "13800000001"), row("102", "张三", 1, "13800000002")]
    sent = committee.post(compound_page, data={"csrf_token": page_token(committee, compound_page),
                                                "file": (io.BytesIO(csv_bytes(rows)), "roll.csv")},
                          content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:800]
    preview_url = sent.headers["Location"]
    preview = committee.get(preview_url).get_data(as_text=True)
    assert 'id="owners-created">2<' in preview and "第二个手机号" in preview
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 0

    # nobody else can read or confirm the held file
    other = admin_sign_in(app.test_client(), "committee_b")
    assert other.get(preview_url).status_code == 404
    same_region_colleague = admin_sign_in(app.test_client(), "admin")
    assert same_region_colleague.get(preview_url).status_code == 404

    done = committee.post(preview_url, data={"csrf_token": page_token(committee, preview_url)})
    assert done.status_code == 302
    after = committee.get(done.headers["Location"]).get_data(as_text=True)
    assert "名册已导入：新增业主 2 人" in after
    assert db.session.scalar(select(func.count()).select_from(Ownership)) == 2
    assert committee.get(preview_url).status_code == 404  # imported once, not twice


def test_a_roll_naming_another_communitys_owner_with_a_certificate_of_its_own_gains_no_vote_there(
        client, app, world, simulator):
    """The certificate-number variant: the attacker's roll gives the victim's ID number with a certificate
    number the attacker chose, then verifies as that owner. The account is that compound's owner only."""
    from datetime import timedelta

    from core.models import Unit, utcnow
    from tests.builders import sign_in
    from tests.builders import CERT
    from tests.builders import CERT_HEADER as HEADER

    def send(staff, token, compound_id, rows):
        response = staff.post(f"/api/v1/admin/compounds/{compound_id}/roll", headers={"X-CSRFToken": token},
                              content_type="multipart/form-data",
                              data={"file": (io.BytesIO(csv_bytes(rows, HEADER)), "roll.csv")})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    victim_side, attacker = app.test_client(), app.test_client()
    token_b, token_a = login(victim_side, "committee_b"), login(attacker, "committee_a")
    send(victim_side, token_b, world.compound_b.id, [row("301", "王芳", 7, VICTIM_PHONE) + [CERT.format(301)]])
    unit_b = db.session.scalar(select(Unit.id).join(Unit.building).where(Unit.building.has(
        compound_id=world.compound_b.id)))
    vote = victim_side.post("/api/v1/admin/votes", headers={"X-CSRFToken": token_b}, json={
        "scope_kind": "unit", "scope_id": unit_b, "matter": "rebuild", "title": "加装电梯"}).get_json()
    now = utcnow()
    assert victim_side.post(f"/api/v1/admin/votes/{vote['id']}/open", headers={"X-CSRFToken": token_b}, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat()}).status_code == 200

    send(attacker, token_a, world.compound_a.id, [row("101", "冒名", 7, ATTACKER_PHONE) + ["川(2020)伪造第1号"]])
    me = sign_in(client, simulator, "attacker")
    bound = client.post("/api/v1/me/binding/owner", headers=me,
                        json={"id_number": id_number(7), "certificate_no": "川(2020)伪造第1号"})
    assert bound.status_code == 200  # an owner of the flat the attacker's own roll gave them, nothing more
    owned = [d["dwelling_id"] for d in bound.get_json()["dwellings"]]
    assert owned == [db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))]
    assert client.get("/api/v1/votes", headers=me).get_json() == []
    cast = client.put(f"/api/v1/votes/{vote['id']}/ballot", headers=me, json={"choice": "agree"})
    assert cast.status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    # the victim still verifies with their own certificate and votes for their own flat
    victim = sign_in(client, simulator, "victim")
    assert client.post("/api/v1/me/binding/owner", headers=victim, json={
        "id_number": id_number(7), "certificate_no": CERT.format(301)}).status_code == 200
    assert client.put(f"/api/v1/votes/{vote['id']}/ballot", headers=victim,
                      json={"choice": "agree"}).status_code == 200
