"""Reading a committee's voter roll (xlsx or CSV) into dwellings and owners; pure, no database."""
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from core import areas, identity
from core.errors import InvalidInput, RuleViolation

MAX_ROWS = 200_000
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
class CellError:
    """One fault in the roll: spreadsheet row (header is row 1), column and message key."""

    row: int
    column: str
    key: str
    params: dict = field(default_factory=dict)


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


def read_table(data):
    """Yield (row_number, cells) from an .xlsx workbook's first sheet or a CSV file."""
    if not data or not data.strip():
        raise InvalidInput([CellError(0, "", "roll.empty")])
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InvalidInput([CellError(0, "", "roll.xls_unsupported")])
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    text = decode_csv(data)
    if "\x00" in text:
        raise InvalidInput([CellError(0, "", "roll.unreadable")])
    return enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _read_xlsx(data):
    import openpyxl  # imported here: CSV-only callers need not load it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise InvalidInput([CellError(0, "", "roll.unreadable")]) from None

    def rows():
        try:
            yield from enumerate(workbook.active.iter_rows(values_only=True), start=1)
        finally:
            workbook.close()

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
    dwelling = RollDwelling(building, unit, room, area_values["registered_area"],
                            area_values["surveyed_area"], area_values["contract_area"],
                            developer_held, bool(delivered), reader.number)
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
