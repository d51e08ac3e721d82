"""Hostile input at the official-account endpoint: a seeded fuzz of malformed, oversized, entity-laden and
wrongly signed bodies (never a 500, never a change), the per-user rate limit, and secrets kept out of logs."""
import io
import json
import logging
import random
import time

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.logs import JsonFormatter
from core.models import InboundMessage, WechatAccount
from simulator.sender import sign, text_xml
from tests.builders import Bot, PASSWORD, id_number, login, roll_with_owner
from wishes.models import Wish

ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><ToUserName>t</ToUserName><FromUserName>o1</FromUserName>'
          '<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><FromUserName>o1'
            '</FromUserName><MsgType>text</MsgType><Content>&e;</Content><MsgId>2</MsgId></xml>')


def mutations(rng, envelope):
    """Bodies and query strings an attacker or a broken proxy might send, with a fresh valid one to mutate."""
    xml = text_xml("fuzz-user", "提诉求 楼道灯")
    params, body = envelope.wrap(xml)
    yield "valid-but-truncated", params, body[: rng.randrange(1, len(body))]
    yield "entity-expansion", params, ENTITY.encode()
    yield "external-entity", params, EXTERNAL.encode()
    yield "oversized", params, b"<xml>" + b"A" * (70 * 1024) + b"</xml>"
    yield "empty", params, b""
    yield "binary", params, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600)))
    yield "no-signature", {k: v for k, v in params.items() if k != "signature"}, body
    yield "wrong-signature", dict(params, signature=sign("wrong", params["timestamp"], params["nonce"])), body
    yield "stale", dict(params, timestamp=str(int(time.time()) - 86400),
                        signature=sign(envelope.token, str(int(time.time()) - 86400), params["nonce"])), body
    yield "future", dict(params, timestamp=str(int(time.time()) + 86400)), body
    yield "not-a-number", dict(params, timestamp="abc"), body
    # Flipped within what the signature covers: the encrypted message (a plain-mode body is not signed in
    # WeChat's protocol, and an envelope's other elements are not read, so a flip there leaves a valid message).
    start = body.find(b"<Encrypt><![CDATA[")
    if start >= 0:
        start += len(b"<Encrypt><![CDATA[")
        end = body.index(b"]]>", start)
        flipped = bytearray(body)
        for _ in range(rng.randrange(1, 8)):
            at = rng.randrange(start, end)
            flipped[at] = (flipped[at] + rng.randrange(1, 256)) % 256  # always a different byte
        yield "bit-flips", params, bytes(flipped)
    yield "deep-nesting", params, b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>"
    yield "huge-attribute", params, b'<xml a="' + b"x" * 60000 + b'"/>'
    yield "wrong-root", params, b"<html><body>hi</body></html>"
    yield "utf16", params, xml.encode("utf-16")


@pytest.mark.slow  # a fuzz run: load on the bot endpoint
def test_a_seeded_fuzz_of_the_bot_endpoint_finds_no_500_and_changes_nothing(client):
    envelopes = [Bot(client, mode).envelope for mode in ("plain", "safe", "compatible")]
    rng = random.Random(20261126)
    seen = {}
    for _round in range(12):
        for envelope in envelopes:
            for name, params, body in mutations(rng, envelope):
                response = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
                assert response.status_code in (200, 400, 403, 411, 413), (name, response.status_code)
                if response.status_code == 200:
                    assert response.get_data(as_text=True) in ("success", ""), name
                seen.setdefault(name, set()).add(response.status_code)
    assert db.session.scalar(select(func.count(InboundMessage.dedupe_key))) == 0
    assert db.session.scalar(select(func.count(Wish.id))) == 0
    assert seen["oversized"] == {413} and seen["wrong-signature"] == {403} and 500 not in set().union(*seen.values())


