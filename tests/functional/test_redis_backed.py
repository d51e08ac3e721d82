"""With REDIS_URL set, nonces, message ids and the access token live in Redis, shared by every worker."""

import pytest

from core.wechat import RedisTokenStore, WeChat
from simulator.sender import text_xml
from tests.builders import Bot
from tests.conftest import REDIS_URL, own_app

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


def test_two_workers_share_one_token(simulator, redis_client):
    from tests.conftest import Config
    config = Config(env={"GONGJIAN_ENV": "test"})
    workers = [WeChat(config.WECHAT_APPID, config.WECHAT_SECRET, simulator.url, RedisTokenStore(redis_client))
               for _ in range(2)]
    assert workers[0].token() == workers[1].token()
    assert simulator.state.token_fetches == 1
