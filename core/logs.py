"""Structured (JSON lines) logging, with request timing and no query strings."""
import json
import logging
import sys
import time
import uuid

from flask import g, request

from core.config import ROOT

# Each module logs under its own name (logging.getLogger(__name__)); the loggers of the service's packages
# write JSON lines to stderr at LOG_LEVEL.
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("tests", "bench"))
log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record):
        entry = {"at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app):
    """Send the app's logs as JSON lines to stderr and log each request once."""
    for name in PACKAGES:
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        logger.propagate = False

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is not None:
            # request.path only: query strings may carry tokens and signatures.
            log.info("request", extra={"fields": {
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1), "request_id": g.request_id}})
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
