"""an index for officials' demand counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:10:00

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.create_index('ix_wishes_demand', ['compound_id', 'status', 'catalogue_code'], unique=False)


def downgrade():
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_index('ix_wishes_demand')
