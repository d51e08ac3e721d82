"""A resident deletes their data through the mini-program: what they objected to during a publicity period, their
view at acceptance, the defect they reported in the warranty, their wishes and on-site reports keep their place
in the public record, without their words or photos, and the photo files leave the disk; what a committee
member then reads on the staff API and the panel no longer shows them. A resident supervisor's inspections, a
pledge and an election ballot stay on the works, in the totals and in the count, without naming them."""
import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Dwelling, InboundMessage, WechatAccount, utcnow
from core.uploads import stored_path
from notices.models import Delivery, Notice
from projects.models import AcceptanceView
from simulator.sender import event_xml
from tests.builders import (CSRF, PNG, Bot, override_gate, page_sign_in, race_at_a_gate, sign_in,
                            simulator_calls, wish_counts_hold)
from wishes.models import Wish
from tests.builders import bound_resident as resident

MINE = {kind: PNG + f"a photo for the {kind}".encode() for kind in ("objection", "view", "defect", "wish", "report")}
SHARED = PNG + b"the stairwell, as everyone photographs it"


def name_of(data):
    return hashlib.sha256(data).hexdigest() + ".png"


def photos(*bodies):
    return [(io.BytesIO(body), f"{n}.png") for n, body in enumerate(bodies)]


def served(http, name, **kwargs):
    response = http.get(f"/api/v1/files/{name}", **kwargs)
    response.close()
    return response.status_code


