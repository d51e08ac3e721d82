"""What a bot turn costs the database: a turn that only moves the conversation along commits without waiting
for the disk (PostgreSQL), a turn that files anything waits as every other commit does; pooled connections are
pinged only after they rested."""
import re
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


# What PostgreSQL itself says right before each COMMIT -----------------------------------------------------------
# The oracle does not trust the application's own bookkeeping: the setting is read with SHOW, and what the
# transaction wrote is read from the server's own statistics of the transaction (pg_stat_xact_user_tables, which
# also counts rows written by triggers, functions and statements that never went through SQLAlchemy).
LIGHT_TABLES = {"conversations", "inbound_messages", "wechat_accounts"}  # the conversation's, the message's, the
# customer-service window's mark (and only that column: checked on the statements)


@pytest.fixture
def at_commit(app, database_url, monkeypatch):
    """For each COMMIT sent to PostgreSQL, in order: (synchronous_commit as it stands, tables the transaction
    wrote rows of, statements that named wechat_accounts in a write)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("synchronous_commit is PostgreSQL's")
    seen, dialect = [], db.engine.dialect
    original = dialect.do_commit

    def statements(conn, _cursor, statement, _parameters, _context, _executemany):
        if "wechat_accounts" in statement and re.search(r"\b(INSERT|UPDATE|DELETE)\b", statement):
            conn.info.setdefault("account_writes", []).append(statement)

    def written(dbapi_connection):
        # Rows written by this backend not yet reported to the server's totals: those of earlier transactions
        # too, until the backend next rests outside a transaction (so this transaction's are the increase).
        cursor = dbapi_connection.cursor()
        try:
            return dict(cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"))
        finally:
            cursor.close()

    def begin(conn):
        conn.info.pop("account_writes", None)
        conn.info["written_before"] = written(conn.connection.dbapi_connection)

    def do_commit(dbapi_connection):
        before, after = dbapi_connection.info.pop("written_before", {}), written(dbapi_connection)
        tables = {name for name, rows in after.items() if rows > before.get(name, 0)}
        cursor = dbapi_connection.cursor()
        try:
            setting = cursor.execute("SHOW synchronous_commit").fetchone()[0]
        finally:
            cursor.close()
        seen.append((setting, tables, list(dbapi_connection.info.get("account_writes", []))))
        original(dbapi_connection)
    event.listen(db.engine, "before_cursor_execute", statements)
    event.listen(db.engine, "begin", begin)
    monkeypatch.setattr(dialect, "do_commit", do_commit)
    yield seen
    event.remove(db.engine, "before_cursor_execute", statements)
    event.remove(db.engine, "begin", begin)


def durable_unless_light(seen):
    """Every COMMIT that did not wait for the disk wrote only a conversation's move; returns how many did not wait."""
    relaxed = [(tables, writes) for setting, tables, writes in seen if setting == "off"]
    for tables, writes in relaxed:
        assert tables <= LIGHT_TABLES, f"a fact committed without waiting for the disk: {sorted(tables)}"
        assert all(w.lstrip().startswith("UPDATE wechat_accounts SET last_inbound_at") for w in writes), writes
    return len(relaxed)


def test_a_residents_chat_commits_every_fact_durably(client, home, at_commit, simulator):  # noqa: F811
    from simulator.sender import image_xml
    bot = Bot(client)
    assert "回复 1 同意" in bot.say(event_xml("dd1", "subscribe", f"qrscene_unit:{home}"))
    bot.say(text_xml("dd1", "1"))  # consent
    bot.say(text_xml("dd1", "501"))
    bot.say(text_xml("dd1", "5678"))  # bound
    assert "照明" in bot.say(text_xml("dd1", "楼道灯坏了，晚上看不见"))
    bot.say(text_xml("dd1", "1"))
    assert "已收到照片（1 张）" in bot.say(image_xml("dd1", media_id=simulator.state.add_media(
        b"\xff\xd8\xff\xe0" + b"stairs" * 8)))  # a photo to fetch, noted in the wish's conversation
    bot.say(text_xml("dd1", "好"))
    bot.say(text_xml("dd1", "1"))  # filed: the wish and its photo to fetch
    bot.say(text_xml("dd1", "English"))
    assert db.session.scalar(select(Wish.id)) is not None
    assert durable_unless_light(at_commit) >= 3  # the room asked, the wish's steps: moves that did not wait


def test_a_ballot_cast_in_chat_is_committed_durably(app, client, world, at_commit, simulator):
    from tests.builders import STAIRWELL_ROWS, login, open_lift_vote, owner, roll_with_owner, rooms_on_record
    from core.models import Unit
    from votes.models import Ballot
    roll_with_owner(world.compound_a.id, STAIRWELL_ROWS)
    staff = app.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    vote_id = open_lift_vote(staff, headers, db.session.scalar(select(Unit.id)))
    owner(client, simulator, staff, headers, rooms_on_record()["104"], "dd-wang")
    at_commit.clear()
    bot = Bot(client)
    assert "加装电梯" in bot.say(text_xml("dd-wang", "投票"))
    bot.say(text_xml("dd-wang", "1"))
    assert "回执" in bot.say(text_xml("dd-wang", "1"))
    assert db.session.scalar(select(Ballot.choice).where(Ballot.vote_id == vote_id)) == "agree"
    assert durable_unless_light(at_commit) >= 1  # choosing moved the conversation only
    assert at_commit[-1][0] == "on" and {"ballots", "ballot_events"} <= at_commit[-1][1]


