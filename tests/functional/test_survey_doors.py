"""Surveys through every door: the results tab draws every kind of question, surveys answered in chat
through /wechat (numbers as residents write them), and answers read only by those who may."""
import io
import re

from sqlalchemy import select

from core.extensions import db
from core.models import Dwelling
from surveys.models import SurveyResponse
from tests.builders import PNG, Bot, login
from tests.builders import sign_in
from tests.builders import create_survey as create
from tests.builders import open_survey, resident

EVERY_KIND = {"sections": [{"id": "s", "questions": [
    {"id": "one", "type": "single", "title": "是否加装电梯", "required": True,
     "options": [{"id": "yes", "label": "同意加装"}, {"id": "no", "label": "不同意"}]},
    {"id": "many", "type": "multiple", "title": "想改什么",
     "options": [{"id": "a", "label": "楼道照明"}, {"id": "b", "label": "停车位"}]},
    {"id": "rank", "type": "ranking", "title": "先改哪样",
     "options": [{"id": "a", "label": "楼道照明"}, {"id": "b", "label": "停车位"}, {"id": "c", "label": "绿化"}]},
    {"id": "happy", "type": "rating", "title": "对现状满意吗"},
    {"id": "pay", "type": "number", "title": "每户出资", "unit": "元", "min": 0, "max": 100000,
     "show_if": {"question": "one", "op": "equals", "value": "yes"}},
    {"id": "say", "type": "text", "title": "还有什么想说"},
    {"id": "grid", "type": "matrix", "title": "各项评价", "rows": [{"id": "light", "label": "照明情况"},
                                                               {"id": "road", "label": "路面情况"}],
     "scale": [{"id": "ok", "label": "还行"}, {"id": "bad", "label": "很差"}]},
    {"id": "items", "type": "catalogue", "title": "最想改的项目"},
    {"id": "shot", "type": "photo", "title": "拍一张楼道"},
]}]}


def section(html, qid):
    """The results tab's part for one question."""
    found = re.search(rf'<section class="result result-(\w+)" aria-labelledby="result-{qid}">(.*?)</section>',
                      html, re.DOTALL)
    assert found, qid
    return found.group(1), found.group(2)