def test_deleting_my_data_takes_my_words_and_photos_from_objections_defects_and_the_disk(
        client, world, project, simulator):
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "leaving-201")
    neighbour = resident(client, simulator, http, headers, rooms["202"], "staying-202")
    multipart = {"content_type": "multipart/form-data"}

    # an objection, with photos, while the plan is published; the committee answers it
    starts = utcnow() - timedelta(minutes=1)
    assert http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "summary": "楼道改造，预算1万元"}).status_code == 201
    period_id = client.get("/api/v1/publicity", headers=me).get_json()[0]["id"]
    objection = client.post(f"/api/v1/publicity/{period_id}/objections", headers=me, **multipart,
                            data={"text": "楼道灯装在了我家门口，晚上太亮", "photos": photos(MINE["objection"], SHARED)})
    assert objection.status_code == 201, objection.get_data(as_text=True)
    objection_id = objection.get_json()["id"]
    assert http.post(f"/api/v1/admin/publicity/{period_id}/objections/{objection_id}/answer", headers=headers,
                     json={"answer": "灯位已调整到楼梯转角。"}).status_code == 200
    # the neighbour's wish holds the same photo (files are stored by content): it must stay theirs
    assert client.post("/api/v1/wishes", headers=neighbour, **multipart,
                       data={"text": "楼道需要照明", "photos": photos(SHARED)}).status_code == 201
    assert client.post("/api/v1/wishes", headers=me, **multipart,
                       data={"text": "我家门口的墙渗水", "photos": photos(MINE["wish"])}).status_code == 201
    assert client.post("/api/v1/reports", headers=me, **multipart,
                       data={"text": "工地晚上十点还在施工", "photos": photos(MINE["report"])}).status_code == 201

    # at acceptance, problems with a photo; then a defect in the warranty, with a photo
    override_gate(client, pid)
    assert http.post(f"/api/v1/admin/projects/{pid}/stages", headers=headers,
                     json={"stage": "acceptance", "reason": "示范项目，按计划推进"}).status_code == 200
    assert client.put("/api/v1/project/acceptance", headers=me, **multipart, data={
        "verdict": "problems", "text": "二楼楼道灯不亮", "photos": photos(MINE["view"])}).status_code == 200
    assert http.post(f"/api/v1/admin/projects/{pid}/acceptance", headers=headers, json={
        "note": "联合验收合格", "participants": [{"name": "王大爷", "role": "resident_rep"}]}).status_code == 200
    defect = client.post("/api/v1/project/defects", headers=me, **multipart,
                         data={"text": "雨后二单元门口积水", "photos": photos(MINE["defect"])})
    assert defect.status_code == 201, defect.get_data(as_text=True)
    defect_id = defect.get_json()["id"]

    # what the resident may read and take away holds each of them, before
    mine = client.get("/api/v1/me/data", headers=me).get_json()
    assert [o["text"] for o in mine["objections"]] == ["楼道灯装在了我家门口，晚上太亮"]
    assert [(v["verdict"], v["text"], v["photos"]) for v in mine["acceptance_views"]] == [
        ("problems", "二楼楼道灯不亮", [name_of(MINE["view"])])]
    assert [(d["text"], d["photos"]) for d in mine["defects"]] == [("雨后二单元门口积水", [name_of(MINE["defect"])])]

    panel = page_sign_in(client.application.test_client(), "committee_a")
    assert "雨后二单元门口积水" in panel.get("/admin/inbox").get_data(as_text=True)
    for body in (*MINE.values(), SHARED):
        assert served(http, name_of(body)) == 200  # the committee saw each before

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    # the objection still stands with its answer; the resident's words and photos are gone
    period = http.get(f"/api/v1/admin/publicity/{period_id}").get_json()
    (kept,) = period["objections"]
    assert kept["id"] == objection_id and kept["answer"] == "灯位已调整到楼梯转角。"
    assert kept["text"] == "" and kept["photos"] == [] and kept["chat_photos"] == []
    words = ("楼道灯装在了我家门口", "我家门口的墙渗水", "工地晚上十点还在施工", "二楼楼道灯不亮", "雨后二单元门口积水")
    pages = [panel.get(path).get_data(as_text=True) for path in (
        f"/admin/publicity/{period_id}", f"/public/publicity/{period_id}", f"/admin/projects/{pid}",
        f"/admin/projects/{pid}/works", "/admin/wishes", "/admin/inbox")]
    pages += [http.get(path).get_data(as_text=True) for path in (
        "/api/v1/admin/wishes", "/api/v1/admin/reports", f"/api/v1/admin/projects/{pid}/works")]
    for page in pages:
        assert not [w for w in words if w in page]
        assert not [kind for kind, body in MINE.items() if name_of(body) in page]
    assert "灯位已调整到楼梯转角。" in pages[0]
    # the defect stays on the works, to be repaired; the contractor's page no longer shows the resident's photo
    (warranty,) = [d for d in http.get(f"/api/v1/admin/projects/{pid}/works").get_json()["defects"]
                   if d["id"] == defect_id]
    assert warranty["status"] == "open" and warranty["text"] == ""
    link = re.search(r"(/public/defects/[\w.-]+)", panel.get("/admin/inbox").get_data(as_text=True)).group(1)
    contractor = client.application.test_client()
    shown = contractor.get(link)
    assert shown.status_code == 200 and "<img" not in shown.get_data(as_text=True)
    # the view at acceptance still counts, without its words
    assert db.session.scalars(select(AcceptanceView.verdict)).all() == ["problems"]

    # the files: gone from the disk and from every door; the neighbour's copy of the shared photo stays
    for kind, body in MINE.items():
        assert stored_path(name_of(body)) is None, kind
        assert served(http, name_of(body)) == 404, kind
    folder = Path(client.application.config["UPLOAD_FOLDER"])
    assert not [p for p in folder.iterdir() if p.read_bytes() in MINE.values()]
    assert stored_path(name_of(SHARED)).read_bytes() == SHARED
    assert served(http, name_of(SHARED)) == 200
    assert served(client, name_of(SHARED), headers=neighbour) == 200


