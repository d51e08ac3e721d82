"""What reaches residents on WeChat, replayed as they met it: every message signed as WeChat sends it to
/wechat, every push read as the simulator received it."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import BindingRequest, Unit, utcnow
from notices.models import Delivery, Notice
from notices.sender import drain
from simulator.sender import event_xml, text_xml
from tests.builders import Bot, id_number, roll_with_owner, rooms_on_record, staff_api, wish_counts_hold
from wishes.models import Wish

ROWS = [["1", "2", "501", "85.6", "", "", "张三", id_number(1), "13812345678", "否", "是"],
        ["1", "2", "502", "70.2", "", "", "李四", id_number(2), "13900001111", "否", "是"],
        ["1", "2", "503", "70.2", "", "", "王五", id_number(3), "13900002222", "否", "是"]]
BEIJING_DEADLINE = re.compile(r"\d+月\d+日（周.）")


@pytest.fixture
def home(client, world):
    """A stairwell of three flats in 玉林小区 and a signed-in committee member."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, ROWS)
    staff, headers = staff_api(client)
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == "2"))
    rooms = rooms_on_record()
    return staff, headers, unit_id, rooms


class Resident:
    """One WeChat user typing to the official account."""

    def __init__(self, client, openid):
        self.bot, self.openid = Bot(client), openid

    def says(self, text):
        return self.bot.say(text_xml(self.openid, text))

    def scans(self, unit_id):
        return self.bot.say(event_xml(self.openid, "SCAN", f"unit:{unit_id}"))


def code_for(home, room, kind="owner"):
    staff, headers, _unit, rooms = home
    response = staff.post(f"/api/v1/admin/dwellings/{rooms[room]}/binding-codes", json={"kind": kind},
                          headers=headers)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["code"]


def bound(client, home, openid, room, kind="owner"):
    person = Resident(client, openid)
    assert "回复 1 同意" in person.says("绑定")  # the privacy notice comes first
    assert "绑定码" in person.says("1")
    assert room in person.says(code_for(home, room, kind))
    return person


def mini_program(client, simulator, openid):
    """The same person signed in to the mini-program (wx.login through the simulator)."""
    import requests
    code = requests.post(f"{simulator.url}/sim/login-code", json={"openid": openid}, timeout=5).json()["code"]
    response = client.post("/api/v1/auth/login", json={"code": code})
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def _calls(simulator, path):
    import requests
    return [c["body"] for c in requests.get(f"{simulator.url}/sim/calls",
                                            params={"path": f"/cgi-bin/message/{path}/send"}, timeout=5).json()]


# menus ------------------------------------------------------------------------------------------------
def test_the_menus_offer_votes_surveys_and_notices(client, home):
    person = Resident(client, "m1")
    for reply in (person.bot.say(event_xml("m1", "subscribe")), person.says("帮助")):
        assert "投票" in reply and "问卷" in reply and "通知" in reply
        assert len(reply.splitlines()) <= 6


# confusion never becomes a wish --------------------------------------------------------------------------
def test_zero_ok_and_stray_digits_are_never_filed(client, home):
    person = bound(client, home, "w1", "501")
    assert "1" in person.says("提诉求")
    assert "取消" in person.says("0")  # 0 at the class menu goes back
    person.says("提诉求")
    reply = person.says("好")
    assert "没看明白" in reply and "1" in reply  # said so, the question again
    assert db.session.scalar(select(Wish.id)) is None
    reply = person.says("楼道灯坏了")
    assert "照明" in reply
    reply = person.says("6")  # not one of the numbers offered
    assert "没看明白" in reply and "照明" in reply
    person.says("1")
    assert "已记下" in person.says("三楼和四楼都不亮")
    confirm = person.says("没有了")
    assert "没有了" not in confirm and "回复 1 提交" in confirm
    assert "W0" in person.says("好的")
    wish = db.session.scalar(select(Wish))
    assert wish.catalogue_code == "I03" and "没有了" not in wish.text and "三楼" in wish.text


def test_a_cancel_word_in_the_middle_of_a_wish_files_nothing(client, home):
    person = bound(client, home, "w2", "502")
    person.says("提诉求")
    person.says("1")
    assert "没看明白" in person.says("嗯嗯")
    person.says("算了")
    assert db.session.scalar(select(Wish.id)) is None


