"""The application factory."""
import importlib
from pathlib import Path

from flask import Flask
from flask_babel import get_locale, refresh
from sqlalchemy.orm import configure_mappers
from werkzeug.routing import IntegerConverter

from core.config import Config
from core.extensions import babel, csrf, db, migrate
from core.http_errors import register_errorhandlers
from core.i18n import select_locale
from core.logs import configure_logging
from core.sessions import CookieSessions
from core import scheduler as _scheduler  # noqa: F401 - declares APScheduler's table in the metadata

# The doors people come through. They import the domain; the factory only names them,
# so nothing in core depends on a door's code.
DOORS = ("api", "admin", "bot")
COMMANDS = ("simulator.cli", "notices.cli", "votes.cli", "ops.cli")  # packages with a command group of their own (`cli`)
JOBS = ("notices.jobs", "projects.jobs", "votes.jobs", "surveys.jobs", "stories.jobs", "publicity.jobs")  # packages with scheduled jobs (`register_jobs`)
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config=None):
    """Build the app from the environment, or from `config` (a Config) in tests."""
    config = config or Config()
    config.check()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    app.session_interface = CookieSessions()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].split("///", 1)[-1]).parent.mkdir(
            parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    configure_logging(app)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    configure_mappers()  # every model is imported by now: relate them here, not inside the first request
    register_errorhandlers(app)
    register_commands(app)
    if app.config["SCHEDULER_ENABLED"]:
        start_scheduler(app)
    return app


def start_scheduler(app):
    """Offer to run the packages' scheduled jobs (one process runs them: see core/scheduler.py)."""
    from core.scheduler import SchedulerRunner
    app.extensions["scheduler"] = SchedulerRunner(app, JOBS).start()


def trust_proxies(app):
    """Read the client's address and scheme from the configured number of trusted proxy hops."""
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app):
    """Bind the extensions to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    babel.init_app(app, default_locale="zh_Hans_CN", locale_selector=select_locale,
                   default_translation_directories=app.config["BABEL_TRANSLATION_DIRECTORIES"])
    csrf.init_app(app)
    _install_template_gettext(app)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    # The locale is chosen per request, even when an app context outlives one (CLI, tests).
    app.before_request(refresh)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from core.sqlite import enable_sqlite_pragmas
        with app.app_context():
            enable_sqlite_pragmas(db.engine)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Instead of a ping at every checkout: a connection the server closed is seen on its socket, and one that
        # rested long enough for a network link to drop unseen is pinged.
        from core.pool import ping_when_rested
        from core.postgresql import drop_dead_connections
        with app.app_context():
            drop_dead_connections(db.engine)
            ping_when_rested(db.engine, app.config["DB_PING_AFTER"])


def _install_template_gettext(app):
    """Templates translate through the request's catalogue looked up once per locale and request (a long
    table asks for hundreds of words; each lookup through the extension costs more than the word)."""
    from flask import g, has_request_context
    from flask_babel import get_translations

    def translations():
        if not has_request_context():
            return get_translations()
        cache = g.setdefault("_translations_by_locale", {})
        locale = get_locale()  # the request's, or the one a block forces (a resident's story in their language)
        found = cache.get(locale)
        if found is None:
            found = cache[locale] = get_translations()
        return found
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n))


class RowId(IntegerConverter):
    """`<int:…>` in a route: a database id, so nothing beyond a 32-bit integer (larger ones are 404)."""

    def __init__(self, url_map, **kwargs):
        from core.ids import MAX_ROW_ID
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, **kwargs)


def register_blueprints(app):
    """Mount each door; each door module offers init_app(app)."""
    app.url_map.converters["int"] = RowId
    for name in DOORS:
        importlib.import_module(name).init_app(app)


def register_commands(app):
    """The CLI groups."""
    from core.cli import catalogue_cli, demo_cli, registry_cli, scheduler_cli, staff_cli, translate_cli
    for group in (demo_cli, registry_cli, translate_cli, catalogue_cli, staff_cli, scheduler_cli):
        app.cli.add_command(group)
    for name in COMMANDS:
        app.cli.add_command(importlib.import_module(name).cli)
