"""The admin panel in Chromium, against the real server: a whole vote, the ledger export, scope, English."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.extensions import db
from core.models import Dwelling, Unit
from core.staff import create_staff
from tests.builders import browser_sign_in as sign_in, rooms_on_record
from tests.builders import screenshot
from tests.builders import PASSWORD, login, roll_with_owner
from tests.builders import STAIRWELL_ROWS as ROWS
from tests.builders import owner

pytestmark = pytest.mark.slow


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def roll(world):
    roll_with_owner(world.compound_a.id, ROWS)
    create_staff(None, "committee_a2", "复核员", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    return rooms_on_record()


def test_a_committee_member_runs_a_whole_vote(app, browser_page, chromium, live_server, roll, simulator):
    page = browser_page
    unit_id = db.session.scalar(select(Unit.id))
    sign_in(page, "committee_a", PASSWORD)
    page.get_by_role("link", name="表决", exact=True).click()
    # draft: who votes, the matter, the title
    page.get_by_label("参加表决的范围").select_option(f"unit:{unit_id}")
    page.get_by_label("表决事项（民法典第二百七十八条）").select_option("rebuild")
    page.get_by_label("标题").fill("1栋1单元加装电梯")
    page.get_by_label("事项内容").fill("加装电梯方案及费用分摊见公示。")
    page.get_by_role("button", name="起草表决").click()
    page.wait_for_url(re.compile(r"/admin/votes/\d+(#.*)?$"))
    vote_id = int(re.search(r"/admin/votes/(\d+)", page.url).group(1))
    screenshot(page, "vote-draft")
    page.get_by_role("button", name="开始表决").click()
    # nothing happens before the consequence is read and confirmed
    consequences = page.locator(".consequences").inner_text()
    assert "8 户、7 位业主可以在" in consequences and "名册即刻冻结" in consequences
    screenshot(page, "vote-open-confirm")
    page.get_by_role("button", name="确定，开始表决").click()
    assert page.locator(".state").first.inner_text() == "进行中"
    assert page.locator("[data-k=total_heads]").inner_text() == "7"

    # some owners vote through the mini-program API; the page follows without a reload
    staff_api = app.test_client()
    headers = {"X-CSRFToken": login(staff_api, "committee_a2")}
    resident = app.test_client()
    for room, openid, choice in (("101", "zhang", "agree"), ("103", "li", "agree"), ("104", "wang", "agree")):
        me = owner(resident, simulator, staff_api, headers, roll[room], openid)
        assert resident.put(f"/api/v1/votes/{vote_id}/ballot", headers=me, json={"choice": choice}).status_code == 200
    page.locator("[data-k=participating_heads]").filter(has_text="3").wait_for()
    assert page.locator("[data-k=agree_heads]").inner_text() == "3"
    screenshot(page, "vote-live")

    # door to door: the printable list of dwellings that have not voted, and the personalised ballots
    page.get_by_role("link", name="未表决房屋（打印）").click()
    rows = page.locator("tbody tr")
    # 张三 cast once for both his flats, 101 and 102
    assert [rows.nth(i).locator("td").nth(0).inner_text() for i in range(rows.count())] == ["105", "106", "107",
                                                                                          "108"]
    # grouped by building and unit, with the owners as the roll names them and their phones (committee only)
    assert page.locator("h2").first.inner_text().startswith("1栋1单元")
    assert "赵六" in rows.nth(0).inner_text() and "13800000005" in rows.nth(0).inner_text()
    page.emulate_media(media="print")  # on paper: boxes to tick, no drop-downs or buttons
    assert page.locator("select:visible, button:visible").count() == 0
    assert "☐ 未走访" in rows.nth(0).inner_text() and "☐ 已收回表决票" in rows.nth(0).inner_text()
    screenshot(page, "vote-non-voters-print")
    page.emulate_media(media="screen")
    screenshot(page, "vote-non-voters")
    page.goto(f"/admin/votes/{vote_id}/ballots")
    ballots = page.locator("section.ballot")
    assert ballots.count() == 8 and ballots.first.locator("svg").count() == 1
    first = ballots.first.inner_text()  # what a door-to-door visit needs on the paper itself
    assert all(text in first for text in ("玉林小区", "张三", "交回截止", "玉林北路社区居委会", "加装电梯方案"))
    codes = {}
    for i in range(ballots.count()):
        codes[ballots.nth(i).get_attribute("data-room")] = ballots.nth(i).locator(".code span").inner_text()
    screenshot(page, "vote-paper-ballots")

    # collected ballots are scanned in (a scanner types the code and Enter), then a second person confirms
    page.goto(f"/admin/votes/{vote_id}")
    for room, choice in (("105", "同意"), ("107", "同意"), ("108", "弃权")):
        page.get_by_label("表决票编码（扫码或输入）").fill(codes[room])
        page.locator("#paper").get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="录入表决票").click()
        assert page.locator(".flash").inner_text().startswith("表决票已录入")
    page.get_by_label("表决票编码（扫码或输入）").fill("V" + codes["106"][1:-1] + "0")
    page.locator("#paper").get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="录入表决票").click()
    assert page.locator("#code-error").inner_text() == "表决票编码无效。"
    assert page.get_by_label("表决票编码（扫码或输入）").input_value().startswith("V")  # what was typed is kept
    assert page.get_by_text("须由另一名工作人员确认。").count() == 3  # the one who typed cannot confirm

    second = chromium.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    sign_in(second, "committee_a2", PASSWORD)
    second.goto(f"/admin/votes/{vote_id}#paper")
    for choice in ("同意", "同意", "弃权"):
        form = second.locator("form.confirm").first
        form.get_by_label(choice, exact=True).check()
        form.get_by_role("button", name="确认").click()
        assert second.locator(".flash").inner_text() == "确认已记录。"
    second.context.close()
    page.reload()
    assert page.locator("[data-k=participating_heads]").inner_text() == "6"
    assert page.locator("[data-k=agree_heads]").inner_text() == "5"
    # one more ballot is entered but nobody confirms it before the vote is closed early
    page.get_by_label("表决票编码（扫码或输入）").fill(codes["106"])
    page.locator("#paper").get_by_label("不同意", exact=True).check()
    page.get_by_role("button", name="录入表决票").click()

    page.get_by_role("button", name="立即结束表决").click()
    consequences = page.locator(".consequences").inner_text()
    assert "线上、对话和纸质投票将立即全部停止" in consequences
    assert "有 1 张纸质表决票已录入但尚未由第二人确认" in consequences
    screenshot(page, "vote-close-confirm")
    page.get_by_role("link", name="取消，返回").click()  # changing one's mind changes nothing
    assert page.locator(".state").first.inner_text() == "进行中"
    page.get_by_role("button", name="立即结束表决").click()
    page.get_by_role("button", name="确定，立即结束表决").click()
    assert page.locator(".state").first.inner_text() == "已结束"
    assert "提前结束" in page.locator(".facts").inner_text()
    void = page.locator("#paper tbody tr")  # the entry never confirmed stays visible, void
    assert void.count() == 1 and "作废（未经确认）" in void.inner_text() and "106" in void.inner_text()
    assert page.locator("[data-k=participating_heads]").inner_text() == "6"
    page.get_by_role("button", name="公示并通知居民").click()
    assert "将通过微信告知" in page.locator(".consequences").inner_text()
    page.get_by_role("button", name="确定，公示并通知居民").click()
    assert page.locator(".state").first.inner_text() == "公示中"
    page.get_by_role("link", name="张贴用结果公告（打印）").click()
    notice = page.locator("article.notice-board")
    assert "表决事项获得通过。" in notice.inner_text()
    assert "本次表决提前结束，原定" in notice.inner_text()  # the notice shows when it really closed
    assert notice.locator("svg").count() == 1
    link = notice.locator(".code span").inner_text().split("\n")[-1].strip()
    screenshot(page, "vote-result-notice")
    public = chromium.new_context(locale="zh-CN").new_page()  # the QR code leads anyone to the published result
    public.goto(link)
    assert "表决事项获得通过。" in public.locator("main").inner_text()
    public.context.close()


def test_a_county_official_exports_the_ledger(app, browser_page, world):
    from core.catalogue import sync_base_catalogue
    from projects import services as projects
    sync_base_catalogue()
    project = projects.create_project(world.county_staff_a, "玉林小区综合改造", [world.compound_a.id], "county", 2026)
    projects.add_item(world.county_staff_a, project.id, "B02", budget=1_200_000_00)
    db.session.commit()
    page = browser_page
    sign_in(page, "county_a", PASSWORD)
    assert page.url.endswith("/admin/dashboard")
    screenshot(page, "dashboard-county")
    page.get_by_role("link", name="台账", exact=True).click()
    page.get_by_label("计划年度").fill("2026")
    page.get_by_role("button", name="查看").click()
    assert page.locator("tbody tr").count() == 1
    screenshot(page, "ledger")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 .xlsx").click()
    with open(download.value.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    sheet = book.active
    header = [c.value for c in sheet[2]]
    row = dict(zip(header, [c.value for c in sheet[3]]))
    assert row["小区"] == "玉林小区" and row["项目"] == "玉林小区综合改造" and row["计划年度"] == 2026
    assert row["预算（元）"] == 1_200_000 and row["区县"] == "武侯区"
    assert sheet.max_row == 3


def test_a_committee_member_cannot_reach_another_community(browser_page, world):
    page = browser_page
    sign_in(page, "committee_b", PASSWORD)
    assert world.compound_a.name not in page.locator("main").inner_text()
    response = page.goto(f"/admin/compounds/{world.compound_a.id}")
    assert response.status == 404
    assert "未找到" in page.locator("main").inner_text()
    response = page.goto(f"/admin/dwellings/{db.session.scalar(select(Dwelling.id)) or 1}")
    assert response.status == 404
    screenshot(page, "out-of-scope")


def test_switching_to_english_translates_the_whole_page(browser_page, world, roll):
    page = browser_page
    sign_in(page, "committee_a", PASSWORD)
    data = {world.compound_a.name, world.community_a.name, "委员a", "张三", "李四", "王五", "赵六", "孙七", "周八",
            "某开发公司"}
    for path in ("/admin/", f"/admin/compounds/{world.compound_a.id}", "/admin/votes", "/admin/wishes",
                 "/admin/surveys", "/admin/projects", "/admin/notices", "/admin/bindings"):
        page.goto(path)
        page.get_by_role("link", name="English").click()
        text = page.locator("body").inner_text()
        for value in data:
            text = text.replace(value, "")
        assert not CJK.findall(text.replace("中文", "")), (path, sorted(set(CJK.findall(text)))[:20])
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="中文").click()
        assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.goto("/admin/votes?lang=en")
    screenshot(page, "votes-english")
