"""From an empty database with only an administrator to a printed result notice, in Chromium, without a command
line: regions and a compound, two committee accounts, buildings and units, a roll imported after its preview, a vote
with a paper ballot confirmed by a second person, the notice printed (SQLite and PostgreSQL)."""
import re

import pytest
from sqlalchemy import select

from core import registry
from core.extensions import db
from core.models import Region
from core.staff import create_staff
from tests.builders import browser_sign_in as sign_in
from tests.builders import screenshot
from tests.builders import PASSWORD, csv_bytes
from tests.builders import STAIRWELL_ROWS as ROWS

pytestmark = pytest.mark.slow


def region_id(name):
    db.session.rollback()  # see what the server committed
    return str(db.session.scalar(select(Region.id).where(Region.name == name)))


def flash(page):
    return page.locator(".flash").first.inner_text()


def test_a_new_compound_is_set_up_and_runs_a_vote_without_a_command_line(app, browser_page, chromium, live_server,
                                                                         simulator):
    province = registry.add_region(None, "province", "四川省")
    create_staff(None, "admin", "管理员", "admin", province.id, PASSWORD)
    db.session.commit()
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # any "are you sure?" is answered yes

    # the administrator sets up the regions down to the community, and the compound
    sign_in(page, "admin", PASSWORD)
    page.get_by_role("link", name="区域", exact=True).click()
    for parent, name in (("四川省", "成都市"), ("成都市", "武侯区"), ("武侯区", "玉林街道"), ("玉林街道", "玉林北路社区")):
        page.get_by_label("上级区域").select_option(region_id(parent))
        page.get_by_label("新区域名称").fill(name)
        page.get_by_role("button", name="创建区域").click()
        assert flash(page) == "区域已创建。"
    assert "四川省 › 成都市 › 武侯区 › 玉林街道 › 玉林北路社区" in page.locator("main table").inner_text()
    page.get_by_label("社区", exact=True).select_option(region_id("玉林北路社区"))
    page.get_by_label("小区名称").fill("玉林小区")
    page.get_by_label("建成年份").fill("1995")
    page.get_by_role("button", name="登记小区").click()
    assert flash(page) == "小区已登记。"
    screenshot(page, "onboarding-regions")

    # two committee accounts for the community (the second confirms paper ballots)
    page.get_by_role("link", name="工作人员", exact=True).click()
    for username, name in (("weiyuan1", "李委员"), ("weiyuan2", "王委员")):
        page.get_by_label("用户名").fill(username)
        page.get_by_label("姓名").fill(name)
        page.get_by_label("角色").select_option("committee")
        page.get_by_label("区域").select_option(region_id("玉林北路社区"))
        page.get_by_label("初始密码").fill(PASSWORD)
        page.get_by_role("button", name="创建账号").click()
        assert page.locator(".flash").count() == 1
    page.context.clear_cookies()

    # the committee member adds a building and its stairwell, then imports the roll after its preview
    sign_in(page, "weiyuan1", PASSWORD, new_password="jade-lantern-1995")
    page.get_by_role("link", name="玉林小区").click()
    page.get_by_role("link", name="楼栋与单元").click()
    page.get_by_label("楼栋号或名称").fill("1栋")
    page.get_by_label("层数").fill("6")
    page.get_by_role("button", name="添加楼栋").click()
    page.get_by_label("楼栋", exact=True).select_option(label="1栋")
    page.get_by_label("单元号").fill("1")
    page.get_by_role("button", name="添加单元").click()
    assert flash(page) == "单元已添加。"
    screenshot(page, "onboarding-structure")
    page.get_by_role("link", name="导入业主名册").click()
    page.get_by_label("业主名册（.xlsx 或 .csv）").set_input_files(
        files=[{"name": "名册.csv", "mimeType": "text/csv", "buffer": csv_bytes(ROWS)}])
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url(re.compile(r"/roll/"))
    assert page.locator("#owners-created").inner_text() == "8"
    screenshot(page, "onboarding-roll-preview")
    page.get_by_role("button", name="确认导入").click()
    assert flash(page).startswith("名册已导入：新增业主 8 人")
    assert page.locator("main table").last.locator("tbody tr").count() == 8

    # a vote for the stairwell, opened
    page.get_by_role("link", name="表决", exact=True).click()
    page.get_by_label("参加表决的范围").select_option(index=1)
    page.get_by_label("表决事项（民法典第二百七十八条）").select_option("rebuild")
    page.get_by_label("标题").fill("1栋1单元加装电梯")
    page.get_by_label("事项内容").fill("加装电梯方案及费用分摊见公示。")
    page.get_by_role("button", name="起草表决").click()
    page.wait_for_url(re.compile(r"/admin/votes/\d+(#.*)?$"))
    vote_url = page.url.split("#")[0]
    page.get_by_role("button", name="开始表决").click()
    page.get_by_role("button", name="确定，开始表决").click()  # after reading who will be told
    page.locator(".state").filter(has_text="进行中").first.wait_for()

    # a collected paper ballot: its code read off the printed ballot, typed in, confirmed by the second member
    page.get_by_role("link", name="纸质表决票（打印）").click()
    code = page.locator("section.ballot[data-room='105'] .code span").inner_text()
    page.go_back()
    page.get_by_label("表决票编码（扫码或输入）").fill(code)
    page.locator("#paper").get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="录入表决票").click()
    assert flash(page).startswith("表决票已录入")
    second = chromium.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    sign_in(second, "weiyuan2", PASSWORD, new_password="lotus-window-2026")
    second.goto(vote_url + "#paper")
    form = second.locator("form.confirm").first
    form.get_by_label("同意", exact=True).check()
    form.get_by_role("button", name="确认").click()
    assert second.locator(".flash").first.inner_text() == "确认已记录。"
    second.context.close()
    page.reload()
    assert page.locator("[data-k=participating_heads]").inner_text() == "1"

    # closed, published, and the notice printed for the board
    page.get_by_role("button", name="立即结束表决").click()
    page.get_by_role("button", name="确定，立即结束表决").click()
    page.locator(".state").filter(has_text="已结束").first.wait_for()
    page.get_by_role("button", name="公示并通知居民").click()
    page.get_by_role("button", name="确定，公示并通知居民").click()
    page.locator(".state").filter(has_text="公示中").first.wait_for()
    page.get_by_role("link", name="张贴用结果公告（打印）").click()
    notice = page.locator("article.notice-board")
    assert "1栋1单元加装电梯" in notice.inner_text() and notice.locator("svg").count() >= 1
    page.emulate_media(media="print")
    screenshot(page, "onboarding-result-notice-print")
