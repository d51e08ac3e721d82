"""a resident's rows indexed by their WeChat account: seven tables refer to wechat_accounts by account_id with no
index that leads with it (PostgreSQL indexes the referenced key, not the referring column), so each of these reads
scanned the whole table:

- acceptance_views, defects: deleting one's data (privacy.deletion._delete) locks the resident's views and defects
  to take their photos, then updates them (the defect's account set to NULL); a resident's own defects
  (projects.works.my_defects, GET /api/v1/project/defects) are read by account. The key (project_id, account_id)
  of acceptance_views answers a view on one project, not all of a resident's.
- resident_supervisors: the deletion reads the supervisor offers' ids to find their inspections
  (privacy.deletion._delete) and deletes the offers (_forget_supervision); the key (project_id, account_id)
  does not lead with the account.
- survey_responses: the deletion locks the submitted responses to take them out of the tallies, reads their ids
  for the files and empties their answers, all by account.
- contributions, election_ballots: the deletion lets go of the resident's pledges and election ballots
  (account_id set to NULL) by account.
- ballots: the resident's data as saved (privacy.services.export_for, GET /api/v1/me/data) lists their
  ballots by account (as it does each table above); a vote's ballots are found by (vote_id, dwelling_id).

binding_codes.used_by also refers to wechat_accounts, but nothing reads binding codes by it: not indexed.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-29 10:00:00

"""
from alembic import op


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

TABLES = ('acceptance_views', 'ballots', 'contributions', 'defects', 'election_ballots', 'resident_supervisors',
          'survey_responses')


def upgrade():
    for table in TABLES:
        op.create_index(f'ix_{table}_account_id', table, ['account_id'])


def downgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_account_id', table_name=table)
