"""The gate before works and the contribution ledger, through the API, the panel and the mini-program."""
import io
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import AuditLog, utcnow
from tests.builders import page_sign_in as panel_sign_in
from tests.builders import panel_post as post
from tests.builders import bound_resident as resident
from tests.builders import fund_vote


def test_the_gate_refuses_works_without_consent_and_publicity_and_says_what_is_missing(client, world, project):
    http, headers, pid, _rooms = project
    refused = http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                        json={"stage": "construction", "reason": "年度计划"})
    assert refused.status_code == 409 and "暂不能开工" in refused.get_json()["error"]["message"]
    assert http.get(f"/api/v1/admin/projects/{pid}").get_json()["stage"] == "reserve"
    # stages before the works need nothing
    assert http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                     json={"stage": "approval", "reason": "方案设计中"}).status_code == 200
    # the panel says what is missing, on the project page and the gate page
    panel = panel_sign_in(client.application.test_client(), "committee_a")
    page = panel.get(f"/admin/projects/{pid}").get_data(as_text=True)
    assert "以下条件满足前不能开工" in page and "玉林小区 尚无通过的改造表决或意愿征询" in page
    assert "小区改造方案尚未公示" in panel.get(f"/admin/projects/{pid}/gate").get_data(as_text=True)
    # the committee cannot override; a county official can, with a reason, and it is audited
    assert http.post(f"/api/v1/admin/projects/{pid}/gate/override", headers=headers,
                     json={"reason": "先干再说"}).status_code == 403
    county = panel_sign_in(client.application.test_client(), "county_a")
    gate_page = f"/admin/projects/{pid}/gate"
    empty = post(county, f"{gate_page}?action=override", gate_page, reason="")
    assert empty.status_code == 422
    done = post(county, f"{gate_page}?action=override", gate_page, reason="汛期前必须完成排水改造（县政府会议纪要）")
    assert done.status_code == 302
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "project.gate_override"))
    assert entry.actor == "county_a" and "gate.no_consent" in entry.after["missing"]
    started = http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "construction"})
    assert started.status_code == 200 and started.get_json()["stage"] == "construction"


