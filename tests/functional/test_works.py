"""The works end to end, through the API and the panel: named contractor and supervisor, an inspection
finding closed with evidence, a missed report deadline escalated, acceptance with two defects rectified and
re-inspected, final accounts published, handover, an elected owners' committee; the officials' pages."""
import io
import re
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Dwelling, beijing_today, utcnow
from core.staff import create_staff
from projects import works
from projects.models import Project
from surveys.models import Survey
from tests.builders import PASSWORD, deactivate, login, race_at_a_gate, roll_rows, roll_with_owner, staff_api
from tests.builders import CSRF, PNG, Panel, open_gate, sign_in

@pytest.fixture
def staff(client, world):
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, roll_rows(4))
    db.session.commit()
    http = client.application.test_client()
    return http, {"X-CSRFToken": login(http, "committee_a")}


def owner_of(client, simulator, http, headers, dwelling_id, openid):
    """A resident signed in to the mini-program and bound as the owner of a dwelling."""
    me = sign_in(client, simulator, openid)
    code = http.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={},
                     headers=headers).get_json()["code"]
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code}).status_code == 200
    return me


def fetched(http, path, **kwargs):
    """The status of a GET whose body (a file) is not read."""
    response = http.get(path, **kwargs)
    response.close()
    return response.status_code


def inbox_text(client, me):
    entries = client.get("/api/v1/inbox", headers=me).get_json()
    return " ".join(entry["title"] + " " + entry["body"] for entry in entries)