def test_a_resident_supervisors_inspections_stay_on_the_works_without_their_name_words_or_photos(
        client, world, project, simulator):
    from projects.works import push_to_staff
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "supervisor-201")
    photo = PNG + b"the scaffolding, from the supervisor's window"
    volunteer = client.post("/api/v1/project/supervisors", headers=me, json={"name": "张阿姨"})
    assert volunteer.status_code == 201, volunteer.get_data(as_text=True)
    assert http.post(f"/api/v1/admin/projects/{pid}/supervisors/{volunteer.get_json()['id']}", headers=headers,
                     json={"approve": True}).status_code == 200
    filed = client.post("/api/v1/project/inspections", headers=me, content_type="multipart/form-data", data={
        "note": "3栋外墙施工巡查，张阿姨", "findings": "脚手架未挂安全网", "photos": photos(photo)})
    assert filed.status_code == 201, filed.get_data(as_text=True)
    finding_id = filed.get_json()["findings"][0]["id"]
    push_to_staff()  # the daily alert quotes the open finding
    panel = page_sign_in(client.application.test_client(), "committee_a")
    county = page_sign_in(client.application.test_client(), "county_a")
    pages = {"works": f"/admin/projects/{pid}/works", "inbox": "/admin/inbox"}
    before = {name: panel.get(path).get_data(as_text=True) for name, path in pages.items()}
    assert "张阿姨" in before["works"] and "3栋外墙施工巡查" in before["works"]
    assert "脚手架未挂安全网" in before["inbox"] and "脚手架未挂安全网" in county.get("/admin/works").get_data(as_text=True)
    assert served(http, name_of(photo)) == 200

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    # the inspection stays a resident supervisor's, its finding open to be closed; who they were and what they
    # wrote and photographed go: from the committee's pages, the alerts, the officials' overview and the disk
    works = http.get(f"/api/v1/admin/projects/{pid}/works").get_json()
    assert works["supervisors"] == []
    (inspection,) = works["inspections"]
    assert (inspection["by_kind"], inspection["inspector"], inspection["note"], inspection["photos"]) == (
        "supervisor", "", "", [])
    assert [(f["id"], f["status"], f["text"]) for f in inspection["findings"]] == [(finding_id, "open", "")]
    after = [panel.get(path).get_data(as_text=True) for path in pages.values()]
    after += [county.get("/admin/works").get_data(as_text=True), http.get(f"/api/v1/admin/projects/{pid}/works")
              .get_data(as_text=True)]
    for page in after:
        assert not [w for w in ("张阿姨", "3栋外墙施工巡查", "脚手架未挂安全网", name_of(photo)) if w in page]
    assert stored_path(name_of(photo)) is None and served(http, name_of(photo)) == 404
    # the committee still closes the finding with its own evidence
    closed = http.post(f"/api/v1/admin/findings/{finding_id}/close", headers=headers,
                       content_type="multipart/form-data", data={"evidence": "已挂设密目安全网"})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


def test_a_pledge_stays_in_the_homes_ledger_and_the_totals_without_the_residents_words(
        client, world, project, simulator):
    from contributions.models import Contribution
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "pledger-201")
    neighbour = resident(client, simulator, http, headers, rooms["202"], "neighbour-202")
    for body in ({"kind": "money", "amount": 20_000, "description": "张三认捐，电话13912345678"},
                 {"kind": "goods", "description": "张三家的两袋水泥"}):
        assert client.post("/api/v1/project/pledges", headers=me, json=body).status_code == 201
    totals = client.get("/api/v1/project/contributions", headers=neighbour).get_json()["totals"]
    ledger = f"/api/v1/admin/projects/{pid}/contributions"
    assert "13912345678" in http.get(ledger).get_data(as_text=True)

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    # the home's entries stay, as pledged, and so do the totals everyone reads; the words and the pledger go
    (row,) = http.get(ledger).get_json()["rows"]
    assert row["room"] == "201" and row["pledged"] == 20_000
    assert [(e["kind"], e["amount"], e["state"], e["description"]) for e in row["entries"]] == [
        ("money", 20_000, "pledged", ""), ("goods", None, "pledged", "")]
    assert client.get("/api/v1/project/contributions", headers=neighbour).get_json()["totals"] == totals
    assert client.get("/api/v1/project", headers=neighbour).get_json()["contributions"] == {
        "pledged": 20_000, "received": 0}
    export = http.get(f"/api/v1/admin/projects/{pid}/contributions.xlsx").data
    from openpyxl import load_workbook
    cells = [c for r in load_workbook(io.BytesIO(export)).active.iter_rows(values_only=True) for c in r if c]
    assert not [c for c in cells if "张三" in str(c) or "13912345678" in str(c)]
    assert db.session.scalars(select(Contribution.account_id)).all() == [None, None]


def test_an_election_ballot_stays_counted_without_the_account_that_cast_it(client, world, simulator, election):
    from projects.models import ElectionBallot
    staff, headers, eid, candidates, dwellings = election
    me = resident(client, simulator, staff, headers, dwellings[0], "voter-1")
    closes = utcnow() + timedelta(days=7)
    assert staff.post(f"/api/v1/admin/elections/{eid}/open", headers=headers,
                      json={"closes_at": closes.isoformat()}).status_code == 200
    assert client.post(f"/api/v1/elections/{eid}/ballot", headers=me,
                       json={"candidate_ids": candidates[:2]}).status_code == 200

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    ((dwelling_id, chosen, account_id),) = db.session.execute(
        select(ElectionBallot.dwelling_id, ElectionBallot.candidate_ids, ElectionBallot.account_id)).all()
    assert (dwelling_id, chosen, account_id) == (dwellings[0], candidates[:2], None)
    result = staff.post(f"/api/v1/admin/elections/{eid}/close", headers=headers).get_json()["result"]
    counted = {c["id"]: (c["agree_heads"], c["participating_heads"]) for c in result["candidates"]}
    assert counted == {candidates[0]: (1, 1), candidates[1]: (1, 1), candidates[2]: (0, 1)}


