"""Reading a committee's voter roll (xlsx or CSV) into dwellings and owners; pure, no database."""
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from xml.parsers import expat
from dataclasses import dataclass, field

from core import areas, identity
from core.floors import check_floor
from core.errors import InvalidInput, RuleViolation

MAX_ROWS = 50_000  # a compound has at most several thousand households; co-owners take a row each
MAX_ERRORS = 50
MAX_TEXT = {"building": 32, "unit": 32, "room": 32, "owner_name": 100, "share": 16, "certificate": 64}

HEADER_ALIASES = {
    "building": ("楼栋", "楼栋号", "楼号", "栋", "栋号", "幢", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "房间号", "室号", "门牌号", "room"),
    "address": ("房屋", "房屋地址", "房屋坐落", "房屋编号", "地址", "address"),
    "registered_area": ("登记面积", "产权面积", "不动产登记面积", "registered_area"),
    "surveyed_area": ("实测面积", "测绘面积", "surveyed_area"),
    "contract_area": ("合同面积", "预售面积", "contract_area"),
    "owner_name": ("业主姓名", "业主", "姓名", "产权人", "owner_name", "owner"),
    "id_type": ("证件类型", "id_type", "document_type"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "证件号", "id_number"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话", "phone", "mobile"),
    "developer_held": ("开发商持有", "开发商", "developer_held"),
    "delivered": ("已交付", "是否交付", "交付", "delivered"),
    "share": ("份额", "共有份额", "share"),
    "certificate": ("不动产权证号", "不动产权证书号", "不动产权证号码", "产权证号", "房产证号", "certificate_no",
                    "certificate"),
    "floor": ("楼层", "所在楼层", "所在层", "floor"),
}
_HEADER_LOOKUP = {
    re.sub(r"[\s_]", "", alias.lower()): column
    for column, aliases in HEADER_ALIASES.items() for alias in aliases
}
AREA_COLUMNS = ("registered_area", "surveyed_area", "contract_area")
YES = {"是", "y", "yes", "1", "√", "✓", "✔", "true", "t", "有"}
NO = {"否", "n", "no", "0", "×", "✗", "false", "f", "无", ""}

_ADDRESS = re.compile(
    r"^(?P<b>[0-9A-Za-z]+)(?:栋|号楼|幢|座|号|#|-)"
    r"(?P<u>[0-9A-Za-z]+)(?:单元|-)"
    r"(?P<r>[0-9A-Za-z]+)(?:室|号)?$"
)
_BUILDING_SUFFIX = re.compile(r"(栋|号楼|幢|座|号|#)$")
_UNIT_SUFFIX = re.compile(r"单元$")
_ROOM_SUFFIX = re.compile(r"(室|号)$")


@dataclass(frozen=True)
class CellNote:
    """A message key about a place in the roll: spreadsheet row (header is row 1; 0: the file) and column."""

    row: int
    column: str
    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CellError(CellNote):
    """One fault in the roll: spreadsheet row (header is row 1), column and message key."""


@dataclass(frozen=True)
class RollOwner:
    """One owner of one dwelling, as read from one row."""

    row: int
    name: str
    doc_type: str
    doc_number: str  # normalised; None for a developer known only by name
    phone: str
    share: str
    certificate: str = None  # the property certificate number, normalised (不动产权证号)


@dataclass
class RollDwelling:
    """One exclusive part with its areas and every owner listed for it."""

    building: str
    unit: str
    room: str
    registered_area: int
    surveyed_area: int
    contract_area: int
    developer_held: bool
    delivered: bool
    first_row: int
    owners: list = field(default_factory=list)
    floor: int = None  # as the roll gives it; None: read from the room number

    @property
    def key(self):
        """The dwelling's identity inside a compound."""
        return (self.building, self.unit, self.room)


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return identity.normalise_text(value)


def clean_building(value):
    """'3栋', '3号楼', '３' → '3'."""
    return _BUILDING_SUFFIX.sub("", _cell_text(value).replace(" ", "")) or _cell_text(value)


def clean_unit(value):
    """'2单元' → '2'."""
    return _UNIT_SUFFIX.sub("", _cell_text(value).replace(" ", "")) or _cell_text(value)


def clean_room(value):
    """'501室' → '501'."""
    return _ROOM_SUFFIX.sub("", _cell_text(value).replace(" ", "")) or _cell_text(value)


def parse_address(value):
    """Split '3栋2单元501', '3-2-501' or '3号楼2单元501室' into (building, unit, room)."""
    text = _cell_text(value).replace(" ", "").replace("—", "-").replace("–", "-")
    match = _ADDRESS.match(text)
    if not match:
        raise RuleViolation("roll.bad_address", value=str(value))
    return match.group("b"), match.group("u"), match.group("r")


def parse_yes_no(value):
    """是/否, Y/N, 1/0, √ or blank (no)."""
    if isinstance(value, bool):
        return value
    text = _cell_text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise RuleViolation("roll.bad_yes_no", value=str(value))


def decode_csv(data):
    """Decode CSV bytes: UTF-8 with or without BOM, else GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput([CellError(0, "", "roll.encoding")]) from None


# Bounds checked before (or while) a file is read, so that a small hostile file cannot make the reader
# work for long or hold much memory: a 129 KB workbook can declare millions of texts or a sheet 16,384
# columns wide. A real roll is a few thousand rows of about a dozen columns.
MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_SHEET_ROWS = MAX_ROWS + 100  # every row counts, blank ones too (titles and gaps above the header)
MAX_COLUMNS = 64  # cells per row
MAX_CELLS = MAX_ROWS * 20
MAX_SHARED_STRINGS = MAX_ROWS * 3  # names, ID numbers, addresses
MAX_ELEMENTS = MAX_CELLS * 3  # XML elements in the sheet (a cell is two or three)
MAX_CELL_TEXT = 32_767  # what Excel itself allows in a cell
MAX_TEXT_CHARS = 32 * 1024 * 1024  # all shared texts together
MAX_PART_BYTES = 256 * 1024 * 1024  # one decompressed sheet or text table
MAX_SMALL_PART_BYTES = 4 * 1024 * 1024  # workbook.xml and relationship parts
MAX_ZIP_MEMBERS = 10_000
CHUNK = 256 * 1024


def _unreadable():
    return InvalidInput([CellError(0, "", "roll.unreadable")])


def read_table(data):
    """Yield (row_number, cells) from an .xlsx workbook's first sheet or a CSV file, within the bounds above."""
    if not data or not data.strip():
        raise InvalidInput([CellError(0, "", "roll.empty")])
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput([CellError(0, "", "roll.too_large", {"limit": MAX_FILE_BYTES // (1024 * 1024)})])
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InvalidInput([CellError(0, "", "roll.xls_unsupported")])
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    text = decode_csv(data)
    if "\x00" in text:
        raise _unreadable()
    return _bounded_csv(text)


def _bounded_csv(text):
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > MAX_SHEET_ROWS:
                raise InvalidInput([CellError(number, "", "roll.too_many_rows", {"limit": MAX_ROWS})])
            if len(cells) > MAX_COLUMNS:
                raise InvalidInput([CellError(number, "", "roll.too_many_columns", {"limit": MAX_COLUMNS})])
            yield number, cells
    except csv.Error:  # e.g. a field longer than the csv module allows
        raise _unreadable() from None


# Everything a broken or hostile workbook can raise while it is opened or parsed: one "unreadable" fault.
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError,
           NotImplementedError, IndexError, UnicodeError, zlib.error, expat.ExpatError)


class _Refused(Exception):
    """Raised inside the XML handlers: a DTD or entity declaration (xlsx parts never have one), or a text
    longer than a spreadsheet cell can hold."""


def _parser(start=None, end=None, text=None):
    """A namespace-agnostic expat parser that refuses any DTD (no entity expansion, no external entities)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise _Refused()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.buffer_text = True
    if start:  # handlers take the raw tag name and drop any namespace prefix themselves (see _local)
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _local(tag):
    """'x:row' -> 'row' (most workbooks use no prefix at all)."""
    return tag.rpartition(":")[2] if ":" in tag else tag


def _member(archive, name, limit):
    """The zip member `name`, refused if it is missing or declares more than `limit` bytes."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise _unreadable()
    return info


def _parse_small(archive, name, start):
    info = _member(archive, name, MAX_SMALL_PART_BYTES)
    parser = _parser(start=lambda tag, attrs: start(_local(tag), attrs))
    parser.Parse(archive.read(info), True)


def _locate_parts(archive):
    """(path of the active sheet, path of the shared strings or None), from the workbook's relationships."""
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in archive.NameToInfo:
        def root_rel(tag, attrs):
            nonlocal workbook
            if tag == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                workbook = attrs.get("Target", workbook).lstrip("/")
        _parse_small(archive, "_rels/.rels", root_rel)
    folder = workbook.rpartition("/")[0]
    sheets, active = [], [0]

    def workbook_part(tag, attrs):
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.endswith("id") and k != "sheetId"), None)
            sheets.append(rid)
        elif tag == "workbookView" and attrs.get("activeTab", "0").isdigit():
            active[0] = int(attrs["activeTab"])
    _parse_small(archive, workbook, workbook_part)
    rels = {}
    shared = []

    def workbook_rels(tag, attrs):
        if tag == "Relationship":
            target = attrs.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}" if folder else target
            rels[attrs.get("Id")] = target
            if attrs.get("Type", "").endswith("/sharedStrings"):
                shared.append(target)
    rels_name = f"{folder}/_rels/{workbook.rpartition('/')[2]}.rels"
    _parse_small(archive, rels_name, workbook_rels)
    if not sheets:
        raise _unreadable()
    sheet = rels[sheets[active[0] if active[0] < len(sheets) else 0]]
    return sheet, (shared[0] if shared and shared[0] in archive.NameToInfo else None)


def _chunks(archive, info):
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            yield chunk


_SHARED_ITEM_OPENINGS = (b"<si>", b"<si ", b"<si/", b":si ", b":si/")


def _shared_items(window):
    """About how many text items start in `window` ('<x:si>' and '</x:si>' look alike: half of them)."""
    return sum(window.count(opening) for opening in _SHARED_ITEM_OPENINGS) + window.count(b":si>") // 2


def _count_shared_strings(archive, info):
    """Count the texts of the shared-string table without parsing it; refuse past MAX_SHARED_STRINGS.

    A byte count in C over the decompressed stream: millions of tiny texts are refused in a fraction of a
    second, before a single one is kept. (The parse that follows counts exactly.)"""
    count, tail = 0, b""
    for chunk in _chunks(archive, info):
        window = tail + chunk
        tail = window[-8:]
        count += _shared_items(window) - _shared_items(tail)  # the tail is counted with the next chunk
        if count > MAX_SHARED_STRINGS:
            raise InvalidInput([CellError(0, "", "roll.too_many_texts", {"limit": MAX_SHARED_STRINGS})])
    return count


def _read_shared_strings(archive, info):
    """The workbook's shared texts (rich-text runs joined, phonetic guides left out)."""
    _count_shared_strings(archive, info)
    strings, parts, state = [], [], {"in_t": False, "phonetic": 0, "chars": 0, "current": 0}

    def start(tag, _attrs):
        tag = _local(tag)
        if tag == "si":
            parts.clear()
            state["current"] = 0
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(tag):
        tag = _local(tag)
        if tag == "si":
            value = "".join(parts)
            state["chars"] += len(value)
            if len(value) > MAX_CELL_TEXT or state["chars"] > MAX_TEXT_CHARS:
                raise _Refused()
            strings.append(value)
            if len(strings) > MAX_SHARED_STRINGS:
                raise InvalidInput([CellError(0, "", "roll.too_many_texts", {"limit": MAX_SHARED_STRINGS})])
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["in_t"] = False

    def text(data):
        if state["in_t"]:
            parts.append(data)
            state["current"] += len(data)
            if state["current"] > MAX_CELL_TEXT:
                raise _Refused()

    parser = _parser(start, end, text)
    for chunk in _chunks(archive, info):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return strings


def _column_index(ref):
    """'C7' -> 2; refused past MAX_COLUMNS (a sheet can claim 16,384 columns)."""
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
            if index > MAX_COLUMNS:
                return None
        else:
            break
    return index - 1


def _dimension_within_bounds(ref):
    """Whether a declared sheet size like 'A1:K3000' keeps to MAX_COLUMNS and MAX_SHEET_ROWS."""
    last = ref.rpartition(":")[2].replace("$", "").upper()
    letters = "".join(ch for ch in last if "A" <= ch <= "Z")
    digits = last[len(letters):]
    if letters and _column_index(letters) is None:
        return False
    return not digits.isdigit() or int(digits) <= MAX_SHEET_ROWS


def _number(text):
    text = text.strip()
    if not text:
        return None
    return float(text) if ("." in text or "e" in text or "E" in text) else int(text)


def _sheet_rows(archive, info, strings):
    """Stream (row_number, cells) from a worksheet part, checking every bound as the rows come.

    Cells are placed by their own reference: a row is as long as its last cell, whatever size the sheet
    declares, and a cell past MAX_COLUMNS is refused."""
    done, state = [], {"row": 0, "col": -1, "cells": None, "type": None, "value": None, "in": None,
                       "count": 0, "inline": [], "phonetic": False, "elements": 0}

    def too_many_columns():
        return InvalidInput([CellError(state["row"], "", "roll.too_many_columns", {"limit": MAX_COLUMNS})])

    def start(tag, attrs):
        tag = _local(tag)
        state["elements"] += 1
        if state["elements"] > MAX_ELEMENTS:
            raise InvalidInput([CellError(state["row"], "", "roll.too_many_rows", {"limit": MAX_ROWS})])
        if tag == "c":
            ref = attrs.get("r")
            col = _column_index(ref.upper()) if ref else state["col"] + 1
            if col is None or col >= MAX_COLUMNS:
                raise too_many_columns()
            state["count"] += 1
            if state["count"] > MAX_CELLS:
                raise InvalidInput([CellError(state["row"], "", "roll.too_many_rows", {"limit": MAX_ROWS})])
            state.update(col=col, type=attrs.get("t", "n"), value=[], inline=[])
        elif tag == "row":
            number = attrs.get("r")
            state["row"] = int(number) if number and number.isdigit() else state["row"] + 1
            if state["row"] > MAX_SHEET_ROWS:
                raise InvalidInput([CellError(state["row"], "", "roll.too_many_rows", {"limit": MAX_ROWS})])
            state.update(cells=[], col=-1)
        elif tag == "v" and state["cells"] is not None:
            state["in"] = "v"
        elif tag == "t" and state["type"] == "inlineStr" and not state["phonetic"]:
            state["in"] = "t"
        elif tag == "rPh":
            state["phonetic"] = True
        elif tag == "dimension" and not _dimension_within_bounds(attrs.get("ref", "")):
            raise InvalidInput([CellError(0, "", "roll.too_big_sheet",
                                          {"rows": MAX_ROWS, "columns": MAX_COLUMNS})])

    def text(data):
        if state["in"] == "v":
            state["value"].append(data)
        elif state["in"] == "t":
            state["inline"].append(data)
        else:
            return
        if len(data) > MAX_CELL_TEXT:
            raise _Refused()

    def end(tag):
        tag = _local(tag)
        if tag in ("v", "t"):
            state["in"] = None
        elif tag == "rPh":
            state["phonetic"] = False
        elif tag == "c":
            cells = state["cells"]
            cells.extend([None] * (state["col"] + 1 - len(cells)))
            cells[state["col"]] = _cell_value(state["type"], "".join(state["value"]), state["inline"], strings)
        elif tag == "row":
            done.append((state["row"], state["cells"]))
            state["cells"] = None

    parser = _parser(start, end, text)
    for chunk in _chunks(archive, info):
        parser.Parse(chunk, False)
        yield from done
        done.clear()
    parser.Parse(b"", True)
    yield from done


def _cell_value(kind, value, inline, strings):
    if kind == "s":
        return strings[int(value)] if value.strip() else None
    if kind == "inlineStr":
        return "".join(inline)
    if kind == "b":
        return value.strip() == "1"
    if kind in ("str", "e", "d"):
        return value
    return _number(value)


def _read_xlsx(data):
    """The first (active) sheet of a workbook, read by our own bounded streaming parser."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if len(archive.infolist()) > MAX_ZIP_MEMBERS:
            raise _unreadable()
        sheet, shared = _locate_parts(archive)
        sheet_info = _member(archive, sheet, MAX_PART_BYTES)
        strings = _read_shared_strings(archive, _member(archive, shared, MAX_PART_BYTES)) if shared else []
    except _BROKEN + (_Refused,):
        raise _unreadable() from None

    def rows():
        try:
            yield from _sheet_rows(archive, sheet_info, strings)
        except _BROKEN + (_Refused,):
            raise _unreadable() from None

    return rows()


def map_headers(cells):
    """Map header cells to canonical column names; unknown columns are ignored."""
    columns = {}
    errors = []
    for index, cell in enumerate(cells):
        name = re.sub(r"[\s_*]|\(.*?\)", "", unicodedata.normalize("NFKC", str(cell or "")).lower())
        column = _HEADER_LOOKUP.get(name)
        if column is None:
            continue
        if column in columns:
            errors.append(CellError(1, column, "roll.duplicate_column", {"column": column}))
        columns[column] = index
    has_split = all(c in columns for c in ("building", "unit", "room"))
    if not has_split and "address" not in columns:
        for column in ("building", "unit", "room"):
            if column not in columns:
                errors.append(CellError(1, column, "roll.missing_column", {"column": column}))
    if "owner_name" not in columns:
        errors.append(CellError(1, "owner_name", "roll.missing_column", {"column": "owner_name"}))
    if not any(c in columns for c in AREA_COLUMNS):
        errors.append(CellError(1, "registered_area", "roll.missing_area_column"))
    if errors:
        raise InvalidInput(errors)
    return columns


class _RowReader:
    """Reads one row's cells by canonical column, recording faults instead of stopping."""

    def __init__(self, number, cells, columns, errors):
        self.number, self.cells, self.columns, self.errors = number, cells, columns, errors
        self.ok = True

    def raw(self, column):
        index = self.columns.get(column)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def fail(self, column, key, **params):
        self.errors.append(CellError(self.number, column, key, params))
        self.ok = False

    def parse(self, column, parser):
        try:
            return parser(self.raw(column))
        except RuleViolation as fault:
            self.fail(column, fault.key, **fault.params)
            return None

    def text(self, column, cleaner=_cell_text, required=False):
        value = cleaner(self.raw(column))
        if required and not value:
            self.fail(column, "roll.required")
        elif value and len(value) > MAX_TEXT.get(column, 100):
            self.fail(column, "roll.too_long", value=value[:20], limit=MAX_TEXT.get(column, 100))
        return value or None


def _read_row(reader):
    """Turn one row into (dwelling fields, owner) or record its faults."""
    if "building" in reader.columns and _cell_text(reader.raw("building")):
        building = reader.text("building", clean_building, required=True)
        unit = reader.text("unit", clean_unit, required=True)
        room = reader.text("room", clean_room, required=True)
    elif "address" in reader.columns and _cell_text(reader.raw("address")):
        parts = reader.parse("address", parse_address) or (None, None, None)
        building, unit, room = parts
    else:
        column = "building" if "building" in reader.columns else "address"
        reader.fail(column, "roll.required")
        building = unit = room = None
    area_values = {c: reader.parse(c, areas.parse_area) for c in AREA_COLUMNS}
    developer_held = bool(reader.parse("developer_held", parse_yes_no))
    delivered_raw = _cell_text(reader.raw("delivered"))
    delivered = reader.parse("delivered", parse_yes_no) if delivered_raw else not developer_held
    name = reader.text("owner_name", identity.normalise_name, required=True)
    doc_type = reader.parse("id_type", identity.parse_doc_type) or "cn_id"
    raw_id = reader.raw("id_number")
    doc_number = None
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) and raw_id > 10**14:
        reader.fail("id_number", "roll.id_as_number")
    elif _cell_text(raw_id):
        doc_number = reader.parse("id_number", lambda v: identity.normalise_document(doc_type, v))
    elif not developer_held:
        reader.fail("id_number", "roll.id_required")
    phone = reader.parse("phone", identity.normalise_phone)
    share = reader.text("share")
    certificate = reader.text("certificate", identity.normalise_certificate) or None
    if reader.ok and all(v is None for v in area_values.values()):
        reader.fail(AREA_COLUMNS[0] if AREA_COLUMNS[0] in reader.columns else
                    next(c for c in AREA_COLUMNS if c in reader.columns), "roll.no_area")
    if not reader.ok:
        return None
    owner = RollOwner(reader.number, name, doc_type if doc_number else "org_name", doc_number, phone, share,
                      certificate)
    floor = reader.parse("floor", check_floor)
    if not reader.ok:
        return None
    dwelling = RollDwelling(building, unit, room, area_values["registered_area"],
                            area_values["surveyed_area"], area_values["contract_area"],
                            developer_held, bool(delivered), reader.number, floor=floor)
    return dwelling, owner


