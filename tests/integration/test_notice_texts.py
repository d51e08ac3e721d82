"""Every kind of push, as rendered for a resident: readable alone, within WeChat's field limits, in Beijing time."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core.models import Unit
from notices.fitting import LIMITS, fit_data, push_fields
from notices.models import Notice
from notices.texts import KINDS, full_text, render
from tests.builders import id_number

ROLL = [["1", "2", "501", "85", "", "", "张三", id_number(1), "13812345678", "否", "是"]]
CLOSES = datetime(datetime.now().year, 12, 9, 10, 0, tzinfo=timezone.utc)  # 18:00 in Beijing
WEEKDAY = "一二三四五六日"[CLOSES.weekday()]
SAMPLES = {
    "vote_open": {"title": "2单元加装电梯", "where": "玉林小区 1栋2单元", "closes_at": CLOSES.isoformat()},
    "vote_reminder": {"title": "2单元加装电梯", "where": "玉林小区 1栋2单元", "closes_at": CLOSES.isoformat()},
    "vote_result": {"title": "2单元加装电梯", "approved": True},
    "survey_open": {"title": "玉林小区改造意见征集", "closes_at": CLOSES.isoformat()},
    "survey_reminder": {"title": "玉林小区改造意见征集", "closes_at": CLOSES.isoformat()},
    "wish_answer": {"reference": "W000001", "answer": "王阿姨您好，楼道灯已列入本次改造，12月中旬施工。"},
    "report_answer": {"reference": "R000002", "answer": "已安排施工方当天清理建筑垃圾。"},
    "stage_change": {"project": "玉林小区改造", "stage": "construction"},
    "milestone": {"project": "玉林小区改造", "title": "外墙保温完成"},
    "acceptance_invite": {"project": "玉林小区改造"},
    "staff_stage_overdue": {"project": "玉林小区综合改造", "stage": "construction", "planned_end": "2026-11-25"},
    "staff_finding_open": {"project": "玉林小区综合改造", "text": "脚手架未挂安全网", "found_at": CLOSES.isoformat()},
    "staff_report_escalated": {"reference": "R000002", "compound": "玉林小区", "text": "楼道堆放建筑垃圾",
                               "due_at": CLOSES.isoformat()},
    "staff_warranty_defect": {"project": "玉林小区综合改造", "reference": "D000004", "text": "雨后1栋门口积水",
                              "contractor": "四川华西建筑公司 李工 13800000000",
                              "link": "http://127.0.0.1:5000/public/defects/abc"},
    "staff_defect_rectified": {"project": "玉林小区综合改造", "reference": "D000004", "text": "雨后1栋门口积水",
                               "link": "http://127.0.0.1:5000/public/defects/abc"},
    "staff_proxy_lapsed": {"title": "2单元加装电梯", "compound": "玉林小区", "home": "1-2-501", "reason": "signer_left",
                           "closes_at": CLOSES.isoformat(), "urgent": True},
    "election_open": {"title": "第一届业主委员会选举", "where": "玉林小区", "seats": 5, "candidates": 7,
                      "closes_at": CLOSES.isoformat()},
    "wish_step": {"reference": "W000001", "step": {"kind": "item", "key": "item:1", "at": CLOSES.isoformat(),
                                                   "params": {"project": "玉林小区改造", "item": "照明",
                                                              "progress": 40}}},
    "publicity_open": {"title": "玉林小区改造方案公示", "ends_at": CLOSES.isoformat()},
    "objection_answer": {"title": "玉林小区改造方案公示", "reference": "O000003",
                         "answer": "已按您的意见调整停车位布置。"},
    "chat_photo_refused": {"kind": "wish", "reference": "W000001", "reason": "too_large"},
    "free_text": {"title": "停水通知", "body": "因楼道改造施工，12月2日（周三）9:00-12:00停水，请提前储水。"},
}


def notice(kind, unit_id):
    return Notice(id=1, kind=kind, params=SAMPLES[kind], scope_kind="unit", scope_id=unit_id,
                  created_at=datetime(2026, 11, 26, 20, 21, tzinfo=timezone.utc))


def test_every_registered_kind_has_a_sample():
    import publicity.services  # noqa: F401 - registers its kinds
    import stories.services  # noqa: F401 - registers its kind
    assert set(KINDS) <= set(SAMPLES)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_each_push_fits_wechats_fields_and_reads_alone(app, world, locale):
    from core.extensions import db
    from tests.builders import roll_with_owner
    import publicity.services  # noqa: F401 - registers its kinds
    import stories.services  # noqa: F401 - registers its kind
    roll_with_owner(world.compound_a.id, ROLL)
    unit_id = db.session.scalar(select(Unit.id))
    for kind in sorted(SAMPLES):
        item = notice(kind, unit_id)
        words = render(item, locale)
        assert words.title and words.body, kind
        fields = push_fields(words.title, words.where, words.detail, words.body, words.when or item.created_at,
                             layouts=words.layouts)  # as the sender fits them
        data = fit_data(fields)
        for key, value in data.items():
            kind_of_field = key.rstrip("0123456789")
            if kind_of_field in LIMITS:
                assert len(value["value"]) <= LIMITS[kind_of_field], (kind, key, value)
        # Beijing time: the stored 20:21 UTC is 04:21 the next morning; a deadline of 10:00 UTC is 18:00.
        assert data["time3"]["value"] in ("2026年11月27日 04:21", f"{CLOSES.year}年12月9日 18:00"), kind
        assert "20:21" not in full_text(words, locale), kind
        if "closes_at" in SAMPLES[kind]:
            deadline = (f"12月9日（周{WEEKDAY}）晚上6:00" if locale == "zh_Hans_CN"
                        else f"{CLOSES.strftime('%a')} 9 Dec, 6:00 pm")
            assert deadline in words.body, (kind, words.body)


def test_a_water_cut_keeps_what_where_and_when(app, world):
    from tests.builders import roll_with_owner
    from core.extensions import db
    roll_with_owner(world.compound_a.id, ROLL)
    item = notice("free_text", db.session.scalar(select(Unit.id)))
    words = render(item, "zh_Hans_CN")
    fields = {k: v["value"] for k, v in fit_data(push_fields(words.title, words.where, words.detail, words.body,
                                                             words.when or item.created_at)).items()}
    assert fields == {"thing1": "停水通知：玉林小区 1栋2单元", "thing2": "12月2日9:00-12:00停水",
                      "time3": "2026年11月27日 04:21"}