# nothing reaches a deleted account ----------------------------------------------------------------------------
PUSHES = ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/send")


def pushed(simulator):
    """Who the service pushed a message to on WeChat, and the words of each, in order."""
    return [(call["body"]["touser"], str(call["body"])) for path in PUSHES for call in simulator_calls(simulator, path)]


def follows(client, openid):
    """The resident follows the official account (and so has just written to it): pushes can reach them."""
    Bot(client).say(event_xml(openid, "subscribe"))


def account_of(openid):
    return db.session.scalar(select(WechatAccount.id).where(WechatAccount.openid == openid))


def addressed_to(account_id):
    """What the outbox holds for one account: its deliveries, and the notices written to it alone."""
    deliveries = db.session.scalars(select(Delivery.id).where(Delivery.account_id == account_id)).all()
    notices = db.session.scalars(select(Notice.id).where(Notice.scope_kind == "account",
                                                         Notice.scope_id == account_id)).all()
    return deliveries, notices


def water_cut(http, headers, compound_id):
    composed = http.post("/api/v1/admin/notices", headers=headers, json={
        "scope_kind": "compound", "scope_id": compound_id, "title": "停水通知",
        "body": "因管网改造，12月2日（周三）9:00-12:00停水，请提前储水。"})
    assert composed.status_code in (200, 201), composed.get_data(as_text=True)


def test_after_deleting_my_data_the_committees_answers_my_wishs_story_and_the_compounds_news_reach_only_others(
        client, world, project, simulator):
    from notices.sender import drain
    from stories.services import tell_authors
    from tests.builders import open_lift_vote
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "leaving-201")
    neighbour = resident(client, simulator, http, headers, rooms["202"], "staying-202")
    for openid in ("leaving-201", "staying-202"):
        follows(client, openid)
    starts = utcnow() - timedelta(minutes=1)
    assert http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "summary": "楼道改造，预算1万元"}).status_code == 201
    period_id = client.get("/api/v1/publicity", headers=me).get_json()[0]["id"]
    form = {"content_type": "multipart/form-data"}
    objection = client.post(f"/api/v1/publicity/{period_id}/objections", headers=me, **form,
                            data={"text": "楼道灯装在了我家门口，晚上太亮"})
    assert objection.status_code == 201, objection.get_data(as_text=True)
    for headers_of, text in ((me, "我家门口的墙渗水"), (neighbour, "楼道墙面渗水发霉")):
        assert client.post("/api/v1/wishes", headers=headers_of, **form, data={"text": text}).status_code == 201
    report = client.post("/api/v1/reports", headers=me, **form, data={"text": "工地晚上十点还在施工"})
    assert report.status_code == 201, report.get_data(as_text=True)
    account_id = account_of("leaving-201")
    mine, theirs = (db.session.scalar(select(Wish.id).where(Wish.account_id == account)) for account in (
        account_id, account_of("staying-202")))
    drain()
    simulator.state.reset()  # what was pushed before the deletion is not the question here
    _deliveries, told_before = addressed_to(account_id)  # the report's receipt

    counted = wish_counts_hold()
    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204
    assert wish_counts_hold() == counted  # the resident's wish keeps its place among the compound's wishes
    made_up = db.session.scalar(select(WechatAccount.openid).where(WechatAccount.id == account_id))

    # the committee answers what the resident left on record, merges their wish into the neighbour's (a step
    # of its story), the daily job tells authors of new steps; a vote opens and a notice goes to the compound
    for wish_id, answer in ((mine, "已列入本次改造。"), (theirs, "楼道墙面防水已列入本次改造。")):
        assert http.post(f"/api/v1/admin/wishes/{wish_id}/answer", headers=headers,
                         json={"text": answer}).status_code == 200
    assert http.post(f"/api/v1/admin/publicity/{period_id}/objections/{objection.get_json()['id']}/answer",
                     headers=headers, json={"answer": "灯位已调整到楼梯转角。"}).status_code == 200
    assert http.post(f"/api/v1/admin/reports/{report.get_json()['id']}", headers=headers, json={
        "status": "resolved", "answer": "已要求施工方晚上八点后停工"}).status_code == 200
    assert http.post(f"/api/v1/admin/wishes/{mine}/merge", headers=headers, json={"into": theirs}).status_code == 200
    assert sum(wish_counts_hold().values()) == sum(counted.values()) - 1
    tell_authors()
    db.session.commit()
    open_lift_vote(http, headers, None, scope_kind="compound", scope_id=world.compound_a.id,
                   title="玉林小区改造方案表决")
    water_cut(http, headers, world.compound_a.id)
    drain()

    assert addressed_to(account_id) == ([], told_before)
    assert [db.session.get(Notice, n).params for n in told_before] == [{}]
    reached = pushed(simulator)
    assert {openid for openid, _words in reached} == {"staying-202"}, reached
    assert not [openid for openid, _words in reached if openid in ("leaving-201", made_up)]
    words = " ".join(w for _openid, w in reached)
    assert "楼道墙面防水已列入本次改造。" in words and "停水通知" in words and "玉林小区改造方案表决" in words
    assert "停水通知" in [entry["title"] for entry in client.get("/api/v1/inbox", headers=neighbour).get_json()]


