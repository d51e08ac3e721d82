"""Scheduled work of the notices package."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    """Fan out due notices and deliver the outbox every few seconds; forget old inbound messages daily."""
    every = app.config["OUTBOX_INTERVAL"]
    scheduler.add_job(run_job, "interval", seconds=every, args=["notices.sender:run_once"],
                      id="notices.outbox", replace_existing=True)
    scheduler.add_job(run_job, "interval", hours=6, args=["notices.sender:forget_old_inbound"],
                      id="notices.forget_inbound", replace_existing=True)
