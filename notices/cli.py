"""`flask notices drain`."""
import click
from flask.cli import AppGroup

from notices.sender import drain

cli = AppGroup("notices", help="The outbox of notices to residents.")


@cli.command("drain")
@click.option("--batch", type=int, default=None, help="Deliveries claimed per round.")
@click.option("--concurrency", type=int, default=None, help="Requests to WeChat in flight at once.")
def drain_command(batch, concurrency):
    """Deliver everything that is due now, then stop."""
    click.echo(f"Handled {drain(batch, concurrency)} deliveries.")