# binding ---------------------------------------------------------------------------------------------
def test_every_wrong_turn_in_binding_says_the_next_step(client, home):
    person = Resident(client, "b1")
    assert "回复 1 同意" in person.says("绑定")
    assert "二维码" in person.says("好的")
    reply = person.says("我住1栋1单元301")
    assert "二维码" in reply and "居委会" in reply and "不对" not in reply
    assert person.says("没有绑定码") == ("没有绑定码也可以：请扫描您家楼道里的二维码，或到社区居委会领取绑定码。"
                                      "回复 0 返回。")
    assert "先不绑定" in person.says("0")


def test_a_scan_names_the_compound_and_unit_and_a_spoken_room_number_is_understood(client, home):
    _staff, _headers, unit_id, _rooms = home
    person = Resident(client, "b2")
    assert "回复 1 同意" in person.scans(unit_id)
    reply = person.says("同意")
    assert "玉林小区 1栋2单元" in reply and "房号" in reply
    assert "后四位" in person.says("五零一")


def test_a_pending_request_is_withdrawn_when_the_person_binds_with_a_code(client, home):
    staff, headers, unit_id, _rooms = home
    person = Resident(client, "b3")
    person.scans(unit_id)
    person.says("1")
    person.says("503")
    person.says("0000")
    assert db.session.scalar(select(BindingRequest.state)) == "pending"
    person.says("绑定")
    assert "503" in person.says(code_for(home, "503", "tenant"))
    assert db.session.scalar(select(BindingRequest.state)) == "withdrawn"
    assert staff.get("/api/v1/admin/bindings").get_json() == []


