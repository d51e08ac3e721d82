"""Hostile roll files are refused quickly, with bounded memory, and change nothing: texts by the million,
a sheet declaring 16,384 columns, blank rows by the hundred thousand, entities, broken archives.
Every malformed file ends in the same translated "unreadable" fault."""
import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from core import rolls
from core.errors import InvalidInput
from core.extensions import db
from core.models import Dwelling
from tests.builders import ROLL_HEADER, csv_bytes, id_number, login


def upload(client, compound_id, data, token, name, lang=None):
    """POST a roll as a browser would: the multipart body is built in memory, as sent on the wire."""
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), name)}))
    url = f"/api/v1/admin/compounds/{compound_id}/roll" + (f"?lang={lang}" if lang else "")
    return client.post(url, data=body, headers={"X-CSRFToken": token},
                       content_type=f"multipart/form-data; boundary={boundary}")


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
SECONDS = 2.0  # of this process's CPU time: the machine may be shared, the work must not exceed it
WALL_SECONDS = 10.0  # a sanity bound on the wall clock, whatever else the machine is doing


def workbook(sheet_xml, shared_xml=None, write=None):
    """An .xlsx archive with one sheet; `write(zf)` may stream big parts itself."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"/>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {NS} {REL_NS}><sheets>'
                    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        if sheet_xml is not None:
            zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            zf.writestr("xl/sharedStrings.xml", shared_xml)
        if write:
            write(zf)
    return out.getvalue()


def stream_part(name, head, item, count, tail):
    """A part written in pieces: `count` copies of `item` between `head` and `tail`."""
    def write(zf):
        with zf.open(name, "w", force_zip64=True) as part:
            part.write(head.encode())
            block = (item * 10_000).encode()
            for _ in range(count // 10_000):
                part.write(block)
            part.write(tail.encode())
    return write


SHEET_HEAD = f'<?xml version="1.0"?><worksheet {NS}><sheetData>'
HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'


def three_million_texts():
    return workbook(SHEET_HEAD + HEADER_ROW + "</sheetData></worksheet>", write=stream_part(
        "xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {NS}>', "<si><t/></si>", 3_000_000, "</sst>"))


def declared_a1_xfd20001():
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 20_002))
    return workbook(f'<?xml version="1.0"?><worksheet {NS}><dimension ref="A1:XFD20001"/><sheetData>{rows}'
                    "</sheetData></worksheet>")


def a_cell_in_column_xfd():
    return workbook(SHEET_HEAD + '<row r="1"><c r="XFD1"><v>1</v></c></row></sheetData></worksheet>')


def blank_rows():
    def write(zf):
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_HEAD.encode())
            for start in range(1, 400_001, 10_000):
                part.write("".join(f'<row r="{n}"/>' for n in range(start, start + 10_000)).encode())
            part.write(b"</sheetData></worksheet>")
    return workbook(None, write=write)


def blank_csv_rows():
    return csv_bytes([]) + b",,,\r\n" * 400_000


def undefined_entity():
    return workbook(SHEET_HEAD + '<row r="1"><c r="A1"><v>&undefined;</v></c></row></sheetData></worksheet>')


def entity_expansion():
    lol = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">'
           + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 20}">' for i in range(8))
           + f']><sst {NS}><si><t>&i;</t></si></sst>')
    return workbook(SHEET_HEAD + HEADER_ROW + "</sheetData></worksheet>", lol)


def external_entity():
    return workbook(f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
                    "</sheetData></worksheet>")


def truncated_zip():
    good = real_roll()
    return good[: len(good) // 2]


def no_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return out.getvalue()


def not_xml():
    return workbook("this is not xml <<<")


def bad_shared_index():
    return workbook(SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>999</v></c></row></sheetData></worksheet>',
                    f'<?xml version="1.0"?><sst {NS}><si><t>楼栋</t></si></sst>')


def real_roll():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ROLL_HEADER)
    sheet.append(["1", "1", "101", 85.6, None, None, "张三", id_number(1), "13812345678", "否", "是"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# (builder, message key, English words of the message)
HOSTILE = {
    "3,000,000 shared strings": (three_million_texts, "roll.too_many_texts", "different texts"),
    "dimension A1:XFD20001": (declared_a1_xfd20001, "roll.too_big_sheet", "declares more than"),
    "a cell in column XFD": (a_cell_in_column_xfd, "roll.too_many_columns", "more than 64 columns"),
    "400,000 blank rows": (blank_rows, "roll.too_many_rows", "more than 50000 rows"),
    "400,000 blank CSV rows": (blank_csv_rows, "roll.too_many_rows", "more than 50000 rows"),
}
MALFORMED = {
    "undefined entity": undefined_entity,
    "entity expansion": entity_expansion,
    "external entity": external_entity,
    "truncated archive": truncated_zip,
    "archive without a workbook": no_workbook,
    "sheet that is not XML": not_xml,
    "text number out of range": bad_shared_index,
}
UNREADABLE = "The file is neither an .xlsx workbook nor a CSV text file."


def _fault(data):
    try:
        rolls.parse_roll(data)
    except InvalidInput as exc:
        return exc.errors[0].key
    return None


def refuse(data, memory=False):
    """Read a file as the import does; (fault key, seconds, peak bytes allocated by the reading).

    The time is taken without tracemalloc (which slows every allocation); the peak in a second run."""
    started, wall = time.process_time(), time.perf_counter()
    key = _fault(data)
    seconds = time.process_time() - started
    assert time.perf_counter() - wall < WALL_SECONDS
    peak = None
    if memory:
        tracemalloc.start()
        _fault(data)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return key, seconds, peak


# The 400,000-row files put load on the reader: left to the full suite.
BIG = [pytest.param(name, marks=pytest.mark.slow) if name.startswith("400,000") else name for name in sorted(HOSTILE)]


@pytest.mark.parametrize("name", BIG)
def test_a_hostile_file_is_refused_quickly_in_bounded_memory(name):
    build, key, _words = HOSTILE[name]
    data = build()
    found, seconds, peak = refuse(data, memory=True)
    print(f"\n{name}: {len(data) // 1024} KB refused as {found} in {seconds:.3f} s, peak {peak / 2 ** 20:.1f} MB")
    assert found == key
    assert seconds < SECONDS
    assert peak < 32 * 2 ** 20


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_workbook_is_the_same_unreadable_fault(name):
    found, seconds, _peak = refuse(MALFORMED[name]())
    assert found == "roll.unreadable"
    assert seconds < SECONDS


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    found, seconds, _peak = refuse(b"a" * (rolls.MAX_FILE_BYTES + 1))
    assert found == "roll.too_large" and seconds < SECONDS


def test_a_real_workbook_still_reads_the_same_as_before():
    (dwelling,) = rolls.parse_roll(real_roll())
    assert dwelling.key == ("1", "1", "101") and dwelling.registered_area == 8560
    assert dwelling.owners[0].name == "张三"


def test_rich_text_and_inline_texts_are_read_without_phonetic_guides():
    shared = (f'<?xml version="1.0"?><sst {NS}>' + "".join(f"<si><t>{h}</t></si>" for h in ROLL_HEADER[:7])
              + "<si><r><t>张</t></r><r><t>三</t></r><rPh sb=\"0\" eb=\"1\"><t>zhang</t></rPh></si></sst>")
    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(7))
    header += f'<c r="H1" t="inlineStr"><is><t>{ROLL_HEADER[7]}</t></is></c>'
    row = ('<c r="A3" t="inlineStr"><is><t>2</t></is></c><c r="B3"><v>1</v></c><c r="C3"><v>301</v></c>'
           '<c r="D3"><v>70.25</v></c><c r="G3" t="s"><v>7</v></c>'
           f'<c r="H3" t="str"><v>{id_number(2)}</v></c>')
    data = workbook(f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1">{header}</row>'
                    f'<row r="3">{row}</row></sheetData></worksheet>', shared)
    (dwelling,) = rolls.parse_roll(data)
    assert dwelling.key == ("2", "1", "301") and dwelling.registered_area == 7025
    assert dwelling.first_row == 3 and dwelling.owners[0].name == "张三"


@pytest.mark.parametrize("name", BIG + sorted(MALFORMED))
def test_through_http_each_file_is_refused_in_the_users_language_and_nothing_is_saved(client, world, name):
    data = HOSTILE[name][0]() if name in HOSTILE else MALFORMED[name]()
    token = login(client, "committee_a")
    filename = "roll.csv" if "CSV" in name else "roll.xlsx"
    started, wall = time.process_time(), time.perf_counter()
    response = upload(client, world.compound_a.id, data, token, name=filename, lang="en")
    seconds, wall = time.process_time() - started, time.perf_counter() - wall
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    message = " ".join(d["message"] for d in response.get_json()["error"]["details"])
    assert (HOSTILE[name][2] if name in HOSTILE else UNREADABLE) in message
    assert seconds < SECONDS and wall < WALL_SECONDS
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 0
    chinese = upload(client, world.compound_a.id, data, token, name=filename)
    assert chinese.status_code == 422 and "more than" not in chinese.get_data(as_text=True)
