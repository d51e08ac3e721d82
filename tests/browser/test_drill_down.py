"""An official drills down from the county to the compound: every figure is a link to the list it counts,
ledger rows lead to the project, regions are written with their whole path, the lowest level lists compounds."""
import pytest

from tests.builders import browser_sign_in as sign_in
from tests.builders import screenshot
from tests.builders import PASSWORD

pytestmark = pytest.mark.slow


def test_a_county_official_drills_down_to_the_compound_and_its_project(browser_page, scene, world):  # noqa: F811
    page = browser_page
    sign_in(page, "county_a", PASSWORD)
    page.goto("/admin/dashboard")
    # a published vote that missed its quorum: the figure leads to that vote
    page.get_by_role("link", name="未通过：1").click()
    assert page.locator("tbody tr").count() == 1 and "管理规约" in page.locator("tbody").inner_text()
    page.get_by_role("link", name="管理规约").click()
    assert page.url.endswith(f"/admin/votes/{scene['done']}")
    # down the regions: county › street › community, which lists its compounds
    page.goto("/admin/dashboard")
    page.locator("table").get_by_role("link", name="玉林街道").click()
    page.locator("table").get_by_role("link", name="玉林北路社区").click()
    compounds = page.locator("#compounds-h + table tbody tr")
    assert compounds.count() == 1
    row = compounds.first.inner_text()
    assert "玉林小区" in row and "成都市 › 武侯区 › 玉林街道 › 玉林北路社区" in row and "玉林小区改造" in row
    screenshot(page, "dashboard-community-compounds")
    # the count of compounds leads to the same list
    page.get_by_role("link", name="本区域共有老旧小区 1 个").click()
    assert "玉林小区" in page.locator("tbody").inner_text()
    # the ledger: the region with its whole path, the compound and the project as links
    page.goto("/admin/ledger?year=2026")
    ledger_row = page.locator("tbody tr").first
    assert "成都市 › 武侯区 › 玉林街道 › 玉林北路社区" in ledger_row.inner_text()
    ledger_row.get_by_role("link", name="玉林小区改造").click()
    assert page.url.endswith(f"/admin/projects/{scene['project']}")
    screenshot(page, "ledger-to-project")
