"""an owners' committee election's roll, frozen when voting opens

Revision ID: 0019
Revises: 0016
Create Date: 2026-11-28 01:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('election_parts',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('head_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_election_parts_dwelling_id_dwellings')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_parts_election_id_elections')),
    sa.PrimaryKeyConstraint('election_id', 'dwelling_id', name=op.f('pk_election_parts'))
    )
    op.create_table('election_owners',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_election_owners_dwelling_id_dwellings')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_owners_election_id_elections')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_election_owners_person_id_people')),
    sa.PrimaryKeyConstraint('election_id', 'dwelling_id', 'person_id', name=op.f('pk_election_owners'))
    )
    op.create_index('ix_election_owners_person', 'election_owners', ['person_id', 'election_id'], unique=False)


def downgrade():
    op.drop_index('ix_election_owners_person', table_name='election_owners')
    op.drop_table('election_owners')
    op.drop_table('election_parts')
