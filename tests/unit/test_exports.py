"""Every exported workbook is written by core.exports: money as exact numbers, formula-looking text as text."""
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from core import exports
from core.money import yuan


def test_yuan_is_exact_to_the_fen():
    assert yuan(123457) == Decimal("1234.57")
    assert yuan(-5) == Decimal("-0.05")
    assert yuan(None) == Decimal("0")
    # 0.1 + 0.2 yuan in fen adds exactly; in floating point it would be 0.30000000000000004
    assert yuan(10) + yuan(20) == Decimal("0.30")


def test_a_workbook_of_several_sheets_keeps_money_exact_and_formulas_as_text():
    data = exports.to_xlsx_sheets([("Accounts", [["Item", "Spent"], ["=HYPERLINK(1)", yuan(1_000_000_01)]]),
                                   ("Funding", [["Source", "Amount"], ["city", yuan(33)]])])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Accounts", "Funding"]
    first = [[c.value for c in row] for row in book["Accounts"].iter_rows()]
    assert first[1][0] == "'=HYPERLINK(1)"
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1000000.01</v>" in sheet_xml  # the number as written, to the fen
    assert [[c.value for c in row] for row in book["Funding"].iter_rows()][1] == ["city", 0.33]
