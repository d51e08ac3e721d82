"""The mini-program API against the WeChat simulator: sign-in, phone, binding, wishes."""
import io
import threading

import pytest
import requests
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import ResidentSession, Unit
from core.wechat import wechat
from notices.models import Delivery
from notices.sender import drain
from tests.builders import PNG, id_number, login, roll_with_owner, sign_in, wish_counts_hold

ROWS = [["1", "2", "501", "85.6", "", "", "张三", id_number(1), "13812345678", "否", "是"]]
@pytest.fixture
def owner(client, simulator, world):
    """A resident signed in and bound to room 501 as its owner."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, ROWS)
    headers = sign_in(client, simulator, "mini-owner")
    unit_id = db.session.scalar(select(Unit.id))
    bound = client.post("/api/v1/me/binding/room", headers=headers,
                        json={"unit_id": unit_id, "room": "501", "phone_last4": "5678"})
    assert bound.get_json() == {"outcome": "household"}
    return headers


def test_sign_in_gives_our_own_token_and_keeps_the_session_key(client, simulator, world):
    headers = sign_in(client, simulator, "o-mini-1")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["bound"] is False
    stored = db.session.scalars(select(ResidentSession)).one()
    assert headers["Authorization"][7:] not in (stored.token_hash, stored.session_key_enc)
    assert "session_key" not in str(me)


def test_a_login_code_works_once(client, simulator, world):
    code = requests.post(f"{simulator.url}/sim/login-code", json={"openid": "o2"}, timeout=5).json()["code"]
    assert client.post("/api/v1/auth/login", json={"code": code}).status_code == 200
    again = client.post("/api/v1/auth/login", json={"code": code})
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "auth.bad_code"


def test_code_to_session_fetches_no_access_token(client, simulator, world):
    sign_in(client, simulator, "o3")
    assert simulator.state.token_fetches == 0


@pytest.mark.parametrize("header", [None, "Bearer forged-token", "Basic abc"])
def test_forged_or_missing_tokens_are_refused(client, world, header):
    headers = {"Authorization": header} if header else {}
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_revoked_token_stops_working(client, simulator, world):
    headers = sign_in(client, simulator, "o4")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused(client, simulator, world):
    headers = sign_in(client, simulator, "o5")
    from datetime import timedelta
    from core.models import utcnow
    session = db.session.scalars(select(ResidentSession)).one()
    session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_phone_number_comes_from_wechat(client, simulator, world):
    headers = sign_in(client, simulator, "o6")
    code = requests.post(f"{simulator.url}/sim/phone-code", json={"phone": "13700001234"}, timeout=5).json()["code"]
    response = client.post("/api/v1/me/phone", headers=headers, json={"code": code})
    assert response.status_code == 200 and response.get_json()["phone_bound"] is True
    assert client.post("/api/v1/me/phone", headers=headers, json={"code": code}).status_code == 422


def test_a_wish_with_a_photo_is_filed_and_only_its_author_sees_it(client, simulator, owner):
    response = client.post("/api/v1/wishes", headers=owner, content_type="multipart/form-data",
                           data={"text": "单元门口路灯不亮", "photos": [(io.BytesIO(PNG), "a.png")],
                                 "latitude": "30.64", "longitude": "104.04"})
    assert response.status_code == 201, response.get_data(as_text=True)
    wish = response.get_json()
    assert wish["suggested_codes"][0] == "I03" and wish["photos"][0].endswith(".png")
    assert [w["id"] for w in client.get("/api/v1/wishes", headers=owner).get_json()] == [wish["id"]]
    stranger = sign_in(client, simulator, "stranger")
    assert client.get(f"/api/v1/wishes/{wish['id']}", headers=stranger).status_code == 404


def test_an_unbound_resident_cannot_file_a_wish(client, simulator, world):
    headers = sign_in(client, simulator, "o7")
    response = client.post("/api/v1/wishes", headers=headers, data={"text": "修路"},
                           content_type="multipart/form-data")
    assert response.status_code == 403


@pytest.mark.parametrize("name,data", [("fake.jpg", b"GIF89a not a jpeg"),
                                       ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))])
def test_a_photo_of_the_wrong_type_or_size_is_refused(client, owner, name, data):
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart
    # Encoded here as bytes: werkzeug's test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(MultiDict([("text", "修路"), ("photos", FileStorage(io.BytesIO(data), name))]))
    response = client.post("/api/v1/wishes", headers=owner, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert client.get("/api/v1/wishes", headers=owner).get_json() == []


def test_staff_classify_count_and_answer_and_the_answer_reaches_wechat(client, simulator, owner):
    from simulator.sender import text_xml
    from tests.builders import Bot
    Bot(client).say(text_xml("mini-owner", "帮助"))  # the resident wrote recently: inside the window
    wish_id = client.post("/api/v1/wishes", headers=owner, data={"text": "电梯"},
                          content_type="multipart/form-data").get_json()["id"]
    staff = client.application.test_client()
    token = login(staff, "committee_a")
    headers = {"X-CSRFToken": token}
    compound_id = db.session.scalar(select(Unit)).building.compound_id
    assert wish_counts_hold() == {(compound_id, ""): 1}
    assert staff.post(f"/api/v1/admin/wishes/{wish_id}/classify", json={"catalogue_code": "I16"},
                      headers=headers).status_code == 200
    assert wish_counts_hold() == {(compound_id, "I16"): 1}
    assert staff.get(f"/api/v1/admin/wishes/counts?compound_id={compound_id}").get_json() == {"counts": {"I16": 1}}
    answered = staff.post(f"/api/v1/admin/wishes/{wish_id}/answer", json={"text": "已列入一区一策方案"},
                          headers=headers)
    assert answered.status_code == 200
    assert drain() == 1
    sent = requests.get(f"{simulator.url}/sim/calls", params={"path": "/cgi-bin/message/custom/send"},
                        timeout=5).json()
    assert sent[0]["body"]["touser"] == "mini-owner"
    assert "已列入一区一策方案" in sent[0]["body"]["text"]["content"]
    assert db.session.scalars(select(Delivery.state)).one() == "sent"
    mine = client.get(f"/api/v1/wishes/{wish_id}", headers=owner).get_json()
    assert mine["status"] == "answered" and mine["answer"] == "已列入一区一策方案"
    assert wish_counts_hold() == {(compound_id, "I16"): 1}


def test_another_community_cannot_see_or_answer_the_wish(client, owner):
    wish_id = client.post("/api/v1/wishes", headers=owner, data={"text": "电梯"},
                          content_type="multipart/form-data").get_json()["id"]
    staff = client.application.test_client()
    token = login(staff, "committee_b")
    assert staff.get("/api/v1/admin/wishes").get_json() == []
    assert staff.post(f"/api/v1/admin/wishes/{wish_id}/answer", json={"text": "x"},
                      headers={"X-CSRFToken": token}).status_code == 404


def test_a_rejected_token_is_renewed_once_without_a_storm(app, simulator):
    client = wechat()
    client.call(client.client.message.send_text, "o1", "warm-up")
    assert simulator.state.token_fetches == 1
    requests.post(f"{simulator.url}/sim/revoke-tokens", timeout=5)  # every call with the old token gets 40001
    errors = []

    def send(n):
        with app.app_context():
            try:
                client.call(client.client.message.send_text, f"o{n}", "hello")
            except Exception as exc:  # noqa: BLE001 - collected for the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert simulator.state.token_fetches == 2  # one refresh for all eight refusals


def test_timeouts_are_retried_then_reported(app, simulator):
    from core.wechat import WeChatError
    client = wechat()
    client.timeout = (1, 0.3)
    client.client.timeout = (1, 0.3)
    client.backoff = 0.01
    requests.post(f"{simulator.url}/sim/inject",
                  json={"path": "/cgi-bin/message/custom/send", "delay": 0.6, "times": 1}, timeout=5)
    client.call(client.client.message.send_text, "o1", "after one timeout")  # retried and delivered
    requests.post(f"{simulator.url}/sim/inject",
                  json={"path": "/cgi-bin/message/custom/send", "delay": 0.6, "times": 3}, timeout=5)
    with pytest.raises(WeChatError) as caught:
        client.call(client.client.message.send_text, "o1", "never")
    assert caught.value.errcode is None and caught.value.transient
