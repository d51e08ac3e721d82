"""Scheduled work of the surveys package."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    scheduler.add_job(run_job, "interval", seconds=60, args=["surveys.services:run_due"], id="surveys.due",
                      replace_existing=True)