def test_the_results_tab_draws_every_kind_of_question(staff, world, client, simulator):  # noqa: F811
    http, headers = staff
    survey_id = create(http, headers, world, EVERY_KIND)
    answers = [{"one": "yes", "many": ["a", "b"], "rank": ["b", "a", "c"], "happy": 5, "pay": 3000,
                "say": "楼道太暗了", "grid": {"light": "bad", "road": "ok"}, "items": ["I03", "I06"],
                "shot": None},
               {"one": "yes", "many": ["a"], "rank": ["b", "c", "a"], "happy": 2, "pay": 8000,
                "grid": {"light": "bad"}}]
    for room, openid, given in zip(("101", "102"), ("r1", "r2"), answers):
        me = resident(client, simulator, http, headers, room, openid)
        if "shot" in given:  # the photo is uploaded first, as the mini-program does
            uploaded = client.post(f"/api/v1/surveys/{survey_id}/photos", headers=me,
                                   content_type="multipart/form-data",
                                   data={"photos": (io.BytesIO(PNG + b"stairs"), "stairs.png")})
            assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
            given = {**given, "shot": uploaded.get_json()["photos"]}
            # an item the catalogue does not have is refused, named by its question
            unknown = client.put(f"/api/v1/surveys/{survey_id}/response", headers=me,
                                 json={"answers": {**given, "items": ["ZZ99"]}, "submit": True})
            assert unknown.status_code == 422 and "items" in unknown.get_data(as_text=True)
        sent = client.put(f"/api/v1/surveys/{survey_id}/response", headers=me, json={"answers": given,
                                                                                       "submit": True})
        assert sent.status_code == 200, sent.get_data(as_text=True)
    page = http.get(f"/admin/surveys/{survey_id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    figure, part = section(html, "one")
    assert figure == "bars" and "同意加装" in part and part.count('class="bar"') == 1
    figure, part = section(html, "happy")          # was an empty chart: now five bars, one per star
    assert figure == "distribution" and part.count('class="bar"') == 5 and "平均 3.5，中位数 3.5" in part
    figure, part = section(html, "pay")
    assert figure == "distribution" and part.count('class="bar"') == 2 and "3000–3500元" in part
    figure, part = section(html, "rank")
    ranks = re.findall(r"<tr><td>(\d)</td><td>([^<]+)</td><td>(\d+)</td></tr>", part)
    assert figure == "ranks" and ranks == [("1", "停车位", "4"), ("2", "楼道照明", "1"), ("3", "绿化", "1")]
    figure, part = section(html, "grid")
    assert figure == "grid" and re.search(r'<th scope="row">照明情况</th><td>0</td><td>2</td>', part)
    figure, part = section(html, "say")
    assert figure == "texts" and "楼道太暗了" in part
    figure, part = section(html, "items")
    assert figure == "bars" and "照明" in part and "停车泊位" in part and "I03" not in part
    figure, part = section(html, "shot")
    assert figure == "none" and "1 人作答" in part
    questions_tab = http.get(f"/admin/surveys/{survey_id}").get_data(as_text=True)
    assert "「是否加装电梯」答的是「同意加装」" in questions_tab and "答的是 yes" not in questions_tab
    assert 'class="result' not in questions_tab       # results are in their own tab


def test_written_answers_are_paged(staff, world, client, simulator):  # noqa: F811
    http, headers = staff
    survey_id = create(http, headers, world, {"sections": [{"questions": [
        {"id": "say", "type": "text", "title": "意见"}]}]})
    me = resident(client, simulator, http, headers, "101", "p1")
    client.put(f"/api/v1/surveys/{survey_id}/response", headers=me, json={"answers": {"say": "第一条"},
                                                                            "submit": True})
    dwelling = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "102"))
    response = db.session.scalars(select(SurveyResponse)).one()
    for n in range(60):   # many households' answers, as if each had written one
        db.session.add(SurveyResponse(survey_id=survey_id, respondent=f"x{n}", account_id=response.account_id,
                                      dwelling_id=dwelling, version=1, answers={"say": f"意见{n:02d}"},
                                      submitted=True))
    db.session.commit()
    tab = http.get(f"/admin/surveys/{survey_id}/results").get_data(as_text=True)
    assert "查看全部 61 条文字回答" in tab and tab.count("<li>") >= 10
    first = http.get(f"/admin/surveys/{survey_id}/results/say").get_data(as_text=True)
    second = http.get(f"/admin/surveys/{survey_id}/results/say?page=2").get_data(as_text=True)
    assert first.count("<li>") == 50 and second.count("<li>") == 11 and "下一页" in first and "上一页" in second


def test_the_codesign_survey_is_answered_in_chat_with_amounts_as_residents_say_them(
        staff, world, client, simulator):  # noqa: F811
    from simulator.sender import text_xml
    http, headers = staff
    me = resident(client, simulator, http, headers, "101", "chat-1")
    client.post("/api/v1/wishes", headers=me, data={"text": "停车难", "catalogue_code": "I06"},
                content_type="multipart/form-data")
    survey = http.post("/api/v1/admin/surveys/generate", json={"compound_id": world.compound_a.id},
                       headers=headers).get_json()
    open_survey(http, headers, survey["id"])
    bot = Bot(client)

    def say(text):
        return bot.say(text_xml("chat-1", text))
    reply = say("问卷")                          # the only open survey starts at once
    assert survey["title"] in reply and "较长" not in reply and "共" in reply
    seen, amounts = [], iter(["一万左右", "5000-8000", "大概两千"])
    for _step in range(30):
        seen.append(reply)
        if "谢谢" in reply:
            break
        if "例如：5000" in reply:                   # a number question
            reply = say(next(amounts))
        elif "排好" in reply:                        # the ranking
            reply = say("2 1")
        elif "不回答请回复 0" in reply:            # the comments
            reply = say("没有了")
        else:
            reply = say("1")
    assert "谢谢" in reply, seen
    answers = db.session.scalars(select(SurveyResponse.answers)).one()
    assert answers["pay_I06"] == 10000 and answers["lift"] == "yes" and answers["lift_pay"] == 6500
    assert any("已记下：6500元" in line for line in seen + [reply])


