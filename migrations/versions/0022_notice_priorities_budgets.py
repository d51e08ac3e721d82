"""notice priorities and the daily budget each WeChat channel has spent; survey answers counted as they
arrive (filled from the responses already submitted)

Revision ID: 0022
Revises: 0019
Create Date: 2026-11-28 01:30:00

"""
import hashlib
import json
from collections import Counter

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='1'))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.create_index('ix_deliveries_due', ['state', 'priority', 'id'], unique=False)
    op.create_table(
        'send_budget_usage',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('day', 'channel'),
    )
    op.create_table(
        'survey_tallies',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=64), nullable=False),
        sa.Column('building_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['building_id'], ['buildings.id']),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id']),
        sa.PrimaryKeyConstraint('survey_id', 'question', 'building_id', 'digest'),
    )
    _count_submitted_answers()


def _count_submitted_answers():
    """The counts of the responses submitted before counting began (as surveys.tallies keeps them)."""
    bind = op.get_bind()
    responses = sa.table('survey_responses', sa.column('survey_id', sa.Integer), sa.column('answers', sa.JSON),
                         sa.column('dwelling_id', sa.Integer), sa.column('submitted', sa.Boolean))
    dwellings = sa.table('dwellings', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('building_id', sa.Integer))
    totals = Counter()
    rows = bind.execute(sa.select(responses.c.survey_id, responses.c.answers, units.c.building_id)
                        .select_from(responses.join(dwellings, dwellings.c.id == responses.c.dwelling_id)
                                     .join(units, units.c.id == dwellings.c.unit_id))
                        .where(responses.c.submitted.is_(True)))
    for survey_id, answers, building_id in rows:
        for qid, value in (answers or {}).items():
            if value not in (None, "", [], {}):
                text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                totals[(survey_id, qid, building_id, text)] += 1
    tallies = sa.table('survey_tallies', sa.column('survey_id'), sa.column('question'), sa.column('building_id'),
                       sa.column('digest'), sa.column('value'), sa.column('n'))
    batch = [{"survey_id": s, "question": q, "building_id": b, "digest": hashlib.sha1(v.encode()).hexdigest(),
              "value": v, "n": n} for (s, q, b, v), n in totals.items()]
    for start in range(0, len(batch), 5000):
        bind.execute(tallies.insert(), batch[start:start + 5000])


def downgrade():
    op.drop_table('survey_tallies')
    op.drop_table('send_budget_usage')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_column('priority')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('priority')
