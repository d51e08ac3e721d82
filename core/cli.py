"""Command-line groups: demo, registry, catalogue, staff, translate."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext

from core import catalogue, demo, registry
from core.errors import DomainError, InvalidInput
from core.extensions import db
from core.http_errors import describe_fault
from core.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
demo_cli = AppGroup("demo", help="Demo data.")
registry_cli = AppGroup("registry", help="The registry of compounds and owners.")
catalogue_cli = AppGroup("catalogue", help="The renovation catalogue.")
staff_cli = AppGroup("staff", help="Staff accounts.")
translate_cli = AppGroup("translate", help="Translation catalogs.")


def _fail(exc):
    """Print a domain error in the user's words and exit non-zero."""
    db.session.rollback()
    click.echo(translate(exc.key, **exc.params), err=True)
    if isinstance(exc, InvalidInput):
        for fault in exc.errors:
            item = describe_fault(fault)
            where = ""
            if item.get("row"):
                where = gettext("Row %(row)s", row=item["row"]) + f", {item.get('column_label', '')}: "
            click.echo(f"  {where}{item['message']}", err=True)
    raise SystemExit(1)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has compounds.")
def seed_command(if_empty):
    """Build a believable demo province and print the staff logins."""
    if if_empty and demo.has_data():
        click.echo("The database already has data; demo not seeded.")
    else:
        demo.seed()
        db.session.commit()
    click.echo(demo.logins_text())


@registry_cli.command("import-roll")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--compound", "compound_id", type=int, required=True, help="The compound's id.")
@click.option("--dry-run", is_flag=True, help="Only say what the import would change; save nothing.")
def import_roll_command(file, compound_id, dry_run):
    """Import a voter roll (.xlsx or .csv) into a compound, all or nothing."""
    try:
        report = registry.import_roll(None, compound_id, file.read_bytes(), filename=file.name, dry_run=dry_run)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{'Would import' if dry_run else 'Imported'} {report.rows} rows: owners {report.owners_created} created, {report.owners_updated} "
               f"updated, {report.owners_unchanged} unchanged, {report.owners_removed} removed; dwellings "
               f"{report.dwellings_created} created, {report.dwellings_updated} updated, "
               f"{report.dwellings_unchanged} unchanged.")
    for warning in registry.report_as_dict(report)["warnings"]:
        click.echo(f"  {gettext('Row %(row)s', row=warning['row'])}: {warning['message']}")


@registry_cli.command("regions")
def regions_command():
    """List every region with its id, level and the compounds of each community."""
    from core.models import Compound
    compounds = {}
    for compound in Compound.query.order_by(Compound.name):
        compounds.setdefault(compound.community_id, []).append(compound)
    for region in registry.list_regions():
        depth = region.path.count("/") - 2
        click.echo(f"{'  ' * depth}{region.id}\t{region.level}\t{region.name}")
        for compound in compounds.get(region.id, []):
            click.echo(f"{'  ' * (depth + 1)}compound {compound.id}\t{compound.name}")


def _created(what, thing):
    db.session.commit()
    click.echo(f"Created {what} {thing.id}: {thing.name}")


@registry_cli.command("create-region")
@click.argument("name")
@click.option("--parent", "parent_id", type=int, help="The region above (none for a province).")
def create_region_command(name, parent_id):
    """Create a region one level below its parent (province › city › county › street › community)."""
    try:
        region = registry.create_region(None, parent_id, name)
    except DomainError as exc:
        _fail(exc)
    _created(region.level, region)


@registry_cli.command("create-compound")
@click.argument("name")
@click.option("--community", "community_id", type=int, required=True, help="The community's id.")
@click.option("--address")
@click.option("--built-year", type=int)
@click.option("--households", type=int)
def create_compound_command(name, community_id, address, built_year, households):
    """Register a compound in a community."""
    try:
        compound = registry.create_compound(None, community_id, name, address, built_year, households)
    except DomainError as exc:
        _fail(exc)
    _created("compound", compound)


@registry_cli.command("create-building")
@click.argument("name")
@click.option("--compound", "compound_id", type=int, required=True, help="The compound's id.")
@click.option("--floors", type=int)
@click.option("--lift/--no-lift", default=False)
def create_building_command(name, compound_id, floors, lift):
    """Add a building to a compound."""
    try:
        building = registry.add_building(None, compound_id, name, floors, lift)
    except DomainError as exc:
        _fail(exc)
    _created("building", building)


