"""With REDIS_URL set, nonces, message ids and the access token live in Redis, shared by every worker."""
import threading

import pytest

from core.wechat import RedisTokenStore, WeChat
from simulator.sender import text_xml
from tests.builders import Bot, wait_until
from tests.conftest import REDIS_URL, own_app
from tests.functional.test_bot_flows import bind_owner, home  # noqa: F401 - home: the fixture

@pytest.fixture
def redis_app(database_url, simulator, redis_client):
    with own_app(database_url, WECHAT_API_BASE=simulator.url, REDIS_URL=REDIS_URL) as app:
        yield app


def test_retries_are_answered_from_redis_with_the_same_reply(redis_app, redis_client):
    bot = Bot(redis_app.test_client())
    message = text_xml("rd1", "帮助", msg_id=5550001)
    replies = {bot.say(message) for _ in range(3)}
    assert len(replies) == 1
    assert redis_client.get("wechat:msg:msg:5550001") is not None


def test_a_replayed_nonce_is_refused_via_redis(redis_app):
    bot = Bot(redis_app.test_client())
    params, first = bot.post(text_xml("rd2", "帮助"), nonce="redisnonce1")
    assert first.status_code == 200
    _p, replay = bot.post(text_xml("rd2", "绑定"), nonce="redisnonce1", timestamp=params["timestamp"])
    assert replay.status_code == 403


def test_a_user_sending_too_fast_is_throttled_via_redis_and_retries_are_not_counted(redis_app, redis_client):
    redis_app.config["BOT_RATE"] = 2
    bot = Bot(redis_app.test_client())
    replies = [bot.say(text_xml("rd3", "帮助", msg_id=5560000 + i)) for i in range(3)]
    assert "提诉求" in replies[0] and "提诉求" in replies[1]
    assert replies[2] == "您发送消息太快了，请稍等一分钟再试。"
    assert bot.say(text_xml("rd3", "帮助", msg_id=5560000)) == replies[0]
    assert "提诉求" in bot.say(text_xml("rd4", "帮助", msg_id=5570000))  # other users are not affected
    # Counted where core.ratelimit.limit counts: one window key a minute, three new messages in all.
    assert sum(int(redis_client.get(key)) for key in redis_client.scan_iter("ratelimit:bot:rd3:*")) == 3


def test_two_workers_share_one_token(simulator, redis_client):
    from tests.conftest import Config
    config = Config(env={"GONGJIAN_ENV": "test"})
    workers = [WeChat(config.WECHAT_APPID, config.WECHAT_SECRET, simulator.url, RedisTokenStore(redis_client))
               for _ in range(2)]
    assert workers[0].token() == workers[1].token()
    assert simulator.state.token_fetches == 1


def _twin_while_first_runs(app, monkeypatch, message):
    """Post `message`, and WeChat's retry of it while the first is still handled; the retry's response
    and the first's, once the first's turn is let go."""
    from bot import state
    real, entered, go = state.account_and_saved, threading.Event(), threading.Event()

    def held(openid):
        entered.set()
        go.wait(10)
        return real(openid)

    monkeypatch.setattr(state, "account_and_saved", held)
    client = app.test_client()
    bot = Bot(client)
    params, body = bot.envelope.wrap(message)
    first = {}
    thread = threading.Thread(target=lambda: first.setdefault("response", client.post(
        "/wechat", query_string=params, data=body, content_type="text/xml")))
    thread.start()
    assert entered.wait(10)
    threading.Timer(0.3, go.set).start()  # the first's turn ends while the retry waits
    _params, retry = bot.post(message)
    thread.join(10)
    return bot.envelope.open_reply(params, retry.data), bot.envelope.open_reply(params, first["response"].data)


def test_a_retry_while_the_first_is_handled_gets_its_reply(redis_app, monkeypatch):
    """WeChat drops a request it waited five seconds for and sends it again: the first's passive reply goes
    nowhere, so the retry answers with it once the first's turn is done (not with 'success', a lost reply)."""
    retry, first = _twin_while_first_runs(redis_app, monkeypatch, text_xml("rd5", "帮助", msg_id=5580001))
    assert retry and "提诉求" in retry and retry == first


def test_a_retry_of_a_message_answered_later_adds_no_second_reply(redis_app, simulator, monkeypatch):
    """The first ran past its deadline: customer service sends its reply, and the waiting retry says nothing."""
    import requests as http
    redis_app.config["BOT_DEADLINE"] = 0.1
    retry, first = _twin_while_first_runs(redis_app, monkeypatch, text_xml("rd6", "帮助", msg_id=5580002))
    assert retry is None and first is None

    def sent():
        return http.get(f"{simulator.url}/sim/calls", params={"path": "/cgi-bin/message/custom/send"}, timeout=5).json()

    assert wait_until(sent, 10) and len(sent()) == 1


