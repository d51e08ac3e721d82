"""Faults: Redis going away and coming back, WeChat slow or failing. Nothing is lost or doubled and the
service goes on without a hand."""
import pytest
import requests
from sqlalchemy import func, select

from core.extensions import db
from core.models import InboundMessage, WechatAccount
from notices.models import Delivery
from simulator.sender import text_xml
from tests.builders import Bot, bind_accounts, login, roll_with_owner
from tests.conftest import REDIS_URL, own_app
from tests.builders import STAIRWELL_ROWS as ROWS
from tests.functional.test_bot_flows import bind_owner, home  # noqa: F401 - home: the fixture
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def flaky_redis_app(database_url, simulator, redis_client):  # noqa: F811
    """The app talking to Redis through a proxy the test can cut."""
    proxy = TcpProxy("127.0.0.1", 6379)
    number = REDIS_URL.rsplit("/", 1)[1]  # the test Redis database, reached through the proxy
    with own_app(database_url, WECHAT_API_BASE=simulator.url, REDIS_URL=f"redis://127.0.0.1:{proxy.port}/{number}") as app:
        yield app, proxy
    proxy.close()


def test_the_service_carries_on_while_redis_is_away(flaky_redis_app, world, simulator):
    app, proxy = flaky_redis_app
    from tests.builders import build_world  # noqa: F401 - the world fixture used the default app
    client = app.test_client()
    bot = Bot(client)
    assert "提诉求" in bot.say(text_xml("r1", "帮助", msg_id=1))
    proxy.cut()
    # WeChat messages are still answered once (the database remembers them), staff can sign in,
    # and a retry of a message gets the first answer
    first = bot.say(text_xml("r1", "帮助", msg_id=2))
    assert "提诉求" in first and bot.say(text_xml("r1", "帮助", msg_id=2)) == first
    assert db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.dedupe_key.like("%2%"))) >= 1
    staff = app.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    # a notice still reaches residents: the access token comes from the database
    roll_with_owner(world.compound_a.id, ROWS)
    bind_accounts(world.compound_a.id, 3, prefix="away")
    created = staff.post("/api/v1/admin/notices", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "停水", "body": "明天停水"})
    assert created.status_code == 201, created.get_data(as_text=True)
    from notices.sender import drain
    drain()
    states = dict(db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    assert states == {"sent": 3}
    proxy.restore()
    assert "提诉求" in bot.say(text_xml("r1", "帮助", msg_id=3))  # back on Redis without a restart
    assert db.session.scalar(select(func.count(WechatAccount.id)).where(WechatAccount.openid == "r1")) == 1



@pytest.mark.postgresql_only
def test_a_wish_filed_as_redis_goes_away_is_remembered_in_the_database(
        flaky_redis_app, home, wish_commits, simulator):  # noqa: F811
    """Redis is lost while a turn that files a wish commits: the database remembers the message, and WeChat's
    retry (Redis still away) gets the same reply without a second wish."""
    import threading
    from tests.builders import wait_until
    from wishes.models import Wish
    app, proxy = flaky_redis_app
    bot = Bot(app.test_client())
    bind_owner(bot, "r2", home)
    assert "照明" in bot.say(text_xml("r2", "楼道灯坏了，晚上看不见"))
    bot.say(text_xml("r2", "1"))
    bot.say(text_xml("r2", "好"))
    confirm = text_xml("r2", "1", msg_id=7)
    wish_commits.install(refuse=False)  # a COMMIT waits while held, then succeeds
    answers = {}
    with wish_commits.held() as committing:
        first = threading.Thread(target=lambda: answers.setdefault("first", bot.say(confirm)))
        first.start()
        assert wait_until(committing, 10)  # the turn began with Redis; it commits without
        proxy.cut()
    first.join(10)
    reference = db.session.scalars(select(Wish)).one().reference
    assert reference in answers["first"]
    assert bot.say(confirm) == answers["first"]
    assert db.session.scalar(select(func.count()).select_from(Wish)) == 1


@pytest.mark.slow  # waits out WeChat timeouts and retries
def test_a_slow_then_failing_wechat_delays_notices_but_loses_none(client, world, simulator):
    roll_with_owner(world.compound_a.id, ROWS)
    openids = bind_accounts(world.compound_a.id, 5, prefix="slow")
    staff = client.application.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    staff.post("/api/v1/admin/notices", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "停电", "body": "周六停电"})
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/message", "delay": 6, "times": 2}, timeout=5)
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/message", "errcode": -1, "times": 3},
                  timeout=5)
    from datetime import timedelta

    from core.models import utcnow
    from notices.sender import drain
    drain()
    for _ in range(6):  # the retries come due; deliver them as the scheduler would
        db.session.execute(Delivery.__table__.update().where(Delivery.state == "pending")
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        drain()
    rows = db.session.execute(select(Delivery.account_id, Delivery.state)).all()
    assert len(rows) == 5 and {state for _a, state in rows} == {"sent"}
    calls = requests.get(f"{simulator.url}/sim/calls", timeout=5).json()
    sent_to = [c["body"]["touser"] for c in calls if c["path"].startswith("/cgi-bin/message/") and c["errcode"] == 0]
    assert sorted(set(sent_to)) == sorted(openids)  # everyone got it
    assert len(sent_to) <= len(openids) + 2  # at most the timed-out sends were repeated


def test_a_turn_that_redis_left_midway_is_remembered_by_the_database(flaky_redis_app, monkeypatch):
    """Redis went away while a turn ran: its reply cannot be kept there, so the database keeps it with the
    turn's effects, and WeChat's retry (Redis still away) gets that reply instead of a second turn."""
    app, proxy = flaky_redis_app
    from bot import state
    real, turns = state.account_and_saved, []

    def cut_then_read(openid):
        turns.append(openid)
        proxy.cut()
        return real(openid)

    monkeypatch.setattr(state, "account_and_saved", cut_then_read)
    bot = Bot(app.test_client())
    message = text_xml("r2", "帮助", msg_id=4)
    first = bot.say(message)
    assert "提诉求" in first and bot.say(message) == first
    assert turns == ["r2"]
