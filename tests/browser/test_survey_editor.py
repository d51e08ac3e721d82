"""The survey editor in Chromium: questions and conditions in words, results in their own tab, each
question with the chart its type calls for."""
import re

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Building
from surveys import services as surveys
from surveys.models import Survey
from tests.builders import browser_sign_in as sign_in
from tests.builders import screenshot
from tests.builders import PASSWORD, login, roll_with_owner
from tests.builders import SURVEY_ROWS as ROWS
from tests.builders import resident


pytestmark = pytest.mark.slow


@pytest.fixture
def compound(world):
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, ROWS)
    for building in Building.query.all():
        building.floors, building.has_lift = 6, False
    db.session.commit()
    return world.compound_a


def test_a_committee_member_reads_the_survey_in_words_and_its_results_by_type(
        app, browser_page, compound, simulator):
    page = browser_page
    sign_in(page, "committee_a", PASSWORD)
    page.goto("/admin/surveys")
    page.get_by_label("小区").select_option(str(compound.id))
    page.get_by_role("button", name="生成草稿").click()
    page.wait_for_url(re.compile(r"/admin/surveys/\d+(#.*)?$"))
    survey_id = int(re.search(r"/admin/surveys/(\d+)", page.url).group(1))

    # the generated condition reads as the question and the answer residents see, not ids
    lift_pay = page.locator("#questions tbody tr").filter(has_text="您家愿意出资多少元？")
    assert "「您是否希望所在楼栋加装电梯？」答的是「是」" in lift_pay.locator("td").nth(2).inner_text()
    assert "lift" not in page.locator("#questions table").inner_text()

    # a new question shown only to those who want a lift, its condition typed as the answer's words
    page.get_by_role("link", name="添加问题").click()
    page.get_by_label("问题", exact=True).fill("您家有几口人？")
    page.get_by_label("选项，每行一个（编号 = 文字，或只写文字）").fill("1-2人\n3人以上")
    page.get_by_label("仅当这个问题").select_option(label="您是否希望所在楼栋加装电梯？")
    page.get_by_label("答案（按居民看到的文字填写，如选项内容）").fill("是")
    page.get_by_role("button", name="保存问题").click()
    page.wait_for_url(re.compile(rf"/admin/surveys/{survey_id}(#.*)?$"))
    added = page.locator("#questions tbody tr").filter(has_text="您家有几口人？")
    assert "答的是「是」" in added.locator("td").nth(2).inner_text()
    db.session.expire_all()
    definition = surveys.definition_of(db.session.get(Survey, survey_id))
    stored = next(q for s in definition["sections"] for q in s["questions"] if q["title"] == "您家有几口人？")
    assert stored["show_if"] == {"question": "lift", "op": "equals", "value": "yes"}
    screenshot(page, "survey-questions")

    page.get_by_role("button", name="发布问卷").click()
    page.get_by_role("button", name="确定，发布问卷").click()  # after reading who will be told
    page.wait_for_load_state()
    staff_api = app.test_client()
    headers = {"X-CSRFToken": login(staff_api, "committee_a")}
    resident_api = app.test_client()
    ids = [q["id"] for s in definition["sections"] for q in s["questions"]]
    for room, openid, lift, pay in (("101", "s-1", "yes", 3000), ("102", "s-2", "yes", 8000),
                                    ("103", "s-3", "no", None)):
        me = resident(resident_api, simulator, staff_api, headers, room, openid)
        answers = {"lift": lift, "management": "property", "comments": f"{room}的意见：楼道太暗"}
        if pay is not None:
            answers.update(lift_pay=pay, **{stored["id"]: "a"})
        sent = resident_api.put(f"/api/v1/surveys/{survey_id}/response", headers=me,
                                json={"answers": answers, "submit": True})
        assert sent.status_code == 200, (ids, sent.get_data(as_text=True))

    # results are in their own tab: bars for choices, a distribution for amounts, the texts themselves
    assert page.locator(".result").count() == 0
    page.get_by_role("link", name="结果", exact=True).click()
    page.wait_for_url(re.compile(rf"/admin/surveys/{survey_id}/results$"))
    lift = page.locator("section.result").filter(has=page.get_by_role("heading", name="您是否希望所在楼栋加装电梯？"))
    assert lift.locator("rect.bar").count() == 2 and "3 人作答" in lift.inner_text()
    amounts = page.locator("section.result-distribution").filter(
        has=page.get_by_role("heading", name="您家愿意出资多少元？"))
    assert amounts.locator("rect.bar").count() == 2 and "平均 5500元" in amounts.inner_text()
    texts = page.locator("section.result-texts")
    assert texts.locator("li").count() == 3 and "101的意见：楼道太暗" in texts.inner_text()
    screenshot(page, "survey-results")
    assert db.session.scalar(select(Survey.state).where(Survey.id == survey_id)) == "open"
