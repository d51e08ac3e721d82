"""Exports a person can read, checked cell by cell after opening them again."""
import csv
import io

import openpyxl

from surveys.engine import OTHER
from surveys.export import table, to_csv, to_xlsx

DEFINITION = {"sections": [{"questions": [
    {"id": "want", "type": "single", "title": "是否加装电梯", "other": True,
     "options": [{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}]},
    {"id": "pay", "type": "number", "title": "出资", "show_if": {"question": "want", "op": "equals", "value": "yes"}},
    {"id": "items", "type": "multiple", "title": "项目", "options": [{"id": "a", "label": "照明"}, {"id": "b", "label": "停车"}]},
    {"id": "grid", "type": "matrix", "title": "评价", "rows": [{"id": "light", "label": "照明"}],
     "scale": [{"id": "ok", "label": "满意"}]},
]}]}
RESPONSES = [{"want": "yes", "pay": 3000, "items": ["a", "b"], "grid": {"light": "ok"}},
             {"want": {"choice": OTHER, "text": "看费用"}},
             {"want": "no"}]


def test_xlsx_has_one_column_per_question_and_no_none():
    header, rows = table(DEFINITION, RESPONSES, "其他（请说明）", ["房号"], [["101"], ["102"], ["103"]])
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(header, rows))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["房号", "是否加装电梯", "是否加装电梯 - 其他（请说明）", "出资", "项目", "评价 - 照明"]
    assert values[1] == ["101", "同意", None, 3000, "照明、停车", "满意"]
    assert values[2] == ["102", None, "看费用", None, None, None]
    assert values[3] == ["103", "不同意", None, None, None, None]
    assert all(v != "None" for row in values for v in row)


def test_csv_opens_in_excel_with_chinese_intact():
    header, rows = table(DEFINITION, RESPONSES, "Other (please say)")
    data = to_csv(header, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[2] == ["", "看费用", "", "", ""] and parsed[1][1] == ""
