"""Projects through HTTP: staff keep the record, residents see it, report, pledge and accept."""
import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from notices.models import Notice
from notices.sender import drain
from projects import services as project_services
from simulator.sender import image_xml, text_xml
from tests.builders import Bot, bind_accounts, login, override_gate, roll_rows, roll_with_owner
from tests.builders import sign_in


@pytest.fixture
def staff(client, world):
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, roll_rows(4))
    db.session.commit()
    http = client.application.test_client()
    token = login(http, "committee_a")
    return http, {"X-CSRFToken": token}


def create(http, headers, world, **extra):
    body = dict({"name": "玉林小区综合改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}, **extra)
    response = http.post("/api/v1/admin/projects", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_progress_rolls_up_by_budget(staff, world):
    http, headers = staff
    pid = create(http, headers, world)
    lift = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I16", "budget": 90_000_000},
                     headers=headers).get_json()
    http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I03", "budget": 10_000_000},
              headers=headers)
    http.put(f"/api/v1/admin/projects/{pid}/items/{lift['id']}/progress", json={"progress": 50}, headers=headers)
    assert http.get(f"/api/v1/admin/projects/{pid}").get_json()["progress"] == 45


def test_progress_reads_the_same_in_the_panel_list_and_in_chat(staff, world, client, simulator):
    http, headers = staff
    create(http, headers, world, name="无分项的项目")  # listed at 0%; residents see the latest project
    pid = create(http, headers, world)
    lift = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I16", "budget": 90_000_000},
                     headers=headers).get_json()
    pipes = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I03", "budget": 10_000_000},
                      headers=headers).get_json()
    http.put(f"/api/v1/admin/projects/{pid}/items/{lift['id']}/progress", json={"progress": 33}, headers=headers)
    http.put(f"/api/v1/admin/projects/{pid}/items/{pipes['id']}/progress", json={"progress": 7}, headers=headers)
    # 90% of the budget at 33% and 10% at 7%: 30.4%, shown rounded down wherever it is read
    assert http.get(f"/api/v1/admin/projects/{pid}").get_json()["progress"] == 30
    listed = http.get("/admin/projects").get_data(as_text=True)
    assert "<td>30%</td>" in listed and "<td>0%</td>" in listed
    resident_of(client, simulator, world, openid="bot-progress")
    assert "已完成30%" in Bot(client).say(text_xml("bot-progress", "进度")).replace(" ", "")


def test_bad_progress_and_dates_are_refused_clearly(staff, world):
    http, headers = staff
    pid = create(http, headers, world)
    item = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I03"}, headers=headers).get_json()
    response = http.put(f"/api/v1/admin/projects/{pid}/items/{item['id']}/progress?lang=en", json={"progress": 120},
                        headers=headers)
    assert response.status_code == 422
    assert "0 to 100" in response.get_json()["error"]["details"][0]["message"]
    response = http.put(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                        json={"stage": "construction", "planned_start": "2026-06-01", "planned_end": "2026-05-01"})
    assert response.status_code == 422


def test_skipping_a_stage_needs_a_reason_and_residents_are_told(staff, world, simulator):
    http, headers = staff
    bind_accounts(world.compound_a.id, 3)
    pid = create(http, headers, world)
    skipped = http.post(f"/api/v1/admin/projects/{pid}/stages", json={"stage": "design"}, headers=headers)
    assert skipped.status_code == 422
    moved = http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                      json={"stage": "design", "reason": "列入2026年度计划，同步开展方案设计"})
    assert moved.status_code == 200 and moved.get_json()["stage"] == "design"
    drain()
    assert db.session.scalar(select(Notice.kind).where(Notice.scope_kind == "compound")) == "stage_change"
    from tests.builders import simulator_calls as calls
    sent = calls(simulator, "/cgi-bin/message/template/send")
    assert len(sent) == 3 and "共同设计" in sent[0]["body"]["data"]["thing2"]["value"]


def test_another_county_cannot_see_the_project(staff, world, client):
    http, headers = staff
    pid = create(http, headers, world)
    other = client.application.test_client()
    login(other, "county_b")
    assert other.get(f"/api/v1/admin/projects/{pid}").status_code == 404
    county = client.application.test_client()
    login(county, "county_a")
    assert county.get(f"/api/v1/admin/projects/{pid}").status_code == 200


def test_a_compound_slated_for_demolition_cannot_enter(staff, world):
    http, headers = staff
    world.compound_a.demolition = True
    db.session.commit()
    response = http.post("/api/v1/admin/projects", headers=headers,
                         json={"name": "x", "compound_ids": [world.compound_a.id]})
    assert response.status_code == 409


def resident_of(client, simulator, world, openid="res-1"):
    from core.models import Unit
    headers = sign_in(client, simulator, openid)
    unit_id = db.session.scalar(select(Unit.id))
    # roll_rows has no phones: bind through the committee's code instead
    staff = client.application.test_client()
    token = login(staff, "committee_a")
    from core.models import Dwelling
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.unit_id == unit_id))
    code = staff.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={},
                      headers={"X-CSRFToken": token}).get_json()["code"]
    assert client.post("/api/v1/me/binding/code", headers=headers, json={"code": code}).status_code == 200
    return headers


