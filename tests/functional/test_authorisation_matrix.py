"""Every staff and resident API endpoint, called as every kind of caller, in and out of scope.

Staff endpoints: nobody and a resident get 401 (400 for a write without a CSRF token); staff of another
community or county (its administrator too) get 403 or 404 (or 422 for a body that fails validation before anything is looked
up) and never learn anything else; staff in scope are never turned away as strangers. Resident endpoints:
nobody gets 401; a resident of another compound cannot reach this compound's vote, survey or wish.
Nothing answers 500."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import BindingRequest, Dwelling, Ownership, Unit, WechatAccount, utcnow
from tests.builders import id_number, login, roll_with_owner
from tests.builders import sign_in as resident_sign_in
from tests.builders import STAIRWELL_ROWS as ROWS

OTHER_ROWS = [["1", "1", "101", "90", "", "", "钱九", id_number(99), "13800000099", "否", "是"]]
SKIP = {"/api/v1/admin/session", "/api/v1/auth/login", "/api/v1/privacy", "/api/v1/openapi.json", "/api/v1/files/<name>"}


@pytest.fixture
def scene(client, world, simulator):
    """Compound A with a roll, an open vote with a paper entry, a survey, a project with an item, a wish, a
    report, a notice and a binding request; compound B with a bound resident."""
    from notices.services import compose_notice
    from projects import services as projects
    from surveys import services as surveys
    from surveys.texts import labels
    from votes import services as votes
    from wishes import services as wishes
    roll_with_owner(world.compound_a.id, ROWS)
    roll_with_owner(world.compound_b.id, OTHER_ROWS)
    sync_base_catalogue()
    unit_a = db.session.scalar(select(Unit.id).join(Unit.building).where(Unit.building.has(compound_id=world.compound_a.id)))
    dwellings = dict(db.session.execute(select(Dwelling.room, Dwelling.id).join(Unit).where(Unit.id == unit_a)).all())
    account = WechatAccount(openid="owner-a", dwelling_id=dwellings["103"], kind="owner", follows=True,
                            locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    vote = votes.create_vote(world.committee_a, "unit", unit_a, "rebuild", "加装电梯")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=7))
    entry = votes.enter_paper_ballot(world.committee_a, vote.id, votes.paper_code(vote.id, dwellings["105"]),
                                     "agree")
    survey = surveys.generate_codesign(world.committee_a, world.compound_a.id, labels(), {})
    project = projects.create_project(world.county_staff_a, "玉林小区改造", [world.compound_a.id])
    item = projects.add_item(world.county_staff_a, project.id, "B02", budget=100)
    wish = wishes.file_wish(account, "bot", text="楼道灯坏了")
    report = projects.report_problem(account, "屋顶漏水")
    notice, _count = compose_notice(world.committee_a, "compound", world.compound_a.id, "停水", "明天停水")
    request = BindingRequest(account_id=account.id, dwelling_id=dwellings["106"], claimed_name="某人",
                             phone_last4="0000")
    db.session.add(request)
    from votes.models import Proxy
    proxy = Proxy(vote_id=vote.id, dwelling_id=dwellings["104"], account_id=account.id, authorisation="委托书",
                  recorded_by=world.committee_a.id, state="pending")
    db.session.add(proxy)
    from contributions import services as contributions
    from lifts import services as lifts
    from projects import consent
    from publicity import services as publicity
    scheme = lifts.create_scheme(world.committee_a, unit_a, "1单元加装电梯", 1000, {"1": "0", "2": "1"})
    period = consent.publish_plan(world.committee_a, project.id, utcnow() - timedelta(minutes=1),
                                  utcnow() + timedelta(days=7), "方案公示")
    objection = publicity.lodge_objection(account, period.id, "有异议")
    contribution = contributions.record_pledge(world.committee_a, project.id, dwellings["101"], "money", 100)
    from projects import care, works
    from projects.models import Defect, ResidentSupervisor
    inspection = works.record_inspection(world.county_staff_a, project.id, "official", "检查员", findings=["漏水"])
    defect = Defect(project_id=project.id, text="井盖松动")
    supervisor = ResidentSupervisor(project_id=project.id, account_id=account.id, name="张阿姨")
    db.session.add_all([defect, supervisor])
    election = care.create_election(world.committee_a, world.compound_a.id, "业委会选举", 3)
    db.session.commit()
    ids = {"region_id": world.community_a.id, "scheme_id": scheme.id, "publicity_id": period.id,
           "objection_id": objection.id, "contribution_id": contribution.id, "proxy_id": proxy.id,
           "compound_id": world.compound_a.id, "dwelling_id": dwellings["101"], "unit_id": unit_a,
           "vote_id": vote.id, "entry_id": entry.id, "survey_id": survey.id, "project_id": project.id,
           "item_id": item.id, "wish_id": wish.id, "report_id": report.id, "notice_id": notice.id,
           "request_id": request.id, "delivery_id": 1, "receipt": "x" * 24,
           "finding_id": inspection.findings[0].id, "defect_id": defect.id, "supervisor_id": supervisor.id,
           "election_id": election.id}
    return ids


def endpoints(app, prefix):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(prefix) or rule.rule in SKIP:
            continue
        if prefix == "/api/v1/" and rule.rule.startswith("/api/v1/admin"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def fill(rule, ids):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def staff_client(app, username):
    http = app.test_client()
    token = login(http, username)
    return http, {"X-CSRFToken": token}


QUERY = {"/api/v1/admin/wishes/counts": "compound_id"}  # the GETs that need a query argument


def call(http, method, path, headers, ids=None):
    kwargs = {"headers": headers}
    if path in QUERY and ids:
        kwargs["query_string"] = {QUERY[path]: ids[QUERY[path]]}
    if method != "GET":
        kwargs["json"] = {}
    return http.open(path, method=method, **kwargs)


@pytest.fixture
def admin_b(world):
    """An administrator of county B (every permission, in another county than compound A)."""
    from core.staff import create_staff
    from tests.builders import PASSWORD
    create_staff(None, "admin_b", "锦江区管理员", "admin", world.county_b.id, PASSWORD)
    db.session.commit()
    return "admin_b"


def test_every_staff_endpoint_as_every_caller(client, scene, admin_b, simulator):
    app = client.application
    nobody = app.test_client()
    resident = resident_sign_in(app.test_client(), simulator, "owner-a")
    strangers = [staff_client(app, "committee_b"), staff_client(app, "county_b"), staff_client(app, admin_b)]
    insiders = [staff_client(app, "county_a"), staff_client(app, "committee_a")]  # readers before writers
    rules = list(endpoints(app, "/api/v1/admin"))
    assert len(rules) >= 50
    assert {("POST", "/api/v1/admin/votes/<int:vote_id>/close"), ("POST", "/api/v1/admin/votes/<int:vote_id>/paper"),
            ("GET", "/api/v1/admin/votes/<int:vote_id>/result"), ("POST", "/api/v1/admin/notices"),
            ("GET", "/api/v1/admin/audit")} <= {(method, rule) for rule, method in rules}
    for rule, method in rules:
        path = fill(rule, scene)
        for http, headers in ((nobody, {}), (app.test_client(), resident)):
            status = call(http, method, path, headers).status_code
            assert status == (401 if method == "GET" else 400) or status == 401, (rule, method, "anonymous", status)
        if "<" in rule:
            for http, headers in strangers:
                status = call(http, method, path, headers).status_code
                assert status in (403, 404, 422), (rule, method, "stranger", status)
    for rule, method in rules:
        path = fill(rule, scene)
        for http, headers in insiders:
            response = call(http, method, path, headers, scene)
            assert response.status_code not in (401, 404, 500), (rule, method, "insider", response.status_code,
                                                                  response.get_data(as_text=True)[:300])
            if method == "GET":
                assert response.status_code in (200, 403), (rule, "insider GET", response.status_code)


def test_every_resident_endpoint_as_nobody_and_as_a_resident_elsewhere(client, scene, simulator):
    app = client.application
    rules = list(endpoints(app, "/api/v1/"))
    assert len(rules) >= 20
    for rule, method in rules:
        status = call(app.test_client(), method, fill(rule, scene), {}).status_code
        expected = 400 if rule == "/api/v1/auth/logout" else 401
        assert status in (expected, 401), (rule, method, status)
    staff, headers = staff_client(app, "committee_b")
    code = staff.post(f"/api/v1/admin/dwellings/{db.session.scalar(select(Dwelling.id).where(Dwelling.room == '101').order_by(Dwelling.id.desc()))}/binding-codes",
                      json={}, headers=headers).get_json()["code"]
    other = resident_sign_in(client, simulator, "owner-b")
    assert client.post("/api/v1/me/binding/code", headers=other, json={"code": code}).status_code == 200
    elsewhere = (("GET", f"/api/v1/votes/{scene['vote_id']}/ballot", None),
                 ("PUT", f"/api/v1/votes/{scene['vote_id']}/ballot", {"choice": "agree"}),
                 ("GET", f"/api/v1/surveys/{scene['survey_id']}/response", None),
                 ("PUT", f"/api/v1/surveys/{scene['survey_id']}/response", {"answers": {}}),
                 ("GET", f"/api/v1/wishes/{scene['wish_id']}", None))
    # the doors a resident elsewhere tries are among those the matrix called as nobody
    assert {(method, path) for method, path, _body in elsewhere} <= {(m, fill(r, scene)) for r, m in rules}
    for method, path, body in elsewhere:
        status = client.open(path, method=method, headers=other, json=body).status_code
        assert status in (403, 404, 409), (method, path, status)


PANEL_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_every_panel_page_with_an_id_as_staff_elsewhere(client, scene, world, admin_b):
    """Every page of the panel naming something of compound A, opened and posted to by staff of another
    community and county and by that county's administrator (who holds every permission): 403 or 404, with
    nothing of A on the page; A's own staff open every such page."""
    from surveys import engine
    from surveys.services import definition_of
    from surveys.models import Survey
    from tests.builders import page_sign_in
    survey = db.session.get(Survey, scene["survey_id"])
    ids = dict(scene, staff_id=world.committee_a.id, question_id=engine.questions(definition_of(survey))[0]["id"],
               person_id=db.session.scalar(select(Ownership.person_id).where(
                   Ownership.dwelling_id == scene["dwelling_id"])), token="0" * 32)
    app = client.application
    rules = [(rule, method) for rule, method in endpoints(app, "/admin/") if "<" in rule]
    assert len(rules) >= 50
    for username in ("committee_b", admin_b):
        http = page_sign_in(app.test_client(), username)
        token = PANEL_CSRF.search(http.get("/admin/me/wechat").get_data(as_text=True)).group(1)
        for rule, method in rules:
            response = http.open(fill(rule, ids), method=method,
                                 data={"csrf_token": token} if method == "POST" else None)
            page = response.get_data(as_text=True)
            assert response.status_code in (403, 404), (rule, method, username, response.status_code)
            assert not any(word in page for word in ("玉林", "张三", "13800000")), (rule, method, username)
    insider = page_sign_in(app.test_client(), "committee_a")
    for rule, method in rules:
        if method == "GET" and "/roll/" not in rule:
            status = insider.get(fill(rule, ids)).status_code
            assert status not in (401, 404, 500), (rule, "insider", status)