def test_the_plan_is_published_with_its_budget_and_objections_are_answered_in_the_panel(
        client, world, project, simulator):
    http, headers, pid, rooms = project
    panel = panel_sign_in(client.application.test_client(), "committee_a")
    gate_page = f"/admin/projects/{pid}/gate"
    now = utcnow() + timedelta(hours=8)  # the form takes Beijing time
    published = post(panel, f"{gate_page}?action=publish", gate_page,
                     starts_at=(now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
                     ends_at=(now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), summary="楼道改造，预算1万元")
    assert published.status_code == 302, published.get_data(as_text=True)[:500]
    me = resident(client, simulator, http, headers, rooms["201"], "pub-201")
    period = client.get("/api/v1/publicity", headers=me).get_json()[0]
    assert period["record"]["budget"] == 1_000_000 and period["record"]["items"][0]["code"] == "B01"
    photo = io.BytesIO(__import__("tests.functional.test_miniprogram", fromlist=["PNG"]).PNG)
    lodged = client.post(f"/api/v1/publicity/{period['id']}/objections", headers=me,
                         content_type="multipart/form-data", data={"text": "楼道灯位置不合理", "photos": [(photo, "a.png")]})
    assert lodged.status_code == 201 and lodged.get_json()["photos"]
    assert client.post(f"/api/v1/publicity/{period['id']}/objections", headers=me,
                       data={"text": ""}).status_code == 422
    public = client.get(f"/public/publicity/{period['id']}").get_data(as_text=True)
    assert "楼道灯位置不合理" in public and "尚未答复" in public and "业主201" not in public and "截止" in public
    page = f"/admin/publicity/{period['id']}"
    assert post(panel, f"{page}?action=close", page).status_code == 422  # not over, and unanswered
    answered = post(panel, f"{page}?action=answer", page, objection_id=str(lodged.get_json()["id"]),
                    answer="灯位已按您的意见调整到楼梯转角")
    assert answered.status_code == 302
    mine = client.get("/api/v1/publicity/objections/mine", headers=me).get_json()
    assert mine[0]["answer"] == "灯位已按您的意见调整到楼梯转角"
    assert "灯位已按您的意见" in client.get(f"/public/publicity/{period['id']}").get_data(as_text=True)


def test_the_ledger_enforces_its_states_through_the_api_and_the_panel(client, world, project, simulator):
    http, headers, pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["101"], "led-owner")
    tenant = resident(client, simulator, http, headers, rooms["102"], "led-tenant", kind="tenant")
    owners = {room: resident(client, simulator, http, headers, rooms[room], f"led-{room}") for room in ("201", "202")}
    fund_vote(client, world, http, headers, dict(owners, **{"101": owner}),
              {"101": "agree", "201": "agree", "202": "agree"})
    # maintenance funds are the owners' to give
    refused = client.post("/api/v1/project/pledges", headers=tenant, json={"kind": "maintenance_fund", "amount": 5000})
    assert refused.status_code == 403
    assert client.post("/api/v1/project/pledges", headers=tenant, json={"kind": "money", "amount": 5000}).status_code == 201
    pledged = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "maintenance_fund", "amount": 120_000})
    assert pledged.status_code == 201 and pledged.get_json()["state"] == "pledged"
    entry_id = pledged.get_json()["id"]
    # a pledge is not money in hand
    timeline = client.get("/api/v1/project", headers=owner).get_json()
    assert "resident_received" not in timeline["funding"]
    assert timeline["contributions"] == {"pledged": 125_000, "received": 0}
    # no receipt, no "received"
    base = f"/api/v1/admin/projects/{pid}/contributions/{entry_id}"
    assert http.post(f"{base}/receive", headers=headers, json={"receipt_no": "  "}).status_code == 422
    received = http.post(f"{base}/receive", headers=headers, json={"receipt_no": "SJ-2026-0001"})
    assert received.status_code == 200 and received.get_json()["state"] == "received"
    assert http.post(f"{base}/receive", headers=headers, json={"receipt_no": "SJ-2026-0002"}).status_code == 409
    assert http.post(f"{base}/close", headers=headers, json={"state": "cancelled", "reason": "x"}).status_code == 409
    timeline = client.get("/api/v1/project", headers=owner).get_json()
    assert timeline["funding"]["resident_received"] == 120_000
    assert timeline["contributions"] == {"pledged": 5_000, "received": 120_000}
    # residents see their own entries and the compound's totals, not their neighbours'
    mine = client.get("/api/v1/project/contributions", headers=owner).get_json()
    assert [e["id"] for e in mine["entries"]] == [entry_id] and mine["totals"]["received"] == 120_000
    # the equal share of the item, exactly to the fen among four homes
    item_id = http.get(f"/api/v1/admin/projects/{pid}").get_json()["items"][0]["id"]
    dues = http.put(f"/api/v1/admin/projects/{pid}/items/{item_id}/apportionment", headers=headers,
                    json={"rule": "equal", "amount": 100_001}).get_json()["dues"]
    assert sorted(dues.values()) == [25_000, 25_000, 25_000, 25_001]
    # the panel: a receipt without a number is refused next to the entry; a refund with a reason works
    panel = panel_sign_in(client.application.test_client(), "committee_a")
    ledger = f"/admin/projects/{pid}/contributions"
    tenant_entry = next(e for r in http.get(f"/api/v1/admin/projects/{pid}/contributions").get_json()["rows"]
                        for e in r["entries"] if e["dwelling_id"] == rooms["102"])
    missing = post(panel, f"{ledger}?action=receive", ledger, contribution_id=str(tenant_entry["id"]), receipt_no="")
    assert missing.status_code == 422 and "请填写收据编号" in missing.get_data(as_text=True)
    refund = post(panel, f"{ledger}?action=close", ledger, contribution_id=str(entry_id), state="refunded",
                  reason="业主大会决定改用现金")
    assert refund.status_code == 302
    page = panel.get(ledger).get_data(as_text=True)
    assert "已退还" in page and "250.01" in page  # the share due of one home
    export = panel.get(f"{ledger}.xlsx")
    assert export.status_code == 200
    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[1][:6] == ("楼栋", "单元", "房号", "类型", "状态", "金额（元）")
    assert rows[2:] == [("1", "1", "101", "维修资金", "已退还", "1200.00", None, "SJ-2026-0001", None),
                        ("1", "1", "102", "现金", "已认捐", "50.00", None, None, None)]
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "contribution.refund")) is not None
    # the panel's apportionment by floor: the ground floor pays nothing, the rest to the fen
    by_floor = post(panel, f"{ledger}?action=apportion", ledger, item_id=str(item_id), rule="floor", amount="1001",
                    coefficients="1:0, 2：1", scope=f"compound:{world.compound_a.id}")
    assert by_floor.status_code == 302, by_floor.get_data(as_text=True)[:500]
    rows = {r["room"]: r["due"] for r in http.get(f"/api/v1/admin/projects/{pid}/contributions").get_json()["rows"]}
    assert rows == {"101": 0, "102": 0, "201": 50_050, "202": 50_050}
    wrong = post(panel, f"{ledger}?action=apportion", ledger, item_id=str(item_id), rule="floor", amount="10",
                 coefficients="2:1", scope=f"compound:{world.compound_a.id}")
    assert wrong.status_code == 422 and "第 1 层没有分摊系数" in wrong.get_data(as_text=True)


