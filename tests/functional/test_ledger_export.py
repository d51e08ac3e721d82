"""The officials' ledger exports exactly the rows its page shows, whatever the page is filtered by: region, year,
level, and the dashboard's "started" or "completed in a year" (where the year is not the plan year)."""
import html
import io
import itertools
import re
from datetime import date, datetime, timezone

from openpyxl import load_workbook

from core.extensions import db
from projects.models import StageRecord
from projects.services import create_project
from tests.builders import page_sign_in


def project(world, name, compound, level, plan_year, stage, started=None, accepted=None):
    made = create_project(world.admin, name, [compound.id], level, plan_year)
    made.stage, made.accepted_at = stage, accepted
    if started:
        db.session.add(StageRecord(project_id=made.id, stage="construction", actual_start=started))
    return made


def page_rows(page):
    """(compound, project) of each row the ledger page shows, in order."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return [(html.unescape(c), html.unescape(p)) for c, p in re.findall(
        r'<a href="/admin/compounds/\d+">([^<]+)</a>.*?<a href="/admin/projects/\d+">([^<]+)</a>', body, re.S)]


def export_link(page):
    """The page's own 导出 .xlsx link."""
    return html.unescape(re.search(r'<a class="button" href="([^"]+)">导出 .xlsx</a>', page).group(1))


def workbook_rows(data):
    """(compound, project) of each row of the exported workbook (after its title and header rows)."""
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[1][4] == "小区" and rows[1][9] == "项目"
    return [(row[4], row[9]) for row in rows[2:]]


def test_the_ledger_export_gives_exactly_the_rows_its_page_shows_for_every_filter(client, world):
    project(world, "玉林2027计划", world.compound_a, "county", 2027, "design")
    project(world, "玉林2027完工", world.compound_a, "city", 2026, "handover", started=date(2026, 3, 1),
            accepted=datetime(2027, 3, 1, 2, tzinfo=timezone.utc))
    project(world, "玉林2026完工", world.compound_a, "province", 2025, "management", started=date(2025, 4, 1),
            accepted=datetime(2026, 6, 1, 2, tzinfo=timezone.utc))
    project(world, "和平2027开工", world.compound_b, "county", 2027, "construction", started=date(2027, 2, 1))
    project(world, "和平2026开工", world.compound_b, "county", 2026, "acceptance", started=date(2026, 5, 1))
    db.session.commit()
    city = page_sign_in(client.application.test_client(), "city")

    # the dashboard's "completed in 2027": the one project handed over in 2027, not the plan year's projects
    page = city.get("/admin/ledger?outcome=completed&year=2027").get_data(as_text=True)
    assert page_rows(page) == [("玉林小区", "玉林2027完工")]
    exported = city.get(export_link(page))
    assert exported.status_code == 200
    assert workbook_rows(exported.data) == [("玉林小区", "玉林2027完工")]

    seen = set()
    for region, year, level, outcome in itertools.product(
            (None, world.county_a.id, world.county_b.id), (None, 2026, 2027), (None, "county", "city"),
            (None, "started", "completed")):
        query = "&".join(f"{key}={value}" for key, value in
                         (("region", region), ("year", year), ("level", level), ("outcome", outcome)) if value)
        page = city.get(f"/admin/ledger?{query}").get_data(as_text=True)
        shown = page_rows(page)
        exported = city.get(export_link(page))
        assert exported.status_code == 200
        assert workbook_rows(exported.data) == shown, query
        seen.add(tuple(shown))
    assert len(seen) > 10  # the filters do pick different rows


def test_a_ledger_of_started_or_completed_projects_in_any_year_says_so_and_labels_its_year_box(client, world):
    project(world, "玉林2027完工", world.compound_a, "city", 2026, "handover", started=date(2026, 3, 1),
            accepted=datetime(2027, 3, 1, 2, tzinfo=timezone.utc))
    db.session.commit()
    city = page_sign_in(client.application.test_client(), "city")
    for outcome, said, label in (("completed", "已完工（已移交）的项目（不限年份）。", "完工（移交）年份"),
                                 ("started", "已开工的项目（不限年份）。", "开工年份")):
        page = city.get(f"/admin/ledger?outcome={outcome}").get_data(as_text=True)
        assert said in page and "None" not in page
        assert f'<label for="l-year">{label}</label>' in page
        rows = list(load_workbook(io.BytesIO(city.get(export_link(page)).data)).active.iter_rows(values_only=True))
        assert rows[0][1] == said
    dated = city.get("/admin/ledger?outcome=completed&year=2027").get_data(as_text=True)
    assert "2027年完工（已移交）的项目。" in dated and '<label for="l-year">完工（移交）年份</label>' in dated
    plain = city.get("/admin/ledger?year=2027").get_data(as_text=True)
    assert '<label for="l-year">计划年度</label>' in plain and "不限年份" not in plain


def test_a_ledger_year_out_of_the_year_boxs_range_is_read_as_none_chosen_not_a_server_error(client, world):
    """An official who types a year of five digits in the ledger's year box (or follows an edited link) is told
    nothing matches, not given a server error; the export likewise."""
    city = page_sign_in(client.application.test_client(), "city")
    for year in ("9999", "10000", "-1"):
        for path in ("/admin/ledger", "/admin/ledger.xlsx"):
            response = city.get(f"{path}?outcome=completed&year={year}")
            assert response.status_code < 500, (path, year, response.status_code)