def test_what_is_not_understood_is_said_and_asked_again(staff, world, client, simulator):  # noqa: F811
    from simulator.sender import text_xml
    http, headers = staff
    create(http, headers, world, {"sections": [{"questions": [
        {"id": "pay", "type": "number", "title": "每户出资多少", "unit": "元", "required": True, "min": 0},
        {"id": "happy", "type": "rating", "title": "满意度", "required": True}]}]})
    resident(client, simulator, http, headers, "101", "chat-2")
    bot = Bot(client)
    assert "每户出资多少" in bot.say(text_xml("chat-2", "问卷"))
    again = bot.say(text_xml("chat-2", "看情况"))
    assert "没看出是多少" in again and "每户出资多少" in again
    assert "满意度" in bot.say(text_xml("chat-2", "两千五"))
    assert "谢谢" in bot.say(text_xml("chat-2", "非常满意"))
    assert db.session.scalars(select(SurveyResponse.answers)).one() == {"pay": 2500, "happy": 5}


def test_a_survey_chat_cannot_ask_says_the_true_reason_and_where_to_answer(
        staff, world, client, simulator):  # noqa: F811
    from simulator.sender import text_xml
    http, headers = staff
    create(http, headers, world, {"sections": [{"questions": [
        {"id": "happy", "type": "rating", "title": "满意度"},
        {"id": "shot", "type": "photo", "title": "拍一张楼道的照片"}]}]})
    resident(client, simulator, http, headers, "101", "chat-3")
    bot = Bot(client)
    reply = bot.say(text_xml("chat-3", "问卷"))
    assert "第 2 题「拍一张楼道的照片」需要上传照片" in reply and "小程序" in reply and "较长" not in reply
    client.application.config["WECHAT_MINI_APPID"] = "wxmini0000000001"
    linked = bot.say(text_xml("chat-3", "问卷"))
    assert 'data-miniprogram-appid="wxmini0000000001"' in linked and "pages/survey/survey?id=" in linked


def test_a_tenant_cannot_read_the_owners_answers_on_an_owners_only_household_survey(
        staff, world, client, simulator):  # noqa: F811
    http, headers = staff
    survey_id = create(http, headers, world, {"sections": [{"questions": [
        {"id": "lift", "type": "single", "title": "加装电梯",
         "options": [{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}]},
        {"id": "why", "type": "text", "title": "原因"}]}]},
        audience="owners", per="dwelling")
    owner = resident(client, simulator, http, headers, "103", "own-1")
    url = f"/api/v1/surveys/{survey_id}/response"
    assert client.put(url, headers=owner, json={"answers": {"lift": "no", "why": "太贵了"},
                                                    "submit": True}).status_code == 200
    tenant = sign_in(client, simulator, "tenant-1")
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "103"))
    code = http.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={"kind": "tenant"},
                     headers=headers).get_json()["code"]
    assert client.post("/api/v1/me/binding/code", headers=tenant, json={"code": code}).status_code == 200
    read = client.get(url, headers=tenant)
    assert read.status_code == 403 and "no" not in str(read.get_json().get("answers", ""))
    assert client.get(url, headers=owner).get_json()["answers"] == {"lift": "no", "why": "太贵了"}
    official = client.application.test_client()
    login(official, "county_a")
    assert official.get(f"/api/v1/admin/surveys/{survey_id}/export?format=csv").status_code == 403
    counts = official.get(f"/api/v1/admin/surveys/{survey_id}/results")
    assert counts.status_code == 200 and counts.get_json()["questions"]["lift"]["counts"] == {"no": 1}
    assert "太贵了" not in counts.get_data(as_text=True)                  # figures, not what was written
    assert official.get(f"/admin/surveys/{survey_id}/results/why").status_code == 403
    assert "太贵了" in http.get(f"/admin/surveys/{survey_id}/results/why").get_data(as_text=True)
    assert http.get(f"/api/v1/admin/surveys/{survey_id}/export?format=csv").status_code == 200
