"""Surveys through HTTP: generated from wishes, edited in versions, answered, exported."""
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Building, Dwelling, utcnow
from tests.builders import open_survey, resident, sign_in


def test_the_codesign_draft_follows_the_compound_and_the_wishes(staff, world, client, simulator):
    http, headers = staff
    me = resident(client, simulator, http, headers, "101", "w1")
    client.post("/api/v1/wishes", headers=me, data={"text": "楼道灯坏了", "catalogue_code": "I03"},
                content_type="multipart/form-data")
    client.post("/api/v1/wishes", headers=me, data={"text": "停车难", "catalogue_code": "I06"},
                content_type="multipart/form-data")
    survey = http.post("/api/v1/admin/surveys/generate", json={"compound_id": world.compound_a.id},
                       headers=headers).get_json()
    ids = [q["id"] for s in survey["definition"]["sections"] for q in s["questions"]]
    assert "rank_items" in ids and "pay_I06" in ids and "lift" in ids and "management" in ids
    assert "加装电梯" in str(survey["definition"]) or "电梯" in str(survey["definition"])


def test_a_broken_condition_is_refused_with_its_path(staff, world):
    http, headers = staff
    response = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "x",
        "definition": {"sections": [{"questions": [{"id": "a", "type": "text",
                                                    "show_if": {"question": "b", "op": "answered"}}]}]}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "sections[0].questions[0].show_if"


def test_answering_drafts_submitting_versions_results_and_export(staff, world, client, simulator):
    http, headers = staff
    definition = {"sections": [{"questions": [
        {"id": "want", "type": "single", "title": "加装电梯", "required": True, "other": True,
         "options": [{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}]},
        {"id": "pay", "type": "number", "title": "出资", "min": 0, "max": 100000,
         "show_if": {"question": "want", "op": "equals", "value": "yes"}},
        {"id": "happy", "type": "rating", "title": "满意度"}]}]}
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "电梯意愿", "definition": definition,
        "per": "dwelling"}).get_json()
    open_survey(http, headers, survey["id"])
    a = resident(client, simulator, http, headers, "101", "s1")
    b = resident(client, simulator, http, headers, "102", "s2")
    url = f"/api/v1/surveys/{survey['id']}/response"
    assert [s["id"] for s in client.get("/api/v1/surveys", headers=a).get_json()] == [survey["id"]]
    assert client.put(url, headers=a, json={"answers": {"happy": 4}}).status_code == 200  # a draft
    missing = client.put(url, headers=a, json={"answers": {"happy": 4}, "submit": True})
    assert missing.status_code == 422 and missing.get_json()["error"]["details"][0]["field"] == "want"
    hidden = client.put(url, headers=a, json={"answers": {"want": "no", "pay": 10}, "submit": True})
    assert hidden.status_code == 422
    client.put(url, headers=a, json={"answers": {"want": "yes", "pay": 3000, "happy": 5}, "submit": True})
    definition["sections"][0]["questions"].append({"id": "why", "type": "text", "title": "原因"})
    edited = http.put(f"/api/v1/admin/surveys/{survey['id']}", headers=headers, json={"definition": definition})
    assert edited.get_json()["version"] == 2
    client.put(url, headers=b, json={"answers": {"want": {"choice": "__other__", "text": "看费用"}, "happy": 2},
                                     "submit": True})
    assert client.get(url, headers=a).get_json()["version"] == 1
    results = http.get(f"/api/v1/admin/surveys/{survey['id']}/results").get_json()
    assert results["questions"]["happy"]["mean"] == "3.5"
    exported = http.get(f"/api/v1/admin/surveys/{survey['id']}/export?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["楼栋", "单元", "房号", "加装电梯"]
    assert values[1][3:] == ["同意", None, 3000, 5, None] and values[2][3:6] == [None, "看费用", None]
    http.post(f"/api/v1/admin/surveys/{survey['id']}/close", headers=headers)
    assert client.put(url, headers=a, json={"answers": {"want": "no"}, "submit": True}).status_code == 409


def test_outside_the_audience_is_forbidden(staff, world, client, simulator):
    http, headers = staff
    building_id = db.session.scalar(select(Building.id))
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "业主问卷", "audience": "owners",
        "definition": {"sections": [{"questions": [{"id": "q", "type": "rating"}]}]}}).get_json()
    open_survey(http, headers, survey["id"])
    tenant = sign_in(client, simulator, "tenant-s")
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "103"))
    code = http.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={"kind": "tenant"},
                     headers=headers).get_json()["code"]
    client.post("/api/v1/me/binding/code", headers=tenant, json={"code": code})
    response = client.put(f"/api/v1/surveys/{survey['id']}/response", headers=tenant,
                          json={"answers": {"q": 3}, "submit": True})
    assert response.status_code == 403 and building_id


