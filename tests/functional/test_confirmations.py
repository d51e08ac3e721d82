"""Steps that cannot be undone ask first, through the real form, stating whom they reach; nothing happens
until the confirmation is sent, and the count told afterwards is the count reached."""
from sqlalchemy import func, select

from core.extensions import db
from notices.models import Notice
from surveys.models import Survey
from tests.builders import bind_accounts
from tests.builders import panel_post as post


def test_a_notice_states_how_many_residents_it_reaches_before_it_is_sent(committee, world):  # noqa: F811
    bind_accounts(world.compound_a.id, 3)
    form = dict(scope=f"compound:{world.compound_a.id}", title="停水通知", body="明天9点到12点停水",
                scheduled_at="2020-01-01T09:00")  # a time already past: sent at once, to the same 3
    asked = post(committee, "/admin/notices", "/admin/notices", **form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "将通过微信告知 玉林小区 已绑定的 3 位居民。" in html
    assert "该时间已过则立即发送" in html
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    sent = post(committee, "/admin/notices", "/admin/notices", confirmed="1", **form)
    assert sent.status_code == 302 and db.session.scalar(select(func.count(Notice.id))) == 1
    page = committee.get(sent.headers["Location"]).get_data(as_text=True)
    assert "3 位居民" in page


def test_opening_a_survey_asks_first(committee, world):  # noqa: F811
    from surveys import services as surveys
    from surveys.texts import labels
    survey = surveys.generate_codesign(world.committee_a, world.compound_a.id, labels(), {})
    db.session.commit()
    path = f"/admin/surveys/{survey.id}"
    asked = post(committee, f"{path}/open", path, opens_at="2026-01-01T10:00", closes_at="2099-01-01T10:00")
    assert asked.status_code == 200 and "确定，发布问卷" in asked.get_data(as_text=True)
    assert db.session.get(Survey, survey.id).state == "draft"
    opened = post(committee, f"{path}/open", path, opens_at="2026-01-01T10:00", closes_at="2099-01-01T10:00",
                  confirmed="1")
    assert opened.status_code == 302
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).state == "open"
