"""Browser tests: Debian's Chromium driven by Playwright against the real server on a loopback port."""
import os
import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import BindingRequest, Dwelling, Unit, WechatAccount, utcnow
from tests.builders import STAIRWELL_ROWS as ROWS, rooms_on_record
from tests.builders import ARTIFACTS, LiveServer, roll_with_owner, screenshot

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests are required)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium():
    """Chromium launched once for the run (each test gets its own context: own cookies)."""
    path = _chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browser_page(chromium, live_server, request):
    """A fresh browser context on the live server; on failure the page is saved (PNG and HTML) as an artifact."""
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = "failed-" + re.sub(r"[^\w.-]+", "_", request.node.name)
        screenshot(page, name)
        (ARTIFACTS / "screenshots" / f"{name}.html").write_text(page.content(), encoding="utf-8")
    context.close()


@pytest.fixture
def scene(world, simulator):
    """Compound A with a roll, an open vote with a paper entry waiting, a second vote closed and published, a
    survey, a project with an item, a wish, a report, a notice and a binding request."""
    from notices.services import compose_notice
    from projects import services as projects
    from surveys import services as surveys
    from surveys.texts import labels
    from votes import services as votes
    from wishes import services as wishes
    roll_with_owner(world.compound_a.id, ROWS)
    sync_base_catalogue()
    unit_a = db.session.scalar(select(Unit.id))
    dwellings = rooms_on_record()
    account = WechatAccount(openid="owner-a", dwelling_id=dwellings["103"], kind="owner", follows=True,
                            locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    vote = votes.create_vote(world.committee_a, "unit", unit_a, "rebuild", "加装电梯",
                             text="1单元加装电梯，费用按楼层分摊。")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=7))
    votes.enter_paper_ballot(world.committee_a, vote.id, votes.paper_code(vote.id, dwellings["105"]), "agree")
    done = votes.create_vote(world.committee_a, "compound", world.compound_a.id, "management_covenant", "管理规约")
    votes.open_vote(world.committee_a, done.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=7))
    votes.close_vote(world.committee_a, done.id)
    votes.publish_vote(world.committee_a, done.id, False)
    survey = surveys.generate_codesign(world.committee_a, world.compound_a.id, labels(), {})
    project = projects.create_project(world.county_staff_a, "玉林小区改造", [world.compound_a.id], "county", 2026)
    projects.add_item(world.county_staff_a, project.id, "B02", budget=100_000_00)
    wishes.file_wish(account, "bot", text="楼道灯坏了")
    projects.report_problem(account, "屋顶漏水")
    notice, _count = compose_notice(world.committee_a, "compound", world.compound_a.id, "停水", "明天停水")
    db.session.add(BindingRequest(account_id=account.id, dwelling_id=dwellings["106"], claimed_name="某人",
                                  phone_last4="0000"))
    from notices.staff import notify_staff
    from projects.models import Defect
    from projects.works import defect_link
    defect = Defect(project_id=project.id, source="warranty", text="雨后1栋门口积水", account_id=account.id)
    db.session.add(defect)
    db.session.flush()
    notify_staff([world.committee_a], "staff_stage_overdue", {"project": "玉林小区改造", "stage": "construction",
                                                              "planned_end": "2026-11-25"})
    db.session.commit()
    from surveys.engine import questions
    question = questions(surveys.definition_of(survey))[0]["id"]
    return {"compound": world.compound_a.id, "dwelling": dwellings["101"], "unit": unit_a, "vote": vote.id,
            "done": done.id, "survey": survey.id, "question": question, "project": project.id,
            "notice": notice.id, "person": db.session.scalar(select(Dwelling.id)),
            "defect_token": defect_link(defect).rsplit("/", 1)[1]}