def test_acceptance_starts_the_satisfaction_survey_answered_by_chat_and_shown_on_the_timeline(
        staff, world, client, simulator):
    from simulator.sender import text_xml
    from tests.builders import Bot
    http, headers = staff
    project = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id]}).get_json()
    http.post(f"/api/v1/admin/projects/{project['id']}/items", json={"catalogue_code": "I03"}, headers=headers)
    from tests.builders import override_gate
    override_gate(client, project["id"])
    http.post(f"/api/v1/admin/projects/{project['id']}/stages", headers=headers,
              json={"stage": "acceptance", "reason": "示范项目"})
    http.post(f"/api/v1/admin/projects/{project['id']}/acceptance", headers=headers, json={
        "note": "联合验收合格", "participants": [{"name": "王大爷", "role": "resident_rep"}]})
    me = resident(client, simulator, http, headers, "101", "sat-1")
    bot = Bot(client)
    listed = bot.say(text_xml("sat-1", "问卷"))    # satisfaction and long-term management are both open
    assert "1 玉林小区改造 满意度调查" in listed
    assert "照明" in bot.say(text_xml("sat-1", "1"))
    bot.say(text_xml("sat-1", "4"))            # lighting
    assert "没看明白" in bot.say(text_xml("sat-1", "6"))
    done = bot.say(text_xml("sat-1", "5"))     # overall: 5, so no "what to improve" question
    assert "谢谢" in done
    timeline = client.get("/api/v1/project", headers=me).get_json()
    assert timeline["satisfaction"] == 90.0


def test_a_reminder_goes_once_to_those_who_have_not_answered(staff, world, client, simulator):
    from notices.models import Notice
    from surveys.services import run_due
    http, headers = staff
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "绿化意见",
        "definition": {"sections": [{"questions": [{"id": "q", "type": "rating"}]}]}}).get_json()
    open_survey(http, headers, survey["id"])
    answered = resident(client, simulator, http, headers, "101", "rem-1")
    resident(client, simulator, http, headers, "102", "rem-2")
    client.put(f"/api/v1/surveys/{survey['id']}/response", headers=answered, json={"answers": {"q": 4},
                                                                                  "submit": True})
    run_due(now=utcnow() + timedelta(days=6))
    run_due(now=utcnow() + timedelta(days=6))
    reminders = db.session.scalars(select(Notice).where(Notice.kind == "survey_reminder")).all()
    assert len(reminders) == 1
    run_due(now=utcnow() + timedelta(days=8))
    assert http.get(f"/api/v1/admin/surveys/{survey['id']}").get_json()["state"] == "closed"


def test_results_follow_changed_answers_and_leave_out_drafts(staff, world, client, simulator):
    from surveys import engine, services
    from surveys.models import Survey
    http, headers = staff
    definition = {"sections": [{"questions": [
        {"id": "want", "type": "single", "title": "加装电梯", "other": True,
         "options": [{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}]},
        {"id": "pay", "type": "number", "title": "出资", "min": 0, "max": 100000},
        {"id": "say", "type": "text", "title": "意见"}]}]}
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "出资意愿", "definition": definition,
        "per": "dwelling"}).get_json()
    open_survey(http, headers, survey["id"])
    a, b, c = (resident(client, simulator, http, headers, room, f"t{room}") for room in ("101", "102", "103"))
    url = f"/api/v1/surveys/{survey['id']}/response"
    client.put(url, headers=a, json={"answers": {"want": "yes", "pay": 3000, "say": "早点装"}, "submit": True})
    client.put(url, headers=b, json={"answers": {"want": "no", "pay": 0}, "submit": True})
    client.put(url, headers=c, json={"answers": {"want": "yes", "pay": 5000}})                       # a draft
    client.put(url, headers=a, json={"answers": {"want": {"choice": "__other__", "text": "看费用"}, "pay": 2000},
                                     "submit": True})                                                  # changed
    client.put(url, headers=b, json={"answers": {"want": "no", "pay": 100}})          # back to a draft
    results = http.get(f"/api/v1/admin/surveys/{survey['id']}/results").get_json()["questions"]
    assert results["want"]["answered"] == 1 and results["want"]["counts"] == {"__other__": 1}
    assert results["want"]["other_texts"] == ["看费用"]
    assert results["pay"]["mean"] == "2000" and results["say"]["answered"] == 0
    client.put(url, headers=b, json={"answers": {"want": "no", "pay": 100, "say": "太贵"}, "submit": True})
    row = db.session.get(Survey, survey["id"])
    submitted = services._submitted(row)
    assert services.aggregate(row) == engine.aggregate(services.definition_of(row), [r[0] for r in submitted],
                                                       [r[1] for r in submitted])
    page = http.get(f"/admin/surveys/{survey['id']}/results").get_data(as_text=True)
    assert "太贵" in page


