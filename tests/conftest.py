"""Fixtures: an app on a freshly migrated SQLite file or on PostgreSQL, and data builders."""
import os
import shutil
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from core import MIGRATIONS, create_app
from core.config import Config, sqlalchemy_url

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Every test that takes a database runs on both; `-m "not postgresql"` keeps SQLite alone (the fast suite).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def make_config(url, **overrides):
    """A test configuration on the given database."""
    return Config(env={"GONGJIAN_ENV": "test", "DATABASE_URL": url, "WECHAT_AES_KEY": AES_KEY},
                  PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", **overrides)


def pytest_collection_modifyitems(config, items):
    """A test marked postgresql_only is not collected on SQLite (it would only skip there)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgresql_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def simulator_server():
    """The WeChat API simulator on a loopback port, for the whole run."""
    from simulator.server import SimulatorServer
    config = Config(env={"GONGJIAN_ENV": "test"})
    server = SimulatorServer(config.WECHAT_APPID, config.WECHAT_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def simulator(simulator_server):
    """The simulator, emptied for this test."""
    simulator_server.state.reset()
    return simulator_server


def _postgres_reachable():
    engine = create_engine(sqlalchemy_url(PG_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        engine.dispose()


def _reset_postgres():
    engine = create_engine(sqlalchemy_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _migrate(url):
    app = create_app(make_config(url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        from core.extensions import db
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    """A migrated database per backend: a template file for SQLite, the test database for PostgreSQL."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _migrate(f"sqlite:///{template}")
        return {"kind": "sqlite", "template": template}
    if not _postgres_reachable():
        message = f"PostgreSQL is not reachable at {PG_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)")
        pytest.skip(message)
    _reset_postgres()
    _migrate(PG_URL)
    return {"kind": "postgresql", "url": PG_URL}


def _truncate_postgres(engine):
    with engine.begin() as conn:
        tables = [row[0] for row in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(database):
    """A clean database for one test: the template copied to the run's one SQLite path, or PostgreSQL emptied."""
    if database["kind"] == "sqlite":
        path = database["template"].with_name("test.sqlite3")
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a connection a test left open keeps the old file, never this one
        shutil.copy(database["template"], path)
        yield f"sqlite:///{path}"
        return
    yield database["url"]
    engine = create_engine(sqlalchemy_url(database["url"]))
    _truncate_postgres(engine)
    engine.dispose()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (its own `g` and session), as in production,
    even though the test itself holds one open to look at the database."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def close_app(application):
    """End what an app started: the bot's worker threads (waited for, so none holds a connection), the
    session and every pooled connection."""
    from core.extensions import db
    executor = application.extensions.pop("bot_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def own_app(database_url, **overrides):
    """An app of a test's own (other settings than the shared one), inside its app context; closed after."""
    application = create_app(make_config(database_url, **overrides))
    application.test_client_class = FreshContextClient
    try:
        with application.app_context():
            yield application
    finally:
        close_app(application)


class SharedApp:
    """One app per database for the whole run (building one costs more than most tests), handed to each
    test as if new: its settings restored and what it had cached since it was built (rate counters, the
    WeChat token, the bot's worker threads) dropped, so no test sees another's."""

    def __init__(self, application):
        self.application = application
        self.config = dict(application.config)
        self.extensions = set(application.extensions)

    def reset(self):
        app = self.application
        for name in set(app.extensions) - self.extensions:
            cached = app.extensions.pop(name)
            if isinstance(cached, ThreadPoolExecutor):
                cached.shutdown(wait=True)
            elif hasattr(cached, "close"):
                cached.close()
        app.config.clear()
        app.config.update(self.config)


_shared_apps = {}


@pytest.fixture
def app(database_url, simulator, tmp_path):
    """The app on a clean database, inside an app context, talking to the WeChat simulator."""
    shared = _shared_apps.get(database_url)
    if shared is None:
        application = create_app(make_config(database_url, WECHAT_API_BASE=simulator.url))
        application.test_client_class = FreshContextClient
        shared = _shared_apps[database_url] = SharedApp(application)
    application = shared.application
    application.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    from core.extensions import db
    try:
        with application.app_context():
            yield application
            db.session.remove()
    finally:
        shared.reset()
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def world(app):
    """Two counties in one city, each with a street, community and compound; staff at every level."""
    from tests.builders import build_world
    return build_world()


@pytest.fixture
def redis_client():
    """The test Redis database, emptied before and after the test."""
    client = redis_lib.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        client.ping()
    except redis_lib.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (CI=true: Redis is required)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
