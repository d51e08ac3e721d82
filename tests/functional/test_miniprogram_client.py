"""The mini-program (miniprogram/) tested with Tencent's miniprogram-simulate under jest: its pages and
components, its package size, its calls against the OpenAPI document, and its pages driven end to end against
this service on a loopback port and the WeChat simulator, on SQLite and PostgreSQL."""
import io
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Dwelling, utcnow
from notices.sender import drain
from tests.builders import LiveServer, id_number, login, roll_with_owner, rooms_on_record
from wishes.models import Wish

pytestmark = pytest.mark.slow


MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
ROWS = [["1", "2", "501", "85.6", "", "", "张三", id_number(1), "13812345678", "否", "是"]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n% lift plan\n"
SURVEY = {"sections": [{"id": "s1", "title": "加装电梯", "questions": [
    {"id": "want", "type": "single", "title": "您家需要加装电梯吗？", "required": True,
     "options": [{"id": "yes", "label": "需要"}, {"id": "no", "label": "不需要"}]},
    {"id": "lift", "type": "single", "title": "选哪种电梯？", "required": True,
     "options": [{"id": "a", "label": "平层入户"}, {"id": "b", "label": "半层入户"}],
     "show_if": {"question": "want", "op": "equals", "value": "yes"}},
    {"id": "how", "type": "rating", "title": "您对方案满意吗？"},
    {"id": "pay", "type": "number", "title": "您愿意出多少钱？", "unit": "元", "min": 0, "max": 100000},
    {"id": "grid", "type": "matrix", "title": "各项评价", "rows": [{"id": "r1", "label": "噪音"}],
     "scale": [{"id": "good", "label": "好"}, {"id": "bad", "label": "不好"}]},
    {"id": "words", "type": "text", "title": "还有什么想说的？", "required": True},
    {"id": "snap", "type": "photo", "title": "拍一下您家楼道"}]}]}


def _jest(*args, env=None, timeout=600):
    """Run jest in miniprogram/ (skipped without Node or `npm ci`; a failure under CI=true)."""
    if shutil.which("node") is None or not (MINIPROGRAM / "node_modules" / ".bin" / "jest").exists():
        message = "Node.js and `npm ci` in miniprogram/ are needed for the mini-program's tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    command = [str(MINIPROGRAM / "node_modules" / ".bin" / "jest"), "--ci", *args]
    result = subprocess.run(command, cwd=MINIPROGRAM, env={**os.environ, **(env or {})}, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[:12000]
    return result


def test_pages_and_components_and_the_package_size():
    _jest("tests/unit")


def test_the_mini_programs_words_are_the_catalogs_compiled():
    """miniprogram/lib/messages.js is what `flask translate miniprogram` writes from locale/ now: a message
    added to the mini-program or a translation changed in a catalog without running it fails here."""
    from core.cli import MINIPROGRAM_MESSAGES, miniprogram_messages_module
    assert MINIPROGRAM_MESSAGES.read_text(encoding="utf-8") == miniprogram_messages_module(), (
        "miniprogram/lib/messages.js is out of date with the catalogs: run `flask translate miniprogram`")


def test_every_call_the_client_makes_is_documented(app, database, tmp_path):
    if database["kind"] != "sqlite":
        pytest.skip("the document does not depend on the database")
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _jest("tests/contract", env={"GONGJIAN_OPENAPI": str(path)})


def _seed(app, client, world, simulator, server, tmp_path):
    """What the committee has done before the resident opens the mini-program, through the staff API."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, ROWS)
    staff = app.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    dwelling = db.session.scalars(select(Dwelling)).one()
    code = staff.post(f"/api/v1/admin/dwellings/{dwelling.id}/binding-codes", json={}, headers=headers)
    assert code.status_code == 201 or code.status_code == 200, code.get_data(as_text=True)
    now = utcnow()
    window = {"opens_at": (now - timedelta(minutes=1)).isoformat(),
              "closes_at": (now + timedelta(days=7)).isoformat()}
    vote = staff.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "unit", "scope_id": dwelling.unit_id, "matter": "rebuild", "title": "1栋2单元加装电梯",
        "text": "加装电梯方案及费用分摊见附件。"}).get_json()
    attached = staff.post(f"/api/v1/admin/votes/{vote['id']}/documents", headers=headers,
                          content_type="multipart/form-data",
                          data={"title": "加装电梯方案", "file": (io.BytesIO(PDF), "plan.pdf")})
    assert attached.status_code == 201, attached.get_data(as_text=True)
    opened = staff.post(f"/api/v1/admin/votes/{vote['id']}/open", headers=headers, json=window)
    assert opened.status_code == 200, opened.get_data(as_text=True)
    survey = staff.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "加装电梯意见征集",
        "definition": SURVEY}).get_json()
    opened = staff.post(f"/api/v1/admin/surveys/{survey['id']}/open", headers=headers, json=window)
    assert opened.status_code == 200, opened.get_data(as_text=True)
    project = staff.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id], "plan_year": 2026})
    assert project.status_code == 201, project.get_data(as_text=True)
    drain()  # what was announced before the resident arrived is delivered before
    photo, photo2 = tmp_path / "light.png", tmp_path / "stairs.png"
    photo.write_bytes(PNG)
    photo2.write_bytes(PNG + b"\1")
    seed = {"base": server.url, "simulator": simulator.url, "openid": "mini-e2e",
            "binding_code": code.get_json()["code"],
            "compound": world.compound_a.name, "room": "501", "vote_id": vote["id"], "vote_title": vote["title"],
            "survey_id": survey["id"], "catalogue_code": "B05", "photo": str(photo), "photo2": str(photo2),
            "templates": [app.config["NOTICE_SUBSCRIBE_TEMPLATE"]]}
    fixture = tmp_path / "e2e.json"
    fixture.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return staff, headers, seed, fixture


def test_a_resident_uses_the_mini_program_against_the_real_service(app, client, world, simulator, tmp_path):
    with LiveServer(app) as server:
        staff, headers, seed, fixture = _seed(app, client, world, simulator, server, tmp_path)
        _jest("tests/e2e/resident.test.js", env={"GONGJIAN_E2E": str(fixture)})

        db.session.expire_all()
        wish = db.session.scalars(select(Wish)).one()
        assert wish.catalogue_code == "B05" and len(wish.photos) == 2 and "楼道灯坏了" in wish.text
        receipt = json.loads(Path(str(fixture) + ".out").read_text())["receipt"]
        from votes.models import Ballot
        ballot = db.session.scalars(select(Ballot)).one()
        assert (ballot.choice, ballot.receipt, ballot.channel) == ("disagree", receipt, "miniprogram")
        from surveys.models import SurveyResponse
        response = db.session.scalars(select(SurveyResponse)).one()
        assert response.answers["pay"] == 2000 and response.answers["lift"] == "b"
        (snap,) = response.answers["snap"]
        assert (Path(app.config["UPLOAD_FOLDER"]) / snap).read_bytes() == PNG
        from contributions.models import Contribution
        pledge = db.session.scalars(select(Contribution)).one()
        assert (pledge.kind, pledge.amount, pledge.state) == ("money", 30007, "cancelled")
        from notices.models import SubscriptionEvent
        assert db.session.scalars(select(SubscriptionEvent)).all(), "the acceptance reached the ledger"

        answered = staff.post(f"/api/v1/admin/wishes/{wish.id}/answer", headers=headers,
                              json={"text": "楼道灯已安排电工本周四更换。"})
        assert answered.status_code == 200, answered.get_data(as_text=True)
        drain()
        pushes = [c["body"] for c in simulator.state.calls if c["path"] == "/cgi-bin/message/subscribe/send"]
        push = pushes[-1]
        assert push["touser"] == "mini-e2e" and "楼道灯已安排" in json.dumps(push, ensure_ascii=False)
        seed.update(notice_title="诉求答复", notice_text="楼道灯已安排电工本周四更换。", push_page=push["page"])
        fixture.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        _jest("tests/e2e/notice.test.js", env={"GONGJIAN_E2E": str(fixture)})

        # The resident deleted their data from the mini-program last: the words are gone, the ballot stays.
        db.session.expire_all()
        assert db.session.get(Wish, wish.id).text == ""
        assert db.session.scalars(select(Ballot)).one().receipt == receipt


def test_a_published_result_is_shown_to_residents_in_scope_only(app, client, world, simulator, tmp_path):
    from tests.builders import sign_in
    staff, headers, seed, _fixture = _seed(app, client, world, simulator, type("S", (), {"url": ""})(), tmp_path)
    me = sign_in(client, simulator, "result-reader")
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": seed["binding_code"]}).status_code == 200
    vote_id = seed["vote_id"]
    assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"}).status_code == 200
    assert client.get(f"/api/v1/votes/{vote_id}/result", headers=me).status_code == 404  # not published yet
    assert staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code == 200
    published = staff.post(f"/api/v1/admin/votes/{vote_id}/publish", headers=headers, json={})
    assert published.status_code == 200, published.get_data(as_text=True)
    body = client.get(f"/api/v1/votes/{vote_id}/result", headers=me).get_json()
    assert body["vote"]["title"] == "1栋2单元加装电梯" and body["vote"]["publicity_ends_at"]
    assert body["result"]["agree_heads"] == 1 and body["result"]["details"] is None
    stranger = sign_in(client, simulator, "unbound-stranger")
    assert client.get(f"/api/v1/votes/{vote_id}/result", headers=stranger).status_code == 404


def test_an_owner_of_two_flats_verifies_and_casts_once_in_the_mini_program(app, client, world, simulator, tmp_path):
    from core import registry
    from tests.builders import ROLL_HEADER, csv_bytes
    owner = id_number(2)
    rows = [["1", "2", room, "80", "", "", "李四", owner, "13900001234", "否", "是", f"川2020成都不动产权第{room}号"]
            for room in ("501", "502")]
    registry.import_roll(None, world.compound_a.id, csv_bytes(rows, header=[*ROLL_HEADER, "不动产权证号"]), "roll.csv")
    db.session.commit()
    staff = app.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    unit_id = db.session.scalars(select(Dwelling.unit_id)).first()
    now = utcnow()
    # A lift for the stairwell: 300,000.01 yuan, less 100,000.00 of subsidy and 0.01 from the provident fund.
    scheme = staff.post("/api/v1/admin/lifts/schemes", headers=headers, json={
        "unit_id": unit_id, "title": "1栋2单元加装电梯", "total_cost": 30_000_001, "subsidy": 10_000_000,
        "provident_fund": 1, "coefficients": {"5": "1"}})
    assert scheme.status_code == 201, scheme.get_data(as_text=True)
    scheme = scheme.get_json()
    opened = staff.post(f"/api/v1/admin/lifts/schemes/{scheme['id']}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    rooms = rooms_on_record()
    share = scheme["shares"][str(rooms["501"])]
    with LiveServer(app) as server:
        seed = {"base": server.url, "simulator": simulator.url, "openid": "mini-owner-2", "unit_id": unit_id,
                "phone_last4": "1234", "id_number": owner, "certificate_no": "川2020成都不动产权第501号",
                "vote_id": scheme["vote_id"], "flat_502": rooms["502"], "compound": world.compound_a.name,
                "share_yuan": f"{share // 100:,}.{share % 100:02d}"}
        fixture = tmp_path / "owner.json"
        fixture.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        _jest("tests/e2e/owner.test.js", env={"GONGJIAN_E2E": str(fixture)})
    from votes.models import Ballot
    db.session.expire_all()
    assert sorted(b.choice for b in db.session.scalars(select(Ballot))) == ["agree", "agree"]


def test_publicity_and_an_objection_with_photos_in_the_mini_program(app, client, world, simulator, tmp_path):
    from publicity.models import Objection, Publicity
    from tests.builders import sign_in
    with LiveServer(app) as server:
        staff, headers, seed, fixture = _seed(app, client, world, simulator, server, tmp_path)
        me = sign_in(client, simulator, seed["openid"])
        bound = client.post("/api/v1/me/binding/code", headers=me, json={"code": seed["binding_code"]})
        assert bound.status_code == 200
        vote_id = seed["vote_id"]
        assert client.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": "agree"}).status_code == 200
        assert staff.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code == 200
        assert staff.post(f"/api/v1/admin/votes/{vote_id}/publish", headers=headers, json={}).status_code == 200
        period = db.session.scalars(select(Publicity).where(Publicity.subject_kind == "vote_result")).one()
        seed.update(publicity_id=period.id, phase="object")
        fixture.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        _jest("tests/e2e/publicity.test.js", env={"GONGJIAN_E2E": str(fixture)})

        db.session.expire_all()
        objection = db.session.scalars(select(Objection)).one()
        assert objection.text == "电梯井挡住我家窗户" and len(objection.photos) == 2
        # Nobody adds photos to another's objection, nor answers a survey photo question outside its audience.
        stranger = sign_in(client, simulator, "publicity-stranger")
        assert client.post(f"/api/v1/publicity/objections/{objection.id}/photos", headers=stranger,
                           data={"photos": (io.BytesIO(PNG), "p.png")}, content_type="multipart/form-data"
                           ).status_code == 404
        assert client.post(f"/api/v1/surveys/{seed['survey_id']}/photos", headers=stranger,
                           data={"photos": (io.BytesIO(PNG), "p.png")}, content_type="multipart/form-data"
                           ).status_code == 403
        assert client.get(f"/api/v1/units/{world.compound_a.id + 10**6}", headers=me).status_code == 404
        answered = staff.post(f"/api/v1/admin/publicity/{period.id}/objections/{objection.id}/answer", headers=headers,
                              json={"answer": "电梯井将移到楼梯间一侧。"})
        assert answered.status_code == 200, answered.get_data(as_text=True)
        seed.update(phase="answered")
        fixture.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        _jest("tests/e2e/publicity.test.js", env={"GONGJIAN_E2E": str(fixture)})
