"""owners verified by what a neighbour does not know; votes' frozen owners, proxies with two people,
append-only ballot events; privacy consent

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

APPEND_ONLY = {
    "postgresql": [
        """CREATE FUNCTION ballot_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'ballot_events is append-only'; END $$""",
        """CREATE TRIGGER ballot_events_append_only BEFORE UPDATE OR DELETE ON ballot_events
           FOR EACH ROW EXECUTE FUNCTION ballot_events_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER ballot_events_no_update BEFORE UPDATE ON ballot_events
           BEGIN SELECT RAISE(ABORT, 'ballot_events is append-only'); END""",
        """CREATE TRIGGER ballot_events_no_delete BEFORE DELETE ON ballot_events
           BEGIN SELECT RAISE(ABORT, 'ballot_events is append-only'); END""",
    ],
}
DROP_APPEND_ONLY = {
    "postgresql": ["DROP TRIGGER ballot_events_append_only ON ballot_events",
                   "DROP FUNCTION ballot_events_append_only()"],
    "sqlite": ["DROP TRIGGER ballot_events_no_update", "DROP TRIGGER ballot_events_no_delete"],
}


def upgrade():
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_ownerships_certificate_key', ['certificate_key'], unique=False)
    with op.batch_alter_table('wechat_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_version', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('privacy_consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('binding_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=True))
    op.create_table('bind_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('wechat_accounts.id'), nullable=False),
        sa.Column('dwelling_id', sa.Integer(), sa.ForeignKey('dwellings.id'), nullable=True),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_bind_attempts_account', 'bind_attempts', ['account_id', 'at'])
    op.create_index('ix_bind_attempts_dwelling', 'bind_attempts', ['dwelling_id', 'at'])
    op.create_table('vote_owners',
        sa.Column('vote_id', sa.Integer(), sa.ForeignKey('votes.id'), nullable=False),
        sa.Column('dwelling_id', sa.Integer(), sa.ForeignKey('dwellings.id'), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False),
        sa.PrimaryKeyConstraint('vote_id', 'dwelling_id', 'person_id'))
    op.create_index('ix_vote_owners_person', 'vote_owners', ['person_id', 'vote_id'])
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('proxy_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='confirmed'))
        batch_op.add_column(sa.Column('confirmed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_vote_proxies_confirmed_by', 'staff', ['confirmed_by'], ['id'])
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=64), nullable=True))
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.drop_constraint('fk_vote_proxies_confirmed_by', type_='foreignkey')
        for name in ('confirmed_at', 'confirmed_by', 'state', 'proxy_person_id', 'document'):
            batch_op.drop_column(name)
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('person_id')
    op.drop_index('ix_vote_owners_person', table_name='vote_owners')
    op.drop_table('vote_owners')
    op.drop_index('ix_bind_attempts_dwelling', table_name='bind_attempts')
    op.drop_index('ix_bind_attempts_account', table_name='bind_attempts')
    op.drop_table('bind_attempts')
    with op.batch_alter_table('binding_requests', schema=None) as batch_op:
        batch_op.drop_column('evidence')
    with op.batch_alter_table('wechat_accounts', schema=None) as batch_op:
        for name in ('deleted_at', 'privacy_consented_at', 'privacy_version'):
            batch_op.drop_column(name)
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_index('ix_ownerships_certificate_key')
        batch_op.drop_column('certificate_key')
