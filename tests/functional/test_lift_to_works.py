"""A stairwell's lift from a resident's wish to the works starting, through the real doors: the county's
rule, each owner's share on every ballot, the vote, publicity with objections answered, and the gate."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import AuditLog, Dwelling, utcnow
from notices.sender import drain
from publicity import services as publicity_jobs
from publicity.models import Publicity
from simulator.sender import text_xml
from tests.builders import Bot, id_number, login, roll_with_owner
from tests.builders import LIFT_COEFFICIENTS as COEFFICIENTS
from tests.builders import LIFT_ROOMS as ROOMS
from tests.builders import LIFT_ROWS as ROWS
from tests.builders import close_and_publish, vote_all, window

def test_a_stairwells_lift_from_wish_to_works_starting(client, world, stairwell, simulator):
    committee, headers, county, county_headers, rooms, unit_id, owners = stairwell
    # a top-floor owner asks for a lift
    wish = client.post("/api/v1/wishes", headers=owners["601"], data={"text": "六楼老人上下楼太难，希望加装电梯",
                                                                      "catalogue_code": "I16"})
    assert wish.status_code == 201

    # the county's rule: two thirds of the unit's owners, and the consent of the flat the shaft stands against
    rule = county.put(f"/api/v1/admin/lifts/rules/{world.county_a.id}", headers=county_headers,
                      json={"min_owner_share": "2/3", "affected_must_agree": True})
    assert rule.status_code == 200, rule.get_data(as_text=True)
    assert committee.put(f"/api/v1/admin/lifts/rules/{world.county_a.id}", headers=headers,
                         json={"min_owner_share": "1/2"}).status_code in (403, 404)

    # the scheme: 600,000.00 yuan, 200,000.00 subsidy, 50,000.01 from the provident fund
    scheme = committee.post("/api/v1/admin/lifts/schemes", headers=headers, json={
        "unit_id": unit_id, "title": "1栋1单元加装电梯", "text": "电梯井靠101室外墙。",
        "total_cost": 60_000_000, "subsidy": 20_000_000, "provident_fund": 5_000_001,
        "coefficients": COEFFICIENTS, "affected": [rooms["101"]]})
    assert scheme.status_code == 201, scheme.get_data(as_text=True)
    scheme = scheme.get_json()
    shares = {int(k): v for k, v in scheme["shares"].items()}
    assert sum(shares.values()) == 34_999_999  # to the fen, after the deductions
    assert shares[rooms["101"]] == shares[rooms["102"]] == 0  # the ground floor pays nothing
    assert shares[rooms["601"]] > shares[rooms["501"]] > shares[rooms["201"]] > 0

    opened = committee.post(f"/api/v1/admin/lifts/schemes/{scheme['id']}/open", headers=headers, json=window())
    assert opened.status_code == 200, opened.get_data(as_text=True)
    assert opened.get_json()["rule"] == {"min_owner_share": "2/3", "affected_must_agree": True}
    vote_id = scheme["vote_id"]
    # a later change of the county's rule does not touch the open vote
    county.put(f"/api/v1/admin/lifts/rules/{world.county_a.id}", headers=county_headers,
               json={"min_owner_share": "9/10", "affected_must_agree": True})

    # each owner sees their own share before voting: in the mini-program, on paper, in chat
    mine = client.get(f"/api/v1/lifts/votes/{vote_id}/my-share", headers=owners["601"]).get_json()
    assert mine["share"] == shares[rooms["601"]] and mine["floor"] == 6 and mine["fixed"] is True
    assert mine["min_owner_share"] == "2/3" and mine["affected_must_agree"] is True
    assert client.get(f"/api/v1/lifts/votes/{vote_id}/my-share", headers=owners["101"]).get_json()["affected"]
    paper = committee.get(f"/admin/votes/{vote_id}/ballots").get_data(as_text=True)
    yuan_601 = f"{shares[rooms['601']] // 100:,}.{shares[rooms['601']] % 100:02d}"
    assert f"本户需分摊 {yuan_601} 元" in paper and "县级规定另需本单元 2/3 以上业主同意；电梯井占用其部分的业主同意" in paper
    bot = Bot(client)
    ballot_line = bot.say(text_xml("owner-601", "投票"))  # the only open vote opens straight away
    assert "1栋1单元加装电梯" in ballot_line
    assert f"您家（6 层）需分摊 {yuan_601} 元" in ballot_line and "2/3 以上业主同意" in ballot_line
    bot.say(text_xml("owner-601", "1"))
    assert "回执" in bot.say(text_xml("owner-601", "1"))

    # ten of twelve vote, nine agree (9/12 = 3/4 of the owners, above the county's 2/3); 101 agrees
    vote_all(client, owners, vote_id, {room: "agree" for room in ("101", "201", "202", "301", "302", "401",
                                                                  "402", "501")})
    vote_all(client, owners, vote_id, {"102": "disagree"})
    close_and_publish(committee, headers, vote_id)
    decided = committee.get(f"/api/v1/admin/lifts/schemes/{scheme['id']}?lang=en").get_json()["outcome"]
    assert decided["approved"] is True and decided["reason"] == "Approved under art. 278 and the county's rule for lifts."

    # the result is published: the ground-floor owner objects, the committee answers, the answer reaches him
    periods = client.get("/api/v1/publicity", headers=owners["102"]).get_json()
    result_period = next(p for p in periods if p["subject_kind"] == "vote_result" and p["subject_id"] == vote_id)
    assert 0 < result_period["seconds_left"] <= 7 * 86400
    objection = client.post(f"/api/v1/publicity/{result_period['id']}/objections", headers=owners["102"],
                            data={"text": "电梯井挡住102室采光，请说明补偿办法"})
    assert objection.status_code == 201, objection.get_data(as_text=True)
    # the publicity's time runs out with the objection unanswered: it is extended, the vote is not archived
    from votes import services as vote_jobs
    from votes.models import Vote
    later = utcnow() + timedelta(days=8)
    publicity_jobs.run_due(now=later)
    vote_jobs.run_due(now=later)
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "published"
    assert db.session.get(Publicity, result_period["id"]).extensions == 1
    answer = committee.post(f"/api/v1/admin/publicity/{result_period['id']}/objections/{objection.get_json()['id']}"
                            "/answer", headers=headers, json={"answer": "经协商，由高层住户共同补偿102室每户3000元。"})
    assert answer.status_code == 200
    drain()
    inbox = client.get("/api/v1/inbox", headers=owners["102"]).get_json()
    assert any("3000元" in entry["body"] for entry in inbox)
    record = client.get(f"/api/v1/publicity/{result_period['id']}", headers=owners["601"]).get_json()
    assert record["objections"][0]["answer"].startswith("经协商") and "业主102" not in str(record)
    publicity_jobs.run_due(now=later + timedelta(days=4))
    vote_jobs.run_due(now=later + timedelta(days=4))
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "archived"

    # the project: the approved stairwell vote links to the item that builds the lift
    project = committee.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}).get_json()
    item = committee.post(f"/api/v1/admin/projects/{project['id']}/items", headers=headers,
                          json={"catalogue_code": "I16", "budget": 60_000_000}).get_json()
    linked = committee.put(f"/api/v1/admin/lifts/schemes/{scheme['id']}/item", headers=headers,
                           json={"item_id": item["id"]})
    assert linked.status_code == 200 and linked.get_json()["project_item_id"] == item["id"]

    # the gate: no compound consent and no plan publicity yet, so the works cannot start
    refused = committee.post(f"/api/v1/admin/projects/{project['id']}/stages?lang=en", headers=headers,
                             json={"stage": "construction", "reason": "年度计划"})
    assert refused.status_code == 409 and "Works cannot start yet" in refused.get_json()["error"]["message"]
    gate = committee.get(f"/api/v1/admin/projects/{project['id']}/gate").get_json()
    assert [m["key"] for m in gate["missing"]] == ["gate.no_consent", "gate.plan_not_published"]

    # the compound's willingness poll at the county's threshold of 2/3
    poll = committee.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "matter": "renovation_willingness",
        "title": "玉林小区改造意愿征询", "threshold": "2/3"}).get_json()
    assert committee.post(f"/api/v1/admin/votes/{poll['id']}/open", headers=headers, json=window()).status_code == 200
    vote_all(client, owners, poll["id"], {room: "agree" for room in ROOMS[:10]})
    close_and_publish(committee, headers, poll["id"])

    # the plan is published; an objection comes in by chat, and the period does not end while it is unanswered
    starts = utcnow() - timedelta(minutes=1)
    plan = committee.post(f"/api/v1/admin/projects/{project['id']}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "summary": "加装电梯一部，预算60万元。"})
    assert plan.status_code == 201, plan.get_data(as_text=True)
    plan_id = plan.get_json()["id"]
    listing = bot.say(text_xml("owner-201", "公示"))
    assert "玉林小区改造" in listing and "截止" in listing
    number = next(line.split(" ")[0] for line in listing.splitlines() if "玉林小区改造：" in line)
    assert "异议" in bot.say(text_xml("owner-201", number))
    bot.say(text_xml("owner-201", "二楼分摊系数偏高"))
    assert "O0" in bot.say(text_xml("owner-201", "好"))
    publicity_jobs.run_due(now=starts + timedelta(days=7, seconds=1))
    period = db.session.get(Publicity, plan_id)
    assert period.state == "open" and period.extensions == 1
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "publicity.extend")) is not None
    gate = committee.get(f"/api/v1/admin/projects/{project['id']}/gate").get_json()
    assert [m["key"] for m in gate["missing"]] == ["gate.objections_unanswered"]
    objection_id = committee.get(f"/api/v1/admin/publicity/{plan_id}").get_json()["objections"][0]["id"]
    committee.post(f"/api/v1/admin/publicity/{plan_id}/objections/{objection_id}/answer", headers=headers,
                   json={"answer": "系数按县里的指导标准确定，二楼为0.5。"})
    publicity_jobs.run_due(now=starts + timedelta(days=11))
    db.session.expire_all()
    assert db.session.get(Publicity, plan_id).state == "ended"

    # now the works may start, and the lift item with them
    assert committee.get(f"/api/v1/admin/projects/{project['id']}/gate").get_json()["open"] is True
    started = committee.post(f"/api/v1/admin/projects/{project['id']}/stages", headers=headers,
                             json={"stage": "construction", "reason": "方案已公示，居民表决通过"})
    assert started.status_code == 200, started.get_data(as_text=True)
    assert started.get_json()["stage"] == "construction"
    progress = committee.put(f"/api/v1/admin/projects/{project['id']}/items/{item['id']}/progress",
                             headers=headers, json={"progress": 10})
    assert progress.status_code == 200


def test_floors_come_from_the_roll_or_the_room_number_and_the_committee_corrects_them(client, world):
    from core.models import AuditLog
    header = ["楼栋", "单元", "房号", "登记面积", "业主姓名", "证件号码", "楼层"]
    rows = [["2", "1", "101", "60", "甲", id_number(201), ""], ["2", "1", "商铺", "60", "乙", id_number(202), "1"],
            ["2", "1", "5", "60", "丙", id_number(203), "3层"]]
    from core import registry
    from tests.builders import csv_bytes
    registry.import_roll(None, world.compound_a.id, csv_bytes(rows, header=header), "roll.csv")
    db.session.commit()
    storeys = {d.room: (d.floor, d.storey) for d in Dwelling.query.all()}
    assert storeys == {"101": (None, 1), "商铺": (1, 1), "5": (3, 3)}
    from core import rolls
    from core.errors import InvalidInput
    with pytest.raises(InvalidInput) as caught:
        rolls.parse_roll(csv_bytes([["2", "1", "102", "60", "丁", id_number(204), "顶楼"]], header=header))
    fault = caught.value.errors[0]
    assert (fault.row, fault.column, fault.key) == (2, "floor", "dwelling.bad_floor")
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    room_101 = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))
    wrong = http.put(f"/api/v1/admin/lifts/dwellings/{room_101}/floor", headers=headers, json={"floor": "0"})
    assert wrong.status_code == 422
    fixed = http.put(f"/api/v1/admin/lifts/dwellings/{room_101}/floor", headers=headers, json={"floor": "2"})
    assert fixed.status_code == 200 and fixed.get_json()["storey"] == 2
    assert db.session.scalar(select(AuditLog.after).where(AuditLog.action == "dwelling.floor",
                                                          AuditLog.target_id == str(room_101))) == {
        "floor": 2, "storey": 2}


def test_the_committee_draws_up_a_lift_in_the_panel_and_corrects_a_floor(client, world):
    from core.models import Unit
    from tests.builders import page_sign_in as panel_sign_in
    from tests.builders import panel_post as post
    sync_base_catalogue()
    rows = ROWS[:4] + [["1", "1", "顶层", "85.6", "", "", "业主顶层", id_number(99), "", "否", "是"]]
    roll_with_owner(world.compound_a.id, rows)
    unit_id = db.session.scalar(select(Unit.id))
    panel = panel_sign_in(client.application.test_client(), "committee_a")
    form = dict(unit=f"unit:{unit_id}", title="1栋1单元加装电梯", total_cost="300000", subsidy="100000",
                provident_fund="", coefficients="1：0，2:1", affected="101", text="")
    bad = post(panel, "/admin/lifts", "/admin/lifts", **dict(form, affected="909"))
    assert bad.status_code == 422 and "受影响的房屋必须在本单元内" in bad.get_data(as_text=True)
    created = post(panel, "/admin/lifts", "/admin/lifts", **form)
    assert created.status_code == 302, created.get_data(as_text=True)[:800]
    page_url = created.headers["Location"]
    page = panel.get(page_url).get_data(as_text=True)
    assert "楼层未知" in page  # the room 顶层 has no floor in its number: the committee sets it
    top = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "顶层"))
    assert post(panel, f"{page_url}?action=floor", page_url, dwelling_id=str(top), floor="2").status_code == 302
    page = panel.get(page_url).get_data(as_text=True)
    # 200,000.00 yuan among the three second-floor flats (201, 202, 顶层) with coefficient 1, to the fen
    assert "66,666.67" in page and "66,666.66" in page and "200,000.00" in page


def test_a_lift_vote_that_misses_the_countys_rule_reads_not_approved_at_every_door(client, world, stairwell,
                                                                                    simulator):
    committee, headers, county, county_headers, rooms, unit_id, owners = stairwell
    county.put(f"/api/v1/admin/lifts/rules/{world.county_a.id}", headers=county_headers,
               json={"min_owner_share": "3/4", "affected_must_agree": False})
    scheme = committee.post("/api/v1/admin/lifts/schemes", headers=headers, json={
        "unit_id": unit_id, "title": "1栋1单元加装电梯", "total_cost": 1_000_000,
        "coefficients": COEFFICIENTS}).get_json()
    vote_id = scheme["vote_id"]
    committee.post(f"/api/v1/admin/lifts/schemes/{scheme['id']}/open", headers=headers, json=window())
    # 8 of 12 take part and all agree: art. 278 is met (2/3 take part, all agree), the county's 3/4 is not
    vote_all(client, owners, vote_id, {room: "agree" for room in ROOMS[:8]})
    reason = "同意的业主不足本单元业主的 3/4"
    live = committee.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()  # while open: the count so far
    assert live["approved"] is False and live["civil_code_approved"] is True and reason in live["reason"]
    close_and_publish(committee, headers, vote_id)

    # the staff API: not approved, with the county's reason; art. 278 alone is stated apart
    result = committee.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert result["approved"] is False and result["civil_code_approved"] is True and reason in result["reason"]
    english = committee.get(f"/api/v1/admin/votes/{vote_id}/result?lang=en").get_json()
    assert english["reason"] == "Not approved: fewer than 3/4 of the unit's owners agreed, as the county requires."
    # the residents' API
    mine = client.get(f"/api/v1/votes/{vote_id}/result", headers=owners["601"]).get_json()["result"]
    assert mine["approved"] is False and reason in mine["reason"]
    # the panel's vote page, its live figures and the printable notice
    html = committee.get(f"/admin/votes/{vote_id}").get_data(as_text=True)
    assert reason in html and "获得通过" not in html
    html = committee.get(f"/admin/votes/{vote_id}/notice").get_data(as_text=True)
    assert "表决事项未获通过。" in html and reason in html and "表决事项获得通过。" not in html
    assert committee.get(f"/admin/votes/{vote_id}/live").get_json()["approved"] is False
    # the notice pushed to the residents
    drain()
    inbox = client.get("/api/v1/inbox", headers=owners["601"]).get_json()
    assert any("未通过" in entry["body"] for entry in inbox if "加装电梯" in entry["body"])
    # the public page behind the notice board's QR code
    page = client.get(f"/public/votes/{vote_id}").get_data(as_text=True)
    assert "表决事项未获通过。" in page and reason in page and "表决事项获得通过。" not in page
    # the officials' figures: counted as not approved, listed under "not approved"
    from core.times import to_beijing
    from votes.models import Vote
    year = to_beijing(db.session.get(Vote, vote_id).ended_at).year  # the year officials count it in (closed by hand)
    officials = county.get(f"/admin/dashboard?region={world.county_a.id}&year={year}").get_data(as_text=True)
    assert "未通过：1" in officials and "通过：0" in officials
    from votes import outcomes
    assert outcomes.stored_outcomes([vote_id]) == outcomes.outcomes_of([db.session.get(Vote, vote_id)])
    assert (outcomes.stored_outcomes(select(Vote.id).where(Vote.compound_id == db.session.get(Vote, vote_id)
                                                           .compound_id))
            == outcomes.outcomes_of([db.session.get(Vote, vote_id)]))
    # the approvals officials' pages count: art. 278 met, the county's rule not, so not approved
    assert outcomes.approvals(select(Vote.id).where(Vote.id == vote_id)) == {vote_id: False}
    assert outcomes.count_approved(select(Vote.id).where(Vote.id == vote_id)) == (0, 1)
    rejected = county.get(f"/admin/dashboard/votes?region={world.county_a.id}&year={year}&outcome=rejected")
    approved = county.get(f"/admin/dashboard/votes?region={world.county_a.id}&year={year}&outcome=approved")
    assert "1栋1单元加装电梯" in rejected.get_data(as_text=True)
    assert "1栋1单元加装电梯" not in approved.get_data(as_text=True)
    # the published record of its publicity period says the same
    periods = client.get("/api/v1/publicity", headers=owners["102"]).get_json()
    period = next(p for p in periods if p["subject_kind"] == "vote_result" and p["subject_id"] == vote_id)
    assert period["record"]["approved"] is False and period["record"]["reason_key"] == "lift.owner_share_not_met"
    # and the lift cannot be linked to the works
    linked = committee.post("/api/v1/admin/projects", headers=headers, json={
        "name": "改造", "compound_ids": [world.compound_a.id]}).get_json()
    item = committee.post(f"/api/v1/admin/projects/{linked['id']}/items", headers=headers,
                          json={"catalogue_code": "I16"}).get_json()
    assert committee.put(f"/api/v1/admin/lifts/schemes/{scheme['id']}/item", headers=headers,
                         json={"item_id": item["id"]}).status_code == 409


def test_a_county_sets_its_lift_rule_in_the_panel_after_confirming(client, world):
    from core.models import AuditLog
    from lifts import services as lifts
    from tests.builders import error_of
    from tests.builders import page_sign_in as panel_sign_in
    from tests.builders import panel_post as post
    county = panel_sign_in(client.application.test_client(), "county_a")
    page = county.get("/admin/lifts").get_data(as_text=True)
    assert "按民法典第278条计票" in page and 'name="min_owner_share"' in page
    # a share that is not a fraction from 0 to 1 is refused next to its field, in the reader's language
    bad = post(county, "/admin/lifts/rule", "/admin/lifts", min_owner_share="3/2", affected_must_agree="y")
    assert bad.status_code == 422 and "（不是 3/2）" in error_of(bad.get_data(as_text=True), "min_owner_share")
    english = post(county, "/admin/lifts/rule?lang=en", "/admin/lifts", min_owner_share="两成")
    assert error_of(english.get_data(as_text=True), "min_owner_share") == (
        "Give the share of owners as a fraction from 0 to 1, e.g. 2/3 (not 两成).")
    county.get("/admin/lifts?lang=zh_Hans_CN")
    # the first post states what changes and what does not; nothing is saved yet
    asked = post(county, "/admin/lifts/rule", "/admin/lifts", min_owner_share="2/3", affected_must_agree="y")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "已发起的表决仍按发起时的规定计票" in html and "2/3" in html
    assert lifts.rule_for(world.county_a).min_owner_share is None
    done = post(county, "/admin/lifts/rule", "/admin/lifts", min_owner_share="2/3", affected_must_agree="y",
                confirmed="1")
    assert done.status_code == 302
    db.session.expire_all()
    rule = lifts.rule_for(world.county_a)
    assert str(rule.min_owner_share) == "2/3" and rule.affected_must_agree is True
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "lift.rule"))
    assert entry.actor == "county_a" and entry.after == {"min_owner_share": "2/3", "affected_must_agree": True}
    assert "本单元 2/3 以上业主同意" in county.get("/admin/lifts").get_data(as_text=True)
    # the committee reads the rule in force but cannot set it; another county's staff cannot reach this one
    committee = panel_sign_in(client.application.test_client(), "committee_a")
    page = committee.get("/admin/lifts").get_data(as_text=True)
    assert "本单元 2/3 以上业主同意" in page and 'name="min_owner_share"' not in page
    assert post(committee, "/admin/lifts/rule", "/admin/lifts", min_owner_share="1/2",
                confirmed="1").status_code == 404
    other = panel_sign_in(client.application.test_client(), "county_b")
    assert post(other, "/admin/lifts/rule", "/admin/lifts", min_owner_share="1/2", confirmed="1").status_code == 302
    db.session.expire_all()
    assert str(lifts.rule_for(world.county_a).min_owner_share) == "2/3"  # county_b set its own county's
    assert str(lifts.rule_for(world.county_b).min_owner_share) == "1/2"
