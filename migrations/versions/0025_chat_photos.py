"""photos sent in chat are fetched from WeChat by a worker and kept: the photos still to fetch

Revision ID: 0025
Revises: 0023
Create Date: 2026-11-28 08:00:00

"""
import json

import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None

PREFIX = 'wx-media:'
OWNERS = (('wish', 'wishes'), ('site_report', 'site_reports'), ('objection', 'publicity_objections'))


def upgrade():
    op.create_table(
        'chat_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('media_id', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=16), server_default='waiting', nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=True),
        sa.Column('name', sa.String(length=80), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.String(length=255), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['wechat_accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('chat_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_photos_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_chat_photos_owner', ['kind', 'target_id'], unique=False)
        batch_op.create_index('ix_chat_photos_due', ['state', 'next_attempt_at'], unique=False)
    _queue_existing_references()


def _queue_existing_references():
    """Photos sent in chat before this revision are named in their rows as 'wx-media:<id>': each becomes a photo
    to fetch (WeChat answers 'gone' for those older than three days), and the row keeps only stored files."""
    conn = op.get_bind()
    photos = sa.table('chat_photos', sa.column('kind'), sa.column('target_id'), sa.column('account_id'),
                      sa.column('media_id'), sa.column('state'), sa.column('attempts'),
                      sa.column('created_at', sa.DateTime(timezone=True)))
    for kind, table in OWNERS:
        rows = sa.table(table, sa.column('id'), sa.column('account_id'), sa.column('photos', sa.JSON),
                        sa.column('created_at', sa.DateTime(timezone=True)))
        found = conn.execute(sa.select(rows.c.id, rows.c.account_id, rows.c.photos, rows.c.created_at)
                             .where(sa.cast(rows.c.photos, sa.Text).like('%' + PREFIX + '%'))).all()
        for row_id, account_id, value, created_at in found:
            items = json.loads(value) if isinstance(value, str) else list(value or [])
            refs = [p for p in items if isinstance(p, str) and p.startswith(PREFIX)]
            if not refs:
                continue
            conn.execute(photos.insert(), [{'kind': kind, 'target_id': row_id, 'account_id': account_id,
                                            'media_id': ref[len(PREFIX):][:128], 'state': 'waiting', 'attempts': 0,
                                            'created_at': created_at} for ref in refs])
            conn.execute(rows.update().where(rows.c.id == row_id).values(photos=[p for p in items if p not in refs]))


def downgrade():
    """Photos still to fetch go back into their rows as references; those kept stay in the rows."""
    conn = op.get_bind()
    for kind, table in OWNERS:
        rows = sa.table(table, sa.column('id'), sa.column('photos', sa.JSON))
        waiting = conn.execute(sa.text("SELECT target_id, media_id FROM chat_photos WHERE kind = :kind AND "
                                       "state IN ('waiting', 'fetching') ORDER BY id"), {'kind': kind}).all()
        by_row = {}
        for target_id, media_id in waiting:
            by_row.setdefault(target_id, []).append(PREFIX + media_id)
        for row_id, refs in by_row.items():
            value = conn.execute(sa.select(rows.c.photos).where(rows.c.id == row_id)).scalar()
            items = json.loads(value) if isinstance(value, str) else list(value or [])
            conn.execute(rows.update().where(rows.c.id == row_id).values(photos=items + refs))
    with op.batch_alter_table('chat_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_photos_due')
        batch_op.drop_index('ix_chat_photos_owner')
        batch_op.drop_index(batch_op.f('ix_chat_photos_account_id'))
    op.drop_table('chat_photos')
