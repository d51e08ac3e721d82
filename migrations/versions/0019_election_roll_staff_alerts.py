"""an owners' committee election's roll, frozen when voting opens; staff alerts linked to WeChat and
kept in an inbox; the management mode a vote chose; paper election ballots confirmed by a second person

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
    op.create_table('election_paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('candidate_ids', sa.JSON(), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=False),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirm_ids', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by'], ['staff.id'], name=op.f('fk_election_paper_entries_confirmed_by_staff')),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_election_paper_entries_dwelling_id_dwellings')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_paper_entries_election_id_elections')),
    sa.ForeignKeyConstraint(['entered_by'], ['staff.id'], name=op.f('fk_election_paper_entries_entered_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_paper_entries'))
    )
    op.create_index(op.f('ix_election_paper_entries_election_id'), 'election_paper_entries', ['election_id'], unique=False)
    op.create_table('staff_link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_link_codes_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_staff_link_codes_code_hash'))
    )
    op.create_index(op.f('ix_staff_link_codes_staff_id'), 'staff_link_codes', ['staff_id'], unique=False)
    op.create_table('staff_wechat_links',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['wechat_accounts.id'], name=op.f('fk_staff_wechat_links_account_id_wechat_accounts')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_wechat_links_staff_id_staff')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_staff_wechat_links')),
    sa.UniqueConstraint('account_id', name=op.f('uq_staff_wechat_links_account_id'))
    )
    op.create_table('staff_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_staff_notices_notice_id_notices')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_notices_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notices'))
    )
    op.create_index(op.f('ix_staff_notices_staff_id'), 'staff_notices', ['staff_id'], unique=False)
    op.create_table('management_choices',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_management_choices_compound_id_compounds')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_management_choices_project_id_projects')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_management_choices_vote_id_votes')),
    sa.PrimaryKeyConstraint('vote_id', name=op.f('pk_management_choices'))
    )
    op.create_index(op.f('ix_management_choices_compound_id'), 'management_choices', ['compound_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_management_choices_compound_id'), table_name='management_choices')
    op.drop_table('management_choices')
    op.drop_index(op.f('ix_staff_notices_staff_id'), table_name='staff_notices')
    op.drop_table('staff_notices')
    op.drop_table('staff_wechat_links')
    op.drop_index(op.f('ix_staff_link_codes_staff_id'), table_name='staff_link_codes')
    op.drop_table('staff_link_codes')
    op.drop_index(op.f('ix_election_paper_entries_election_id'), table_name='election_paper_entries')
    op.drop_table('election_paper_entries')
    op.drop_index('ix_election_owners_person', table_name='election_owners')
    op.drop_table('election_owners')
    op.drop_table('election_parts')