@pytest.mark.postgresql_only
def test_a_wish_whose_commit_failed_is_filed_when_wechat_sends_the_message_again(
        redis_app, home, wish_commits):  # noqa: F811
    """The turn's reply says the wish is filed, but its commit fails: WeChat is not answered, and its retry of
    the same message runs the turn again (the wish filed, its reference in the reply), not the reply of a turn
    that was never saved."""
    from sqlalchemy import func, select
    from core.extensions import db
    from wishes.models import Wish
    bot = Bot(redis_app.test_client())
    bind_owner(bot, "rd7", home)
    assert "照明" in bot.say(text_xml("rd7", "楼道灯坏了，晚上看不见"))
    bot.say(text_xml("rd7", "1"))
    bot.say(text_xml("rd7", "好"))
    confirm = text_xml("rd7", "1", msg_id=5590001)
    wish_commits.install()  # the database refuses the wish at COMMIT, as a deferred constraint does
    _params, failed = bot.post(confirm)
    assert failed.status_code == 500  # WeChat sends the message again
    assert db.session.scalar(select(func.count()).select_from(Wish)) == 0
    wish_commits.lift()
    done = bot.say(confirm)
    wish = db.session.scalars(select(Wish)).one()
    assert wish.reference in done


@pytest.mark.postgresql_only
def test_a_retry_while_the_first_commits_is_not_told_of_a_wish_that_fails_to_be_saved(
        redis_app, redis_client, home, wish_commits):  # noqa: F811
    """WeChat gives up on a turn whose commit is slow and sends the message again: the retry is not answered
    with the first's reply before that reply's turn is saved (here it never is); once the fault is gone, the
    next retry files the wish."""
    import threading
    from sqlalchemy import func, select
    from core.extensions import db
    from wishes.models import Wish
    redis_app.config["BOT_DEADLINE"] = 1
    bot = Bot(redis_app.test_client())
    bind_owner(bot, "rd8", home)
    assert "照明" in bot.say(text_xml("rd8", "楼道灯坏了，晚上看不见"))
    bot.say(text_xml("rd8", "1"))
    bot.say(text_xml("rd8", "好"))
    confirm = text_xml("rd8", "1", msg_id=5590002)
    wish_commits.install(errcode="P0001")  # refused, with an error of no particular class
    with wish_commits.held() as committing:
        first = threading.Thread(target=bot.post, args=(confirm,))
        first.start()
        assert wait_until(committing, 10)  # the first turn's reply is made; its COMMIT waits
        retry = bot.say(confirm)
    first.join(10)
    assert retry is None  # nothing said yet: the first's turn was not saved
    assert wait_until(lambda: redis_client.get("wechat:msg:msg:5590002") is None, 10)  # its failure forgotten
    assert db.session.scalar(select(func.count()).select_from(Wish)) == 0
    wish_commits.lift()
    done = bot.say(confirm)
    assert db.session.scalars(select(Wish)).one().reference in done


def test_deleting_my_data_drops_the_chats_replies_to_my_taps_from_redis(redis_app, redis_client, home):  # noqa: F811
    """A menu tap's reply kept for WeChat's retries lists the resident's wishes; its key names the sender, so the
    deletion finds it and drops it. A retry of the deletion's own confirmation still hears that it is done."""
    from sqlalchemy import select
    from core.extensions import db
    from simulator.sender import event_xml
    from wishes.models import Wish
    bot = Bot(redis_app.test_client())
    bind_owner(bot, "rd9", home)
    bot.say(text_xml("rd9", "楼道灯坏了，晚上看不见"))
    bot.say(text_xml("rd9", "1"))
    bot.say(text_xml("rd9", "好"))
    bot.say(text_xml("rd9", "1"))
    reference = db.session.scalars(select(Wish)).one().reference
    assert reference in bot.say(event_xml("rd9", "CLICK", "MY_WISHES"))
    bot.say(event_xml("rd10", "CLICK", "MY_WISHES"))  # another user's tap
    taps = list(redis_client.scan_iter("wechat:msg:evt:rd9:*"))  # the stairwell scan's and the menu tap's
    assert len(taps) == 2 and any(reference in redis_client.get(tap).decode() for tap in taps)
    others = list(redis_client.scan_iter("wechat:msg:evt:rd10:*"))

    bot.say(text_xml("rd9", "删除我的信息"))
    confirm = text_xml("rd9", "1", msg_id=5600001)
    done = bot.say(confirm)
    assert "已删除" in done

    assert list(redis_client.scan_iter("wechat:msg:evt:rd9:*")) == []
    assert others and list(redis_client.scan_iter("wechat:msg:evt:rd10:*")) == others  # the other user's stay
    assert bot.say(confirm) == done  # WeChat's retry, answered from Redis