def test_a_project_from_named_contractor_to_handover_with_an_elected_committee(staff, world, client, simulator):
    http, headers = staff
    dwellings = db.session.scalars(select(Dwelling.id).order_by(Dwelling.id)).all()
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id], "plan_year": 2026}).get_json()["id"]
    open_gate(client, pid)
    lights = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I03", "budget": 40_000_000},
                       headers=headers).get_json()["id"]
    pipes = http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I02", "budget": 60_000_000},
                      headers=headers).get_json()["id"]
    http.post(f"/api/v1/admin/projects/{pid}/funding", json={"source": "central_subsidy", "amount": 100_000_000},
              headers=headers)

    # who answers for the works: the contractor by API, the supervising engineer in the panel
    bad = http.put(f"/api/v1/admin/projects/{pid}/parties", headers=headers, json={
        "role": "contractor", "organisation": "四川华西建筑公司", "contact": "王工", "phone": "12"})
    assert bad.status_code == 422
    assert http.put(f"/api/v1/admin/projects/{pid}/parties", headers=headers, json={
        "role": "contractor", "organisation": "四川华西建筑公司", "contact": "王工", "phone": "028-8888 1234"}
    ).status_code == 200
    panel = Panel(client.application.test_client(), "committee_a")
    page = f"/admin/projects/{pid}/works"
    saved = panel.post(f"{page}?action=party", page, role="supervisor", organisation="成都建设监理公司",
                       contact="李监理", phone="13800001111")
    assert saved.status_code == 302
    me = owner_of(client, simulator, http, headers, dwellings[0], "works-owner-1")
    shown = client.get("/api/v1/project/works", headers=me).get_json()
    assert [(p["role"], p["organisation"]) for p in shown["parties"]] == [
        ("contractor", "四川华西建筑公司"), ("supervisor", "成都建设监理公司")]

    # a resident supervisor, approved by the committee in the panel, files an inspection note with a finding
    assert client.post("/api/v1/project/inspections", headers=me, data={"note": "x"}).status_code == 403
    volunteer = client.post("/api/v1/project/supervisors", headers=me, json={"name": "张阿姨"}).get_json()
    approved = panel.post(f"{page}?action=supervisor", page, supervisor_id=str(volunteer["id"]), decision="approve")
    assert approved.status_code == 302
    note = client.post("/api/v1/project/inspections", headers=me, content_type="multipart/form-data", data={
        "note": "3栋外墙施工巡查", "findings": "脚手架未挂安全网", "photos": [(io.BytesIO(PNG), "net.png")]})
    assert note.status_code == 201, note.get_data(as_text=True)
    finding = note.get_json()["findings"][0]
    assert finding["status"] == "open" and note.get_json()["photos"][0].endswith(".png")
    photo = note.get_json()["photos"][0]
    assert fetched(client, f"/api/v1/files/{photo}", headers=me) == 200  # the supervisor who took it
    assert fetched(panel.client, f"/api/v1/files/{photo}") == 200  # the committee
    neighbour = sign_in(client, simulator, "works-neighbour")
    assert fetched(client, f"/api/v1/files/{photo}", headers=neighbour) == 404

    # construction late: the stage is overdue; the officials' page shows it and the open finding
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "construction", "reason": "示范"})
    http.put(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={
        "stage": "construction", "planned_start": str(beijing_today() - timedelta(days=60)),
        "planned_end": str(beijing_today() - timedelta(days=3))})
    works.push_to_staff()
    county = Panel(client.application.test_client(), "county_a")
    overview = county.get("/admin/works")
    assert "玉林小区综合改造" in overview and "脚手架未挂安全网" in overview and "施工" in overview
    assert str(beijing_today() - timedelta(days=3)) in overview  # the overdue stage's planned end
    assert "Renovation" not in overview

    # the finding is closed only with evidence, in the panel
    empty = panel.post(f"{page}?action=finding", page, finding_id=str(finding["id"]), evidence="")
    assert empty.status_code == 422
    closed = panel.post(f"{page}?action=finding", page, files=["fixed.png"], finding_id=str(finding["id"]),
                        evidence="已挂设密目安全网，监理复查合格")
    assert closed.status_code == 302
    assert "已挂设密目安全网" in panel.get(page)
    assert "脚手架未挂安全网" not in county.get("/admin/works")

    # a report misses its deadline: the street has it, then the county; the reporter is told each time
    report = client.post("/api/v1/reports", headers=me, data={"text": "施工噪音晚上十点后还在继续"}).get_json()
    assert report["level"] == "community" and report["deadline"]
    assert "R%06d" % report["id"] in inbox_text(client, me)
    assert works.escalate_due(utcnow() + timedelta(hours=71)) == 0
    assert works.escalate_due(utcnow() + timedelta(hours=73)) == 1
    mine = client.get("/api/v1/reports", headers=me).get_json()[0]
    assert mine["level"] == "street"
    assert "由街道" in panel.get(f"/admin/projects/{pid}")  # the committee sees who holds it now
    assert "街道" in inbox_text(client, me)
    assert works.escalate_due(utcnow() + timedelta(hours=73 + 73)) == 1
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["level"] == "county"
    assert "县" in inbox_text(client, me)
    from notices.sender import drain
    drain()  # the outbox takes these messages as it takes any other
    # the supervisor sees every report
    assert [r["id"] for r in client.get("/api/v1/project/reports", headers=me).get_json()] == [report["id"]]
    http.post(f"/api/v1/admin/reports/{report['id']}", headers=headers,
              json={"status": "resolved", "answer": "已要求施工方晚上八点后停工"})
    reopened = client.post(f"/api/v1/reports/{report['id']}/verdict", headers=me, json={"resolved": False})
    assert reopened.status_code == 200
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["status"] == "assigned"
    http.post(f"/api/v1/admin/reports/{report['id']}", headers=headers,
              json={"status": "resolved", "answer": "街道已约谈施工方，夜间停工"})
    client.post(f"/api/v1/reports/{report['id']}/verdict", headers=me, json={"resolved": True})
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["reporter_verdict"] == "resolved"
    times = county.client.get("/api/v1/admin/reports/times").get_json()
    assert times == [{"region": "玉林街道", "reports": 1, "open": 0, "escalated": 1, "overdue": 0,
                      "mean_hours": times[0]["mean_hours"], "max_hours": times[0]["max_hours"]}]
    assert "玉林街道" in county.get("/admin/works")

    # money spent: spending by API, a change order in the panel
    assert http.post(f"/api/v1/admin/projects/{pid}/items/{lights}/spending", headers=headers,
                     json={"amount": 38_500_000, "note": "楼道灯具及安装"}).status_code == 201
    assert http.post(f"/api/v1/admin/projects/{pid}/items/{pipes}/spending", headers=headers,
                     json={"amount": 0, "note": "x"}).status_code == 422
    http.post(f"/api/v1/admin/projects/{pid}/items/{pipes}/spending", headers=headers,
              json={"amount": 65_000_000, "note": "雨污分流管网"})
    changed = panel.post(f"{page}?action=change", page, item_id=str(pipes), amount="50000",
                         reason="地下管线实测长度增加")
    assert changed.status_code == 302

    # acceptance with two defects; handover waits until both are rectified and re-inspected
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "acceptance"})
    no_rep = http.post(f"/api/v1/admin/projects/{pid}/acceptance", headers=headers, json={
        "note": "联合验收", "participants": [{"name": "王工", "role": "contractor"}]})
    assert no_rep.status_code == 422
    accepted = http.post(f"/api/v1/admin/projects/{pid}/acceptance", headers=headers, json={
        "note": "联合验收基本合格，两处问题限期整改",
        "participants": [{"name": "张阿姨", "role": "resident_rep"}, {"name": "李监理", "role": "supervisor"},
                         {"name": "王工", "role": "contractor"}],
        "defects": [{"text": "2栋楼道灯感应失灵", "item_id": lights}, {"text": "井盖松动有异响", "item_id": pipes}]})
    assert accepted.status_code == 200 and accepted.get_json()["stage"] == "acceptance"
    defects = http.get(f"/api/v1/admin/projects/{pid}/works").get_json()["defects"]
    assert [d["routed_to"].split()[0] for d in defects] == ["四川华西建筑公司"] * 2
    assert http.post(f"/api/v1/admin/projects/{pid}/handover", headers=headers).status_code == 409
    first, second = defects[0]["id"], defects[1]["id"]
    assert http.post(f"/api/v1/admin/defects/{first}/reinspection", headers=headers,
                     json={"passed": True, "note": "x"}).status_code == 409  # nothing rectified yet
    http.post(f"/api/v1/admin/defects/{first}/rectification", headers=headers, content_type="multipart/form-data",
              data={"text": "更换感应开关", "photos": [(io.BytesIO(PNG), "switch.png")]})
    failed = http.post(f"/api/v1/admin/defects/{first}/reinspection", headers=headers,
                       json={"passed": False, "note": "3楼仍不亮"}).get_json()
    assert failed["status"] == "open"
    http.post(f"/api/v1/admin/defects/{first}/rectification", headers=headers, content_type="multipart/form-data",
              data={"text": "3楼线路重接"})
    assert http.post(f"/api/v1/admin/defects/{first}/reinspection", headers=headers,
                     json={"passed": True, "note": "全部正常"}).get_json()["status"] == "closed"
    held = panel.post(f"{page}?action=handover", page)
    assert held.status_code == 422 and "1" in held.get_data(as_text=True)
    assert panel.post(f"{page}?action=rectify", page, files=["cover.png"], defect_id=str(second),
                      text="更换井盖及橡胶垫").status_code == 302
    assert panel.post(f"{page}?action=reinspect", page, defect_id=str(second), passed="yes",
                      note="复查无异响").status_code == 302
    assert panel.post(f"{page}?action=handover", page).status_code == 302
    project = db.session.get(Project, pid)
    db.session.refresh(project)
    assert project.stage == "handover"
    kinds = set(db.session.scalars(select(Survey.kind).where(Survey.project_id == pid)))
    assert kinds == {"satisfaction", "management"}

    # final accounts published and exported for auditors
    published = http.post(f"/api/v1/admin/projects/{pid}/final-accounts", headers=headers)
    assert published.status_code == 201
    totals = published.get_json()["figures"]["totals"]
    assert totals == {"budget": 100_000_000, "changes": 5_000_000, "revised": 105_000_000, "spent": 103_500_000,
                      "difference": 1_500_000}
    assert http.post(f"/api/v1/admin/projects/{pid}/final-accounts", headers=headers).status_code == 409
    seen = client.get("/api/v1/project/works", headers=me).get_json()
    assert seen["final_accounts"]["figures"]["totals"]["spent"] == 103_500_000
    workbook = panel.client.get(f"/admin/projects/{pid}/accounts.xlsx")
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(workbook.data)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[-1][0] == "合计" and rows[-1][3:5] == [1_050_000, 1_035_000]

    # a defect during the warranty goes to the contractor
    warranty = client.post("/api/v1/project/defects", headers=me, data={"text": "雨后1栋门口积水"})
    assert warranty.status_code == 201 and warranty.get_json()["routed_to"].startswith("四川华西建筑公司")
    reference = "D%06d" % warranty.get_json()["id"]
    assert f"{reference}" in inbox_text(client, me) and "四川华西建筑公司" in inbox_text(client, me)
    # the committee's inbox holds the contractor's signed page, to forward; the contractor opens it signed out
    alert = panel.get("/admin/inbox")
    assert "保修期问题" in alert and "雨后1栋门口积水" in alert
    link = re.search(r"(/public/defects/[\w.-]+)", alert).group(1)
    contractor = client.application.test_client()
    shown = contractor.get(link).get_data(as_text=True)
    assert "雨后1栋门口积水" in shown and reference in shown
    assert contractor.get(link[:-2] + "xx").status_code == 404  # a forged link shows nothing
    token = CSRF.search(shown).group(1)
    assert contractor.post(link, data={"csrf_token": token, "text": ""}).status_code == 422  # evidence needed
    repaired = contractor.post(link, content_type="multipart/form-data", data={
        "csrf_token": token, "text": "疏通1栋门口排水沟", "photos": [(io.BytesIO(PNG), "drain.png")]})
    assert repaired.status_code == 302
    after = contractor.get(link).get_data(as_text=True)
    assert "疏通1栋门口排水沟" in after
    photo = re.search(r'src="(/public/defects/[^"]+/files/[^"]+)"', after).group(1)
    assert fetched(contractor, photo) == 200 and fetched(contractor, photo.replace(link, link[:-2] + "xx")) == 404
    assert "施工单位报告已修复" in inbox_text(client, me)
    assert "请复查" in panel.get("/admin/inbox")
    # the committee re-inspects: not repaired goes back to the contractor, then repaired and checked
    warranty_id = warranty.get_json()["id"]
    assert http.post(f"/api/v1/admin/defects/{warranty_id}/reinspection", headers=headers,
                     json={"passed": False, "note": "雨后仍有积水"}).status_code == 200
    assert "仍未修复" in inbox_text(client, me)
    again = contractor.get(link).get_data(as_text=True)
    assert "雨后仍有积水" in again
    assert contractor.post(link, content_type="multipart/form-data", data={
        "csrf_token": CSRF.search(again).group(1), "text": "加设排水篦子"}).status_code == 302
    assert http.post(f"/api/v1/admin/defects/{warranty_id}/reinspection", headers=headers,
                     json={"passed": True, "note": "雨后复查无积水"}).status_code == 200
    closed = contractor.get(link).get_data(as_text=True)
    assert "已修复" in closed and "<img" not in closed
    assert fetched(contractor, photo) == 404  # the link no longer shows the residents' photos once closed
    assert "问题已整改并复查合格" in inbox_text(client, me)

    # the owners' committee: three candidates for two seats, counted under art. 278's ordinary rule
    election = http.post("/api/v1/admin/elections", headers=headers, json={
        "compound_id": world.compound_a.id, "title": "玉林小区第一届业主委员会选举", "seats": 2,
        "project_id": pid}).get_json()
    candidates = [http.post(f"/api/v1/admin/elections/{election['id']}/candidates", headers=headers,
                            json={"name": name, "nominated_by": "业主联名"}).get_json()["id"]
                  for name in ("刘建国", "陈秀英", "赵志强")]
    closes = (utcnow() + timedelta(days=7)).isoformat()
    assert http.post(f"/api/v1/admin/elections/{election['id']}/open", headers=headers,
                     json={"closes_at": closes}).status_code == 200
    assert client.get("/api/v1/elections", headers=me).get_json()[0]["title"] == "玉林小区第一届业主委员会选举"
    too_many = client.post(f"/api/v1/elections/{election['id']}/ballot", headers=me, json={"candidate_ids": candidates})
    assert too_many.status_code == 422
    assert client.post(f"/api/v1/elections/{election['id']}/ballot", headers=me,
                       json={"candidate_ids": candidates[:2]}).status_code == 200
    create_staff(None, "committee_a2", "委员a2", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    second = client.application.test_client()
    second_headers = {"X-CSRFToken": login(second, "committee_a2")}
    for dwelling, chosen in ((dwellings[1], candidates[:2]), (dwellings[2], candidates[:2]),
                             (dwellings[3], candidates[2:])):
        entry = http.post(f"/api/v1/admin/elections/{election['id']}/paper", headers=headers,
                          json={"dwelling_id": dwelling, "candidate_ids": chosen})
        assert entry.status_code == 200 and entry.get_json()["state"] == "pending"
        confirm = f"/api/v1/admin/elections/{election['id']}/paper/{entry.get_json()['id']}/confirm"
        assert http.post(confirm, headers=headers, json={"candidate_ids": chosen}).status_code == 403  # not alone
        assert second.post(confirm, headers=second_headers, json={"candidate_ids": chosen}).get_json()[
            "state"] == "confirmed"
    counted = http.post(f"/api/v1/admin/elections/{election['id']}/close", headers=headers).get_json()
    assert counted["elected"] == ["刘建国", "陈秀英"]
    third = counted["result"]["candidates"][2]
    assert (third["agree_heads"], third["participating_heads"], third["elected"]) == (1, 4, False)


def test_report_deadlines_are_configured_by_kind(staff, world, client, simulator):
    http, headers = staff
    client.application.config["REPORT_DEADLINES"] = {"report": 24, "dispute": 240}
    http.post("/api/v1/admin/projects", headers=headers, json={"name": "x", "compound_ids": [world.compound_a.id]})
    dwelling = db.session.scalar(select(Dwelling.id).order_by(Dwelling.id))
    me = owner_of(client, simulator, http, headers, dwelling, "deadline-1")
    client.post("/api/v1/reports", headers=me, data={"text": "邻里因改造占地起纠纷", "kind": "dispute"})
    client.post("/api/v1/reports", headers=me, data={"text": "路灯不亮"})
    assert works.escalate_due(utcnow() + timedelta(hours=25)) == 1  # the report, not yet the dispute
    levels = {r["kind"]: r["level"] for r in client.get("/api/v1/reports", headers=me).get_json()}
    assert levels == {"report": "street", "dispute": "community"}


def report_on_a_project(client, simulator, http, headers, world, openid):
    """A project for compound a and a report one of its owners files in the mini-program: (project id, report id,
    the owner's headers)."""
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    dwelling = db.session.scalar(select(Dwelling.id).order_by(Dwelling.id))
    me = owner_of(client, simulator, http, headers, dwelling, openid)
    report = client.post("/api/v1/reports", headers=me, data={"text": "楼道堆放建筑垃圾三天无人清运"}).get_json()
    return pid, report["id"], me


def report_form_of(page, report_id):
    """Whether a project page offers the form to handle this report."""
    return f'name="report_id" value="{report_id}"' in page


def test_a_report_passed_up_to_the_county_is_answered_by_its_official_and_by_no_other(staff, world, client,
                                                                                       simulator):
    """The committee and the street let both deadlines pass: the county's official triages the report through the
    staff API and answers it in the panel; the reporter hears the answer. An official of another county finds no
    such report through either door and changes nothing. The audit log says who handled it, at which level."""
    http, headers = staff
    pid, report_id, me = report_on_a_project(client, simulator, http, headers, world, "county-reporter")
    assert works.escalate_due(utcnow() + timedelta(hours=73)) == 1
    assert works.escalate_due(utcnow() + timedelta(hours=73 + 73)) == 1
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["level"] == "county"

    other, other_headers = staff_api(client, "county_b")
    tried = other.post(f"/api/v1/admin/reports/{report_id}", headers=other_headers,
                       json={"status": "resolved", "answer": "已处理"})
    assert tried.status_code == 404
    other_panel = Panel(client.application.test_client(), "county_b")
    assert other_panel.client.get(f"/admin/projects/{pid}").status_code == 404
    token = CSRF.search(other_panel.get("/admin/projects")).group(1)
    assert other_panel.client.post(f"/admin/projects/{pid}?action=report", data={
        "csrf_token": token, "report_id": str(report_id), "status": "resolved", "answer": "已处理"}).status_code == 404
    mine = client.get("/api/v1/reports", headers=me).get_json()[0]
    assert (mine["status"], mine["answer"]) == ("new", None)

    county, county_headers = staff_api(client, "county_a")
    triaged = county.post(f"/api/v1/admin/reports/{report_id}", headers=county_headers, json={"status": "triaged"})
    assert triaged.status_code == 200, triaged.get_json()
    panel = Panel(client.application.test_client(), "county_a")
    page = f"/admin/projects/{pid}"
    assert report_form_of(panel.get(page), report_id)
    answered = panel.post(f"{page}?action=report", page, report_id=str(report_id), status="resolved",
                          answer="区住建局已责令施工方今日清运建筑垃圾")
    assert answered.status_code == 302
    mine = client.get("/api/v1/reports", headers=me).get_json()[0]
    assert (mine["status"], mine["answer"]) == ("resolved", "区住建局已责令施工方今日清运建筑垃圾")
    assert "区住建局已责令施工方今日清运建筑垃圾" in inbox_text(client, me)

    admin, _admin_headers = staff_api(client, "admin")
    entries = admin.get("/api/v1/admin/audit", query_string={"action": "report.handle"}).get_json()
    assert [(e["actor"], e["target_id"], e["before"]["status"], e["after"]["status"], e["after"]["level"])
            for e in entries] == [("county_a", str(report_id), "triaged", "resolved", "county"),
                                  ("county_a", str(report_id), "new", "triaged", "county")]


def test_an_official_handles_a_report_only_once_it_falls_to_them(staff, world, client, simulator):
    """While the committee or a staffed street office holds a report, the county's official may read it but not
    handle it; when the street's staff are deactivated, the county answers for the street and may. The city's
    official never may while the county has staff."""
    http, headers = staff
    create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    pid, report_id, me = report_on_a_project(client, simulator, http, headers, world, "falls-reporter")
    county, county_headers = staff_api(client, "county_a")
    panel = Panel(client.application.test_client(), "county_a")
    page = f"/admin/projects/{pid}"

    def county_triages():
        return county.post(f"/api/v1/admin/reports/{report_id}", headers=county_headers, json={"status": "triaged"})

    held = county_triages()  # the committee holds it
    assert held.status_code == 403 and held.get_json()["error"]["code"] == "report.not_passed_up"
    assert not report_form_of(panel.get(page), report_id)
    works.escalate_due(utcnow() + timedelta(hours=73))  # the street holds it, and has staff
    assert county_triages().status_code == 403 and not report_form_of(panel.get(page), report_id)
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["status"] == "new"

    deactivate(client, "street_a")  # nobody at the street: the county answers for it
    assert county_triages().status_code == 200
    assert report_form_of(panel.get(page), report_id)
    works.escalate_due(utcnow() + timedelta(hours=73 + 73))
    city, city_headers = staff_api(client, "city")
    assert city.post(f"/api/v1/admin/reports/{report_id}", headers=city_headers,
                     json={"status": "resolved", "answer": "已处理"}).status_code == 403
    assert client.get("/api/v1/reports", headers=me).get_json()[0]["status"] == "triaged"


def test_only_the_committee_region_sees_and_acts_on_the_works(staff, world, client):
    http, headers = staff
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "x", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    other = client.application.test_client()
    other_headers = {"X-CSRFToken": login(other, "county_b")}
    assert other.get(f"/api/v1/admin/projects/{pid}/works").status_code == 404
    assert other.put(f"/api/v1/admin/projects/{pid}/parties", headers=other_headers, json={
        "role": "contractor", "organisation": "x", "contact": "y", "phone": "13800001111"}).status_code == 404
    create_staff(None, "city_viewer", "市", "city", world.city.id, PASSWORD)
    db.session.commit()
    city = client.application.test_client()
    city_headers = {"X-CSRFToken": login(city, "city_viewer")}
    assert city.get(f"/api/v1/admin/projects/{pid}/works").status_code == 200
    assert city.put(f"/api/v1/admin/projects/{pid}/parties", headers=city_headers, json={
        "role": "contractor", "organisation": "x", "contact": "y", "phone": "13800001111"}).status_code == 403


def test_the_satisfaction_rate_sits_beside_the_response_rate(staff, world, client, simulator):
    http, headers = staff
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    http.post(f"/api/v1/admin/projects/{pid}/items", json={"catalogue_code": "I03"}, headers=headers)
    open_gate(client, pid)
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "acceptance", "reason": "示范"})
    http.post(f"/api/v1/admin/projects/{pid}/acceptance", headers=headers, json={
        "note": "合格", "participants": [{"name": "王大爷", "role": "resident_rep"}]})
    dwellings = db.session.scalars(select(Dwelling.id).order_by(Dwelling.id)).all()
    survey = db.session.scalar(select(Survey.id).where(Survey.project_id == pid, Survey.kind == "satisfaction"))
    # four residents asked; three answer overall 3 (一般), 4 (基本满意) and 5 (满意)
    for n, rating in enumerate((3, 4, 5, None)):
        me = owner_of(client, simulator, http, headers, dwellings[n], f"sat-{n}")
        if rating is not None:
            answered = client.put(f"/api/v1/surveys/{survey}/response", headers=me,
                                  json={"answers": {"overall": rating}, "submit": True})
            assert answered.status_code == 200, answered.get_data(as_text=True)
    timeline = client.get("/api/v1/project", headers=me).get_json()
    assert timeline["satisfaction_rate"] == 66.7 and timeline["response_rate"] == 75.0
    assert timeline["satisfaction"] == 80.0  # the old index, kept and labelled: mean rating over 5
    county = Panel(client.application.test_client(), "county_a")
    html = county.get("/admin/works")
    assert "66.7%" in html and "75.0%" in html and "80.0%" in html
    assert "66" in county.get("/admin/dashboard")


