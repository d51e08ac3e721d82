"""The contribution ledger: residents pledge per dwelling, the committee records what is received (with a
receipt number), refunds or cancels; pledged and received money are never added together."""
from sqlalchemy import case, func, select

from core import audit, scopes
from core.auth import get_in_region
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation, field_error
from core.extensions import db
from core.ids import among
from core.models import Building, Dwelling, Ownership, Unit, utcnow
from contributions import rules
from contributions.models import KINDS, MONEY_KINDS, Apportionment, Contribution, ContributionState
from projects.models import Project, ProjectItem

MAX_RECEIPT = 64


def _rule(field, call, *args):
    try:
        return call(*args)
    except RuleViolation as fault:
        raise InvalidInput([{"field": field, "key": fault.key, "params": fault.params}]) from None


def _check_amounts(kind, amount, hours):
    if kind not in KINDS:
        raise field_error("kind", "error.invalid")
    if kind in MONEY_KINDS and (not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0):
        raise field_error("amount", "project.bad_amount")
    if kind == "labour" and (not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0):
        raise field_error("hours", "project.bad_amount")


def _item_of(project, item_id):
    if item_id is None:
        return None
    item = db.session.get(ProjectItem, item_id)
    if item is None or item.project_id != project.id:
        raise field_error("item_id", "error.invalid")
    return item


FUND_MATTER = "use_maintenance_fund"  # art. 278(5): using the maintenance fund is the owners' decision


def _require_fund_vote(kind, dwelling_id):
    """A maintenance-fund entry only where the owners approved using the fund for that dwelling (Conflict)."""
    from votes.outcomes import uncovered_by_approved
    if kind == "maintenance_fund" and uncovered_by_approved(FUND_MATTER, [dwelling_id]):
        raise Conflict("contribution.fund_vote_missing")


def _has_owner(dwelling_id):
    return db.session.scalar(select(Ownership.id).where(Ownership.dwelling_id == dwelling_id).limit(1)) is not None


def _add_pledge(project, dwelling_id, kind, amount, hours, description, item_id, **pledger):
    """A pledge of the project for a dwelling, by a resident (`account_id`) or the committee (`pledged_by`), once
    the amounts and who may give were checked."""
    _require_fund_vote(kind, dwelling_id)
    item = _item_of(project, item_id)
    entry = Contribution(project_id=project.id, item_id=item.id if item else None, dwelling_id=dwelling_id,
                         kind=kind, amount=amount if kind in MONEY_KINDS else None,
                         hours=hours if kind == "labour" else None, description=(description or "")[:200],
                         **pledger)
    db.session.add(entry)
    db.session.flush()
    return entry


# residents ----------------------------------------------------------------------------------------------
def pledge(account, kind, amount=None, hours=None, description=None, item_id=None):
    """A resident pledges for their home; maintenance funds are the owners' to give (Civil Code art. 278)."""
    from projects.services import project_for_resident
    project = project_for_resident(account)
    _check_amounts(kind, amount, hours)
    if kind == "maintenance_fund" and account.kind != "owner":
        raise Forbidden("contribution.owners_only")
    return _add_pledge(project, account.dwelling_id, kind, amount, hours, description, item_id,
                       account_id=account.id)


def own_entry(account, contribution_id):
    """An entry this resident made themselves for their home (not one made by someone else at the same home,
    nor one the committee recorded)."""
    entry = db.session.get(Contribution, contribution_id)
    if (entry is None or account.dwelling_id is None or entry.dwelling_id != account.dwelling_id
            or entry.account_id != account.id):
        raise NotFound()
    return entry


def cancel_own(account, contribution_id):
    """A resident withdraws a pledge they made themselves before anything was received."""
    entry = own_entry(account, contribution_id)
    entry.move(ContributionState.CANCELLED)
    entry.state, entry.closed_at, entry.reason = ContributionState.CANCELLED, utcnow(), "withdrawn by the resident"
    db.session.flush()
    return entry


def my_ledger(account):
    """The resident's own home's entries, and the totals of their compound's project."""
    from projects.services import project_for_resident
    project = project_for_resident(account)
    entries = (Contribution.query.filter_by(project_id=project.id, dwelling_id=account.dwelling_id)
               .order_by(Contribution.id).all())
    dues = {}
    for apportionment in Apportionment.query.join(ProjectItem).filter(ProjectItem.project_id == project.id):
        share = dues_of(apportionment).get(account.dwelling_id)
        if share is not None:
            dues[apportionment.item_id] = share
    return {"project": project, "entries": entries, "totals": project_totals(project.id), "dues": dues}


# staff ---------------------------------------------------------------------------------------------------
def _entry(staff, contribution_id):
    entry = db.session.get(Contribution, contribution_id)
    if entry is None:
        raise NotFound()
    project = get_in_region(staff, Project, entry.project_id, "contributions.record")
    return entry, project


