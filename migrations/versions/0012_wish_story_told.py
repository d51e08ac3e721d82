"""the steps of a wish's story its author has been told of

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_told', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_column('story_told')