def test_number_results_summed_where_they_are_counted_equal_the_engine(world):
    """Whole-number answers are summed up by the database (medians, percentiles, histogram, exact mean) and
    give what the engine gives over every answer; a question with a fractional answer is counted out."""
    import random
    from surveys import engine, services, tallies
    from surveys.models import SurveyResponse
    definition = {"sections": [{"questions": [
        {"id": "pay", "type": "number", "title": "出资"}, {"id": "same", "type": "number", "title": "户数"},
        {"id": "part", "type": "number", "title": "面积"}, {"id": "none", "type": "number", "title": "空"},
        {"id": "spread", "type": "number", "title": "预算"}]}]}
    survey, account, dwellings = closed_survey_in_buildings(world, definition, "numbers", ("2", "1"),
                                                            [f"{n}01" for n in range(1, 4)])
    rng = random.Random(3)
    for i in range(301):
        answers = {"pay": rng.choice([rng.randint(-50, 900), 100, 999_999_999]), "same": 7,
                   "part": rng.choice([rng.randint(0, 90), 42.5]), "spread": rng.randint(-500, 5000)}
        db.session.add(SurveyResponse(survey_id=survey.id, respondent=f"r{i}", account_id=account.id,
                                      dwelling_id=dwellings[i % len(dwellings)].id, version=1, answers=answers,
                                      submitted=i % 10 != 0))
    db.session.flush()
    tallies.recount(survey.id)
    summed = tallies.figures(survey.id, engine.questions(definition))
    if db.engine.dialect.name == "postgresql":
        assert set(summed) == {"pay", "same", "spread"}
    submitted = services._submitted(survey)
    expected = engine.aggregate(definition, [r[0] for r in submitted], [r[1] for r in submitted])
    assert services.aggregate(survey) == expected
    assert expected["same"].histogram == {"7": 270} and expected["pay"].percentiles[90] is not None


@pytest.mark.postgresql_only  # the response's row lock carries the rule (SQLite has no row locks)
def test_twenty_first_answers_at_once_for_one_home_leave_one_response_counted_once(app, staff, world, client,
                                                                                   simulator, database):
    """Answers arriving at once for one home (family members, a repeated tap) wait for each other: one
    response, counted once, and nobody gets an error."""
    import threading

    from core.models import WechatAccount
    from surveys import services
    from surveys.models import SurveyResponse
    http, headers = staff
    definition = {"sections": [{"questions": [{"id": "overall", "type": "rating", "title": "总体满意度"}]}]}
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "满意度", "definition": definition,
        "per": "dwelling"}).get_json()
    open_survey(http, headers, survey["id"])
    resident(client, simulator, http, headers, "101", "same-home")
    account_id = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "same-home"))
    barrier = threading.Barrier(20)
    errors = []

    def answer(n):
        with app.app_context():
            try:
                barrier.wait()
                services.respond(db.session.get(WechatAccount, account_id), survey["id"],
                                 {"overall": 1 + n % 5}, True)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                db.session.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (response,) = db.session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey["id"])).all()
    results = http.get(f"/api/v1/admin/surveys/{survey['id']}/results").get_json()["questions"]["overall"]
    assert results["answered"] == 1 and response.answers["overall"] in range(1, 6)


