"""Every main page in Chromium: a screenshot each, every field labelled, nothing wider than a tablet,
type large enough to read; and the simulator page's chat with the bot over the real /wechat door."""
import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Dwelling
from tests.builders import browser_sign_in as sign_in
from tests.builders import screenshot
from tests.builders import PASSWORD, bind_accounts, roll_with_owner
from tests.builders import STAIRWELL_ROWS as ROWS

pytestmark = pytest.mark.slow


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll('main p, main td, main label, main a, main button')]
  .filter(el => el.offsetParent !== null).map(el => parseFloat(getComputedStyle(el).fontSize)))"""


@pytest.fixture
def data(world):
    roll_with_owner(world.compound_a.id, ROWS)
    sync_base_catalogue()
    db.session.commit()
    bind_accounts(world.compound_a.id, 2, prefix="demo-owner")
    from projects import care, services as projects, works
    project = projects.create_project(world.committee_a, "玉林小区综合改造", [world.compound_a.id])
    item = projects.add_item(world.committee_a, project.id, "I03", budget=40_000_000)
    works.set_party(world.committee_a, project.id, "contractor", "四川华西建筑公司", "王工", "028-88881234")
    works.record_inspection(world.committee_a, project.id, "engineer", "李监理", "巡查", ["脚手架未挂安全网"])
    works.record_spending(world.committee_a, project.id, item.id, 1_000_000, "灯具")
    world.project = project
    world.election = care.create_election(world.committee_a, world.compound_a.id, "业委会选举", 3)
    db.session.commit()
    return world


PAGES = {
    "committee_a": ["/admin/", "/admin/compounds/{compound}", "/admin/dwellings/{dwelling}", "/admin/wishes",
                    "/admin/bindings", "/admin/votes", "/admin/surveys", "/admin/projects", "/admin/notices",
                    "/admin/simulator", "/admin/works", "/admin/elections", "/admin/projects/{project}/works",
                    "/admin/elections/{election}"],
    "county_a": ["/admin/dashboard", "/admin/ledger", "/admin/projects", "/admin/catalogue", "/admin/works"],
    "admin": ["/admin/staff", "/admin/audit", "/admin/dashboard"],
}


def test_every_main_page_is_labelled_fits_a_tablet_and_is_saved(chromium, live_server, data):
    dwelling = db.session.scalar(select(Dwelling.id))
    for username, paths in PAGES.items():
        for width in (1280, 768):
            context = chromium.new_context(base_url=live_server.url, locale="zh-CN",
                                           viewport={"width": width, "height": 1000})
            page = context.new_page()
            sign_in(page, username, PASSWORD)
            for path in paths:
                path = path.format(compound=data.compound_a.id, dwelling=dwelling, project=data.project.id,
                                   election=data.election.id)
                response = page.goto(path)
                assert response.status == 200, (username, path, response.status)
                assert page.evaluate(UNLABELLED) == [], (username, path)
                assert page.evaluate(OVERFLOW) <= 0, (username, path, width)
                assert page.evaluate(SMALLEST_TEXT) >= 14, (username, path)
                name = f"{username}{path.replace('/', '-').rstrip('-')}" + ("-tablet" if width < 1000 else "")
                screenshot(page, name)
            context.close()


def test_keyboard_alone_reaches_the_sign_in_form(browser_page, world):
    page = browser_page
    page.goto("/admin/login")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") in ("username",)
    page.keyboard.type("committee_a")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")
    assert "玉林小区" in page.locator("main").inner_text()


def test_the_simulator_page_talks_to_the_bot_and_shows_what_was_sent(browser_page, data, simulator):
    page = browser_page
    sign_in(page, "committee_a", PASSWORD)
    page.get_by_role("link", name="微信模拟器").click()
    page.get_by_label("以谁的身份").select_option("demo-owner-0")
    page.get_by_label("消息内容").fill("帮助")
    page.get_by_role("button", name="发送", exact=True).click()
    reply = page.locator(".chat-log .reply").last.inner_text()
    assert "诉求" in reply  # the bot's help lists what a resident can do
    screenshot(page, "simulator-chat")
