"""The official-account endpoint as WeChat talks to it: three modes, forgeries, replays, hostile XML."""
import threading
import time

import pytest
from wechatpy.crypto import WeChatCrypto

from simulator.sender import ACCOUNT, Envelope, event_xml, sign, text_xml
from tests.builders import Bot, wait_until

# The sample text message from WeChat's documentation.
SAMPLE = ("<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
          "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
          "<Content><![CDATA[help]]></Content><MsgId>1234567890123456</MsgId></xml>")


def test_handshake_echoes_only_a_correct_signature(client):
    token = client.application.config["WECHAT_TOKEN"]
    args = {"timestamp": "1409304348", "nonce": "xxxxxx", "echostr": "4ByGGj7sR7", "signature": sign(token, "1409304348", "xxxxxx")}
    assert client.get("/wechat", query_string=args).get_data(as_text=True) == "4ByGGj7sR7"
    args["signature"] = "0" * 40
    assert client.get("/wechat", query_string=args).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_the_published_sample_message_is_answered_in_every_mode(client, mode):
    reply = Bot(client, mode).say(SAMPLE)
    assert "提诉求" in reply  # the help text


def test_a_safe_mode_reply_is_an_encrypted_envelope(client):
    bot = Bot(client, "safe")
    params, response = bot.post(SAMPLE)
    body = response.get_data(as_text=True)
    assert "<Encrypt>" in body and "提诉求" not in body
    assert "提诉求" in bot.envelope.open_reply(params, response.data)


def test_a_forged_signature_is_refused(client):
    params, body = Bot(client).envelope.wrap(text_xml("o1", "帮助"))
    params["signature"] = sign("not-the-token", params["timestamp"], params["nonce"])
    assert client.post("/wechat", query_string=params, data=body).status_code == 403


def test_a_forged_msg_signature_is_refused(client):
    params, body = Bot(client, "safe").envelope.wrap(text_xml("o1", "帮助"))
    params["msg_signature"] = "0" * 40
    assert client.post("/wechat", query_string=params, data=body).status_code == 403


def test_a_message_encrypted_for_another_appid_is_refused(client):
    config = client.application.config
    other = Envelope(config["WECHAT_TOKEN"], "wx_another_app_0000", config["WECHAT_AES_KEY"])
    params, body = other.wrap(text_xml("o1", "帮助"))
    assert client.post("/wechat", query_string=params, data=body).status_code == 403


def test_a_stale_timestamp_is_refused(client):
    params, response = Bot(client).post(text_xml("o1", "帮助"), timestamp=int(time.time()) - 3600)
    assert response.status_code == 403


def test_a_replayed_nonce_with_another_body_is_refused(client):
    bot = Bot(client)
    params, first = bot.post(text_xml("o1", "帮助"), nonce="fixednonce")
    assert first.status_code == 200
    # In plaintext mode the signature does not cover the body: a replay with a new body must fail.
    _params, replay = bot.post(text_xml("o1", "绑定"), nonce="fixednonce", timestamp=params["timestamp"])
    assert replay.status_code == 403


@pytest.mark.parametrize("payload", [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml>&lol2;</xml>',
])
def test_entity_declarations_are_refused_fast(client, payload):
    token = client.application.config["WECHAT_TOKEN"]
    ts, nonce = str(int(time.time())), "n" + str(time.time_ns())
    params = {"timestamp": ts, "nonce": nonce, "signature": sign(token, ts, nonce)}
    started = time.perf_counter()
    response = client.post("/wechat", query_string=params, data=payload.encode())
    assert response.status_code == 400 and time.perf_counter() - started < 1


def test_an_oversized_body_is_refused(client):
    params, _ = Bot(client).envelope.wrap(text_xml("o1", "x"))
    response = client.post("/wechat", query_string=params, data=b"<xml>" + b"x" * 200_000 + b"</xml>")
    assert response.status_code == 413


@pytest.mark.parametrize("body", ["<xml><unclosed>", "not xml at all", "<xml><MsgType>text</MsgType></xml>"])
def test_malformed_xml_gets_success_not_an_error(client, body):
    token = client.application.config["WECHAT_TOKEN"]
    ts, nonce = str(int(time.time())), "m" + str(time.time_ns())
    params = {"timestamp": ts, "nonce": nonce, "signature": sign(token, ts, nonce)}
    response = client.post("/wechat", query_string=params, data=body.encode())
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"


