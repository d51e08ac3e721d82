"""Scheduled work of the publicity package: end periods on time, extend those with unanswered objections."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    scheduler.add_job(run_job, "interval", seconds=app.config["VOTES_INTERVAL"],
                      args=["publicity.services:run_due"], id="publicity.due", replace_existing=True)