def test_a_request_to_bind_left_waiting_by_a_deletion_is_withdrawn_and_binds_nobody_to_the_home(
        client, world, project, simulator):
    from notices.sender import drain
    http, headers, pid, rooms = project
    me = sign_in(client, simulator, "asking-201")
    resident(client, simulator, http, headers, rooms["202"], "staying-202")
    for openid in ("asking-201", "staying-202"):
        follows(client, openid)
    unit_id = db.session.get(Dwelling, rooms["201"]).unit_id
    asked = client.post("/api/v1/me/binding/room", headers=me, json={
        "unit_id": unit_id, "room": "201", "phone_last4": "1234", "name": "王小明"})
    assert asked.get_json() == {"outcome": "pending"}
    (waiting,) = http.get("/api/v1/admin/bindings", headers=headers).get_json()
    account_id = account_of("asking-201")

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    # the committee's queue no longer holds it, and approving it from an older page binds nobody
    assert http.get("/api/v1/admin/bindings", headers=headers).get_json() == []
    decided = http.post(f"/api/v1/admin/bindings/{waiting['id']}", headers=headers,
                        json={"approve": True, "kind": "tenant"})
    assert decided.status_code == 409, decided.get_json()
    assert db.session.get(WechatAccount, account_id).dwelling_id is None
    # so the news of the compound does not reach the account
    water_cut(http, headers, world.compound_a.id)
    drain()
    assert addressed_to(account_id) == ([], [])
    assert [openid for openid, _words in pushed(simulator)] == ["staying-202"]


def test_a_message_an_earlier_release_queued_to_a_deleted_account_is_let_go_by_the_outbox_not_tried(
        client, world, project, simulator):
    """Before deletions stopped new messages, committees' answers were still queued to deleted accounts; the
    outbox lets go of such a delivery (and the words written to the account alone) instead of pushing it to the
    made-up openid, or failing it and trying again."""
    from notices.sender import drain
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "gone-201")
    follows(client, "gone-201")
    account_id = account_of("gone-201")
    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204
    notice = Notice(kind="wish_answer", params={"reference": "W000001", "answer": "王小明您好：已列入本次改造。"},
                    scope_kind="account", scope_id=account_id, fanned_out_at=utcnow())
    db.session.add(notice)
    db.session.flush()
    db.session.add(Delivery(notice_id=notice.id, account_id=account_id))
    db.session.commit()

    assert drain() == 1
    assert pushed(simulator) == []
    assert db.session.scalars(select(Delivery.id)).all() == []
    assert db.session.get(Notice, notice.id).params == {}


