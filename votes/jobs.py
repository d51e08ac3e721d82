"""Scheduled work of the votes package: close on time, remind non-voters, archive after publicity."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    scheduler.add_job(run_job, "interval", seconds=app.config["VOTES_INTERVAL"], args=["votes.services:run_due"],
                      id="votes.due", replace_existing=True)