# votes -------------------------------------------------------------------------------------------------
def open_vote(home, scope=None, title="2单元加装电梯"):
    staff, headers, unit_id, _rooms = home
    scope_kind, scope_id = scope or ("unit", unit_id)
    vote = staff.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": scope_kind, "scope_id": scope_id, "matter": "rebuild", "title": title,
        "text": "加装电梯方案见附件。"})
    assert vote.status_code == 201, vote.get_data(as_text=True)
    now = utcnow()
    opened = staff.post(f"/api/v1/admin/votes/{vote.get_json()['id']}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    return vote.get_json()["id"]


def test_opening_a_vote_tells_every_owner_with_the_deadline_and_not_the_tenant(client, home, simulator):
    bound(client, home, "v1", "501")
    bound(client, home, "v2", "502")
    bound(client, home, "t1", "503", kind="tenant")
    open_vote(home)
    told = db.session.scalars(select(Notice.scope_id).where(Notice.kind == "vote_open")).all()
    assert len(told) == 2
    drain()
    messages = _calls(simulator, "custom")  # they chatted just now: the whole text in the window
    assert sorted(m["touser"] for m in messages) == ["v1", "v2"]
    text = messages[0]["text"]["content"]
    assert "2单元加装电梯" in text and "投票" in text and BEIJING_DEADLINE.search(text)
    assert "/public/n/" in text


def test_votes_by_chat_understand_natural_answers_and_show_the_current_choice(client, home):
    person = bound(client, home, "v3", "501")
    vote_id = open_vote(home)
    reply = person.says("投票")
    assert "2单元加装电梯" in reply and "截止" in reply and "回复 1 同意" in reply
    confirm = person.says("同意吧")
    assert "同意" in confirm and "回复 1 确认" in confirm
    assert "没看明白" in person.says("2")  # 2 never means cancel
    assert "已记录" in person.says("好的")
    again = person.says("投票")
    assert "您家已投「同意」" in again
    person.says("不同意")
    assert "仍是「同意」" in person.says("0")
    from votes.models import Ballot
    assert db.session.scalar(select(Ballot.choice).where(Ballot.vote_id == vote_id)) == "agree"


# notices -------------------------------------------------------------------------------------------------
def water_cut(home, client):
    staff, headers, unit_id, _rooms = home
    response = staff.post("/api/v1/admin/notices", headers=headers, json={
        "scope_kind": "unit", "scope_id": unit_id, "title": "停水通知",
        "body": "因楼道改造施工，12月2日（周三）9:00-12:00停水，涉及1栋2单元，请提前储水。"})
    assert response.status_code in (200, 201), response.get_data(as_text=True)


def test_a_notice_arrives_whole_in_the_window_and_can_be_read_again_in_chat(client, home, simulator):
    person = bound(client, home, "n1", "501")
    water_cut(home, client)
    drain()
    (message,) = _calls(simulator, "custom")
    text = message["text"]["content"]
    assert "9:00-12:00停水" in text and "请提前储水" in text and "玉林小区 1栋2单元" in text
    link = re.search(r'href="([^"]+)"', text).group(1)
    page = client.get(link.replace("http://127.0.0.1:5000", ""))
    assert page.status_code == 200 and "请提前储水" in page.get_data(as_text=True)
    assert client.get(link.replace("http://127.0.0.1:5000", "")[:-3] + "xyz").status_code == 404
    for word in ("通知", "消息"):
        listing = person.says(word)
        assert "停水通知" in listing and "回复序号" in listing
    assert "请提前储水" in person.says("1")
    person.says("0")
    shown = person.says("停水")
    assert "请提前储水" in shown
    assert db.session.scalar(select(Wish.id)) is None  # 停水 asked about the notice: no wish
    delivery_id = db.session.scalar(select(Delivery.id))  # the notice page of the mini-program reads it
    page = client.get(f"/api/v1/inbox/{delivery_id}", headers=mini_program(client, simulator, "n1")).get_json()
    assert page["title"] == "停水通知" and "请提前储水" in page["body"] and page["where"] == "玉林小区 1栋2单元"


def test_outside_the_window_the_template_message_picks_the_facts_and_links_the_page(client, home, simulator):
    from core.models import WechatAccount
    bound(client, home, "n2", "502")
    account = db.session.scalar(select(WechatAccount).where(WechatAccount.openid == "n2"))
    account.last_inbound_at, account.follows = utcnow() - timedelta(days=3), True
    db.session.commit()
    water_cut(home, client)
    drain()
    (message,) = _calls(simulator, "template")
    fields = {k: v["value"] for k, v in message["data"].items()}
    assert fields["thing1"] == "停水通知：玉林小区 1栋2单元"
    assert fields["thing2"] == "12月2日9:00-12:00停水"
    assert all(len(v) <= 20 for k, v in fields.items() if k.startswith("thing"))
    assert "/public/n/" in message["url"]
    assert db.session.scalar(select(Delivery.channel)) == "template"


# a wish's story --------------------------------------------------------------------------------------------
def test_a_wish_learns_its_fate_and_its_author_is_told(client, home, world, simulator):
    from projects import services as projects
    from stories.services import tell_authors
    staff, headers, _unit, _rooms = home
    first = bound(client, home, "s1", "501")
    second = bound(client, home, "s2", "502")
    for person in (first, second):
        person.says("楼道灯坏了")
        person.says("1")
        person.says("好")
        person.says("1")
    kept, merged = db.session.scalars(select(Wish).order_by(Wish.id)).all()
    assert wish_counts_hold() == {(world.compound_a.id, "I03"): 2}
    assert staff.post(f"/api/v1/admin/wishes/{merged.id}/merge", headers=headers,
                      json={"into": kept.id}).status_code == 200
    assert wish_counts_hold() == {(world.compound_a.id, "I03"): 1}
    project = projects.create_project(world.committee_a, "玉林小区改造", [world.compound_a.id])
    projects.add_item(world.committee_a, project.id, "I03", budget=100000)
    db.session.commit()
    assert tell_authors() == 2
    db.session.commit()
    story = second.says("我的诉求")
    assert kept.reference in story and "玉林小区改造" in story and "照明" in story
    detail = staff.get(f"/api/v1/admin/wishes/{merged.id}").get_json()
    assert [step["kind"] for step in detail["story"]] == ["merged", "item"]
    assert tell_authors() == 0  # each step told once
    assert len(db.session.scalars(select(Notice).where(Notice.kind == "wish_step")).all()) == 2
    open_vote(home, ("compound", world.compound_a.id), "玉林小区改造方案表决")
    assert tell_authors() == 2
    db.session.commit()
    assert "正在投票决定：「玉林小区改造方案表决」" in first.says("我的诉求")
    mine = client.get(f"/api/v1/wishes/{merged.id}", headers=mini_program(client, simulator, "s2")).get_json()
    assert [step["kind"] for step in mine["story"]] == ["merged", "vote", "item"]
    assert "玉林小区改造" in mine["story"][-1]["text"]



def test_a_residents_list_of_wishes_reads_every_story_at_once(client, home, world, simulator):
    """Each wish in the mini-program's list carries the story its own page gives, and the list costs the same
    few statements for one wish as for four, in the mini-program and in chat (a resident on vote night opening
    their wishes is not a query per wish)."""
    from sqlalchemy import event
    from projects import services as projects
    staff, headers, _unit, _rooms = home
    person = bound(client, home, "w1", "501")
    me = mini_program(client, simulator, "w1")
    project = projects.create_project(world.committee_a, "玉林小区改造", [world.compound_a.id])
    for code in ("I03", "I01", "I02"):
        projects.add_item(world.committee_a, project.id, code, budget=100000)
    db.session.commit()
    open_vote(home, ("compound", world.compound_a.id), "玉林小区改造方案表决")
    statements = []
    record = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731

    def listed():
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            mine, said = client.get("/api/v1/wishes", headers=me), len(statements)
            statements.clear()
            chat = person.says("我的诉求")
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert mine.status_code == 200
        return mine.get_json(), said, len(statements), chat

    def filed(code):
        response = client.post("/api/v1/wishes", headers=me, data={"text": "楼道灯坏了", "catalogue_code": code})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["id"]

    filed("I03")
    one, one_api, one_chat, _said = listed()
    assert [step["kind"] for step in one[0]["story"]] == ["vote", "item"]
    for code in ("I01", "I02", "I03"):
        filed(code)
    four, four_api, four_chat, said = listed()
    assert len(four) == 4 and four_api == one_api and four_chat == one_chat
    for wish in four:
        alone = client.get(f"/api/v1/wishes/{wish['id']}", headers=me).get_json()
        assert wish["story"] == alone["story"] and [step["kind"] for step in wish["story"]] == ["vote", "item"]
    assert said.count("玉林小区改造方案表决") == 4

# privacy, owners, deletion ---------------------------------------------------------------------------------
def test_nothing_is_bound_or_filed_before_the_privacy_notice_is_agreed(client, home):
    from core.models import WechatAccount
    person = Resident(client, "p1")
    notice = person.says("提诉求")
    assert "回复 1 同意" in notice and "/public/privacy" in notice and len(notice.splitlines()) <= 4
    assert "不能绑定" in person.says("0")
    account = db.session.scalar(select(WechatAccount).where(WechatAccount.openid == "p1"))
    assert account.privacy_consented_at is None
    page = client.get("/public/privacy")
    assert page.status_code == 200 and "个人信息" in page.get_data(as_text=True)
    person.says("提诉求")
    assert "绑定" in person.says("同意")  # agreed: the wish flow goes on, and asks for the home first
    db.session.refresh(account)
    assert account.privacy_consented_at is not None


def test_room_and_phone_digits_bind_a_household_member_who_is_told_how_owners_verify(client, home):
    _staff, _headers, unit_id, _rooms = home
    person = Resident(client, "h1")
    person.scans(unit_id)
    person.says("1")
    person.says("501")
    reply = person.says("5678")
    assert "501" in reply and "业主认证" in reply and "身份证号" in reply


def test_a_resident_may_have_their_information_deleted_in_chat(client, home):
    from core.models import WechatAccount
    person = bound(client, home, "d1", "502")
    person.says("楼道灯坏了")
    person.says("1")
    person.says("好")
    person.says("1")
    question = person.says("删除我的信息")
    assert "回复 1 删除" in question and "依法照常计数" in question
    assert "没看明白" in person.says("什么意思")
    assert "删除" in person.says("好的")
    assert db.session.scalar(select(WechatAccount).where(WechatAccount.openid == "d1")) is None
    assert db.session.scalar(select(Wish.text)) == ""


def files_a_wish(person):
    person.says("楼道灯坏了")
    person.says("1")
    person.says("好")
    person.says("1")


def link_in(message):
    return re.search(r'href="([^"]+)"', message["text"]["content"]).group(1).replace("http://127.0.0.1:5000", "")


def test_deleting_my_information_takes_the_messages_addressed_to_me_with_it(client, home, simulator):
    import json

    from core.models import WechatAccount
    from notices.models import SubscriptionCredit, SubscriptionEvent
    staff, headers, _unit, _rooms = home
    person, neighbour = bound(client, home, "m1", "501"), bound(client, home, "m2", "502")
    files_a_wish(person)
    answer = "张三阿姨您好：您家门口的楼道灯已列入本次改造。"
    wish_id = db.session.scalar(select(Wish.id))
    assert staff.post(f"/api/v1/admin/wishes/{wish_id}/answer", headers=headers,
                      json={"text": answer}).status_code == 200
    water_cut(home, client)
    drain()
    links = {}
    for message in _calls(simulator, "custom"):
        kind = "answer" if answer in message["text"]["content"] else "water"
        links[(message["touser"], kind)] = link_in(message)
    assert set(links) == {("m1", "answer"), ("m1", "water"), ("m2", "water")}
    assert answer in client.get(links[("m1", "answer")]).get_data(as_text=True)
    mini = mini_program(client, simulator, "m1")
    assert client.post("/api/v1/subscriptions", headers=mini,
                       json={"results": {"gongjian-notice-subscribe": "accept"}}).status_code == 204
    account_id = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "m1"))

    person.says("删除我的信息")
    assert "删除" in person.says("1")

    # the links sent to them open nothing; their neighbour's notice is theirs as before
    assert client.get(links[("m1", "answer")]).status_code == 404
    assert client.get(links[("m1", "water")]).status_code == 404
    assert "请提前储水" in client.get(links[("m2", "water")]).get_data(as_text=True)
    assert db.session.scalar(select(Delivery.id).where(Delivery.account_id == account_id)) is None
    # what was written to them alone keeps no words in the outbox; their answers to WeChat's requests go
    written = json.dumps([n.params for n in Notice.query.filter_by(scope_kind="account", scope_id=account_id)],
                         ensure_ascii=False)
    assert answer not in written and "张三" not in written
    assert db.session.scalar(select(SubscriptionEvent.id).where(SubscriptionEvent.openid == "m1")) is None
    assert db.session.scalar(select(SubscriptionCredit.id).where(SubscriptionCredit.account_id == account_id)) is None
    assert "停水通知" in neighbour.says("通知")