def test_the_officials_ledger_shows_consent_publicity_and_money_received_against_pledged(
        client, world, project, simulator):
    http, headers, pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["201"], "tz-owner")
    first = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "money", "amount": 30_000}).get_json()
    client.post("/api/v1/project/pledges", headers=owner, json={"kind": "money", "amount": 12_345})
    http.post(f"/api/v1/admin/projects/{pid}/contributions/{first['id']}/receive", headers=headers,
              json={"receipt_no": "R-1"})
    starts = utcnow() - timedelta(minutes=1)
    http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat()})
    county = panel_sign_in(client.application.test_client(), "county_a")
    page = county.get("/admin/ledger").get_data(as_text=True)
    assert "公示中" in page and "300.00" in page and "123.45" in page
    assert f'href="/admin/projects/{pid}"' in page and f'href="/admin/compounds/{world.compound_a.id}"' in page
    assert "<td>县级</td>" in page  # the reserve level in the reader's words
    export = county.get("/admin/ledger.xlsx")
    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[2][-4:] == (None, "公示中", "300.00", "123.45")


def test_the_officials_ledger_shows_each_projects_budget_funding_and_progress_weighted_by_budget(
        client, world, project):
    http, headers, pid, _rooms = project
    first = http.get(f"/api/v1/admin/projects/{pid}", headers=headers).get_json()["items"][0]["id"]
    second = http.post(f"/api/v1/admin/projects/{pid}/items", headers=headers,
                       json={"catalogue_code": "B02", "budget": 2_000_000}).get_json()["id"]
    for item, progress in ((first, 33), (second, 50)):
        assert http.put(f"/api/v1/admin/projects/{pid}/items/{item}/progress", headers=headers,
                        json={"progress": progress}).status_code == 200
    for amount in (500_000, 250_000):
        assert http.post(f"/api/v1/admin/projects/{pid}/funding", headers=headers,
                         json={"source": "central_subsidy", "amount": amount}).status_code == 201
    county = panel_sign_in(client.application.test_client(), "county_a")
    page = county.get("/admin/ledger").get_data(as_text=True)
    # 30,000 yuan budgeted; (10,000 × 33% + 20,000 × 50%) / 30,000 = 44.3%, shown whole; 7,500 yuan funded
    assert "<td>30,000.00</td><td>44</td>" in page
    export = county.get("/admin/ledger.xlsx")
    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[2][13:16] == (30000, 7500, 44)


