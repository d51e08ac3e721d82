"""Staff sign-in, CSRF, region scope, masking and the audit log, through HTTP."""
import io

from sqlalchemy import select

from core.extensions import db
from core.models import AuditLog, Dwelling
from tests.builders import PASSWORD, csv_bytes, id_number, login

ROLL = [["1", "1", "101", "85.6", "", "", "张三", id_number(1), "13812345678", "否", "是"]]


def upload(client, compound_id, data, token, name="roll.csv", lang=None):
    url = f"/api/v1/admin/compounds/{compound_id}/roll" + (f"?lang={lang}" if lang else "")
    return client.post(url, data={"file": (io.BytesIO(data), name)},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def test_sign_in_with_a_wrong_password_is_refused_in_the_users_language(client, world):
    token = client.get("/api/v1/admin/session").get_json()["csrf_token"]
    response = client.post("/api/v1/admin/session?lang=en", json={"username": "committee_a", "password": "nope"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Wrong user name or password."
    response = client.post("/api/v1/admin/session", json={"username": "committee_a", "password": "nope"},
                           headers={"X-CSRFToken": token})
    assert response.get_json()["error"]["message"] == "用户名或密码错误。"


def test_a_write_without_the_csrf_token_is_refused(client, world):
    response = client.post("/api/v1/admin/session", json={"username": "committee_a", "password": PASSWORD})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "error.csrf"


def test_without_a_session_the_registry_is_closed(client, world):
    assert client.get("/api/v1/admin/compounds").status_code == 401


def test_a_county_official_sees_only_the_county(client, world):
    login(client, "county_a")
    names = [c["name"] for c in client.get("/api/v1/admin/compounds").get_json()]
    assert names == ["玉林小区"]


def test_another_countys_compound_is_not_found_not_forbidden(client, world):
    login(client, "county_a")
    response = client.get(f"/api/v1/admin/compounds/{world.compound_b.id}")
    assert response.status_code == 404
    missing = client.get("/api/v1/admin/compounds/999999")
    assert missing.status_code == 404


def test_the_city_sees_both_counties(client, world):
    login(client, "city")
    assert len(client.get("/api/v1/admin/compounds").get_json()) == 2


def test_committee_imports_its_roll_and_the_import_is_audited(client, world):
    token = login(client, "committee_a")
    response = upload(client, world.compound_a.id, csv_bytes(ROLL, encoding="gbk"), token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["dwellings_created"] == 1
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "roll.import")).one()
    assert entry.actor == "committee_a" and entry.after["filename"] == "roll.csv"


def test_a_bad_roll_names_row_and_column_in_english_and_imports_nothing(client, world):
    token = login(client, "committee_a")
    bad = [ROLL[0][:3] + ["-85"] + ROLL[0][4:]]
    response = upload(client, world.compound_a.id, csv_bytes(bad), token, lang="en")
    assert response.status_code == 422
    (detail,) = response.get_json()["error"]["details"]
    assert (detail["row"], detail["column"], detail["column_label"]) == (2, "registered_area", "registered area")
    assert "-85" in detail["message"]
    assert db.session.scalar(select(Dwelling.id)) is None


def test_a_county_official_cannot_import(client, world):
    token = login(client, "county_a")
    response = upload(client, world.compound_a.id, csv_bytes(ROLL), token)
    assert response.status_code == 403


def test_a_committee_cannot_import_into_another_community(client, world):
    token = login(client, "committee_a")
    assert upload(client, world.compound_b.id, csv_bytes(ROLL), token).status_code == 404
    assert db.session.scalar(select(Dwelling.id)) is None


def test_phones_are_masked_for_officials_and_shown_to_the_committee(client, world):
    token = login(client, "committee_a")
    upload(client, world.compound_a.id, csv_bytes(ROLL), token)
    owner = client.get(f"/api/v1/admin/compounds/{world.compound_a.id}/dwellings").get_json()[0]["owners"][0]
    assert owner["phone"] == "13812345678"
    assert owner["id_number"].startswith("5101") and "*" in owner["id_number"]
    client.delete("/api/v1/admin/session", headers={"X-CSRFToken": token})
    login(client, "county_a")
    dwelling = client.get(f"/api/v1/admin/compounds/{world.compound_a.id}/dwellings").get_json()[0]
    assert dwelling["owners"][0]["phone"] == "138****5678"
    assert dwelling["counted_area"] == "85.60"


def test_the_audit_log_is_for_administrators(client, world):
    login(client, "county_a")
    assert client.get("/api/v1/admin/audit").status_code == 403
    client2 = client.application.test_client()
    login(client2, "admin")
    actions = {e["action"] for e in client2.get("/api/v1/admin/audit?limit=500").get_json()}
    assert {"staff.create", "staff.login", "compound.create"} <= actions


def test_an_oversized_upload_is_refused(app, world):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    client = app.test_client()
    token = login(client, "committee_a")
    response = client.post(f"/api/v1/admin/compounds/{world.compound_a.id}/roll", data=b"x" * (2 * 1024 * 1024),
                           headers={"X-CSRFToken": token}, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "error.too_large"


def test_catalogue_names_follow_the_language(client, world):
    from core.catalogue import sync_base_catalogue
    sync_base_catalogue()
    db.session.commit()
    login(client, "committee_a")
    zh = {i["code"]: i["name"] for i in client.get("/api/v1/admin/catalogue").get_json()}
    en = {i["code"]: i["name"] for i in client.get("/api/v1/admin/catalogue?lang=en").get_json()}
    assert zh["I16"] == "加装电梯" and en["I16"] == "Adding lifts"


def test_guessing_passwords_is_slowed_down_in_the_users_language(client, world):
    token = client.get("/api/v1/admin/session").get_json()["csrf_token"]
    statuses = [client.post("/api/v1/admin/session?lang=en", json={"username": "committee_a", "password": "guess"},
                            headers={"X-CSRFToken": token}).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    blocked = client.post("/api/v1/admin/session?lang=en", json={"username": "committee_a", "password": PASSWORD},
                          headers={"X-CSRFToken": token})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_json()["error"]["message"]
