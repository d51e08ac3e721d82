"""Scheduled jobs: APScheduler with its jobs in the database, run by exactly one process.

On PostgreSQL every process that has SCHEDULER_ENABLED may offer to run the scheduler; a session-level
advisory lock elects one, and another takes over when it dies. On SQLite the app process runs it."""
import importlib
import logging
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import MetaData, text

from core.extensions import db

log = logging.getLogger(__name__)
LEADER_LOCK = 7_202_611  # the advisory lock key of the scheduler leader
RETRY_SECONDS = 15

# APScheduler's own table, declared here too so that migrations create it and autogenerate agrees.
apscheduler_jobs = db.Table(
    "apscheduler_jobs",
    db.Column("id", db.Unicode(191), primary_key=True),
    db.Column("next_run_time", db.Float(25), index=True),
    db.Column("job_state", db.LargeBinary, nullable=False),
)

_runner = None


def run_job(target, *args):
    """What the job store persists: a dotted 'module:function' run inside the scheduler's app."""
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    app = _runner.app if _runner else None
    if app is None:
        log.warning("scheduled job without an app", extra={"fields": {"job": target}})
        return
    with app.app_context():
        try:
            function(*args)
        except Exception:  # noqa: BLE001 - a failed run is logged; the schedule goes on
            db.session.rollback()
            log.exception("scheduled job failed", extra={"fields": {"job": target}})


class SchedulerRunner:
    """Owns the scheduler of one process, once elected."""

    def __init__(self, app, job_modules):
        self.app, self.job_modules = app, job_modules
        self.scheduler = None
        self.leader_connection = None
        self.stopped = threading.Event()
        self.thread = None
        self.lost_bids = 0  # elections this process took part in and lost (another process leads)

    @property
    def running(self):
        return self.scheduler is not None and self.scheduler.running

    def start(self):
        """Run now (SQLite) or keep trying to become the leader (PostgreSQL)."""
        global _runner
        _runner = self
        with self.app.app_context():
            dialect = db.engine.dialect.name
        if dialect != "postgresql":
            self._start_scheduler()
            return self
        self.thread = threading.Thread(target=self._elect, name="scheduler-election", daemon=True)
        self.thread.start()
        return self

    def _elect(self):
        while not self.stopped.is_set():
            with self.app.app_context():
                try:
                    connection = db.engine.connect()
                    if connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar():
                        connection.commit()
                        self.leader_connection = connection  # held open: the lock lives as long as it does
                        self._start_scheduler()
                        log.info("scheduler elected", extra={"fields": {"process": threading.get_native_id()}})
                        return
                    connection.close()
                    self.lost_bids += 1
                except Exception:  # noqa: BLE001 - database away: try again later
                    log.warning("scheduler election failed; retrying")
            self.stopped.wait(self.app.config.get("SCHEDULER_RETRY", RETRY_SECONDS))

    def _start_scheduler(self):
        with self.app.app_context():
            store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs", metadata=MetaData())
            scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": store},
                                            job_defaults={"coalesce": True, "max_instances": 1,
                                                          "misfire_grace_time": 3600})
            for name in self.job_modules:
                importlib.import_module(name).register_jobs(self.app, scheduler)
            scheduler.start()
            self.scheduler = scheduler

    def stop(self):
        """Let the jobs running now finish, run no more, and give up leadership. Waiting matters: a job cut
        off would leave its database connection to the garbage collector instead of the pool."""
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.leader_connection is not None:
            # A pooled connection outlives close(): end the DBAPI connection so the lock goes with it.
            self.leader_connection.invalidate()
            self.leader_connection.close()
            self.leader_connection = None


def schedule_once(job_id, run_at, target, *args):
    """Persist a one-off job (replacing one with the same id); it survives restarts."""
    if _runner is None or not _runner.running:
        return False
    _runner.scheduler.add_job(run_job, "date", run_date=run_at, args=[target, *args], id=job_id,
                              replace_existing=True)
    return True
