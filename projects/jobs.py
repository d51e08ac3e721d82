"""Scheduled work of the projects package."""
import logging

from core.scheduler import run_job
from projects.services import overdue_stages

log = logging.getLogger(__name__)


def check_deadlines():
    """Log the stages that are past their planned end, and push overdue stages and open findings to the
    responsible staff's alert list."""
    from projects.works import push_to_staff
    for record in overdue_stages():
        log.warning("stage overdue", extra={"fields": {"project": record.project_id, "stage": record.stage,
                                                       "planned_end": str(record.planned_end)}})
    push_to_staff()


def register_jobs(app, scheduler):
    scheduler.add_job(run_job, "cron", hour=7, args=["projects.jobs:check_deadlines"],
                      id="projects.deadlines", replace_existing=True)
    scheduler.add_job(run_job, "interval", seconds=app.config["WORKS_INTERVAL"],
                      args=["projects.works:escalate_due"], id="projects.reports", replace_existing=True)
    scheduler.add_job(run_job, "interval", seconds=app.config["VOTES_INTERVAL"], args=["projects.care:close_due"],
                      id="projects.elections", replace_existing=True)