def record_pledge(staff, project_id, dwelling_id, kind, amount=None, hours=None, description=None, item_id=None):
    """The committee writes down a pledge made at the door or in the office, for a dwelling of the project."""
    project = get_in_region(staff, Project, project_id, "contributions.record")
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None or dwelling.unit.building.compound_id not in {c.id for c in project.compounds}:
        raise field_error("dwelling_id", "error.invalid")
    _check_amounts(kind, amount, hours)
    if kind == "maintenance_fund" and not _has_owner(dwelling.id):
        raise field_error("kind", "contribution.owners_only")
    entry = _add_pledge(project, dwelling.id, kind, amount, hours, description, item_id, pledged_by=staff.id)
    audit.record(staff, "contribution.pledge", "contribution", entry.id, project.region_id,
                 after={"dwelling": dwelling.id, "kind": kind, "amount": amount, "hours": hours})
    return entry


def receive(staff, contribution_id, receipt_no):
    """Money (or labour, goods) has come in: recorded with who took it and the receipt number."""
    entry, project = _entry(staff, contribution_id)
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise field_error("receipt_no", "contribution.no_receipt")
    if len(receipt_no) > MAX_RECEIPT:
        raise field_error("receipt_no", "wish.too_long", limit=MAX_RECEIPT)
    entry.move(ContributionState.RECEIVED)
    _require_fund_vote(entry.kind, entry.dwelling_id)
    entry.state, entry.received_by, entry.receipt_no, entry.received_at = (
        ContributionState.RECEIVED, staff.id, receipt_no, utcnow())
    audit.record(staff, "contribution.receive", "contribution", entry.id, project.region_id,
                 before={"state": ContributionState.PLEDGED}, after={"state": entry.state, "receipt_no": receipt_no})
    db.session.flush()
    return entry


def close_entry(staff, contribution_id, target, reason):
    """Refund money received, or cancel a pledge never paid; the reason is kept."""
    entry, project = _entry(staff, contribution_id)
    if target not in (ContributionState.REFUNDED, ContributionState.CANCELLED):
        raise field_error("state", "error.invalid")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "error.field_required")
    before = entry.state
    entry.move(target)
    entry.state, entry.closed_by, entry.closed_at, entry.reason = target, staff.id, utcnow(), reason[:200]
    audit.record(staff, f"contribution.{'refund' if target == 'refunded' else 'cancel'}", "contribution",
                 entry.id, project.region_id, before={"state": before}, after={"state": target, "reason": reason})
    db.session.flush()
    return entry


def set_apportionment(staff, item_id, rule, amount, coefficients=None, scope_kind=None, scope_id=None):
    """How an item's cost to residents is shared: by area, by floor coefficients, or equally, over a scope
    inside the project (the project's first compound when none is given)."""
    from votes.lifts import parse_coefficients
    item = db.session.get(ProjectItem, item_id)
    if item is None:
        raise NotFound()
    project = get_in_region(staff, Project, item.project_id, "projects.edit")
    if rule not in rules.RULES:
        raise field_error("rule", "contribution.bad_rule", rule=rule)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise field_error("amount", "project.bad_amount")
    if scope_kind is None:
        scope_kind, scope_id = "compound", project.compounds[0].id
    if scope_kind not in scopes.SCOPES or scopes.scope_compound(scope_kind, scope_id).id not in {
            c.id for c in project.compounds}:
        raise field_error("scope", "error.invalid")
    stored = None
    if rule == "floor":
        parsed = _rule("coefficients", parse_coefficients, coefficients)
        stored = {str(k): f"{v.numerator}/{v.denominator}" for k, v in sorted(parsed.items())}
    record = db.session.get(Apportionment, item.id) or Apportionment(item_id=item.id)
    record.rule, record.amount, record.coefficients = rule, amount, stored
    record.scope_kind, record.scope_id, record.set_by = scope_kind, scope_id, staff.id
    db.session.add(record)
    _rule("rule", _dues, record)  # refuse a rule that cannot be applied (a missing area or floor)
    audit.record(staff, "contribution.apportion", "project_item", item.id, project.region_id,
                 after={"rule": rule, "amount": amount, "coefficients": stored, "scope": f"{scope_kind}:{scope_id}"})
    db.session.flush()
    return record


def _dues(record):
    from votes.lifts import parse_coefficients
    rows = Dwelling.query.filter(Dwelling.id.in_(scopes.dwellings_in(record.scope_kind, record.scope_id))).all()
    coefficients = parse_coefficients(record.coefficients) if record.coefficients else None
    return rules.apportion(record.amount, record.rule, [(d.id, d.counted_area, d.storey) for d in rows],
                           coefficients)


def dues_of(record):
    """{dwelling id: fen} each dwelling's share of an item under its apportionment rule."""
    return _rule("rule", _dues, record)


