"""Alerts reach the responsible staff: a staff member links WeChat with a one-time code from their panel page,
sent to the official account; overdue stages, open findings and reports passed up are then pushed through the
outbox to that account and kept in the panel inbox; linking and unlinking are audited."""
from datetime import timedelta

import pytest

from core.extensions import db
from core.models import AuditLog, WechatAccount, beijing_today, utcnow
from core.staff import create_staff
from notices.sender import drain
from projects import services as project_services, works
from projects.jobs import check_deadlines
from simulator.sender import text_xml
from tests.builders import PASSWORD, Bot, bind_accounts, login, roll_rows, roll_with_owner
from tests.builders import LINK_CODE as CODE
from tests.builders import Panel, deactivate, open_gate, race_at_a_gate
from tests.builders import simulator_calls as calls

def pushed_to(simulator, openid):
    """Every text the service sent to this WeChat user (customer-service or template message)."""
    texts = []
    for path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send"):
        texts += [str(c["body"]) for c in calls(simulator, path) if c["body"].get("touser") == openid]
    return texts


def link(panel, bot, openid):
    """The staff member makes a code on their page and sends it to the official account."""
    made = panel.post("/admin/me/wechat?action=code", "/admin/me/wechat")
    assert made.status_code == 200
    code = CODE.search(made.get_data(as_text=True)).group(1)
    assert "工作人员" in bot.say(text_xml(openid, "工作人员"))
    return bot.say(text_xml(openid, code.lower()))  # typed by hand: case does not matter


def test_linked_staff_are_pushed_overdue_stages_findings_and_escalated_reports(client, world, simulator):
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    roll_with_owner(world.compound_a.id, roll_rows(2))
    create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    bot = Bot(client)
    committee = Panel(client.application.test_client(), "committee_a")
    assert "已关联" in link(committee, bot, "staff-committee-a")
    street = Panel(client.application.test_client(), "street_a")
    assert "已关联" in link(street, bot, "staff-street-a")
    bot.say(text_xml("staff-other", "工作人员"))
    assert "无效或已过期" in bot.say(text_xml("staff-other", "ABCD2345"))  # a guessed code links nothing
    assert "您的微信已于" in committee.get("/admin/me/wechat")

    # a project whose construction is late, with an open finding
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    open_gate(client, pid)
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "construction", "reason": "示范"})
    http.put(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={
        "stage": "construction", "planned_start": str(beijing_today() - timedelta(days=60)),
        "planned_end": str(beijing_today() - timedelta(days=3))})
    county = client.application.test_client()
    county_headers = {"X-CSRFToken": login(county, "county_a")}
    inspected = county.post(f"/api/v1/admin/projects/{pid}/inspections", headers=county_headers, data={
        "by_kind": "official", "inspector": "县住建局", "note": "巡查", "findings": "脚手架未挂安全网"})
    assert inspected.status_code == 201, inspected.get_data(as_text=True)

    check_deadlines()  # the daily job
    drain()
    pushed = " ".join(pushed_to(simulator, "staff-committee-a"))
    assert "玉林小区综合改造" in pushed and "脚手架未挂安全网" in pushed
    inbox = committee.get("/admin/inbox")
    assert "阶段逾期" in inbox and "施工" in inbox and "脚手架未挂安全网" in inbox
    assert "我的提醒 (2)" in inbox
    assert pushed_to(simulator, "staff-street-a") == []  # the street is not responsible for these

    # a report nobody answers in time goes to the street, and the street's staff are pushed it
    openid = bind_accounts(world.compound_a.id, 1, prefix="reporter")[0]
    account = WechatAccount.query.filter_by(openid=openid).one()
    project_services.report_problem(account, "楼道堆放建筑垃圾")
    db.session.commit()
    works.escalate_due(utcnow() + timedelta(hours=73))
    drain()
    assert any("楼道堆放建筑垃圾" in text for text in pushed_to(simulator, "staff-street-a"))
    assert "转给您的反映" in street.get("/admin/inbox")

    # reading the inbox; unlinking stops the pushes, the inbox keeps the alerts
    committee.post("/admin/inbox", "/admin/inbox")
    assert "我的提醒 (" not in committee.get("/admin/inbox")
    assert committee.post("/admin/me/wechat?action=unlink", "/admin/me/wechat").status_code == 302
    before = len(pushed_to(simulator, "staff-committee-a"))
    check_deadlines()
    drain()
    assert len(pushed_to(simulator, "staff-committee-a")) == before
    assert "我的提醒 (2)" in committee.get("/admin/inbox")
    actions = [a for (a,) in db.session.query(AuditLog.action).filter(AuditLog.action.like("staff.wechat%"))]
    assert actions.count("staff.wechat_link") == 2 and actions.count("staff.wechat_unlink") == 1


