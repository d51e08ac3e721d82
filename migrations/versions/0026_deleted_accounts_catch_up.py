"""accounts deleted before deletion took as much as it does now lose the rest; vote_proxies indexed by account

Deleting one's data (privacy/deletion.py) now also takes the words and photos of objections, views at acceptance
and warranty defects, what a resident supervisor did, pledges, election ballots, the proxies the resident stood
as, the messages addressed to them, a staff member's WeChat link to the account and a binding request still
waiting. Accounts deleted before (wechat_accounts.deleted_at set) still hold all of that: each is brought to
what a deletion leaves today, in the database (again for those deleted since: nothing changes for them). The
files on disk stay (the migration reaches the database only); the links that made them readable go. The owners
of a proxy withdrawn here are not told, and no audit entry is written. Downgrading drops the index only: what
was taken cannot be given back.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28 14:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

CHUNK = 500
CHAT_PHOTOS_ENDED = ('kept', 'refused', 'gone', 'failed')
# Upload owners whose every linked file is a photo the resident gave (a defect's links also hold its repair's).
RESIDENTS_PHOTOS = (('wish', 'wishes'), ('site_report', 'site_reports'), ('objection', 'publicity_objections'),
                    ('acceptance_view', 'acceptance_views'))
# The committee's alerts that quote a resident's words: {alert kind: (what they quote, the param naming it)}.
ALERTS_QUOTING = {'staff_warranty_defect': ('defect', 'reference'), 'staff_defect_rectified': ('defect', 'reference'),
                  'staff_report_escalated': ('report', 'reference'), 'staff_finding_open': ('finding', 'finding')}

accounts = sa.table('wechat_accounts', sa.column('id'), sa.column('openid'),
                    sa.column('deleted_at', sa.DateTime(timezone=True)))
DELETED = sa.select(accounts.c.id).where(accounts.c.deleted_at.is_not(None))
file_links = sa.table('file_links', sa.column('kind'), sa.column('target_id'), sa.column('name'))


def _table(name, *columns, json=(), times=()):
    return sa.table(name, *(sa.column(c) for c in columns), *(sa.column(c, sa.JSON) for c in json),
                    *(sa.column(c, sa.DateTime(timezone=True)) for c in times))


def upgrade():
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_proxies_account_id'), ['account_id'], unique=False)
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    _forget_chat_photos(conn, now)
    _forget_alert_words(conn)
    _forget_supervision(conn)
    _forget_words_and_photos(conn)
    _forget_pledges_and_election_ballots(conn)
    _withdraw_proxies(conn)
    _forget_messages(conn)
    _end_staff_links_and_binding_requests(conn, now)


def _unlink(conn, kind, targets):
    """The files of (kind, each of `targets`: a select of ids) are no longer readable through them."""
    conn.execute(file_links.delete().where(file_links.c.kind == kind, file_links.c.target_id.in_(targets)))


def _forget_chat_photos(conn, now):
    """Photos sent in chat and not fetched yet are not fetched at all; none keeps its media id or stored name."""
    photos = _table('chat_photos', 'account_id', 'state', 'reason', 'media_id', 'name', 'last_error',
                    times=['finished_at'])
    conn.execute(photos.update().where(photos.c.account_id.in_(DELETED), photos.c.state.not_in(CHAT_PHOTOS_ENDED))
                 .values(state='failed', reason='deleted', finished_at=now, media_id=''))
    conn.execute(photos.update().where(photos.c.account_id.in_(DELETED))
                 .values(media_id='', name=None, last_error=None))


def _forget_alert_words(conn):
    """The committee's alerts (their panel's copy and the one pushed to WeChat) about the resident's reports,
    defects and findings keep what they name, not the words. Before the defects lose their account and the
    inspections their supervisor, which find them."""
    ids = {}
    for thing, name, owner in (('report', 'site_reports', 'account_id'), ('defect', 'defects', 'account_id')):
        rows = _table(name, 'id', owner)
        ids[thing] = conn.execute(sa.select(rows.c.id).where(rows.c.account_id.in_(DELETED))).scalars().all()
    findings = _table('inspection_findings', 'id', 'inspection_id')
    ids['finding'] = conn.execute(sa.select(findings.c.id).where(
        findings.c.inspection_id.in_(_supervised_inspections()))).scalars().all()
    quoted = {'report': [f'R{i:06d}' for i in ids['report']], 'defect': [f'D{i:06d}' for i in ids['defect']],
              'finding': [str(i) for i in ids['finding']]}
    for name in ('staff_notices', 'notices'):
        alerts = _table(name, 'id', 'kind', json=['params'])
        for kind, (thing, param) in ALERTS_QUOTING.items():
            values = quoted[thing]
            for start in range(0, len(values), CHUNK):
                # As text on both backends (a finding is named by its number, which SQLite extracts as one).
                named = sa.cast(alerts.c.params[param].as_string(), sa.Text)
                found = conn.execute(sa.select(alerts.c.id, alerts.c.params).where(
                    alerts.c.kind == kind, named.in_(values[start:start + CHUNK]))).all()
                changed = [{'alert_id': i, 'forgotten': {**params, 'text': ''}} for i, params in found
                           if (params or {}).get('text')]
                if changed:
                    conn.execute(alerts.update().where(alerts.c.id == sa.bindparam('alert_id'))
                                 .values(params=sa.bindparam('forgotten', type_=sa.JSON)), changed)


def _supervised_inspections():
    supervisors = _table('resident_supervisors', 'id', 'account_id')
    inspections = _table('inspections', 'id', 'supervisor_id')
    return sa.select(inspections.c.id).where(inspections.c.supervisor_id.in_(
        sa.select(supervisors.c.id).where(supervisors.c.account_id.in_(DELETED))))


def _forget_supervision(conn):
    """The offers to supervise go (with the name given); the inspections filed stay on the works as a resident
    supervisor's, and their findings stay open until closed, without the supervisor's name, words or photos (a
    finding's photos are its inspection's; the committee's evidence stays). Inspections let go of the supervisor
    before the supervisor's row goes."""
    supervisors = _table('resident_supervisors', 'id', 'account_id')
    inspections = _table('inspections', 'id', 'supervisor_id', 'inspector', 'note', json=['photos'])
    findings = _table('inspection_findings', 'inspection_id', 'text', json=['photos'])
    filed = _supervised_inspections()
    _unlink(conn, 'inspection', filed)
    conn.execute(findings.update().where(findings.c.inspection_id.in_(filed)).values(text='', photos=[]))
    conn.execute(inspections.update().where(inspections.c.supervisor_id.in_(
        sa.select(supervisors.c.id).where(supervisors.c.account_id.in_(DELETED))))
        .values(inspector='', note='', photos=[], supervisor_id=None))
    conn.execute(supervisors.delete().where(supervisors.c.account_id.in_(DELETED)))


def _forget_words_and_photos(conn):
    """Wishes, on-site reports, objections and views at acceptance keep their place without the resident's words
    and photos; a defect stays on the works without them and without the account (its repair's photos stay);
    survey uploads and answers' files are theirs no more."""
    for kind, name in RESIDENTS_PHOTOS:
        rows = _table(name, 'id', 'account_id', 'text', json=['photos'])
        _unlink(conn, kind, sa.select(rows.c.id).where(rows.c.account_id.in_(DELETED)))
        conn.execute(rows.update().where(rows.c.account_id.in_(DELETED)).values(text='', photos=[]))
    defects = _table('defects', 'id', 'account_id', 'text', json=['photos'])
    given = [{'target': defect_id, 'photo': photo} for defect_id, photos in conn.execute(
        sa.select(defects.c.id, defects.c.photos).where(defects.c.account_id.in_(DELETED))) for photo in photos or ()]
    if given:
        conn.execute(file_links.delete().where(file_links.c.kind == 'defect',
                                               file_links.c.target_id == sa.bindparam('target'),
                                               file_links.c.name == sa.bindparam('photo')), given)
    conn.execute(defects.update().where(defects.c.account_id.in_(DELETED))
                 .values(text='', photos=[], account_id=None))
    responses = _table('survey_responses', 'id', 'account_id')
    _unlink(conn, 'survey_upload', DELETED)
    _unlink(conn, 'survey_response', sa.select(responses.c.id).where(responses.c.account_id.in_(DELETED)))


def _forget_pledges_and_election_ballots(conn):
    """A pledge stays the home's (the published totals stay right) without the resident or their words; an
    election ballot stays counted for its home without the account that cast it."""
    pledges = _table('contributions', 'account_id', 'description')
    conn.execute(pledges.update().where(pledges.c.account_id.in_(DELETED)).values(account_id=None, description=''))
    ballots = _table('election_ballots', 'account_id')
    conn.execute(ballots.update().where(ballots.c.account_id.in_(DELETED)).values(account_id=None))


def _withdraw_proxies(conn):
    """The proxies the resident stood as no longer stand, without the authorisation typed from the 委托书, the
    person it named or the uploaded document (a ballot one cast stays counted)."""
    proxies = _table('vote_proxies', 'id', 'account_id', 'state', 'authorisation', 'document', 'proxy_person_id')
    _unlink(conn, 'proxy_document', sa.select(proxies.c.id).where(proxies.c.account_id.in_(DELETED)))
    conn.execute(proxies.update().where(proxies.c.account_id.in_(DELETED)).values(
        state='withdrawn', authorisation='', document=None, proxy_person_id=None))


def _forget_messages(conn):
    """The messages addressed to the resident leave their inbox and links, and the words of those written to
    them alone leave the outbox (as notices.services.forget_messages_to); their subscribe-message credits and
    blocked channels go. Their answers to subscribe-message requests were kept under the openid the deletion
    replaced: the answers under an openid no account has any more go."""
    notices = _table('notices', 'id', 'scope_kind', 'scope_id', json=['params'])
    deliveries = _table('deliveries', 'notice_id', 'account_id')
    conn.execute(notices.update().where(
        notices.c.scope_kind == 'account', notices.c.scope_id.in_(DELETED),
        sa.exists().where(deliveries.c.notice_id == notices.c.id, deliveries.c.account_id == notices.c.scope_id))
        .values(params={}))
    conn.execute(deliveries.delete().where(deliveries.c.account_id.in_(DELETED)))
    for name in ('subscription_credits', 'channel_blocks'):
        rows = _table(name, 'account_id')
        conn.execute(rows.delete().where(rows.c.account_id.in_(DELETED)))
    events = _table('subscription_events', 'openid')
    conn.execute(events.delete().where(~sa.exists().where(accounts.c.openid == events.c.openid)))


def _end_staff_links_and_binding_requests(conn, now):
    """A staff member's alerts are pushed to the account no more; a binding request the committee has not
    decided is withdrawn (approving it would bind the pseudonym to the home)."""
    links = _table('staff_wechat_links', 'account_id')
    conn.execute(links.delete().where(links.c.account_id.in_(DELETED)))
    requests = _table('binding_requests', 'account_id', 'state', times=['decided_at'])
    conn.execute(requests.update().where(requests.c.account_id.in_(DELETED), requests.c.state == 'pending')
                 .values(state='withdrawn', decided_at=now))


def downgrade():
    """The index goes; what was taken from the deleted accounts cannot be given back."""
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_proxies_account_id'))