def test_answers_and_the_list_of_surveys_cost_a_few_statements_however_many_surveys_are_open(
        staff, world, client, simulator):
    """On vote day each request's CPU counts: the list of open surveys is one query however many are open (in
    the resident's scope or not), a first answer is written with one statement and its counts with another, and
    a changed answer locks and changes the one response; each shows what was stored."""
    from sqlalchemy import event
    http, headers = staff
    definition = {"sections": [{"questions": [{"id": "overall", "type": "rating", "title": "总体满意度"}]}]}
    elsewhere = http.post(f"/api/v1/admin/compounds/{world.compound_a.id}/buildings", headers=headers,
                          json={"name": "9栋", "floors": 6}).get_json()["id"]
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.room == "101"))
    ids = {}
    for scope_kind, scope_id in (("compound", world.compound_a.id), ("unit", unit), ("building", elsewhere)):
        ids[scope_kind] = http.post("/api/v1/admin/surveys", headers=headers, json={
            "scope_kind": scope_kind, "scope_id": scope_id, "title": "满意度", "definition": definition}).get_json()["id"]
        open_survey(http, headers, ids[scope_kind])
    me = resident(client, simulator, http, headers, "101", "few")
    url = f"/api/v1/surveys/{ids['unit']}/response"
    statements = []
    record = lambda _conn, _cursor, statement, *_args: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        listed = client.get("/api/v1/surveys", headers=me).get_json()
        listing, statements[:] = list(statements), []
        first = client.put(url, headers=me, json={"answers": {"overall": 3}, "submit": True}).get_json()
        answering, statements[:] = list(statements), []
        changed = client.put(url, headers=me, json={"answers": {"overall": 5}, "submit": True}).get_json()
        changing = list(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [s["id"] for s in listed] == [ids["compound"], ids["unit"]] and listed[1]["definition"] == definition
    assert len(listing) == 2                      # the session, then the surveys with their definitions
    assert len(answering) == 4 and [s for s in answering if "survey_responses" in s][0].startswith("INSERT")
    assert len(changing) == 6                     # and the response locked, then changed
    assert first["answers"] == {"overall": 3} and changed["answers"] == {"overall": 5}
    stored = client.get(url, headers=me).get_json()
    assert all(stored[field] == changed[field] for field in ("answers", "submitted", "version"))
    results = http.get(f"/api/v1/admin/surveys/{ids['unit']}/results").get_json()["questions"]["overall"]
    assert results["answered"] == 1 and results["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}


def test_written_answers_are_listed_by_building_unit_and_room_whatever_the_question_is_called(world):
    """The written words (a text question's, a choice's 'other') come in the order the results list them, the same
    as the engine's, for questions whose ids hold a quote or a percent sign, and words holding quotes, backslashes
    and escapes come back as written."""
    from surveys import engine, services, tallies
    from surveys.models import SurveyResponse
    definition = {"sections": [{"questions": [
        {"id": "say why's", "type": "text", "title": "意见"}, {"id": "100%", "type": "text", "title": "满意"},
        {"id": "want", "type": "single", "title": "加装电梯", "other": True, "options": [{"id": "yes"}]}]}]}
    survey, account, dwellings = closed_survey_in_buildings(world, definition, "words", ("2", "10", "1"),
                                                            ("301", "101"))
    words = ['说 "好"', "C:\\楼道\\灯", "\\u0041 不是 A", "", "第五", "%s %(x)s", "\t换行\n"]
    for i in range(14):
        answers = {"say why's": words[i % len(words)], "100%": f"第{i}条",
                   "want": {"choice": "__other__", "text": f"其他{i}"} if i % 3 else "yes"}
        db.session.add(SurveyResponse(survey_id=survey.id, respondent=f"r{i}", account_id=account.id,
                                      dwelling_id=dwellings[(i * 5) % len(dwellings)].id, version=1,
                                      answers=answers, submitted=True))
    db.session.flush()
    tallies.recount(survey.id)
    submitted = services._submitted(survey)
    results = services.aggregate(survey)
    assert results == engine.aggregate(definition, [r[0] for r in submitted], [r[1] for r in submitted])
    assert results["say why's"].texts[:2] == ("C:\\楼道\\灯", '说 "好"')   # building 1, room 101 first
    assert set(results["say why's"].texts) == set(words) - {""} and len(results["100%"].texts) == 14
    assert results["want"].other_texts[0] == "其他1"


def closed_survey_in_buildings(world, definition, openid, buildings, rooms):
    """A closed survey of compound A with `definition`, a WeChat account answering for every home, and buildings
    named `buildings` (in that order), each with one unit of `rooms`: (survey, account, dwellings in that order)."""
    from core.models import Unit, WechatAccount
    from surveys.models import Survey, SurveyVersion
    survey = Survey(compound_id=world.compound_a.id, region_id=world.community_a.id, kind="other", title="调查",
                    scope_kind="compound", scope_id=world.compound_a.id, state="closed")
    account = WechatAccount(openid=openid, locale="zh_Hans_CN")
    db.session.add_all([survey, account])
    db.session.flush()
    db.session.add(SurveyVersion(survey_id=survey.id, version=1, definition=definition))
    dwellings = []
    for name in buildings:
        building = Building(compound_id=world.compound_a.id, name=name)
        db.session.add(building)
        db.session.flush()
        unit = Unit(building_id=building.id, name="1")
        db.session.add(unit)
        db.session.flush()
        dwellings += [Dwelling(unit_id=unit.id, room=room) for room in rooms]
    db.session.add_all(dwellings)
    db.session.flush()
    return survey, account, dwellings