def test_an_objection_and_an_on_site_report_sent_in_chat_are_committed_durably(client, project, at_commit, simulator):
    from datetime import timedelta
    from publicity.models import Objection
    from simulator.sender import image_xml
    from tests.builders import PNG
    from tests.builders import bound_resident as resident
    http, headers, pid, rooms = project
    resident(client, simulator, http, headers, rooms["201"], "dd-201")
    starts = utcnow() - timedelta(minutes=1)
    assert http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "summary": "楼道改造，预算1万元"}).status_code == 201
    at_commit.clear()
    bot = Bot(client)
    assert "截止" in bot.say(text_xml("dd-201", "公示"))
    assert "异议" in bot.say(text_xml("dd-201", "1"))
    bot.say(text_xml("dd-201", "楼道灯装在了我家门口，晚上太亮"))
    assert "已收到照片（1 张）" in bot.say(image_xml("dd-201", media_id=simulator.state.add_media(PNG, "image/png")))
    assert "O0" in bot.say(text_xml("dd-201", "好"))
    objection = at_commit[-1]
    bot.say(text_xml("dd-201", "反映问题"))
    bot.say(text_xml("dd-201", "工地晚上十点还在施工"))
    assert "R0000" in bot.say(text_xml("dd-201", "好"))
    assert db.session.scalar(select(Objection.id)) is not None
    assert durable_unless_light(at_commit) >= 3
    assert objection[0] == "on" and {"publicity_objections", "chat_photos"} <= objection[1]
    assert at_commit[-1][0] == "on"


def _fact():
    db.session.execute(insert(WechatAccount.__table__), [{"openid": f"f{n}", "locale": "zh_Hans_CN"} for n in range(3)])


def _in_a_savepoint():
    with db.session.begin_nested():
        db.session.add(WechatAccount(openid="sp", locale="zh_Hans_CN"))


def _by_the_driver():
    db.session.connection().exec_driver_sql("UPDATE wechat_accounts SET follows = true")


def _pipelined():
    from votes.services import _pipelined as pipelined
    with pipelined():
        db.session.execute(insert(WechatAccount.__table__).inline().values(openid="pl", locale="zh_Hans_CN"))


def _in_a_read():  # a write inside a SELECT: a data-modifying WITH
    table = WechatAccount.__table__
    made = insert(table).values(openid="cte", locale="zh_Hans_CN").returning(table.c.id).cte("made")
    db.session.execute(select(made.c.id)).all()


def _ddl():
    db.session.execute(text("CREATE TEMPORARY TABLE scratch (n int) ON COMMIT DROP"))


@pytest.mark.postgresql_only
@pytest.mark.parametrize("write", [_fact, _in_a_savepoint, _by_the_driver, _pipelined, _in_a_read, _ddl],
                         ids=["executemany", "savepoint", "driver-sql", "pipeline", "with-in-a-select", "ddl"])
def test_however_a_fact_is_written_after_relaxing_its_commit_waits_for_the_disk(app, at_commit, write):
    _relax()
    _marked_upsert("x1")
    write()
    db.session.commit()
    assert at_commit[-1][0] == "on"


@pytest.mark.postgresql_only
def test_the_oracle_sees_a_fact_committed_without_waiting(app, at_commit):
    from core.commits import conversation_only
    _relax()
    _marked_upsert("x1")
    db.session.commit()
    assert durable_unless_light(at_commit) == 1
    for wrongly_marked in ("UPDATE wechat_accounts SET follows = true",
                           "CREATE TEMPORARY TABLE scratch ON COMMIT DROP AS SELECT 1 AS n"):
        at_commit.clear()
        _relax()
        db.session.execute(conversation_only(text(wrongly_marked)))
        db.session.commit()
        with pytest.raises(AssertionError):
            durable_unless_light(at_commit)


@pytest.mark.postgresql_only
@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_relaxed_transaction_leaves_nothing_behind_for_the_next(app, at_commit, end):
    _relax()
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    _marked_upsert("x1")
    getattr(db.session, end)()
    db.session.add(WechatAccount(openid="x7", locale="zh_Hans_CN"))  # the same session's next transaction
    db.session.commit()
    db.session.remove()  # the connection goes back to the pool and comes out again for someone else
    assert db.session.scalar(text("SELECT pg_backend_pid()")) == pid
    assert db.session.scalar(text("SHOW synchronous_commit")) == "on"
    db.session.add(WechatAccount(openid="x8", locale="zh_Hans_CN"))
    db.session.commit()
    assert [setting for setting, _tables, _writes in at_commit][-2:] == ["on", "on"]
