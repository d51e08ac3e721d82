"""when a vote actually closed (an early close differs from the planned end)

Revision ID: 0017
Revises: 0010
Create Date: 2026-11-27 22:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
