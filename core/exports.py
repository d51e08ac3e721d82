"""Every table the service hands out as a file (.xlsx or .csv) is written here, and only here.

A cell whose text starts with = + - @, a tab or a carriage return is run as a formula by Excel, WPS and
LibreOffice (CSV injection): such text is written with a leading apostrophe, so the spreadsheet shows
it as the text it is. Numbers stay numbers."""
import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"


def neutralise(value):
    """A cell value a spreadsheet will show and never run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row):
    """A row with every cell neutralised."""
    return [neutralise(value) for value in row]


def to_xlsx(rows, title=None):
    """An .xlsx workbook of one sheet (`title`) holding `rows` (the header is the first row)."""
    return to_xlsx_sheets([(title, rows)])


def to_xlsx_sheets(sheets):
    """An .xlsx workbook of several sheets, given as (title, rows) pairs in order."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31] if title else None)
        for row in rows:
            cells = []
            for value in safe_row(row):
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text is text: never stored as a formula whatever it holds
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(rows):
    """UTF-8 with a BOM, so that Excel and WPS open the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(safe_row(row) for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
