"""project_compounds indexed by compound: a resident's project (their 进度, their timeline) is looked up by their
compound, which the table's key (project, compound) does not lead with

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28 20:00:00

"""
from alembic import op


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_project_compounds_compound', 'project_compounds', ['compound_id', 'project_id'])


def downgrade():
    op.drop_index('ix_project_compounds_compound', table_name='project_compounds')
