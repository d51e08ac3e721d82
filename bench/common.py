"""What the benchmarks share: an app on a freshly migrated database, a region to put data in, and the WeChat
API simulator in its own process."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from core import MIGRATIONS, create_app, registry  # noqa: E402
from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402


def migrated_app(url, **env):
    """An app on a freshly migrated database (on PostgreSQL the schema is dropped first)."""
    # The chain key of the servers under test, when given: a vote opened here is chained with it.
    chain_key = {"VOTE_CHAIN_KEY": os.environ["VOTE_CHAIN_KEY"]} if os.environ.get("VOTE_CHAIN_KEY") else {}
    app = create_app(Config(env=dict({"GONGJIAN_ENV": "development", "DATABASE_URL": url,
                                      "LOG_LEVEL": "WARNING"}, **chain_key, **env)))
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=MIGRATIONS)
    return app


def planner_statistics():
    """Planner statistics of what was just loaded, as autovacuum would have them on a database in use: a benchmark
    loads its data in bulk just before it measures, and the server it runs on may not run autovacuum at all
    (without them PostgreSQL plans for empty tables: a survey's counts were sorted on disk). PostgreSQL only; in
    an app context, after the load's commit."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def bench_community():
    """A province › city › county › street › community chain; returns the community (in an app context)."""
    region = registry.add_region(None, "province", "四川省")
    for level in ("city", "county", "street", "community"):
        region = registry.add_region(region, level, f"bench-{level}")
    return region


def bench_stairwell(compound):
    """Building 1, stairwell unit 1 of a compound; returns the unit (in an app context)."""
    from core.models import Building, Unit
    building = Building(compound_id=compound.id, name="1")
    db.session.add(building)
    db.session.flush()
    unit = Unit(building_id=building.id, name="1")
    db.session.add(unit)
    db.session.flush()
    return unit


def bench_flat(compound):
    """Flat 101 (80 m²) in building 1, unit 1 of a compound; returns the dwelling (in an app context)."""
    from core.models import Dwelling
    dwelling = Dwelling(unit_id=bench_stairwell(compound).id, room="101", registered_area=8000)
    db.session.add(dwelling)
    db.session.flush()
    return dwelling


@contextmanager
def wechat_simulator(port, within=60):
    """The WeChat API simulator on a loopback port, in its own process, for the length of a with block. Fails
    when something already listens on the port (a simulator left by another run would answer in its place)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is taken: stop what listens there first")
    env = dict(os.environ, GONGJIAN_ENV="development", FLASK_APP="wsgi")
    process = subprocess.Popen([sys.executable, "-m", "flask", "wechat", "simulator", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + within
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/sim/state", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("simulator did not start") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait()


@contextmanager
def bench_database(url=None):
    """The database URL given, or one on a SQLite file in a temporary folder removed after the with block."""
    with tempfile.TemporaryDirectory() as tmp:
        yield url or f"sqlite:///{tmp}/bench.sqlite3"
