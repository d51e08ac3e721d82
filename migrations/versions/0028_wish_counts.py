"""each compound's wishes counted per catalogue item as they change, read by officials' dashboards instead of
the wishes (filled from the wishes already filed)

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-28 19:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wish_counts',
        sa.Column('compound_id', sa.Integer(), nullable=False),
        sa.Column('catalogue_code', sa.String(length=32), nullable=False),
        sa.Column('wishes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['compound_id'], ['compounds.id']),
        sa.PrimaryKeyConstraint('compound_id', 'catalogue_code'),
    )
    _count_filed_wishes()


def _count_filed_wishes():
    """The counts of the wishes filed before counting began (as wishes.counts keeps them: merged duplicates left
    out, '' for a wish not yet classified)."""
    wishes = sa.table('wishes', sa.column('id', sa.Integer), sa.column('compound_id', sa.Integer),
                      sa.column('catalogue_code', sa.String), sa.column('status', sa.String))
    counts = sa.table('wish_counts', sa.column('compound_id'), sa.column('catalogue_code'), sa.column('wishes'))
    code = sa.func.coalesce(wishes.c.catalogue_code, '')
    op.get_bind().execute(counts.insert().from_select(
        ['compound_id', 'catalogue_code', 'wishes'],
        sa.select(wishes.c.compound_id, code, sa.func.count(wishes.c.id)).where(wishes.c.status != 'merged')
        .group_by(wishes.c.compound_id, code)))


def downgrade():
    op.drop_table('wish_counts')