def test_a_binding_request_still_waiting_leaves_the_committees_queue_with_the_residents_data(
        client, world, project, simulator):
    """Asked to be linked to a flat by its room and phone digits; then deleted their data before the committee
    decided. The request leaves the queue: approving it would link an account nobody holds any more, and tell
    the flat's owners that someone just linked to their home."""
    from core.models import Dwelling, WechatAccount
    from tests.builders import sign_in
    http, headers, _pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["201"], "owner-201")
    me = sign_in(client, simulator, "asking-201")
    unit = db.session.scalar(select(Dwelling.unit_id).where(Dwelling.id == rooms["201"]))
    asked = client.post("/api/v1/me/binding/room", headers=me,
                        json={"unit_id": unit, "room": "201", "phone_last4": "0000", "name": "张三"})
    assert asked.get_json() == {"outcome": "pending"}, asked.get_data(as_text=True)
    (request,) = http.get("/api/v1/admin/bindings").get_json()

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    assert http.get("/api/v1/admin/bindings").get_json() == []
    decided = http.post(f"/api/v1/admin/bindings/{request['id']}", headers=headers,
                        json={"approve": True, "kind": "tenant"})
    assert decided.status_code == 409, decided.get_data(as_text=True)
    gone = db.session.scalar(select(WechatAccount).where(WechatAccount.deleted_at.is_not(None)))
    assert (gone.dwelling_id, gone.person_id, gone.kind) == (None, None, None)
    told = [n for n in client.get("/api/v1/inbox", headers=owner).get_json() if n["kind"] == "binding_notice"]
    assert told == []


# what the chat kept of them --------------------------------------------------------------------------------
def test_deleting_my_data_in_chat_takes_the_chats_record_of_my_messages_and_a_retry_still_hears_it_is_done(
        client, world, project, simulator):
    """The chat keeps each message a day with its reply, under the sender's openid, for WeChat's retries; a
    reply may list the resident's wishes in their words."""
    from simulator.sender import text_xml
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "leaving-201")
    resident(client, simulator, http, headers, rooms["202"], "staying-202")
    for openid, text in (("leaving-201", "我家门口的墙渗水"), ("staying-202", "楼道墙面渗水发霉")):
        assert client.post("/api/v1/wishes", headers=me if openid == "leaving-201" else sign_in(
            client, simulator, openid), content_type="multipart/form-data", data={"text": text}).status_code == 201
    bot = Bot(client)
    assert "我家门口的墙渗水" in bot.say(text_xml("leaving-201", "我的诉求"))
    assert "我家门口的墙渗水" in bot.say(event_xml("leaving-201", "CLICK", "MY_WISHES"))
    assert "楼道墙面渗水发霉" in bot.say(text_xml("staying-202", "我的诉求"))
    kept = [reply for reply, in db.session.execute(select(InboundMessage.reply)
                                                   .where(InboundMessage.openid == "leaving-201"))]
    assert sum("我家门口的墙渗水" in (reply or "") for reply in kept) == 2  # what is at stake
    account_id = account_of("leaving-201")

    assert "回复 1 删除" in bot.say(text_xml("leaving-201", "删除我的信息"))
    confirm = text_xml("leaving-201", "1", msg_id=7770001)
    done = bot.say(confirm)
    assert "已删除" in done

    remembered = db.session.execute(select(InboundMessage.openid, InboundMessage.reply)).all()
    assert not [row for row in remembered if row.openid == "leaving-201" or "我家门口" in (row.reply or "")]
    assert any("楼道墙面渗水发霉" in (row.reply or "") for row in remembered)  # the neighbour's stay
    # WeChat's retry of the confirmation, after the deletion committed: the same answer, nobody signed up again
    assert bot.say(confirm) == done
    assert account_of("leaving-201") is None
    assert db.session.get(WechatAccount, account_id).deleted_at is not None


def test_the_chat_asks_before_deleting_saying_that_a_proxy_i_stand_as_ends_and_ballots_stay_counted(client, world):
    """Briefly, for elderly readers: three short lines and the next step; in English for those who chose it."""
    from simulator.sender import text_xml
    bot = Bot(client)
    asked = bot.say(text_xml("zh-1", "删除我的信息"))
    assert "不能恢复" in asked and "您代人投票的委托也会失效" in asked and "已投的票（含代投的）依法照常计数" in asked
    assert asked.endswith("回复 1 删除，回复 0 保留。") and asked.count("\n") == 3
    bot.say(text_xml("en-1", "English"))
    asked = bot.say(text_xml("en-1", "delete my data"))
    assert "It cannot be undone." in asked and "your authorisation to vote for another home ends" in asked
    assert "also as a proxy, stay counted without your name" in asked and "回复" not in asked


