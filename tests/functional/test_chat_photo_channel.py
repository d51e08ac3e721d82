"""Only the chat turn may name a photo WeChat still holds ('wx-media:<id>'): a wish, an on-site report, an
objection or any other record with photos, reached through another door or a crafted call, is refused with a
field error, saves nothing and has nothing fetched from WeChat. The chat itself still sends its photos (see
test_chat_photos.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.extensions import db
from core.http_errors import describe_fault
from core.models import ChatPhoto, WechatAccount, utcnow
from projects.models import AcceptanceView, Defect, SiteReport
from publicity.models import Objection
from tests.builders import bound_resident as resident
from tests.builders import override_gate
from wishes.models import Wish

CRAFTED = ["wx-media:xyz"]
RECORDS = (Wish, SiteReport, Objection, AcceptanceView, Defect, ChatPhoto)


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in RECORDS}


def open_plan_publicity(http, headers, pid):
    starts = utcnow() - timedelta(minutes=1)
    made = http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(), "summary": "楼道改造"})
    assert made.status_code == 201, made.get_data(as_text=True)


def test_the_mini_program_doors_take_no_wechat_media_reference(client, project, simulator):
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["101"], "door-101")
    open_plan_publicity(http, headers, pid)
    period_id = client.get("/api/v1/publicity", headers=me).get_json()[0]["id"]
    before = counts()
    for path in ("/api/v1/wishes", "/api/v1/reports", f"/api/v1/publicity/{period_id}/objections"):
        response = client.post(path, headers=me, content_type="multipart/form-data",
                               data={"text": "楼道灯坏了", "photos": CRAFTED})
        assert response.status_code == 422, path
        assert [d["field"] for d in response.get_json()["error"]["details"]] == ["photos"]
    assert counts() == before
    assert not [c for c in simulator.state.calls if c["path"] == "/cgi-bin/media/get"]


def test_no_service_takes_a_wechat_media_reference_but_from_the_chat(client, world, project, simulator):
    from projects import services as projects
    from projects import works
    from publicity import services as publicity
    from wishes import services as wishes
    http, headers, pid, rooms = project
    resident(client, simulator, http, headers, rooms["101"], "crafted-101")
    open_plan_publicity(http, headers, pid)
    account = WechatAccount.query.filter_by(openid="crafted-101").one()
    period_id = client.get("/api/v1/publicity", headers=resident(
        client, simulator, http, headers, rooms["102"], "reader-102")).get_json()[0]["id"]
    calls = {
        "wish": lambda: wishes.file_wish(account, "miniprogram", text="楼道灯坏了", photos=CRAFTED),
        "report": lambda: projects.report_problem(account, "工地晚上十点还在施工", photos=CRAFTED),
        "objection": lambda: publicity.lodge_objection(account, period_id, "灯装在了我家门口", CRAFTED),
        "a later channel": lambda: wishes.file_wish(account, "kiosk", text="楼道灯坏了", photos=CRAFTED),
    }
    for what, call in calls.items():
        before = counts()
        with pytest.raises(InvalidInput) as refused:
            call()
        db.session.rollback()
        (fault,) = refused.value.errors
        assert fault["field"] == "photos" and fault["key"] == "photo.chat_only", what
        with client.application.test_request_context(headers={"Accept-Language": "zh-CN"}):
            assert "聊天" in describe_fault(fault)["message"]
        assert counts() == before, what

    # photos added later, and the records that never take chat photos, refuse them as well
    wish = wishes.file_wish(account, "miniprogram", text="楼道灯坏了")
    objection = publicity.lodge_objection(account, period_id, "灯装在了我家门口")
    db.session.commit()
    override_gate(client, pid)
    assert http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                     json={"stage": "acceptance", "reason": "示范项目"}).status_code == 200
    later = {
        "wish photo": lambda: wishes.add_wish_photos(account, wish.id, CRAFTED),
        "objection photo": lambda: publicity.add_objection_photos(account, objection.id, CRAFTED),
        "acceptance view": lambda: projects.record_view(account, "problems", "楼道灯不亮", CRAFTED),
        "milestone": lambda: projects.add_milestone(world.county_staff_a, pid, "脚手架搭好", photos=CRAFTED),
        "inspection": lambda: works.record_inspection(world.county_staff_a, pid, "official", "检查员",
                                                      findings=["漏水"], photos=CRAFTED),
    }
    for what, call in later.items():
        before = counts()
        with pytest.raises(InvalidInput) as refused:
            call()
        db.session.rollback()
        assert refused.value.errors[0]["key"] == "photo.chat_only", what
        assert counts() == before, what
    assert db.session.get(Wish, wish.id).photos == [] and db.session.get(Objection, objection.id).photos == []
    assert not [c for c in simulator.state.calls if c["path"] == "/cgi-bin/media/get"]