def deletes_while_a_batch_is_out(monkeypatch, person):
    """The resident deletes their information in the chat while the outbox's next batch is out (planned, not yet
    sent)."""
    from notices import sender
    planned = sender.plan_batch

    def plan_then_delete(ids, now=None):
        batch = planned(ids, now)
        person.says("删除我的信息")
        person.says("1")
        return batch
    monkeypatch.setattr(sender, "plan_batch", plan_then_delete)


def test_a_message_out_for_sending_when_its_resident_deletes_their_information_is_let_go(
        client, home, simulator, monkeypatch):
    import requests

    from notices import sender
    person, neighbour = bound(client, home, "r1", "501"), bound(client, home, "r2", "502")
    water_cut(home, client)
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/message/custom/send", "errcode": -1,
                                                        "times": 2}, timeout=5)  # WeChat busy: both to retry
    deletes_while_a_batch_is_out(monkeypatch, person)
    assert sender.run_once() == 2
    ((state, attempts),) = db.session.execute(select(Delivery.state, Delivery.attempts)).all()
    assert (state, attempts) == ("pending", 1)  # the neighbour's, to be tried again; the other one is gone
    monkeypatch.undo()
    db.session.execute(Delivery.__table__.update().values(next_attempt_at=None))
    db.session.commit()
    drain()
    sent = requests.get(f"{simulator.url}/sim/calls", params={"path": "/cgi-bin/message/custom/send"}, timeout=5)
    assert [c["body"]["touser"] for c in sent.json() if c["errcode"] == 0] == ["r2"]
    assert "停水通知" in neighbour.says("通知")