def test_deleting_my_data_in_the_mini_program_takes_the_chats_record_of_my_messages_too(
        client, world, project, simulator):
    from simulator.sender import text_xml
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "leaving-201")
    assert client.post("/api/v1/wishes", headers=me, content_type="multipart/form-data",
                       data={"text": "我家门口的墙渗水"}).status_code == 201
    assert "我家门口的墙渗水" in Bot(client).say(text_xml("leaving-201", "我的诉求"))

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    assert db.session.execute(select(InboundMessage.openid, InboundMessage.reply)).all() == []


# Where the test holds whichever goes first: the deletion as it writes the account deleted (what it withdraws
# written, the account held), the approval as it writes its audit entry (the account bound, and held).
BINDING_GATES = {"deleting": "BEFORE UPDATE ON wechat_accounts FOR EACH ROW "
                             "WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)",
                 "approving": "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'binding.approve')"}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("first", ["deleting", "approving"])
def test_an_approval_racing_the_residents_deletion_never_leaves_the_deleted_account_bound(
        client, world, project, simulator, database_url, first):
    """The committee approves a request to link to 201 just as its resident deletes their data, the approval
    having read the request while it was still waiting. Whichever holds the account first finishes first and the
    other waits for it: deleting first, the approval is refused (the account is gone) and 201's owner is not told
    that someone linked to their home; approving first, the deletion then unlinks what was approved."""


    http, headers, _pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["201"], "owner-201")
    me = sign_in(client, simulator, "asking-201")
    unit_id = db.session.get(Dwelling, rooms["201"]).unit_id
    asked = client.post("/api/v1/me/binding/room", headers=me, json={
        "unit_id": unit_id, "room": "201", "phone_last4": "1234", "name": "王小明"})
    assert asked.get_json() == {"outcome": "pending"}
    (waiting,) = http.get("/api/v1/admin/bindings", headers=headers).get_json()
    account_id = account_of("asking-201")
    answers = {}

    def delete():
        answers["delete"] = client.application.test_client().post("/api/v1/me/deletion", headers=me)

    def approve():
        answers["approve"] = http.post(f"/api/v1/admin/bindings/{waiting['id']}", headers=headers,
                                       json={"approve": True, "kind": "tenant"})

    waited = race_at_a_gate(database_url, BINDING_GATES[first], {"deleting": delete, "approving": approve}, first,
                            "the account's row")
    assert answers["delete"].status_code == 204, answers["delete"].get_data(as_text=True)
    gone = db.session.get(WechatAccount, account_id)
    assert gone.deleted_at is not None and (gone.dwelling_id, gone.person_id, gone.kind) == (None, None, None)
    told = [n for n in client.get("/api/v1/inbox", headers=owner).get_json() if n["kind"] == "binding_notice"]
    if first == "deleting":
        refused = answers["approve"]
        assert refused.status_code == 409, refused.get_data(as_text=True)
        assert refused.get_json()["error"]["message"] == "该申请已经处理过。", refused.get_json()
        assert told == []
        assert http.get("/api/v1/admin/bindings", headers=headers).get_json() == []
    else:
        assert answers["approve"].status_code == 200, answers["approve"].get_data(as_text=True)
    assert waited, f"{'the approval' if first == 'deleting' else 'the deletion'} did not wait for the account"


def volunteered(client, http, headers, pid, me):
    """The resident offers to supervise the works; the offer as the committee's works page lists it."""
    offered = client.post("/api/v1/project/supervisors", headers=me, json={"name": "张阿姨"})
    assert offered.status_code == 201, offered.get_data(as_text=True)
    (waiting,) = http.get(f"/api/v1/admin/projects/{pid}/works", headers=headers).get_json()["supervisors"]
    assert (waiting["id"], waiting["status"]) == (offered.get_json()["id"], "pending")
    return waiting


def supervision_decisions():
    """What the audit log says the committee decided about resident supervisors: (offer, status) in order."""
    from core.models import AuditLog
    return [(entry["supervisor"], entry["status"]) for entry in db.session.scalars(
        select(AuditLog.after).where(AuditLog.action == "project.supervisor").order_by(AuditLog.id))]


# Where the test holds whichever goes first: the deletion as it writes the account deleted (the offer deleted, the
# account held), the committee's decision as it writes its audit entry (the offer decided, the account held).
SUPERVISOR_GATES = {"deleting": "BEFORE UPDATE ON wechat_accounts FOR EACH ROW "
                                "WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)",
                    "deciding": "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'project.supervisor')"}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("approve", [True, False], ids=["approving", "turning_down"])