def project_totals(project_id):
    """Money pledged (not yet received), received, refunded; labour hours pledged and given; in fen."""
    money = Contribution.kind.in_(MONEY_KINDS)

    def total(state, column=Contribution.amount, condition=money):
        return func.coalesce(func.sum(case((condition & (Contribution.state == state), column), else_=0)), 0)

    row = db.session.execute(select(
        total(ContributionState.PLEDGED), total(ContributionState.RECEIVED), total(ContributionState.REFUNDED),
        total(ContributionState.RECEIVED, condition=Contribution.kind == "maintenance_fund"),
        total(ContributionState.PLEDGED, Contribution.hours, Contribution.kind == "labour"),
        total(ContributionState.RECEIVED, Contribution.hours, Contribution.kind == "labour"))
        .where(Contribution.project_id == project_id)).one()
    return {"pledged": int(row[0]), "received": int(row[1]), "refunded": int(row[2]),
            "maintenance_fund_received": int(row[3]), "hours_pledged": int(row[4]), "hours_given": int(row[5])}


def totals_by_project(project_ids):
    """{project id: {"pledged", "received"}} in fen, for the officials' ledger."""
    if not project_ids:
        return {}
    money = Contribution.kind.in_(MONEY_KINDS)
    rows = db.session.execute(select(
        Contribution.project_id,
        func.sum(case((money & (Contribution.state == ContributionState.PLEDGED), Contribution.amount), else_=0)),
        func.sum(case((money & (Contribution.state == ContributionState.RECEIVED), Contribution.amount), else_=0)))
        .where(among(Contribution.project_id, project_ids)).group_by(Contribution.project_id)).all()
    return {pid: {"pledged": int(p or 0), "received": int(r or 0)} for pid, p, r in rows}


def committee_ledger(staff, project_id):
    """Who has given what: one row per dwelling with its entries, its dues per item and its money by state."""
    project = get_in_region(staff, Project, project_id, "projects.read")
    compound_ids = [c.id for c in project.compounds]
    entries = Contribution.query.filter_by(project_id=project.id).order_by(Contribution.id).all()
    dues = {}
    apportionments = Apportionment.query.join(ProjectItem).filter(ProjectItem.project_id == project.id).all()
    for record in apportionments:
        for dwelling_id, fen in dues_of(record).items():
            dues.setdefault(dwelling_id, {})[record.item_id] = fen
    wanted = {e.dwelling_id for e in entries} | set(dues)
    places = {d: (b, u, r) for d, b, u, r in db.session.execute(
        select(Dwelling.id, Building.name, Unit.name, Dwelling.room).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(Building.compound_id.in_(compound_ids), Dwelling.id.in_(list(wanted))))} if wanted else {}
    rows = []
    for dwelling_id in sorted(wanted, key=lambda d: places.get(d, ("", "", ""))):
        own = [e for e in entries if e.dwelling_id == dwelling_id]
        money = [e for e in own if e.kind in MONEY_KINDS]
        building, unit, room = places.get(dwelling_id, ("", "", ""))
        rows.append({"dwelling_id": dwelling_id, "building": building, "unit": unit, "room": room,
                     "due": sum(dues.get(dwelling_id, {}).values()), "dues": dues.get(dwelling_id, {}),
                     "pledged": sum(e.amount for e in money if e.state == ContributionState.PLEDGED),
                     "received": sum(e.amount for e in money if e.state == ContributionState.RECEIVED),
                     "entries": own})
    return {"project": project, "rows": rows, "totals": project_totals(project.id),
            "apportionments": apportionments}


def ledger_table(ledger, labels):
    """The committee's ledger as a header and rows of cells (amounts in yuan as exact decimal text)."""
    from core.money import format_yuan
    header = [labels["building"], labels["unit"], labels["room"], labels["kind"], labels["state"], labels["amount"],
              labels["hours"], labels["receipt"], labels["description"]]
    table = []
    for row in ledger["rows"]:
        for e in row["entries"]:
            table.append([row["building"], row["unit"], row["room"], labels["kinds"].get(e.kind, e.kind),
                          labels["states"].get(e.state, e.state),
                          format_yuan(e.amount).replace(",", "") if e.amount is not None else "",
                          e.hours if e.hours is not None else "", e.receipt_no or "", e.description or ""])
    return header, table


def to_xlsx(title, header, table):
    """The ledger as an .xlsx workbook (through the one export writer: formula-looking text stays text)."""
    from core.exports import to_xlsx as write_xlsx
    return write_xlsx([[title], header] + [list(row) for row in table], title=title)


def export_ledger(staff, project_id):
    """The committee's ledger as an .xlsx workbook in the reader's language; the export is audited."""
    from contributions.texts import export_labels, export_title
    ledger = committee_ledger(staff, project_id)
    header, table = ledger_table(ledger, export_labels())
    data = to_xlsx(export_title(), header, table)
    audit.record(staff, "contribution.export", "project", project_id, ledger["project"].region_id,
                 after={"rows": len(table)})
    return data
