"""`flask ops backup PATH` and `flask ops restore PATH`."""
import click
from flask.cli import AppGroup

from ops.backup import RestoreRefused, backup, restore

cli = AppGroup("ops", help="Backups and restores.")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def ops_backup_command(path):
    """Write every table to PATH (gzip JSON lines)."""
    counts = backup(path)
    click.echo(f"Backed up {sum(counts.values())} rows of {len(counts)} tables to {path}.")


@cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def ops_restore_command(path):
    """Load PATH into this database (migrated to the backup's version, and empty)."""
    try:
        counts = restore(path)
    except RestoreRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {sum(counts.values())} rows into {len(counts)} tables.")