def test_missed_deadlines_are_checked_on_a_schedule(app):
    from projects.jobs import register_jobs
    added = []

    class Scheduler:
        def add_job(self, func, trigger, **options):
            added.append((trigger, options.get("seconds"), options["args"][0]))
    register_jobs(app, Scheduler())
    assert ("interval", app.config["WORKS_INTERVAL"], "projects.works:escalate_due") in added
    assert ("cron", None, "projects.jobs:check_deadlines") in added


def test_the_management_mode_and_the_covenant_go_to_the_owners_vote(staff, world):
    http, headers = staff
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    mode = http.post(f"/api/v1/admin/projects/{pid}/management-vote", headers=headers,
                     json={"compound_id": world.compound_a.id, "mode": "street"})
    covenant = http.post(f"/api/v1/admin/projects/{pid}/covenant-vote", headers=headers,
                         json={"compound_id": world.compound_a.id, "text": "第一条 本规约对全体业主具有约束力。"})
    assert mode.status_code == 201 and covenant.status_code == 201
    from votes.models import Vote
    votes = {v.matter: v for v in Vote.query.filter_by(compound_id=world.compound_a.id)}
    assert votes["property_manager"].title.endswith("街道托管服务")
    assert votes["management_covenant"].state == "draft" and "本规约" in votes["management_covenant"].text
    assert mode.get_json()["id"] == votes["property_manager"].id
    assert http.post(f"/api/v1/admin/projects/{pid}/management-vote", headers=headers,
                     json={"compound_id": world.compound_b.id, "mode": "self"}).status_code == 404