@pytest.mark.parametrize("fields", ["<MsgType>text</MsgType><Content>帮助</Content><MsgId>abc</MsgId>",
                                    "<MsgType>event</MsgType><Event>subscribe</Event>"])
def test_a_signed_message_whose_numbers_are_not_numbers_gets_success_not_an_error(client, fields):
    """wechatpy reads MsgId and CreateTime as numbers: a body that says otherwise is no WeChat message (in
    plaintext mode the signature does not cover the body)."""
    xml = f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>o-nan</FromUserName><CreateTime>soon</CreateTime>{fields}</xml>"
    _params, response = Bot(client).post(xml)
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"


@pytest.mark.parametrize("same", [False, True], ids=["two-messages", "one-message-twice"])
def test_a_new_users_first_two_messages_at_once_are_both_handled(app, monkeypatch, same):
    """Two workers meet an openid never seen before at the same moment (a user's first messages arrive
    together): one creates the account, the other finds it, and neither message is dropped. The same
    message at both (WeChat's retry) is handled once, both answered with its reply."""
    from core import accounts
    from core.extensions import db
    from core.models import InboundMessage, WechatAccount
    from sqlalchemy import func, select
    real, met = accounts.account_for, threading.Barrier(2, timeout=10)

    def together(openid):
        met.wait()
        return real(openid)

    monkeypatch.setattr(accounts, "account_for", together)
    client = app.test_client()
    bot = Bot(client)
    sent = [bot.envelope.wrap(text_xml("first-seen", "帮助", msg_id=7310001 if same else None)) for _ in range(2)]
    replies = [None, None]

    def post(i):
        params, body = sent[i]
        response = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
        replies[i] = bot.envelope.open_reply(params, response.data)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert all(reply and "提诉求" in reply for reply in replies), replies
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == (1 if same else 2)
    assert db.session.scalar(select(func.count(WechatAccount.id)).where(WechatAccount.openid == "first-seen")) == 1


def test_an_unknown_message_type_gets_a_polite_reply(client):
    xml = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[o9]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[video]]></MsgType>"
           f"<MediaId><![CDATA[m]]></MediaId><MsgId>99887766</MsgId></xml>")
    assert "语音" in Bot(client).say(xml) or "voice" in Bot(client).say(xml).lower()


def test_the_same_event_twice_is_handled_once(client):
    bot = Bot(client)
    created = int(time.time())
    first = bot.say(event_xml("o5", "subscribe", "", created=created))
    second = bot.say(event_xml("o5", "subscribe", "", created=created))
    assert first == second


def test_wechatpy_crypto_is_what_the_endpoint_accepts(client):
    """Build the safe-mode envelope by hand with wechatpy, as WeChat's servers do."""
    config = client.application.config
    ts, nonce = str(int(time.time())), "hand" + str(time.time_ns())
    crypto = WeChatCrypto(config["WECHAT_TOKEN"], config["WECHAT_AES_KEY"], config["WECHAT_APPID"])
    sealed = crypto.encrypt_message(SAMPLE, nonce, ts)
    import xmltodict
    parts = xmltodict.parse(sealed)["xml"]
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{parts['Encrypt']}]]></Encrypt></xml>"
    params = {"timestamp": ts, "nonce": nonce, "signature": sign(config["WECHAT_TOKEN"], ts, nonce),
              "encrypt_type": "aes", "msg_signature": parts["MsgSignature"], "openid": "fromUser"}
    response = client.post("/wechat", query_string=params, data=body.encode())
    assert response.status_code == 200
    reply = xmltodict.parse(response.get_data(as_text=True))["xml"]
    plain = crypto.decrypt_message(response.get_data(as_text=True), reply["MsgSignature"], reply["TimeStamp"],
                                   reply["Nonce"])
    assert "提诉求" in plain


def test_a_turn_past_the_deadline_is_answered_later_by_customer_service(app, simulator):
    import requests as http
    app.config["BOT_DEADLINE"] = 0.000001  # every turn is "slow"
    bot = Bot(app.test_client())
    _params, response = bot.post(text_xml("late-1", "帮助"))
    assert response.get_data(as_text=True) == "success"

    def sent():
        return http.get(f"{simulator.url}/sim/calls", params={"path": "/cgi-bin/message/custom/send"}, timeout=5).json()

    assert wait_until(sent, 15)
    first = sent()[0]["body"]
    assert first["touser"] == "late-1" and "提诉求" in first["text"]["content"]