def test_a_refusal_met_by_a_message_out_when_its_resident_deletes_their_information_is_not_kept_against_them(
        client, home, simulator, monkeypatch):
    """WeChat refuses the customer-service channel for both residents (they turned messages off) while one of
    them deletes their information: the neighbour's channel is dropped as always; nothing is kept of the other."""
    import requests

    from core.models import WechatAccount
    from notices import sender
    from notices.models import ChannelBlock
    person = bound(client, home, "b1", "501")
    bound(client, home, "b2", "502")
    gone, staying = (db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == o)) for o in ("b1", "b2"))
    water_cut(home, client)
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/message/custom/send", "errcode": 43101,
                                                        "times": 2}, timeout=5)
    deletes_while_a_batch_is_out(monkeypatch, person)
    assert sender.run_once() == 2
    monkeypatch.undo()
    assert db.session.get(WechatAccount, gone).deleted_at is not None
    blocks = db.session.execute(select(ChannelBlock.account_id, ChannelBlock.channel)).all()
    assert [tuple(b) for b in blocks] == [(staying, "customer_service")]


def test_nothing_written_to_a_resident_after_they_deleted_their_information_is_kept_or_sent(
        client, home, world, simulator):
    """Their wish stays (without their words), and the committee may still answer it, or a new step of its
    story may come: nobody is left to tell. Nothing goes out to WeChat under the account's made-up openid, and
    the committee's answer (which names them) is not kept in the outbox."""
    import json

    from core.models import WechatAccount
    from stories.services import tell_authors
    staff, headers, _unit, _rooms = home
    person = bound(client, home, "gone1", "501")
    files_a_wish(person)
    wish_id = db.session.scalar(select(Wish.id))
    account_id = db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == "gone1"))
    person.says("删除我的信息")
    assert "删除" in person.says("1")
    drain()
    before = len(_calls(simulator, "custom")) + len(_calls(simulator, "template"))

    answer = "张三阿姨您好：您家501门口的楼道灯已列入本次改造。"
    assert staff.post(f"/api/v1/admin/wishes/{wish_id}/answer", headers=headers,
                      json={"text": answer}).status_code == 200
    open_vote(home, ("compound", world.compound_a.id), "玉林小区改造方案表决")  # a new step in the wish's story
    tell_authors()
    db.session.commit()
    drain()

    sent = _calls(simulator, "custom") + _calls(simulator, "template")
    assert [m["touser"] for m in sent[before:] if m["touser"].startswith("deleted-")] == []
    assert db.session.scalar(select(Delivery.id).where(Delivery.account_id == account_id)) is None
    written = json.dumps([n.params for n in Notice.query.filter_by(scope_kind="account", scope_id=account_id)],
                         ensure_ascii=False)
    assert answer not in written and "张三" not in written