def test_a_resident_withdraws_a_pledge_in_chat_and_the_committee_sees_it_cancelled(client, world, project,
                                                                                  simulator):
    from contributions.models import Contribution
    from simulator.sender import text_xml
    from tests.builders import Bot
    http, headers, pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["202"], "chat-202")
    paid = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "money", "amount": 20_000}).get_json()
    http.post(f"/api/v1/admin/projects/{pid}/contributions/{paid['id']}/receive", headers=headers,
              json={"receipt_no": "R-9"})
    pledged = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "labour", "hours": 6}).get_json()
    bot = Bot(client)
    listing = bot.say(text_xml("chat-202", "认捐"))
    assert "尚未缴纳" in listing and "6 小时" in listing and "200.00" not in listing  # received money is not listed
    assert "撤回" in bot.say(text_xml("chat-202", "1"))
    assert "已保留" in bot.say(text_xml("chat-202", "0"))
    assert db.session.get(Contribution, pledged["id"]).state == "pledged"
    bot.say(text_xml("chat-202", "认捐"))
    bot.say(text_xml("chat-202", "1"))
    assert "已撤回" in bot.say(text_xml("chat-202", "1"))
    db.session.expire_all()
    assert db.session.get(Contribution, pledged["id"]).state == "cancelled"
    assert "没有待缴的认捐" in bot.say(text_xml("chat-202", "认捐"))
    rows = http.get(f"/api/v1/admin/projects/{pid}/contributions").get_json()["rows"]
    states = {e["id"]: e["state"] for r in rows for e in r["entries"]}
    assert states == {paid["id"]: "received", pledged["id"]: "cancelled"}
    # someone with no home bound is asked to bind first
    assert "绑定" in bot.say(text_xml("chat-stranger", "认捐"))


def test_using_the_maintenance_fund_needs_an_approved_owners_vote_through_the_api_and_the_panel(
        client, world, project, simulator):
    from contributions.models import Contribution
    from projects.models import Funding
    http, headers, pid, rooms = project
    owners = {room: resident(client, simulator, http, headers, rooms[room], f"mf-{room}")
              for room in ("101", "201", "202")}
    panel = panel_sign_in(client.application.test_client(), "committee_a")
    ledger = f"/admin/projects/{pid}/contributions"

    def refused_everywhere():
        mine = client.post("/api/v1/project/pledges?lang=en", headers=owners["101"],
                           json={"kind": "maintenance_fund", "amount": 50_000})
        assert mine.status_code == 409
        assert mine.get_json()["error"]["message"].startswith("Using the maintenance fund needs the owners' approval")
        staff = http.post(f"/api/v1/admin/projects/{pid}/contributions", headers=headers, json={
            "dwelling_id": rooms["201"], "kind": "maintenance_fund", "amount": 50_000})
        assert staff.status_code == 409 and "须先经业主表决同意" in staff.get_json()["error"]["message"]
        form = post(panel, f"{ledger}?action=pledge", ledger, dwelling_id=str(rooms["202"]), kind="maintenance_fund",
                    amount="50000")
        assert form.status_code == 422 and "须先经业主表决同意" in form.get_data(as_text=True)
        funding = http.post(f"/api/v1/admin/projects/{pid}/funding", headers=headers,
                            json={"source": "maintenance_fund", "amount": 1_000_000})
        assert funding.status_code == 409 and "须先经业主表决同意" in funding.get_json()["error"]["message"]
        assert db.session.scalar(select(Contribution.id).where(Contribution.kind == "maintenance_fund")) is None
        assert db.session.scalar(select(Funding.id).where(Funding.source == "maintenance_fund")) is None

    # no vote yet; then a vote the owners rejected: nothing may be recorded
    refused_everywhere()
    fund_vote(client, world, http, headers, owners, {"101": "agree", "201": "disagree", "202": "disagree"})
    refused_everywhere()
    # other kinds of money need no vote
    assert client.post("/api/v1/project/pledges", headers=owners["101"],
                       json={"kind": "money", "amount": 1000}).status_code == 201
    # the owners approve using the fund: every door records it
    fund_vote(client, world, http, headers, owners, {"101": "agree", "201": "agree", "202": "abstain"})
    mine = client.post("/api/v1/project/pledges", headers=owners["101"],
                       json={"kind": "maintenance_fund", "amount": 50_000})
    assert mine.status_code == 201
    assert http.post(f"/api/v1/admin/projects/{pid}/contributions/{mine.get_json()['id']}/receive", headers=headers,
                     json={"receipt_no": "WX-1"}).status_code == 200
    form = post(panel, f"{ledger}?action=pledge", ledger, dwelling_id=str(rooms["202"]), kind="maintenance_fund",
                amount="50000")
    assert form.status_code == 302
    assert http.post(f"/api/v1/admin/projects/{pid}/funding", headers=headers,
                     json={"source": "maintenance_fund", "amount": 1_000_000}).status_code == 201
