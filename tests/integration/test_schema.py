"""The schema comes from migrations only, and they agree with the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core import audit
from core.extensions import db
from core.models import AuditLog


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        assert compare_metadata(context, db.metadata) == []


def test_the_audit_log_refuses_updates_and_deletes(app):
    entry = audit.record(None, "test.write", "thing", 1, after={"x": 1})
    db.session.commit()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.get(AuditLog, entry.id).action == "test.write"
