"""owners' names and phones as each compound's roll has them

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-27 22:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('phone_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_masked', sa.String(length=16), nullable=True))
    # What each roll said until now is what the shared person record says.
    op.execute("UPDATE ownerships SET name = (SELECT p.name FROM people p WHERE p.id = ownerships.person_id), "
               "phone_enc = (SELECT p.phone_enc FROM people p WHERE p.id = ownerships.person_id), "
               "phone_key = (SELECT p.phone_key FROM people p WHERE p.id = ownerships.person_id), "
               "phone_masked = (SELECT p.phone_masked FROM people p WHERE p.id = ownerships.person_id)")


def downgrade():
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_column('phone_masked')
        batch_op.drop_column('phone_key')
        batch_op.drop_column('phone_enc')
        batch_op.drop_column('name')
