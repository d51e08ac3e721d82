"""Every error answered in one place: JSON for the API, a page for the admin panel."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from core.errors import (Conflict, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation,
                         Unauthorised, Unavailable)
from core.extensions import db
from core.i18n import column_label, translate
from core.ratelimit import TooManyRequests

STATUS = {NotFound: 404, Forbidden: 403, Unauthorised: 401, InvalidInput: 422, RuleViolation: 422,
          Conflict: 409, TooManyRequests: 429, Unavailable: 503}
HTTP_KEYS = {400: "error.bad_request", 401: "error.unauthorised", 403: "error.forbidden",
             404: "error.not_found", 405: "error.method", 413: "error.too_large",
             422: "error.invalid", 500: "error.internal"}
# marshmallow's messages, mapped to ours so they reach the user translated.
MARSHMALLOW_KEYS = {"Missing data for required field.": "error.field_required"}
log = logging.getLogger(__name__)


def describe_fault(fault):
    """One item of an InvalidInput as JSON: row and column for roll faults, field otherwise."""
    if isinstance(fault, dict):
        return {"field": fault.get("field"), "message": translate(fault["key"], **fault.get("params", {}))}
    item = {"row": fault.row, "column": fault.column, "message": translate(fault.key, **fault.params)}
    if fault.column:
        item["column_label"] = column_label(fault.column)
    return item


def _wants_html():
    return request.blueprint == "admin" or request.path.startswith("/admin")


def _respond(status, key, params=None, details=None):
    message = translate(key, **(params or {}))
    if _wants_html():
        return render_template("error.html", status=status, message=message, details=details or []), status
    body = {"error": {"code": key, "message": message}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status


def _validation_details(exc):
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    details = []
    for _location, fields in messages.items():
        for name, problems in fields.items():
            for problem in problems if isinstance(problems, list) else [str(problems)]:
                key = MARSHMALLOW_KEYS.get(problem)
                details.append({"field": name, "message": translate(key) if key else gettext(
                    "This value is not valid.")})
    return details


def typed_fields():
    """What the user typed into a form that could not be saved, to show back (never passwords or tokens)."""
    return [(name, value) for name, value in request.form.items()
            if value and name not in ("csrf_token", "password") and len(value) < 5000]


def referrer_path():
    """The path of the page the form was on, when it is an admin page (to return there after signing in)."""
    from urllib.parse import urlsplit
    path = urlsplit(request.referrer or "").path
    return path if path.startswith("/admin/") else ""


ADMIN_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Pages load scripts and styles from our own static files only: no inline script, style or handler.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# Anything else (JSON, uploaded files, exports) runs nothing and is never framed.
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def register_errorhandlers(app):
    """Map domain and HTTP errors to translated responses; security headers on every response."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy",
                                    PAGE_CSP if response.mimetype == "text/html" else OTHER_CSP)
        if request.path.startswith("/admin"):
            for name, value in ADMIN_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc):
        db.session.rollback()
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        details = [describe_fault(f) for f in exc.errors] if isinstance(exc, InvalidInput) else None
        return _respond(status, exc.key, exc.params, details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if _wants_html():  # a stale form: ask to sign in again and show back what was typed
            return render_template("expired.html", typed=typed_fields(), next=referrer_path()), 400
        return _respond(400, "error.csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        status = exc.code or 500
        params = {"limit": app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)} if status == 413 else None
        details = _validation_details(exc) if status == 422 else None
        return _respond(status, HTTP_KEYS.get(status, "error.bad_request"), params, details)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc):
        # A number too large for the database (e.g. an id of 30 digits in a body): invalid input, nothing saved.
        db.session.rollback()
        return _respond(422, "error.invalid")

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc):
        db.session.rollback()
        log.exception("database error")
        return _respond(500, "error.internal")

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error")
        return _respond(500, "error.internal")