def parse_roll(data):
    """Read a whole roll; return its dwellings in file order or raise InvalidInput naming every fault."""
    rows = iter(read_table(data))
    header = None
    for number, cells in rows:
        if any(_cell_text(c) for c in cells):
            header = (number, cells)
            break
    if header is None:
        raise InvalidInput([CellError(0, "", "roll.empty")])
    columns = map_headers(header[1])
    errors = []
    dwellings = {}
    owners_seen = {}
    count = 0
    for number, cells in rows:
        if not any(_cell_text(c) for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise InvalidInput([CellError(number, "", "roll.too_many_rows", {"limit": MAX_ROWS})])
        parsed = _read_row(_RowReader(number, cells, columns, errors))
        if len(errors) >= MAX_ERRORS:
            errors.append(CellError(number, "", "roll.too_many_errors", {"limit": MAX_ERRORS}))
            break
        if parsed is None:
            continue
        fields, owner = parsed
        existing = dwellings.get(fields.key)
        if existing is None:
            dwellings[fields.key] = existing = fields
        else:
            if (existing.registered_area, existing.surveyed_area, existing.contract_area) != (
                    fields.registered_area, fields.surveyed_area, fields.contract_area):
                errors.append(CellError(number, "registered_area", "roll.area_conflict",
                                        {"first": existing.first_row}))
                continue
            if (existing.developer_held, existing.delivered) != (fields.developer_held, fields.delivered):
                errors.append(CellError(number, "developer_held", "roll.flag_conflict",
                                        {"first": existing.first_row}))
                continue
        owner_id = (fields.key, owner.doc_type, owner.doc_number or owner.name)
        if owner_id in owners_seen:
            errors.append(CellError(number, "id_number" if owner.doc_number else "owner_name",
                                    "roll.duplicate_owner", {"first": owners_seen[owner_id]}))
            continue
        owners_seen[owner_id] = number
        existing.owners.append(owner)
    if errors:
        raise InvalidInput(errors)
    if not dwellings:
        raise InvalidInput([CellError(header[0] + 1, "", "roll.no_rows")])
    return list(dwellings.values())


# --- What an import changes: a pure diff of the compound's current roll against the new one ---------------

PERSONAL_DOCUMENTS = ("cn_id", "hk_mo_permit", "tw_permit", "passport")


@dataclass(frozen=True)
class OwnerRecord:
    """One owner of one dwelling as this compound's roll has it (keys are hashes, never numbers)."""

    person_key: str
    name: str
    phone_key: str = None
    share: str = None
    developer_held: bool = False
    delivered: bool = True
    doc_type: str = None
    row: int = 0          # the roll row it came from (0 for what is on record)
    phone: str = None     # the phone as typed, kept only to store it; compared by phone_key
    extra: tuple = ()     # further (field, value) pairs stored with the ownership, e.g. a certificate key

    def values(self):
        """What an import compares: name, phone (when the roll gives one), share and flags."""
        return (self.name, self.share, self.developer_held, self.delivered, self.extra)


@dataclass(frozen=True)
class DwellingRecord:
    """One dwelling of a compound with its areas and owners."""

    key: tuple  # (building, unit, room)
    registered_area: int = None
    surveyed_area: int = None
    contract_area: int = None
    owners: tuple = ()
    row: int = 0

    @property
    def areas(self):
        """The three areas, in hundredths of m²."""
        return (self.registered_area, self.surveyed_area, self.contract_area)


@dataclass(frozen=True)
class RollWarning(CellNote):
    """Something an import dropped or doubts, by row and column, as a message key."""


@dataclass(frozen=True)
class RollDiff:
    """What an import would change in one compound, by owner row (one owner of one dwelling)."""

    create: tuple       # (dwelling key, OwnerRecord) owners new to a dwelling
    update: tuple       # (dwelling key, before OwnerRecord, after OwnerRecord)
    unchanged: tuple    # (dwelling key, OwnerRecord)
    remove: tuple       # (dwelling key, OwnerRecord) owners on record no longer on the roll
    dwellings_created: tuple   # DwellingRecord
    dwellings_updated: tuple   # (before, after) DwellingRecord with changed areas
    dwellings_unchanged: int
    dwellings_not_on_roll: tuple  # DwellingRecord on record but absent from the roll (kept as they are)
    warnings: tuple

    @property
    def changed(self):
        """Whether applying the diff changes anything."""
        return bool(self.create or self.update or self.remove or self.dwellings_created or self.dwellings_updated)


def settle_owners(new):
    """One name and one phone per person across the roll: the first given wins, the rest are warned about.

    `new` is a list of DwellingRecord; returns (records with each owner's name and phone settled, warnings)."""
    first = {}
    warnings = []
    for dwelling in new:
        for owner in dwelling.owners:
            seen = first.get(owner.person_key)
            if seen is None:
                first[owner.person_key] = owner
                continue
            if owner.phone_key and seen.phone_key and owner.phone_key != seen.phone_key:
                warnings.append(RollWarning(owner.row, "phone", "roll.second_phone", {"first": seen.row}))
            elif owner.phone_key and not seen.phone_key:
                first[owner.person_key] = seen = _replace(seen, phone_key=owner.phone_key, phone=owner.phone)
            if owner.name != seen.name:
                warnings.append(RollWarning(owner.row, "owner_name", "roll.other_name",
                                            {"first": seen.row, "name": seen.name}))
    settled = []
    for dwelling in new:
        owners = tuple(_replace(o, name=first[o.person_key].name, phone_key=first[o.person_key].phone_key,
                                phone=first[o.person_key].phone) for o in dwelling.owners)
        settled.append(_replace(dwelling, owners=owners))
    return settled, warnings


def _replace(record, **changes):
    from dataclasses import replace
    return replace(record, **changes)


def diff_roll(current, new):
    """Compare a compound's roll on record with a new one; pure: (current, new) → RollDiff.

    Owners are matched within a dwelling by their identity key. A phone left blank on the new roll keeps the
    one on record. Dwellings on record but missing from the new roll are kept and reported, never removed."""
    new, warnings = settle_owners(new)
    for dwelling in new:
        for owner in dwelling.owners:
            if owner.developer_held and owner.doc_type in PERSONAL_DOCUMENTS:
                warnings.append(RollWarning(owner.row, "developer_held", "roll.developer_private_person",
                                            {"name": owner.name}))
    on_record = {d.key: d for d in current}
    create, update, unchanged, remove = [], [], [], []
    dwellings_created, dwellings_updated, dwellings_unchanged = [], [], 0
    for dwelling in new:
        before = on_record.get(dwelling.key)
        if before is None:
            dwellings_created.append(dwelling)
            create.extend((dwelling.key, o) for o in dwelling.owners)
            continue
        if before.areas != dwelling.areas:
            dwellings_updated.append((before, dwelling))
        else:
            dwellings_unchanged += 1
        old_owners = {o.person_key: o for o in before.owners}
        for owner in dwelling.owners:
            old = old_owners.pop(owner.person_key, None)
            if old is None:
                create.append((dwelling.key, owner))
                continue
            if owner.phone_key is None:  # a blank phone keeps the one on record
                owner = _replace(owner, phone_key=old.phone_key)
            if old.values() != owner.values() or old.phone_key != owner.phone_key:
                update.append((dwelling.key, old, owner))
            else:
                unchanged.append((dwelling.key, owner))
        remove.extend((dwelling.key, o) for o in old_owners.values())
    listed = {d.key for d in new}
    missing = tuple(d for d in current if d.key not in listed)
    if missing:
        warnings.append(RollWarning(0, "", "roll.dwellings_not_on_roll", {"count": len(missing)}))
    return RollDiff(tuple(create), tuple(update), tuple(unchanged), tuple(remove), tuple(dwellings_created),
                    tuple(dwellings_updated), dwellings_unchanged, missing,
                    tuple(sorted(warnings, key=lambda w: (w.row, w.column))))