def test_the_bot_answers_a_user_sending_too_fast_without_handling_the_messages(client):
    client.application.config["BOT_RATE"] = 5
    bot = Bot(client)
    replies = [bot.say(text_xml("hasty", "帮助", msg_id=1000 + i)) for i in range(7)]
    assert all("提诉求" in r for r in replies[:5])
    assert replies[5] == replies[6] == "您发送消息太快了，请稍等一分钟再试。"
    assert bot.say(text_xml("hasty", "帮助", msg_id=1000)) == replies[0]  # a WeChat retry is not a new message
    assert "提诉求" in bot.say(text_xml("calm", "帮助", msg_id=2000))  # other users are not affected
    assert db.session.scalar(select(func.count(WechatAccount.id)).where(WechatAccount.openid == "hasty")) == 1


def test_secrets_and_personal_numbers_never_reach_the_logs(client, world, simulator, caplog):
    """A full run through sign-in, roll import, the bot in safe mode, the mini-program and WeChat errors;
    every log line, formatted as production writes them, is searched for what must not be there."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        phone, id_no = "13912345678", id_number(77)
        roll_with_owner(world.compound_a.id, [["1", "1", "101", "80", "", "", "张三", id_no, phone, "否", "是"]])
        staff = client.application.test_client()
        headers = {"X-CSRFToken": login(staff, "committee_a")}
        staff.post("/api/v1/admin/session", json={"username": "committee_a", "password": "wrong " + PASSWORD},
                   headers=headers)
        bot = Bot(client, "safe")
        bot.say(text_xml("secret-user", "帮助"))
        import requests
        code = requests.post(f"{simulator.url}/sim/login-code", json={"openid": "mini-x"}, timeout=5).json()["code"]
        token = client.post("/api/v1/auth/login", json={"code": code}).get_json()["token"]
        client.get("/api/v1/me", headers={"Authorization": "Bearer " + token})
        requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/message", "errcode": 45009, "times": 3},
                      timeout=5)
        from notices.sender import drain
        from notices.services import queue_direct_message
        account = db.session.scalar(select(WechatAccount).where(WechatAccount.openid == "secret-user"))
        queue_direct_message(account.id, "wish_answer", {"reference": "W000001", "answer": "好的"})
        db.session.commit()
        drain()
        tokens = list(simulator.state.tokens)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    logged = stream.getvalue() + "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    config = client.application.config
    secrets = {"SECRET_KEY": config["SECRET_KEY"], "PII_KEY": config["PII_KEY"],
               "VOTE_CHAIN_KEY": config["VOTE_CHAIN_KEY"],
               "WECHAT_SECRET": config["WECHAT_SECRET"], "WECHAT_AES_KEY": config["WECHAT_AES_KEY"],
               "WECHAT_TOKEN": config["WECHAT_TOKEN"], "password": PASSWORD, "phone": phone, "id": id_no,
               "session token": token}
    assert tokens
    secrets.update({f"access token {i}": t for i, t in enumerate(tokens)})
    assert len(logged) > 1000  # the run did log
    for name, value in secrets.items():
        assert value and value not in logged, f"{name} was logged"


@pytest.mark.parametrize("bad", ["99999999999999999999", "2147483648", "0", "-1", "1e3", "abc"])
def test_ids_no_row_can_have_are_not_found_in_the_panels_forms(client, project, bad):
    from tests.builders import Panel
    http, headers, project_id, rooms = project
    panel = Panel(client.application.test_client(), "committee_a")
    page = f"/admin/projects/{project_id}"
    report = panel.post(f"{page}?action=report", page, report_id=bad, status="resolved")
    ledger = f"/admin/projects/{project_id}/contributions"
    receive = panel.post(f"{ledger}?action=receive", ledger, contribution_id=bad, receipt_no="R1")
    notice = panel.post("/admin/notices", "/admin/notices", scope=f"compound:{bad}", title="停水", body="明天停水")
    assert report.status_code == 404 and receive.status_code == 404, (report.status_code, receive.status_code)
    assert notice.status_code in (404, 422), notice.status_code  # never a 500
