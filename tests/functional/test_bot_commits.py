"""What a bot turn costs the database: a turn that only moves the conversation along commits without waiting
for the disk (PostgreSQL), a turn that files anything waits as every other commit does; pooled connections are
pinged only after they rested."""
import time

import pytest
from sqlalchemy import create_engine, event, insert, select, text

from bot import state
from core import commits
from core.config import sqlalchemy_url
from core.extensions import db
from core.models import Conversation, WechatAccount, utcnow
from simulator.sender import event_xml, text_xml
from tests.builders import Bot
from tests.functional.test_bot_flows import bind_owner, home  # noqa: F401 - home: the fixture
from wishes.models import Wish


@pytest.fixture
def relaxed(app):
    """For each commit, in order: whether it skipped waiting for the disk."""
    made = db.session.info["relaxed"] = []

    def record(conn):
        made.append(not commits.waits_for_disk(conn))
    event.listen(db.engine, "commit", record)
    yield made
    event.remove(db.engine, "commit", record)


def test_only_the_turns_that_move_a_conversation_along_skip_the_wait(client, home, relaxed, database_url):  # noqa: F811
    bot = Bot(client)
    on_postgresql = database_url.startswith("postgresql")

    def light(xml):
        relaxed.clear()
        reply = bot.say(xml)
        return any(relaxed), reply
    assert "回复 1 同意" in bot.say(event_xml("d1", "subscribe", f"qrscene_unit:{home}"))  # a new account
    assert light(text_xml("d1", "1"))[0] is False  # consent
    assert light(text_xml("d1", "501"))[0] is on_postgresql  # the room: asks for the phone's digits
    assert light(text_xml("d1", "5678"))[0] is False  # bound
    for message in ("楼道灯坏了，晚上看不见", "1", "好"):
        assert light(text_xml("d1", message))[0] is on_postgresql
    filed, done = light(text_xml("d1", "1"))
    assert filed is False
    assert db.session.scalars(select(Wish)).one().reference in done
    assert db.session.scalar(select(Conversation.openid).where(Conversation.openid == "d1")) is None


def test_a_conversation_moved_without_waiting_is_committed(client, home, relaxed):  # noqa: F811
    bot = Bot(client)
    bind_owner(bot, "d2", home)
    bot.say(text_xml("d2", "楼道灯坏了，晚上看不见"))
    other = create_engine(sqlalchemy_url(client.application.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with other.connect() as conn:  # another connection sees it: the commit happened
            step = conn.scalar(select(Conversation.step).where(Conversation.openid == "d2"))
    finally:
        other.dispose()
    assert step == "suggest"


def _relax(openid="x0"):
    """The bot turn's first read: its account (made here first when new) and conversation, asking to commit
    without waiting."""
    if db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == openid)) is None:
        db.session.add(WechatAccount(openid=openid, locale="zh_Hans_CN"))
        db.session.commit()
        relaxed = db.session.info.get("relaxed")
        if relaxed is not None:
            relaxed.clear()
    return state.account_and_saved(openid)


def _marked_upsert(openid):
    state.save(openid, "wish", "class", {})


@pytest.mark.parametrize("then, facts", [
    (lambda: None, False),
    (lambda: db.session.execute(select(WechatAccount.id)).all(), False),
    (lambda: state.clear("x1"), False),
    (lambda: db.session.add(WechatAccount(openid="x9", locale="zh_Hans_CN")), True),
    (lambda: db.session.execute(text("UPDATE wechat_accounts SET follows = true")), True),
    (lambda: db.session.execute(text("SELECT 1")), True),  # text is never taken on trust
    (lambda: db.session.execute(insert(Conversation.__table__).values(
        openid="x8", flow="wish", step="class", data={}, updated_at=utcnow())), True),  # not marked
], ids=["alone", "with-a-read", "with-an-end", "with-an-object", "with-a-text-update", "with-any-text",
        "unmarked-insert"])
def test_a_turn_is_light_only_when_everything_it_wrote_was_marked(app, relaxed, database_url, then, facts):
    _relax()
    _marked_upsert("x1")
    then()
    db.session.commit()
    assert relaxed == [database_url.startswith("postgresql") and not facts]


def test_a_transaction_that_did_not_ask_waits(app, relaxed):
    _marked_upsert("x1")
    db.session.commit()
    assert db.session.scalar(select(Conversation.openid).where(Conversation.openid == "x1")) == "x1"
    assert relaxed == [False]


def test_the_next_transaction_starts_anew(app, relaxed, database_url):
    _relax()
    db.session.execute(text("UPDATE wechat_accounts SET follows = true"))
    db.session.commit()
    _relax()
    _marked_upsert("x2")
    db.session.commit()
    _marked_upsert("x3")
    db.session.commit()
    assert relaxed == [False, database_url.startswith("postgresql"), False]


@pytest.mark.postgresql_only
def test_the_setting_is_off_for_the_relaxed_transaction_only(app):
    db.session.add(WechatAccount(openid="x4", locale="zh_Hans_CN"))
    db.session.commit()
    _relax("x4")
    assert db.session.scalar(text("SHOW synchronous_commit")) == "off"
    db.session.commit()
    assert db.session.scalar(text("SHOW synchronous_commit")) == "on"


@pytest.mark.postgresql_only
def test_a_fact_written_after_relaxing_is_made_durable_before_its_commit(app, monkeypatch):
    made, original = [], commits.make_durable
    monkeypatch.setattr(commits, "make_durable", lambda dbapi: made.append(dbapi) or original(dbapi))
    db.session.add(WechatAccount(openid="x5", locale="zh_Hans_CN"))
    db.session.commit()
    assert made == []  # never relaxed: nothing to undo
    _relax("x5")
    db.session.add(WechatAccount(openid="x6", locale="zh_Hans_CN"))
    db.session.commit()
    assert len(made) == 1
    assert db.session.scalar(select(WechatAccount.openid).where(WechatAccount.openid == "x6")) == "x6"


def _backend_pid():
    return db.session.scalar(text("SELECT pg_backend_pid()"))


def _kill(pid, url):
    killer = create_engine(sqlalchemy_url(url))
    try:
        with killer.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(100):  # poll until the backend is gone
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                    break
                time.sleep(0.02)
    finally:
        killer.dispose()


@pytest.mark.postgresql_only
def test_a_connection_dropped_while_it_rested_is_replaced_before_use(database_url, simulator):
    from tests.conftest import own_app
    with own_app(database_url, DB_PING_AFTER=0):
        pid = _backend_pid()
        db.session.remove()  # back into the pool
        _kill(pid, database_url)
        assert _backend_pid() != pid  # pinged, found dead, replaced: the request never saw it


@pytest.mark.postgresql_only
def test_a_connection_used_moments_ago_is_not_pinged(database_url, simulator, monkeypatch):
    from tests.conftest import own_app
    with own_app(database_url, DB_PING_AFTER=3600):
        pings = []
        original = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or original(conn))
        for _ in range(3):
            _backend_pid()
            db.session.remove()
        assert pings == []