@pytest.mark.parametrize("first", ["deleting", "deciding"])
def test_a_decision_on_an_offer_to_supervise_racing_the_residents_deletion_leaves_no_supervisor_behind(
        client, world, project, simulator, database_url, first, approve):
    """The committee approves (or turns down) a resident's offer to supervise the works just as the resident
    deletes their data, the decision having read the offer while it was still waiting. Whichever holds the
    account first finishes first and the other waits for it: deleting first, the decision finds the offer gone
    (404, nothing audited, nobody told); deciding first, the deletion then takes the decided offer and the message
    about it. Either way no supervisor of the deleted account is left, and nothing answers 500."""


    from projects.models import ResidentSupervisor
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "supervisor-201")
    offer = volunteered(client, http, headers, pid, me)
    account_id = account_of("supervisor-201")
    answers = {}

    def delete():
        answers["delete"] = client.application.test_client().post("/api/v1/me/deletion", headers=me)

    def decide():
        answers["decide"] = http.post(f"/api/v1/admin/projects/{pid}/supervisors/{offer['id']}", headers=headers,
                                      json={"approve": approve})

    waited = race_at_a_gate(database_url, SUPERVISOR_GATES[first], {"deleting": delete, "deciding": decide}, first,
                            "the account's row")
    assert answers["delete"].status_code == 204, answers["delete"].get_data(as_text=True)
    assert db.session.get(WechatAccount, account_id).deleted_at is not None
    assert db.session.scalars(select(ResidentSupervisor.id).where(ResidentSupervisor.account_id == account_id)
                              ).all() == []
    assert http.get(f"/api/v1/admin/projects/{pid}/works", headers=headers).get_json()["supervisors"] == []
    # the message telling them they supervise, if it was written, went with their data (its words and delivery)
    deliveries, notices = addressed_to(account_id)
    told = [{}] if first == "deciding" and approve else []
    assert (deliveries, [db.session.get(Notice, n).params for n in notices]) == ([], told)
    decided = answers["decide"]
    if first == "deleting":
        assert decided.status_code == 404, decided.get_data(as_text=True)
        assert decided.get_json()["error"]["message"] == "未找到。", decided.get_json()
        assert supervision_decisions() == []
    else:
        assert decided.status_code == 200, decided.get_data(as_text=True)
        status = "approved" if approve else "rejected"
        assert decided.get_json()["status"] == status
        assert supervision_decisions() == [(offer["id"], status)]
    assert waited, f"{'the decision' if first == 'deleting' else 'the deletion'} did not wait for the account"


@pytest.mark.parametrize("door", ["api", "panel"])
@pytest.mark.parametrize("approve", [True, False], ids=["approving", "turning_down"])
def test_deciding_on_an_offer_to_supervise_after_its_resident_deleted_their_data_finds_it_gone(
        client, world, project, simulator, door, approve):
    """The committee's page still shows the offer when the resident deletes their data: deciding on it then
    finds nothing (404), audits nothing and makes nobody a supervisor."""
    from projects.models import ResidentSupervisor
    from tests.builders import Panel
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "supervisor-201")
    offer = volunteered(client, http, headers, pid, me)
    account_id = account_of("supervisor-201")
    page = f"/admin/projects/{pid}/works"
    panel = Panel(client.application.test_client(), "committee_a") if door == "panel" else None
    shown = panel.get(page) if panel else None

    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204

    if panel:
        assert "张阿姨" in shown and "张阿姨" not in panel.get(page)
        decided = panel.client.post(f"{page}?action=supervisor", data={
            "csrf_token": CSRF.search(shown).group(1), "supervisor_id": str(offer["id"]),
            "decision": "approve" if approve else "reject"})
    else:
        decided = http.post(f"/api/v1/admin/projects/{pid}/supervisors/{offer['id']}", headers=headers,
                            json={"approve": approve})
        assert decided.get_json()["error"]["message"] == "未找到。", decided.get_json()
    assert decided.status_code == 404, decided.get_data(as_text=True)[:400]
    assert supervision_decisions() == []
    assert db.session.scalars(select(ResidentSupervisor.id).where(ResidentSupervisor.account_id == account_id)
                              ).all() == []
    assert addressed_to(account_id) == ([], [])
