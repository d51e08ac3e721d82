"""Scheduled work of the stories package."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    """Every few minutes, tell each author of the new steps of their wishes."""
    scheduler.add_job(run_job, "interval", seconds=app.config["STORIES_INTERVAL"], args=["stories.jobs:tell"],
                      id="stories.tell", replace_existing=True)


def tell():
    """One round of telling, committed."""
    from core.extensions import db
    from stories.services import tell_authors
    count = tell_authors()
    db.session.commit()
    return count