def overdue_project(client, http, headers, world):
    """A project whose construction ended three days ago by plan: the daily check alerts the committee."""
    pid = http.post("/api/v1/admin/projects", headers=headers, json={
        "name": "玉林小区综合改造", "compound_ids": [world.compound_a.id]}).get_json()["id"]
    open_gate(client, pid)
    http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={"stage": "construction", "reason": "示范"})
    http.put(f"/api/v1/admin/projects/{pid}/stages", headers=headers, json={
        "stage": "construction", "planned_start": str(beijing_today() - timedelta(days=60)),
        "planned_end": str(beijing_today() - timedelta(days=3))})
    return pid


def test_a_community_without_active_committee_staff_has_its_alerts_go_to_the_nearest_staffed_region_above(
        client, world, simulator):
    """The committee deactivated: the street hears of the overdue stage, the county does not; the street's staff
    deactivated as well: the county does."""
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    overdue_project(client, http, headers, world)
    deactivate(client, "committee_a")

    check_deadlines()
    street = Panel(client.application.test_client(), "street_a")
    county = Panel(client.application.test_client(), "county_a")
    assert "玉林小区综合改造" in street.get("/admin/inbox") and "我的提醒 (1)" in street.get("/admin/inbox")
    assert "玉林小区综合改造" not in county.get("/admin/inbox")

    deactivate(client, "street_a")
    check_deadlines()
    assert "玉林小区综合改造" in county.get("/admin/inbox") and "我的提醒 (1)" in county.get("/admin/inbox")
    assert "玉林小区综合改造" not in Panel(client.application.test_client(), "county_b").get("/admin/inbox")


def test_a_county_standing_in_for_its_street_hears_of_a_report_twice_each_time_with_what_is_new(
        client, world, simulator):
    """No staff at the street (the world has none): when the committee lets a report's deadline pass, the county
    is told it answers for the street, until the street's deadline, after which the report goes up to the county;
    when that passes too, it is told the report now rests formally with the county, the last level, with the new
    deadline, and that the resident was told so. Two alerts, each naming the report, the compound, what was
    reported and its deadline; none to the other county."""
    from core.times import format_moment, to_beijing
    from projects.models import ReportEscalation
    roll_with_owner(world.compound_a.id, roll_rows(2))
    openid = bind_accounts(world.compound_a.id, 1, prefix="reporter")[0]
    report = project_services.report_problem(WechatAccount.query.filter_by(openid=openid).one(), "楼道堆放建筑垃圾")
    db.session.commit()
    county = Panel(client.application.test_client(), "county_a")

    def deadline():
        db.session.expire_all()
        return format_moment(to_beijing(db.session.get(ReportEscalation, report.id).due_at), "zh_Hans_CN")

    def alerts():
        inbox = county.get("/admin/inbox")
        return [entry for entry in inbox.split("<li")[1:] if "R%06d" % report.id in entry]

    works.escalate_due(utcnow() + timedelta(hours=73))
    (first,) = alerts()
    street_deadline = deadline()
    assert "转给您的反映" in first and "玉林小区" in first and "楼道堆放建筑垃圾" in first
    assert "已转至玉林街道；玉林街道目前没有在岗的工作人员，由您负责答复" in first
    assert f"请于{street_deadline}前答复，逾期将转至区县住建部门" in first

    works.escalate_due(utcnow() + timedelta(hours=73 + 73))
    second, _first = alerts()
    county_deadline = deadline()
    assert county_deadline != street_deadline
    assert "反映已转至区县" in second and "玉林小区" in second and "楼道堆放建筑垃圾" in second
    assert "现已正式转由区县住建部门处理（最后一级）" in second and "已告知居民由区县住建部门督办" in second
    assert f"请于{county_deadline}前答复" in second and street_deadline not in second
    assert "R%06d" % report.id not in Panel(client.application.test_client(), "county_b").get("/admin/inbox")


