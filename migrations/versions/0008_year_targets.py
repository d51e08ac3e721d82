"""year targets

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'year_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('compounds', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.Column('set_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
        sa.ForeignKeyConstraint(['set_by'], ['staff.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('region_id', 'year'),
    )


def downgrade():
    op.drop_table('year_targets')
