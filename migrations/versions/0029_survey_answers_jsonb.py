"""survey answers kept as jsonb on PostgreSQL: results look the written answers up instead of parsing them

survey_responses.answers becomes jsonb (PostgreSQL only; SQLite keeps its JSON text). Reading a few fields of a
jsonb value looks them up where a json value is parsed in full: the written answers of 100,000 responses are read
several times faster. The table is rewritten once, under an exclusive lock, as long as that takes.

jsonb cannot hold the character U+0000, which json accepted: the few answers holding it lose it (no one can have
meant it, and the results could not read it either). Downgrading turns the column back to json.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-29 12:00:00

"""
import json

import sqlalchemy as sa
from alembic import op


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def _without_nul(value):
    """An answer with every U+0000 taken out of its words and keys."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # only the answers whose text holds the escape can hold the character; each is decoded and written back
    holding = bind.execute(sa.text(
        "SELECT id, answers::text FROM survey_responses WHERE strpos(answers::text, '\\u0000') > 0")).all()
    for response_id, answers in holding:
        bind.execute(sa.text("UPDATE survey_responses SET answers = CAST(:answers AS json) WHERE id = :id"),
                     {"id": response_id, "answers": json.dumps(_without_nul(json.loads(answers)))})
    op.execute("ALTER TABLE survey_responses ALTER COLUMN answers TYPE jsonb USING answers::jsonb")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE survey_responses ALTER COLUMN answers TYPE json USING answers::json")