def test_deleting_the_data_of_the_wechat_account_a_staff_member_linked_ends_the_link_and_its_pushes(
        client, world, simulator):
    from sqlalchemy import select

    from notices.models import Delivery, Notice
    from tests.builders import sign_in
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    roll_with_owner(world.compound_a.id, roll_rows(2))
    bot = Bot(client)
    committee = Panel(client.application.test_client(), "committee_a")
    assert "已关联" in link(committee, bot, "staff-committee-a")
    account_id = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "staff-committee-a"))
    overdue_project(client, http, headers, world)

    # the same WeChat user, in the mini-program, deletes their data
    mine = sign_in(client, simulator, "staff-committee-a")
    assert client.post("/api/v1/me/deletion", headers=mine).status_code == 204

    page = committee.get("/admin/me/wechat")
    assert "您的微信已于" not in page and "解除微信关联" not in page
    unlinked = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff.wechat_unlink")).all()
    assert [(a.actor, a.target_id, a.before, a.after) for a in unlinked] == [
        ("system", str(world.committee_a.id), {"account": account_id}, {"reason": "account_deleted"})]
    made_up = db.session.get(WechatAccount, account_id).openid

    check_deadlines()  # the daily job: the alert stays in the panel, nothing goes to WeChat
    drain()
    assert "阶段逾期" in committee.get("/admin/inbox")
    assert pushed_to(simulator, "staff-committee-a") == [] and pushed_to(simulator, made_up) == []
    assert db.session.scalars(select(Delivery.id).where(Delivery.account_id == account_id)).all() == []
    assert db.session.scalars(select(Notice.id).where(Notice.scope_kind == "account",
                                                      Notice.scope_id == account_id)).all() == []


@pytest.mark.postgresql_only
def test_an_alert_being_queued_while_the_linked_account_is_deleted_is_taken_with_the_rest(
        app, client, world, simulator, database_url):
    """The daily check queues an alert to the WeChat account a staff member linked just as that account's holder
    deletes their data. The test holds the alert midway, as its delivery is written: the deletion waits for it,
    and then takes it with the other messages to the account; nothing is left to push to the made-up openid."""

    from sqlalchemy import select

    from notices.models import Delivery
    from tests.builders import sign_in
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    roll_with_owner(world.compound_a.id, roll_rows(2))
    committee = Panel(client.application.test_client(), "committee_a")
    assert "已关联" in link(committee, Bot(client), "staff-committee-a")
    account_id = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "staff-committee-a"))
    overdue_project(client, http, headers, world)
    mine = sign_in(client, simulator, "staff-committee-a")
    deleted = []

    def daily_check():
        with app.app_context():  # the schedule's run, in a transaction of its own
            check_deadlines()
            db.session.commit()

    def delete():
        deleted.append(client.post("/api/v1/me/deletion", headers=mine))

    # the daily check is held as the alert's delivery is written; the deletion then waits for it
    waited = race_at_a_gate(database_url, "BEFORE INSERT ON deliveries FOR EACH ROW",
                            {"alerting": daily_check, "deleting": delete}, "alerting", "the alert being queued")
    assert [response.status_code for response in deleted] == [204]
    assert waited, "the deletion did not wait for the alert being queued to the account"
    assert db.session.scalars(select(Delivery.id).where(Delivery.account_id == account_id)).all() == []
    assert "阶段逾期" in committee.get("/admin/inbox")  # the alert itself stays in the panel
    drain()
    made_up = db.session.get(WechatAccount, account_id).openid
    assert pushed_to(simulator, "staff-committee-a") == [] and pushed_to(simulator, made_up) == []
