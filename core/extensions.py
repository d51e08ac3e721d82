"""Extensions, created unbound; the app factory binds them."""
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so that migrations are stable across SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()


def redis_client(app=None):
    """The app's one Redis client, or None when the deployment has no Redis (REDIS_URL unset). The bot's
    replay guard, the rate limits, staff sessions and the WeChat access token share its connection pool."""
    from flask import current_app
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("redis")
    if client is None:
        import redis
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
        app.extensions["redis"] = client
    return client