def test_an_election_run_in_the_panel(staff, world, client):
    panel = Panel(client.application.test_client(), "committee_a")
    made = panel.post("/admin/elections", "/admin/elections", compound_id=str(world.compound_a.id),
                      title="业主委员会选举", seats="1")
    assert made.status_code == 302
    page = made.headers["Location"]
    assert panel.post(f"{page}?action=open", page, closes_at="2099-01-01T09:00").status_code == 422  # nobody yet
    for name in ("刘建国", "陈秀英"):
        assert panel.post(f"{page}?action=nominate", page, name=name, nominated_by="业主联名").status_code == 302
    assert panel.post(f"{page}?action=open", page, closes_at="2099-01-01T09:00").status_code == 302
    html = panel.get(page)
    dwellings = re.findall(r'<option value="(\d+)"', html)
    candidates = re.findall(r'name="candidate_ids"[^>]*value="(\d+)"', html) or re.findall(
        r'value="(\d+)"[^>]*name="candidate_ids"', html)
    assert len(dwellings) == 4 and len(candidates) == 2
    for dwelling, chosen in zip(dwellings, ([candidates[0]], [candidates[0]], [candidates[1]], [candidates[1]])):
        assert panel.post(f"{page}?action=paper", page, dwelling_id=dwelling, candidate_ids=chosen).status_code == 302
    assert "action=confirm" not in panel.get(page)  # who typed a ballot does not confirm it
    create_staff(None, "committee_a2", "委员a2", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    second = Panel(client.application.test_client(), "committee_a2")
    pending = re.findall(r'name="entry_id"[^>]*value="(\d+)"', second.get(page)) or re.findall(
        r'value="(\d+)"[^>]*name="entry_id"', second.get(page))
    assert len(pending) == 4 and "待复核" in second.get(page)
    by_entry = dict(zip(sorted(pending, key=int), ([candidates[0]], [candidates[0]], [candidates[1]])))
    for entry, chosen in by_entry.items():  # the fourth is never confirmed: void when voting closes
        assert second.post(f"{page}?action=confirm", page, entry_id=entry, candidate_ids=chosen).status_code == 302
    assert panel.post(f"{page}?action=close", page).status_code == 302
    counted = panel.get(page)
    rows = dict(re.findall(r"<tr><td>(\S+?)</td>.*?<td>(?:<strong>)?([^<]+)(?:</strong>)?</td></tr>", counted, re.S))
    assert rows == {"刘建国": "当选", "陈秀英": "未当选"}  # 2 of 3 participants agree: more than half
    assert "3 / 4" in counted
    assert "作废（未经确认）" in counted  # the unconfirmed entry stays listed, never counted


def test_a_follower_is_pushed_the_escalation_within_the_template_limits(staff, world, simulator):
    from core.models import WechatAccount
    from notices.sender import drain
    from projects import services as project_services
    from tests.builders import bind_accounts
    from tests.builders import simulator_calls as calls
    http, headers = staff
    http.post("/api/v1/admin/projects", headers=headers, json={"name": "玉林小区改造",
                                                               "compound_ids": [world.compound_a.id]})
    openid = bind_accounts(world.compound_a.id, 1, prefix="follower")[0]
    account = WechatAccount.query.filter_by(openid=openid).one()
    project_services.report_problem(account, "楼道堆放建筑垃圾")
    db.session.commit()
    works.escalate_due(utcnow() + timedelta(hours=73))
    drain()
    sent = [c["body"]["data"] for c in calls(simulator, "/cgi-bin/message/template/send")]
    assert any("街道" in str(data) for data in sent), sent
    assert all(len(field["value"]) <= 20 for data in sent for key, field in data.items() if key.startswith("thing"))


def test_report_times_are_summed_by_region_in_the_database(staff, world, client, simulator):
    from oversight.services import report_times
    from projects.models import SiteReport
    http, headers = staff
    http.post("/api/v1/admin/projects", headers=headers, json={"name": "x", "compound_ids": [world.compound_a.id]})
    dwelling = db.session.scalar(select(Dwelling.id).order_by(Dwelling.id))
    me = owner_of(client, simulator, http, headers, dwelling, "times-1")
    ids = [client.post("/api/v1/reports", headers=me, data={"text": f"问题{n}"}).get_json()["id"] for n in range(3)]
    for report_id, hours in zip(ids, (2, 5)):
        report = db.session.get(SiteReport, report_id)
        report.status, report.resolved_at = "resolved", report.created_at + timedelta(hours=hours)
    db.session.commit()
    _region, rows = report_times(world.county_staff_a, None, now=utcnow() + timedelta(hours=80))
    assert rows == [("玉林街道", {"reports": 3, "open": 1, "escalated": 0, "overdue": 1,
                                "mean_hours": Fraction(7, 2), "max_hours": Fraction(5)})]
    _region, rows = report_times(world.county_staff_b)
    assert rows == []




@pytest.mark.postgresql_only
@pytest.mark.parametrize("first", ["resolving", "escalating"])
def test_a_report_resolved_while_it_is_escalated_is_either_resolved_first_or_sent_up_first_never_both_at_once(
        app, staff, world, client, simulator, database_url, first):
    """Staff resolve a report just as the schedule finds it past its deadline. Whichever holds the report's row
    first finishes first (the test holds it there, midway, by the audit entry it writes): the other waits for
    it, sees what it did, and neither deadlocks. Resolved first, it is not sent up (the reporter is not told so,
    the street is not alerted); sent up first, it is then resolved where it now is."""
    http, headers = staff
    create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    http.post("/api/v1/admin/projects", headers=headers, json={"name": "x", "compound_ids": [world.compound_a.id]})
    dwelling = db.session.scalar(select(Dwelling.id).order_by(Dwelling.id))
    me = owner_of(client, simulator, http, headers, dwelling, "race-reporter")
    report = client.post("/api/v1/reports", headers=me, data={"text": "楼道堆放建筑垃圾"}).get_json()
    action = {"resolving": "report.handle", "escalating": "report.escalate"}[first]
    answers, moved = [], []

    def resolve():
        answers.append(http.post(f"/api/v1/admin/reports/{report['id']}", headers=headers,
                                 json={"status": "resolved", "answer": "已清运，谢谢提醒"}))

    def escalate():
        with app.app_context():  # the schedule's run, in a transaction of its own
            moved.append(works.escalate_due(utcnow() + timedelta(hours=73)))

    # whoever goes first is held as it writes its audit entry
    waited = race_at_a_gate(database_url, f"BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = '{action}')",
                            {"resolving": resolve, "escalating": escalate}, first, "the report's row")
    (answer,) = answers
    assert answer.status_code == 200, answer.get_json()
    mine = client.get("/api/v1/reports", headers=me).get_json()[0]
    street = Panel(client.application.test_client(), "street_a")
    if first == "resolving":
        assert moved == [0]
        assert (mine["status"], mine["level"]) == ("resolved", "community")
        assert "街道" not in inbox_text(client, me) and "转给您的反映" not in street.get("/admin/inbox")
    else:
        assert moved == [1]
        assert (mine["status"], mine["level"]) == ("resolved", "street")
        assert "街道" in inbox_text(client, me) and "转给您的反映" in street.get("/admin/inbox")
    latest = client.get("/api/v1/inbox", headers=me).get_json()[0]
    assert "已清运" in latest["body"], latest  # the answer is the last word the reporter hears
    assert waited, f"{'the escalation' if first == 'resolving' else 'the resolution'} did not wait for the report"
    assert works.escalate_due(utcnow() + timedelta(hours=73 + 73)) == 0  # resolved: it stays where it is


def test_an_official_refused_a_report_the_county_holds_is_not_told_the_committee_holds_it(
        staff, world, client, simulator):  # noqa: F811
    """The report has reached the county, whose officials are active: the city's official may not answer it, and
    is told why without being told, wrongly, that it is still with the committee or the street office."""
    http, headers = staff
    _pid, report_id, _me = report_on_a_project(client, simulator, http, headers, world, "review-reporter")
    works.escalate_due(utcnow() + timedelta(hours=73))
    works.escalate_due(utcnow() + timedelta(hours=73 + 73))
    city, city_headers = staff_api(client, "city")
    refused = city.post(f"/api/v1/admin/reports/{report_id}", headers=city_headers, json={"status": "triaged"})
    assert refused.status_code == 403
    message = refused.get_json()["error"]["message"]
    assert "居委会或街道办" not in message, message
