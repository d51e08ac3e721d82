"""server-side staff sessions, password changes, what each upload belongs to

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 22:10:00

"""
import json
import re

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sessions_ended_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)
    op.create_table(
        'file_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', 'kind', 'target_id'),
    )
    with op.batch_alter_table('file_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_links_name'), ['name'], unique=False)
    link_existing_uploads()


STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|pdf)$")
OWNERS = (("wish", "wishes", "photos"), ("site_report", "site_reports", "photos"),
          ("acceptance_view", "acceptance_views", "photos"), ("milestone", "project_milestones", "photos"),
          ("vote_document", "votes", "documents"))


def link_existing_uploads():
    """Files uploaded before this revision belong to the rows that name them."""
    conn = op.get_bind()
    links = sa.table('file_links', sa.column('name'), sa.column('kind'), sa.column('target_id'),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    seen = set()
    for kind, table, column in OWNERS:
        for row_id, value in conn.execute(sa.text(f"SELECT id, {column} FROM {table}")):
            items = json.loads(value) if isinstance(value, str) else (value or [])
            for item in items:
                name = item.get("file") if isinstance(item, dict) else item
                if isinstance(name, str) and STORED_NAME.match(name) and (name, kind, row_id) not in seen:
                    seen.add((name, kind, row_id))
                    conn.execute(links.insert().values(name=name, kind=kind, target_id=row_id,
                                                       created_at=sa.func.now()))
    for row_id, name in conn.execute(sa.text("SELECT id, document FROM vote_proxies WHERE document IS NOT NULL")):
        if STORED_NAME.match(name):
            conn.execute(links.insert().values(name=name, kind="proxy_document", target_id=row_id,
                                               created_at=sa.func.now()))


def downgrade():
    with op.batch_alter_table('file_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_links_name'))
    op.drop_table('file_links')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))
    op.drop_table('staff_sessions')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('sessions_ended_at')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
