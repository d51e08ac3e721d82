"""ballots received before they are chained: casting no longer waits for the vote's other casts

Revision ID: 0021
Revises: 0022
Create Date: 2026-11-28 01:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ballot_intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('head_no', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballot_intake_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_intake'))
    )
    with op.batch_alter_table('ballot_intake', schema=None) as batch_op:
        batch_op.create_index('ix_ballot_intake_vote_state', ['vote_id', 'state', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('ballot_intake', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_intake_vote_state')
    op.drop_table('ballot_intake')