def test_residents_see_the_timeline_funding_and_milestones(staff, world, client, simulator):
    http, headers = staff
    pid = create(http, headers, world)
    http.post(f"/api/v1/admin/projects/{pid}/funding", json={"source": "central_subsidy", "amount": 50_000_000},
              headers=headers)
    import io
    from tests.builders import PNG
    added = http.post(f"/api/v1/admin/projects/{pid}/milestones", headers=headers, content_type="multipart/form-data",
                      data={"title": "外墙脚手架搭设完成", "photos": [(io.BytesIO(PNG), "site.png")]})
    assert added.status_code == 201 and added.get_json()["photos"][0].endswith(".png")
    me = resident_of(client, simulator, world)
    client.post("/api/v1/project/pledges", headers=me, json={"kind": "money", "amount": 100_000})
    timeline = client.get("/api/v1/project", headers=me).get_json()
    assert timeline["funding"] == {"central_subsidy": 50_000_000}  # a pledge is not money in hand
    assert timeline["contributions"] == {"pledged": 100_000, "received": 0}
    assert timeline["milestones"][0]["title"] == "外墙脚手架搭设完成"
    drain()
    inbox = client.get("/api/v1/inbox", headers=me).get_json()
    assert any("外墙脚手架" in entry["body"] for entry in inbox)
    assert client.post(f"/api/v1/inbox/{inbox[0]['id']}/read", headers=me).status_code == 204


def test_a_report_is_triaged_resolved_and_the_reporter_hears_back(staff, world, client, simulator):
    http, headers = staff
    create(http, headers, world)
    me = resident_of(client, simulator, world)
    report = client.post("/api/v1/reports", headers=me, data={"text": "脚手架挡住了消防通道"}).get_json()
    assert http.post(f"/api/v1/admin/reports/{report['id']}", json={"status": "assigned"},
                     headers=headers).status_code == 422  # who?
    http.post(f"/api/v1/admin/reports/{report['id']}", json={"status": "assigned", "assignee": "施工方王工"},
              headers=headers)
    http.post(f"/api/v1/admin/reports/{report['id']}", headers=headers,
              json={"status": "resolved", "answer": "已移开脚手架，通道畅通"})
    mine = client.get("/api/v1/reports", headers=me).get_json()[0]
    assert mine["status"] == "resolved" and mine["answer"] == "已移开脚手架，通道畅通"


def test_acceptance_invites_collects_views_and_starts_the_hooks(staff, world, client, simulator):
    http, headers = staff
    pid = create(http, headers, world)
    me = resident_of(client, simulator, world)
    assert client.put("/api/v1/project/acceptance", headers=me, data={"verdict": "accept"}).status_code == 409
    override_gate(client, pid)
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
              json={"stage": "acceptance", "reason": "示范项目，按计划推进"})
    assert client.put("/api/v1/project/acceptance", headers=me,
                      data={"verdict": "problems", "text": "3栋楼道灯不亮"}).status_code == 200
    started = []
    project_services.ACCEPTANCE_HOOKS.append(started.append)
    try:
        response = http.post(f"/api/v1/admin/projects/{pid}/acceptance", headers=headers, json={
            "note": "联合验收合格", "participants": [{"name": "王大爷", "role": "resident_rep"}]})
    finally:
        project_services.ACCEPTANCE_HOOKS.remove(started.append)
    assert response.status_code == 200 and response.get_json()["stage"] == "handover"
    assert [p.id for p in started] == [pid]
    kinds = db.session.scalars(select(Notice.kind).where(Notice.scope_kind == "compound")).all()
    assert "acceptance_invite" in kinds


def test_a_project_can_be_renamed_and_moved_to_the_city_reserve(staff, world):
    http, headers = staff
    pid = create(http, headers, world)
    response = http.patch(f"/api/v1/admin/projects/{pid}", json={"reserve_level": "city", "plan_year": 2027},
                          headers=headers)
    assert response.get_json()["reserve_level"] == "city" and response.get_json()["plan_year"] == 2027


def test_handover_without_acceptance_is_refused(staff, world):
    http, headers = staff
    pid = create(http, headers, world)
    response = http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                         json={"stage": "handover", "reason": "x"})
    assert response.status_code == 409


def test_notice_compose_and_delivery_report(staff, world, simulator):
    http, headers = staff
    bind_accounts(world.compound_a.id, 2)
    created = http.post("/api/v1/admin/notices", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "停水通知", "body": "明日停水"})
    assert created.status_code == 201 and created.get_json()["recipients"] == 2
    drain()
    report = http.get(f"/api/v1/admin/notices/{created.get_json()['id']}/report").get_json()
    assert report["by_state"] == [{"state": "sent", "channel": "template", "count": 2}]


def test_the_bot_tells_the_real_stage_and_takes_a_report_with_a_photo(staff, world, client, simulator):
    http, headers = staff
    pid = create(http, headers, world)
    http.post(f"/api/v1/admin/projects/{pid}/stages", json={"stage": "planned"}, headers=headers)
    http.put(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
             json={"stage": "design", "planned_start": "2027-01-10"})
    resident_of(client, simulator, world, openid="bot-res")
    bot = Bot(client)
    progress = bot.say(text_xml("bot-res", "进度"))
    assert "年度计划" in progress and "2027年1月10日（周日）" in progress
    bot.say(text_xml("bot-res", "反映问题"))
    bot.say(text_xml("bot-res", "工地晚上十点还在施工"))
    bot.say(image_xml("bot-res"))
    done = bot.say(text_xml("bot-res", "好"))
    assert "R0000" in done
    report = http.get("/api/v1/admin/reports").get_json()[0]
    assert report["photos"] == [] and "十点" in report["text"]  # the photo is still to be fetched from WeChat
    assert [note["state"] for note in report["chat_photos"]] == ["fetching"]
