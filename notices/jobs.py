"""Scheduled work of the notices package."""
import logging

from notices.services import drain

log = logging.getLogger("gongjian")


def drain_outbox(app):
    """Deliver what is waiting in the outbox (runs every few seconds)."""
    with app.app_context():
        try:
            drain()
        except Exception:  # noqa: BLE001 - a failed run is logged; the next run tries again
            log.exception("outbox drain failed")


def register_jobs(app, scheduler):
    """Add this package's jobs to the app's scheduler."""
    scheduler.add_job(drain_outbox, "interval", seconds=app.config["OUTBOX_INTERVAL"], args=[app],
                      id="notices.drain_outbox", replace_existing=True, max_instances=1, coalesce=True)
