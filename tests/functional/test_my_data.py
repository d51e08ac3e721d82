"""A resident sees and saves what the service holds about them: their own, masked, nothing of others."""
from tests.builders import login, roll_with_owner
from tests.builders import sign_in
from tests.builders import STAIRWELL_ROWS as ROWS


def test_a_resident_exports_their_own_data(client, world, simulator):
    from core.catalogue import sync_base_catalogue
    from core.extensions import db
    from core.models import Dwelling
    from sqlalchemy import select
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, ROWS)
    staff = client.application.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    dwelling = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "103"))
    code = staff.post(f"/api/v1/admin/dwellings/{dwelling}/binding-codes", json={}, headers=headers).get_json()["code"]
    me = sign_in(client, simulator, "li-si")
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code}).status_code == 200
    assert client.post("/api/v1/wishes", headers=me, content_type="multipart/form-data",
                       data={"text": "楼道灯坏了"}).status_code == 201
    other = sign_in(client, simulator, "someone-else")
    client.post("/api/v1/wishes", headers=other, content_type="multipart/form-data", data={"text": "别人的诉求"})
    response = client.get("/api/v1/me/data", headers=me)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["openid"] == "li-si" and data["account"]["home"]["room"] == "103"
    assert data["person"]["name"] == "李四" and data["person"]["phone"] == "138****0003"
    assert "*" in data["person"]["id_number"] and "13800000003" not in response.get_data(as_text=True)
    assert [w["text"] for w in data["wishes"]] == ["楼道灯坏了"]
    assert client.get("/api/v1/me/data").status_code == 401
