"""`flask notices drain`."""
import click
from flask.cli import AppGroup

from notices.sender import drain

cli = AppGroup("notices", help="The outbox of notices to residents.")


@cli.command("drain")
@click.option("--batch", type=int, default=None, help="Deliveries claimed per round.")
@click.option("--concurrency", type=int, default=None, help="Requests to WeChat in flight at once.")
def drain_command(batch, concurrency):
    """Deliver everything that is due now (and fetch the photos sent in chat that are due), then stop."""
    from notices.jobs import fetch_chat_photos
    photos = fetch_chat_photos()
    click.echo(f"Handled {drain(batch, concurrency)} deliveries.")
    if photos:
        click.echo(f"Fetched {photos} photos sent in chat.")


@cli.command("work")
@click.option("--idle", type=float, default=2.0, help="Seconds to wait when nothing is due.")
def work_command(idle):
    """An outbox worker: fan out and deliver whatever is due, and fetch the photos residents sent in chat, again
    and again, until SIGTERM or SIGINT. Any number may run, on any machine: deliveries and photos are claimed
    with SELECT ... FOR UPDATE SKIP LOCKED."""
    import signal
    import threading

    from notices.jobs import fetch_chat_photos
    from notices.sender import run_once
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: stop.set())
    click.echo("outbox worker: running")
    while not stop.is_set():
        try:
            handled = run_once() + fetch_chat_photos()
        except Exception:  # noqa: BLE001 - database or WeChat away: log, wait, go on
            import logging

            from core.extensions import db
            db.session.rollback()
            logging.getLogger(__name__).exception("outbox round failed")
            handled = 0
        if not handled:
            stop.wait(idle)
