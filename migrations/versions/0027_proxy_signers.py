"""a proxy records the owner who signed its authorisation, and stands only while they own the flat

vote_proxies.owner_person_id: the owner on the roll who signed the 委托书. A proxy stands only while that person
owns the flat: on the registry's roll (not as the developer's stock) while its vote is a draft, on the vote's
frozen roll (vote_owners) once it opened.

Proxies registered before (still pending or confirmed) are given the owner their records tell: the flat's only
owner on that roll, or else the one owner of the flat whose name, as the roll writes it, the typed authorisation
contains. A proxy whose records tell neither keeps no owner: it no longer stands (the committee registers it
anew, naming the owner who signed), and a pending one cannot be confirmed. Nobody is told and no audit entry is
written here. Downgrading drops the column.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

proxies = sa.table('vote_proxies', sa.column('id'), sa.column('vote_id'), sa.column('dwelling_id'),
                   sa.column('authorisation'), sa.column('state'), sa.column('owner_person_id'))
votes = sa.table('votes', sa.column('id'), sa.column('state'))
ownerships = sa.table('ownerships', sa.column('dwelling_id'), sa.column('person_id'), sa.column('name'),
                      sa.column('developer_held', sa.Boolean))
vote_owners = sa.table('vote_owners', sa.column('vote_id'), sa.column('dwelling_id'), sa.column('person_id'))
people = sa.table('people', sa.column('id'), sa.column('name'))


def upgrade():
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_vote_proxies_owner_person_id_people'), 'people',
                                    ['owner_person_id'], ['id'])
    conn = op.get_bind()
    rows = conn.execute(sa.select(proxies.c.id, proxies.c.vote_id, proxies.c.dwelling_id, proxies.c.authorisation,
                                  votes.c.state).join(votes, votes.c.id == proxies.c.vote_id)
                        .where(proxies.c.state.in_(('pending', 'confirmed')))
                        .order_by(proxies.c.id)).all()
    for proxy_id, vote_id, dwelling_id, authorisation, vote_state in rows:
        signer = _signer(conn, vote_id, dwelling_id, vote_state, authorisation or '')
        if signer is not None:
            conn.execute(proxies.update().where(proxies.c.id == proxy_id).values(owner_person_id=signer))


def _signer(conn, vote_id, dwelling_id, vote_state, authorisation):
    """The owner who signed, as far as the records tell (None: they do not)."""
    if vote_state == 'draft':
        owners = sa.select(ownerships.c.person_id).where(ownerships.c.dwelling_id == dwelling_id,
                                                         ownerships.c.developer_held.is_(False))
    else:
        owners = sa.select(vote_owners.c.person_id).where(vote_owners.c.vote_id == vote_id,
                                                          vote_owners.c.dwelling_id == dwelling_id)
    candidates = sorted(set(conn.scalars(owners)))
    if len(candidates) == 1:
        return candidates[0]
    names = dict(conn.execute(sa.select(people.c.id, people.c.name).where(people.c.id.in_(candidates))).all())
    names.update({person: name for person, name in conn.execute(
        sa.select(ownerships.c.person_id, ownerships.c.name).where(
            ownerships.c.dwelling_id == dwelling_id, ownerships.c.person_id.in_(candidates),
            ownerships.c.name.is_not(None)))})
    named = [person for person in candidates if (names.get(person) or '').strip()
             and names[person].strip() in authorisation]
    return named[0] if len(named) == 1 else None


def downgrade():
    with op.batch_alter_table('vote_proxies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vote_proxies_owner_person_id_people'), type_='foreignkey')
        batch_op.drop_column('owner_person_id')
