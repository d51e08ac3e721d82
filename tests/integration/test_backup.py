"""`flask ops backup` and `flask ops restore` round-trip the whole database, votes' hash chains included."""
from datetime import timedelta

from sqlalchemy import create_engine, select, text

from core import create_app
from core.config import sqlalchemy_url
from core.extensions import db
from core.models import Dwelling, utcnow
from tests.builders import STAIRWELL_ROWS as ROWS
from tests.builders import roll_with_owner
from tests.conftest import PG_URL, _migrate, make_config


def _target(database, tmp_path):
    """A second, migrated and empty database of the same kind."""
    if database["kind"] == "sqlite":
        import shutil
        path = tmp_path / "restored.sqlite3"
        shutil.copy(database["template"], path)
        return f"sqlite:///{path}"
    url = PG_URL.rsplit("/", 1)[0] + "/test_restore"
    admin = create_engine(sqlalchemy_url(PG_URL.rsplit("/", 1)[0] + "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS test_restore"))
        conn.execute(text("CREATE DATABASE test_restore"))
    admin.dispose()
    _migrate(url)
    return url


def _snapshot():
    return {table.name: [tuple(row) for row in db.session.execute(
        select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))).all()]
        for table in db.metadata.sorted_tables}


def test_a_backup_restores_into_an_empty_database_row_for_row(app, world, database, tmp_path):
    from votes import services as votes
    roll_with_owner(world.compound_a.id, ROWS)
    unit_id = db.session.scalar(select(Dwelling.unit_id))
    vote = votes.create_vote(world.committee_a, "unit", unit_id, "rebuild", "加装电梯")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=3))
    for dwelling_id, choice in zip(db.session.scalars(select(Dwelling.id).order_by(Dwelling.id)),
                                   ("agree", "agree", "disagree", "abstain")):
        votes.record_ballot(vote.id, dwelling_id, choice, "paper", "test")
    db.session.commit()
    before = _snapshot()
    path = tmp_path / "backup.jsonl.gz"
    result = app.test_cli_runner().invoke(args=["ops", "backup", str(path)])
    assert result.exit_code == 0, result.output
    assert sum(len(rows) for rows in before.values()) > 50

    vote_id = vote.id  # read here: loaded inside the other app's context, it would borrow that app's connection
    restored = create_app(make_config(_target(database, tmp_path)))
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["ops", "restore", str(path)])
        assert result.exit_code == 0, result.output
        after = _snapshot()
        assert after == before
        verified = restored.test_cli_runner().invoke(args=["votes", "verify", str(vote_id)])
        assert verified.exit_code == 0 and "verified" in verified.output
        again = restored.test_cli_runner().invoke(args=["ops", "restore", str(path)])
        assert again.exit_code != 0 and "not empty" in again.output
        from votes import services as votes_there
        from core.models import Staff
        staff = db.session.scalar(select(Staff).where(Staff.username == "committee_a"))
        extra = votes_there.create_vote(staff, "unit", unit_id, "rebuild", "新的表决")  # sequences moved on
        assert extra.id > vote_id
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
