"""each counted vote's art. 278 count in a column of its own, read by officials' pages without its record

Revision ID: 0023
Revises: 0021
Create Date: 2026-11-28 05:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.JSON(), nullable=True))
    _copy_counts()


def _copy_counts():
    """Every vote counted before: its count as the stored record has it (the record is left as it was, so its
    hash still holds)."""
    bind = op.get_bind()
    votes = sa.table('votes', sa.column('id', sa.Integer), sa.column('result', sa.JSON),
                     sa.column('counted', sa.JSON))
    rows = bind.execute(sa.select(votes.c.id, votes.c.result['result'])
                        .where(votes.c.result.is_not(None)).order_by(votes.c.id)).all()
    update = votes.update().where(votes.c.id == sa.bindparam('vote_id')).values(counted=sa.bindparam('count', type_=sa.JSON))
    batch = [{'vote_id': vote_id, 'count': count} for vote_id, count in rows if count is not None]
    for start in range(0, len(batch), 1000):
        bind.execute(update, batch[start:start + 1000])


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_column('counted')
