"""`flask notices drain`."""
import click
from flask.cli import AppGroup

from notices.services import drain

cli = AppGroup("notices", help="The outbox of notices to residents.")


@cli.command("drain")
def drain_command():
    """Deliver what is waiting in the outbox now."""
    click.echo(f"Attempted {drain()} deliveries.")
