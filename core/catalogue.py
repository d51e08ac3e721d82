"""The renovation catalogue: base items from data, and items a county adds."""
import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select

from core.errors import Conflict, InvalidInput, RuleViolation
from core.extensions import db
from core.models import CatalogueClass, CatalogueItem, RegionLevel

BASE_FILE = Path(__file__).parent / "data" / "catalogue.csv"


@dataclass(frozen=True)
class ItemSpec:
    """One catalogue item as data."""

    code: str
    cls: str
    name_zh: str
    name_en: str


def read_base_catalogue(path=BASE_FILE):
    """The base catalogue shipped with the service, in order."""
    with open(path, encoding="utf-8", newline="") as handle:
        items = [ItemSpec(r["code"], r["class"], r["name_zh"], r["name_en"]) for r in csv.DictReader(handle)]
    for item in items:
        check_item(item)
    return items


def check_item(item):
    """Raise RuleViolation if an item's class or names are unusable."""
    if item.cls not in CatalogueClass.ALL:
        raise RuleViolation("catalogue.bad_class", value=item.cls)
    if not item.code or not item.name_zh.strip() or not item.name_en.strip():
        raise RuleViolation("error.field_required")


def sync_base_catalogue():
    """Insert or update the base items; returns how many rows changed."""
    existing = {i.code: i for i in CatalogueItem.query.filter(CatalogueItem.region_id.is_(None))}
    changed = 0
    for position, spec in enumerate(read_base_catalogue()):
        item = existing.get(spec.code)
        if item is None:
            db.session.add(CatalogueItem(code=spec.code, cls=spec.cls, name_zh=spec.name_zh,
                                         name_en=spec.name_en, position=position))
            changed += 1
        elif (item.cls, item.name_zh, item.name_en, item.position) != (
                spec.cls, spec.name_zh, spec.name_en, position):
            item.cls, item.name_zh, item.name_en, item.position = spec.cls, spec.name_zh, spec.name_en, position
            changed += 1
    db.session.flush()
    return changed


def items_for_region(region):
    """Base items plus those added by the county (or a region above) the region (or its path) belongs to."""
    path = region if isinstance(region, str) else region.path if region else ""
    ancestors = [int(part) for part in path.strip("/").split("/") if part]
    query = CatalogueItem.query.filter(CatalogueItem.active.is_(True)).filter(
        CatalogueItem.region_id.is_(None) | CatalogueItem.region_id.in_(ancestors))
    return query.order_by(CatalogueItem.cls, CatalogueItem.position, CatalogueItem.code).all()


# Built once: (code, name_zh, name_en) of the active items of the base catalogue and of the regions listed.
_NAMES = (select(CatalogueItem.code, CatalogueItem.name_zh, CatalogueItem.name_en)
          .where(CatalogueItem.active.is_(True),
                 CatalogueItem.region_id.is_(None) | CatalogueItem.region_id.in_(bindparam("regions", expanding=True)))
          .order_by(CatalogueItem.cls, CatalogueItem.position, CatalogueItem.code))


def item_names_for_region(region):
    """(code, name_zh, name_en) of the items of items_for_region, in its order: rows, not objects, for the pages
    that only name them."""
    path = region if isinstance(region, str) else region.path if region else ""
    ancestors = [int(part) for part in path.strip("/").split("/") if part]
    return db.session.execute(_NAMES, {"regions": ancestors}).all()


def catalogue_for(staff):
    """The catalogue as it applies in the staff member's region (Forbidden to those who may not read it)."""
    from core.auth import authorize
    authorize(staff, "catalogue.read")
    return items_for_region(staff.region)


def add_county_item(county, cls, name_zh, name_en, actor=None):
    """A county extends the catalogue; the code is derived from the county and a counter. A staff member who
    adds it (`actor`) must be allowed to, and is named in the audit log."""
    if actor is not None:
        from core.auth import authorize
        authorize(actor, "catalogue.edit")
    if county.level != RegionLevel.COUNTY:
        raise Conflict("catalogue.county_only")
    spec = ItemSpec("", cls, name_zh or "", name_en or "")
    try:
        check_item(ItemSpec("X", cls, spec.name_zh, spec.name_en))
    except RuleViolation as fault:
        raise InvalidInput([{"field": "cls", "key": fault.key, "params": fault.params}]) from None
    if CatalogueItem.query.filter_by(region_id=county.id, name_zh=name_zh.strip()).first():
        raise Conflict("catalogue.duplicate", name=name_zh)
    count = CatalogueItem.query.filter_by(region_id=county.id).count()
    item = CatalogueItem(code=f"C{county.id}-{count + 1:03d}", cls=cls, name_zh=name_zh.strip(),
                         name_en=name_en.strip(), region_id=county.id, position=1000 + count)
    db.session.add(item)
    db.session.flush()
    if actor is not None:
        from core import audit
        audit.record(actor, "catalogue.add", "catalogue_item", item.code, actor.region_id,
                     after={"cls": item.cls, "name_zh": item.name_zh})
    return item