def test_an_answer_to_a_wish_arrives_whole_while_she_is_chatting(client, home, simulator):
    staff, headers, _unit, _rooms = home
    person = bound(client, home, "a1", "501")
    person.says("楼道灯坏了")
    person.says("1")
    person.says("好")
    person.says("1")
    answer = "王阿姨您好：楼道灯已列入本次改造，12月中旬施工，施工前会在楼道张贴通知。"
    wish_id = db.session.scalar(select(Wish.id))
    assert staff.post(f"/api/v1/admin/wishes/{wish_id}/answer", headers=headers,
                      json={"text": answer}).status_code == 200
    drain()
    (message,) = _calls(simulator, "custom")
    assert answer in message["text"]["content"]


def test_staff_see_what_came_of_a_wish_in_the_inbox(client, home, world):
    from projects import services as projects
    from tests.builders import page_sign_in
    person = bound(client, home, "i1", "501")
    person.says("楼道灯坏了")
    person.says("1")
    person.says("好")
    person.says("1")
    project = projects.create_project(world.committee_a, "玉林小区改造", [world.compound_a.id])
    projects.add_item(world.committee_a, project.id, "I03", budget=100000)
    db.session.commit()
    panel = page_sign_in(client.application.test_client(), "committee_a")
    inbox = panel.get("/admin/wishes").get_data(as_text=True)
    assert "办理结果" in inbox and "玉林小区改造" in inbox
