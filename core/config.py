"""Configuration, read once from the environment."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Values that only development and tests may run with.
DEV_DEFAULTS = {
    "SECRET_KEY": "dev-secret-key-change-me",
    "PII_KEY": "dev-pii-key-change-me",
    # Keys each vote's ballot chain: kept outside the database, so a rewrite of the database cannot
    # recompute a chain that still verifies.
    "VOTE_CHAIN_KEY": "dev-vote-chain-key-change-me",
    "WECHAT_TOKEN": "gongjian-dev-token",
    "WECHAT_APPID": "wx0000000000000000",
    "WECHAT_SECRET": "dev-wechat-secret",
}
RELAXED_ENVS = {"development", "test"}


def _daily_limit(text):
    """A daily budget: a count, or None for 'none' (no daily limit)."""
    text = str(text).strip().lower()
    if text in ("", "none"):
        return None
    value = int(text)
    if value < 0:
        raise ValueError("a daily budget cannot be negative")
    return value


def _hours_by_kind(text):
    """'report=72,dispute=168' as {'report': 72, 'dispute': 168}."""
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {kind.strip(): int(hours) for kind, hours in pairs}


def sqlalchemy_url(url):
    """A database URL as SQLAlchemy opens it: PostgreSQL through psycopg 3, whichever driver the URL names
    (DATABASE_URL and TEST_DATABASE_URL keep their plain `postgresql://` form)."""
    for scheme in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


class ConfigError(RuntimeError):
    """The service cannot start with this configuration."""


class Config:
    """Settings for one app instance; every value can come from the environment."""

    def __init__(self, env=None, **overrides):
        env = env if env is not None else os.environ
        self.ENV = env.get("GONGJIAN_ENV", "production")
        self.SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env.get(
            "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'gongjian.sqlite3'}"
        ))
        self.REDIS_URL = env.get("REDIS_URL") or None
        for name, default in DEV_DEFAULTS.items():
            value = env.get(name)
            if not value and self.ENV in RELAXED_ENVS:
                value = default
            setattr(self, name, value)
        self.WECHAT_AES_KEY = env.get("WECHAT_AES_KEY") or None
        self.WECHAT_API_BASE = env.get("WECHAT_API_BASE", "http://127.0.0.1:5100")
        self.WECHAT_MINI_APPID = env.get("WECHAT_MINI_APPID") or None
        self.WECHAT_MINI_SECRET = env.get("WECHAT_MINI_SECRET") or None
        # Where residents open pages from WeChat (a notice's full text when no mini-program is configured).
        self.PUBLIC_URL = env.get("PUBLIC_URL", "http://127.0.0.1:5000")
        self.WECHAT_MAX_BODY = int(env.get("WECHAT_MAX_BODY", 64 * 1024))
        self.WECHAT_CLOCK_SKEW = int(env.get("WECHAT_CLOCK_SKEW", 300))
        # WeChat waits 5 s; past this many seconds the bot answers 'success' and replies later.
        self.BOT_DEADLINE = float(env.get("BOT_DEADLINE", 4.0))
        self.BOT_RATE = int(env.get("BOT_RATE", 30))  # new messages per WeChat user per minute
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER", str(ROOT / "instance" / "uploads"))
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        # werkzeug's method for new staff passwords; tests and benchmarks choose a cheap one.
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD", "scrypt")
        self.RATE_LIMITS = env.get("RATE_LIMITS", "1") != "0"  # 0: no per-caller rate limits (benchmarks only)
        # How many reverse proxies in front of the service append to X-Forwarded-For (and set
        # X-Forwarded-Proto/-Host): the client's address is read that many hops from the right. 0 when
        # the service is reached directly, so that no client can choose its own address.
        self.TRUSTED_PROXY_HOPS = int(env.get("TRUSTED_PROXY_HOPS", 0))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV not in RELAXED_ENVS
        self.PERMANENT_SESSION_LIFETIME = int(env.get("SESSION_LIFETIME", 8 * 3600))
        self.WTF_CSRF_TIME_LIMIT = self.PERMANENT_SESSION_LIFETIME
        # No pool_pre_ping: a PostgreSQL connection the server closed while it sat in the pool is noticed without a
        # round trip (core/postgresql.py), and one that rested longer than DB_PING_AFTER seconds is pinged
        # (core/pool.py); one that dies during a request fails that request, and the pool starts afresh.
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # Kept open per process: a web worker's threads and the bot's turn threads each hold one while they
            # work (a pool smaller than that opens and closes a connection for every request over it).
            self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": int(env.get("DB_POOL_SIZE", 10)),
                                              "max_overflow": int(env.get("DB_MAX_OVERFLOW", 5))}
        self.DB_PING_AFTER = float(env.get("DB_PING_AFTER", 2))
        self.BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "locale")
        self.TESTING = self.ENV == "test"
        # Scheduled jobs run in exactly one process; `make run` turns them on for the demo.
        self.SCHEDULER_ENABLED = env.get("SCHEDULER_ENABLED", "0") == "1"
        self.OUTBOX_INTERVAL = int(env.get("OUTBOX_INTERVAL", 5))
        self.VOTES_INTERVAL = int(env.get("VOTES_INTERVAL", 60))  # seconds between closing due votes
        self.STORIES_INTERVAL = int(env.get("STORIES_INTERVAL", 600))  # seconds between telling wishes' authors
        # Hours to answer an on-site report or a dispute before it goes to the street, then the county.
        self.REPORT_DEADLINES = _hours_by_kind(env.get("REPORT_DEADLINES", "report=72,dispute=168"))
        self.WORKS_INTERVAL = int(env.get("WORKS_INTERVAL", 300))  # seconds between deadline checks
        self.WARRANTY_DAYS = int(env.get("WARRANTY_DAYS", 730))  # residents report defects this long after acceptance
        self.SCHEDULER_RETRY = float(env.get("SCHEDULER_RETRY", 15))  # seconds between leadership bids
        self.OUTBOX_BATCH = int(env.get("OUTBOX_BATCH", 200))
        self.OUTBOX_CONCURRENCY = int(env.get("OUTBOX_CONCURRENCY", 8))
        self.SENDING_STALE_AFTER = int(env.get("SENDING_STALE_AFTER", 300))
        self.QUOTA_PAUSE = int(env.get("QUOTA_PAUSE", 600))
        # Daily sends per WeChat channel of the official account ("none": no daily limit), after WeChat's
        # published limits: template messages 100,000 a day, customer-service messages 500,000 calls a day
        # (and only inside the 48-hour window), subscribe messages one per acceptance (the credit ledger).
        self.NOTICE_BUDGET_TEMPLATE = _daily_limit(env.get("NOTICE_BUDGET_TEMPLATE", "100000"))
        self.NOTICE_BUDGET_CUSTOMER_SERVICE = _daily_limit(env.get("NOTICE_BUDGET_CUSTOMER_SERVICE", "500000"))
        self.NOTICE_BUDGET_SUBSCRIBE = _daily_limit(env.get("NOTICE_BUDGET_SUBSCRIBE", "none"))
        # Template ids of the generic "renovation notice" message (subscribe: thing1, thing2, time3).
        self.NOTICE_SUBSCRIBE_TEMPLATE = env.get("NOTICE_SUBSCRIBE_TEMPLATE", "gongjian-notice-subscribe")
        self.NOTICE_OA_TEMPLATE = env.get("NOTICE_OA_TEMPLATE", "gongjian-notice-template")
        for key, value in overrides.items():
            setattr(self, key, value)

    def check(self):
        """Refuse to run outside development and tests with missing or default secrets."""
        if self.ENV in RELAXED_ENVS:
            return
        bad = [
            name for name, default in DEV_DEFAULTS.items()
            if not getattr(self, name) or getattr(self, name) == default
        ]
        if bad:
            raise ConfigError(
                "Refusing to start with GONGJIAN_ENV=%s: set %s in the environment to "
                "non-default secret values (or set GONGJIAN_ENV=development for local use)."
                % (self.ENV, ", ".join(bad))
            )

    def as_dict(self):
        """The settings as a mapping for app.config."""
        return {k: v for k, v in vars(self).items() if k.isupper()}