@registry_cli.command("create-unit")
@click.argument("name")
@click.option("--building", "building_id", type=int, required=True, help="The building's id.")
def create_unit_command(name, building_id):
    """Add a stairwell unit to a building."""
    try:
        unit = registry.add_unit(None, building_id, name)
    except DomainError as exc:
        _fail(exc)
    _created("unit", unit)


@catalogue_cli.command("sync")
def catalogue_sync_command():
    """Load or update the base renovation catalogue."""
    changed = catalogue.sync_base_catalogue()
    db.session.commit()
    click.echo(f"Catalogue synchronised ({changed} items changed).")


@staff_cli.command("create")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--region", "region_id", type=int, required=True)
@click.password_option()
def staff_create_command(username, name, role, region_id, password):
    """Create a staff account bound to a region."""
    from core import staff as staff_service
    try:
        staff_service.create_staff(None, username=username, name=name, role=role,
                                   region_id=region_id, password=password)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created {username}.")


def _pybabel(*args):
    from babel.messages.frontend import CommandLineInterface
    CommandLineInterface().run(["pybabel", "-q", *args])


MINIPROGRAM_MESSAGES = ROOT / "miniprogram" / "lib" / "messages.js"


def miniprogram_messages_module():
    """The text of miniprogram/lib/messages.js: the translation of every message the mini-program marks
    (N_ / pgettext in its own JS), per locale, from the catalogs in locale/."""
    import json

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po
    source = ROOT / "miniprogram"
    wanted = set()
    for folder in ("lib", "pages", "components"):
        for _file, _line, message, _comments, context in extract_from_dir(
                source / folder, [("**.js", "javascript")]):
            wanted.add(f"{context}\x04{message}" if context else message)
    tables = {}
    for po in sorted((ROOT / "locale").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        table = {}
        for message in catalog:
            key = f"{message.context}\x04{message.id}" if message.context else message.id
            if message.id and key in wanted and message.string and not message.fuzzy:
                table[key] = message.string
        tables[po.parent.parent.name] = dict(sorted(table.items()))
    body = json.dumps(tables, ensure_ascii=False, indent=1, sort_keys=True)
    return ("// Written by `flask translate miniprogram` from locale/*/LC_MESSAGES/messages.po: do not edit.\n"
            f"module.exports = {body}\n")


def write_miniprogram_messages():
    MINIPROGRAM_MESSAGES.write_text(miniprogram_messages_module(), encoding="utf-8")


@translate_cli.command("update")
def translate_update_command():
    """Extract messages (the service's and the mini-program's) and update every catalog."""
    pot = ROOT / "messages.pot"
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location",
             "-o", str(pot), str(ROOT))
    _pybabel("update", "-i", str(pot), "-d", str(ROOT / "locale"), "--no-fuzzy-matching", "--no-wrap")
    pot.unlink()
    write_miniprogram_messages()


@translate_cli.command("compile")
def translate_compile_command():
    """Compile every catalog to .mo files, and the mini-program's messages to its JS module."""
    _pybabel("compile", "-d", str(ROOT / "locale"))
    write_miniprogram_messages()


@translate_cli.command("miniprogram")
def translate_miniprogram_command():
    """Write the mini-program's translations (miniprogram/lib/messages.js) from the catalogs."""
    write_miniprogram_messages()
    click.echo(f"Wrote {MINIPROGRAM_MESSAGES.relative_to(ROOT)}.")


scheduler_cli = AppGroup("scheduler", help="The elected scheduler of timed jobs.")


@scheduler_cli.command("run")
def scheduler_run_command():
    """Bid for leadership and run the scheduled jobs while leading; stop on SIGTERM or SIGINT."""
    import signal
    import threading

    from core import JOBS
    from core.scheduler import SchedulerRunner
    runner = SchedulerRunner(current_app._get_current_object(), JOBS).start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: done.set())
    click.echo("scheduler: bidding for leadership (one process in the cluster runs the jobs)")
    done.wait()
    runner.stop()

