"""notice priorities and the daily budget each WeChat channel has spent

Revision ID: 0022
Revises: 0019
Create Date: 2026-11-28 01:30:00

"""
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


def downgrade():
    op.drop_table('send_budget_usage')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_column('priority')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('priority')
