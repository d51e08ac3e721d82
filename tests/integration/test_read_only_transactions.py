"""A transaction that only read ends with COMMIT, one that wrote anything is rolled back (PostgreSQL): psycopg
forgets the statements it prepared on a connection at every ROLLBACK, so requests that only read (every GET)
made the next requests' statements be parsed and planned again at each execution."""
import pytest
from sqlalchemy import select, text

from bot import state
from core.extensions import db
from core.models import Conversation, Region
from tests.builders import sign_in


def prepared_here():
    return db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


@pytest.mark.postgresql_only
def test_requests_that_only_read_keep_the_statements_prepared_on_their_connection(app, client, simulator):
    me = sign_in(client, simulator, "reader")
    db.session.remove()
    db.engine.dispose()  # one connection from here on, which every request below takes in turn
    for _ in range(8):  # psycopg prepares a statement once it ran five times on a connection
        assert client.get("/api/v1/me", headers=me).status_code == 200
    prepared = prepared_here()
    assert any("resident_sessions" in statement for statement in prepared), prepared


@pytest.mark.postgresql_only
@pytest.mark.parametrize("write", ["a conversation move", "a fact"])
def test_a_transaction_that_wrote_is_still_rolled_back(app, write):
    for _ in range(6):  # statements prepared on the connection, as in a busy worker
        db.session.execute(select(Region.id).limit(1)).all()
        db.session.rollback()
    if write == "a conversation move":
        state.save("someone", "wish", "describe", {"text": "楼道灯坏了"})
    else:
        db.session.add(Region(level="province", name="不存在省", path="/x/"))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(Conversation.openid).where(Conversation.openid == "someone")) is None
    assert db.session.scalar(select(Region.id).where(Region.name == "不存在省")) is None
