"""Publicity through the real doors: a vote result's publicity, extended by the committee or by the scheduled
check, moves the end residents see, and the vote is archived only once its publicity ended with every objection
answered; photos sent with an objection in chat are fetched from WeChat and kept with the objection."""
from datetime import datetime, timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import AuditLog, aware
from publicity import services as publicity_jobs
from votes import services as vote_jobs
from votes.models import Vote
from tests.builders import bound_resident as resident
from tests.builders import fund_vote


def _when(text):
    return aware(datetime.fromisoformat(text))


def test_extending_a_results_publicity_moves_what_residents_see_and_holds_the_archive(
        client, world, project, simulator):
    http, headers, _pid, rooms = project
    owners = {room: resident(client, simulator, http, headers, rooms[room], f"ext-{room}")
              for room in ("101", "201", "202")}
    vote_id = fund_vote(client, world, http, headers, owners, {"101": "agree", "201": "agree", "202": "agree"})

    def seen_end():
        body = client.get(f"/api/v1/votes/{vote_id}/result", headers=owners["201"]).get_json()
        return _when(body["vote"]["publicity_ends_at"])

    period = next(p for p in client.get("/api/v1/publicity", headers=owners["201"]).get_json()
                  if p["subject_kind"] == "vote_result" and p["subject_id"] == vote_id)
    first_end = seen_end()
    assert abs(first_end - _when(period["ends_at"])) < timedelta(seconds=1)
    objection = client.post(f"/api/v1/publicity/{period['id']}/objections", headers=owners["202"],
                            data={"text": "表决前没有公布维修资金的使用明细"}).get_json()

    # the committee gives three more days, with a reason: residents see the new end
    extended_to = first_end + timedelta(days=3)
    extended = http.post(f"/api/v1/admin/publicity/{period['id']}/extend", headers=headers,
                         json={"ends_at": extended_to.isoformat(), "reason": "补充公布使用明细"})
    assert extended.status_code == 200, extended.get_data(as_text=True)
    assert abs(seen_end() - extended_to) < timedelta(seconds=1)

    # the first end passes: nothing is archived, the period is still taking objections
    for job in (publicity_jobs.run_due, vote_jobs.run_due):
        job(now=first_end + timedelta(hours=1))
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "published"

    # the extended end passes with the objection unanswered: the check extends again, residents see it, no archive
    later = extended_to + timedelta(minutes=1)
    for job in (publicity_jobs.run_due, vote_jobs.run_due):
        job(now=later)
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "published"
    assert abs(seen_end() - (later + publicity_jobs.EXTEND_BY)) < timedelta(seconds=1)
    listed = http.get(f"/api/v1/admin/publicity/{period['id']}").get_json()
    assert listed["extensions"] == 2 and listed["state"] == "open"

    # answered, and the time is up: the period ends, then the vote is archived
    answered = http.post(f"/api/v1/admin/publicity/{period['id']}/objections/{objection['id']}/answer",
                         headers=headers, json={"answer": "使用明细已张贴在公告栏，并在小程序中公布。"})
    assert answered.status_code == 200
    final = later + publicity_jobs.EXTEND_BY + timedelta(minutes=1)
    vote_jobs.run_due(now=final)  # the period has not been ended yet: the vote waits for it
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "published"
    for job in (publicity_jobs.run_due, vote_jobs.run_due):
        job(now=final)
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "archived"
    assert http.get(f"/api/v1/admin/publicity/{period['id']}").get_json()["state"] == "ended"
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "vote.archive",
                                                       AuditLog.target_id == str(vote_id))) is not None
    assert client.get(f"/api/v1/votes/{vote_id}/result", headers=owners["201"]).get_json()["vote"]["state"] == \
        "archived"


def test_photos_sent_with_an_objection_in_chat_are_kept_with_it_and_shown_only_to_those_who_may_see_it(
        client, world, project, simulator):
    from core.uploads import MAX_PHOTO_BYTES, stored_path
    from notices.jobs import fetch_chat_photos
    from notices.sender import drain
    from simulator.sender import image_xml, text_xml
    from tests.builders import Bot, login
    from tests.builders import PNG
    http, headers, pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["201"], "photo-201")
    neighbour = resident(client, simulator, http, headers, rooms["202"], "photo-202")
    starts = utcnow_minus_a_minute()
    assert http.post(f"/api/v1/admin/projects/{pid}/plan-publicity", headers=headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "summary": "楼道改造，预算1万元"}).status_code == 201
    bot = Bot(client)
    assert "截止" in bot.say(text_xml("photo-201", "公示"))
    assert "异议" in bot.say(text_xml("photo-201", "1"))
    bot.say(text_xml("photo-201", "楼道灯装在了我家门口，晚上太亮"))
    photo = PNG + b"photo-of-the-lamp"
    big = simulator.state.add_media(PNG + b"\0" * MAX_PHOTO_BYTES, "image/png")
    gif = simulator.state.add_media(b"GIF89a...", "image/gif")
    sent = [simulator.state.add_media(photo, "image/png"), "img-expired", big, gif]
    # each photo is only noted in the chat turn: the reply does not wait for WeChat
    for count, media_id in enumerate(sent, start=1):
        assert f"已收到照片（{count} 张）" in bot.say(image_xml("photo-201", media_id=media_id))
    assert "O0" in bot.say(text_xml("photo-201", "好"))
    assert not [c for c in simulator.state.calls if c["path"] == "/cgi-bin/media/get"]

    period_id = client.get("/api/v1/publicity", headers=me).get_json()[0]["id"]
    objection = http.get(f"/api/v1/admin/publicity/{period_id}").get_json()["objections"][0]
    assert objection["photos"] == [] and [n["state"] for n in objection["chat_photos"]] == ["fetching"] * 4
    assert "正在取回" in http.get(f"/admin/publicity/{period_id}").get_data(as_text=True)

    assert fetch_chat_photos() == 4
    objection = http.get(f"/api/v1/admin/publicity/{period_id}").get_json()["objections"][0]
    assert len(objection["photos"]) == 1
    name = objection["photos"][0]
    assert stored_path(name).read_bytes() == photo
    assert [(n["state"], n["reason"]) for n in objection["chat_photos"]] == [
        ("gone", "gone"), ("refused", "too_large"), ("refused", "not_a_photo")]
    # the objector and the committee see it; a neighbour, another county's staff and strangers do not
    mine = client.get(f"/api/v1/files/{name}", headers=me)
    assert mine.status_code == 200 and mine.data == photo and mine.mimetype == "image/png"
    mine.close()
    theirs = http.get(f"/api/v1/files/{name}")
    assert theirs.status_code == 200
    theirs.close()
    assert client.get(f"/api/v1/files/{name}", headers=neighbour).status_code == 404
    other = client.application.test_client()
    login(other, "county_b")
    assert other.get(f"/api/v1/files/{name}").status_code == 404
    assert client.application.test_client().get(f"/api/v1/files/{name}").status_code in (401, 404)
    # the committee's page shows it, and says plainly which could not be kept and why
    page = http.get(f"/admin/publicity/{period_id}").get_data(as_text=True)
    assert name in page and "正在取回" not in page
    assert "微信上已经没有这张照片了" in page and "超过 2 MB" in page and "不是 JPEG 或 PNG 图片" in page
    # the objector is told of the two refused photos, in the inbox and on WeChat; nothing of the one WeChat lost
    drain()
    inbox = client.get("/api/v1/inbox", headers=me).get_json()
    refused = [n for n in inbox if "照片没能保存" in (n.get("title") or "")]
    assert len(refused) == 2, inbox
    assert all("O0" in n["body"] and "小程序的公示页面" in n["body"] for n in refused)
    assert any("超过 2 MB" in n["body"] for n in refused) and any("JPEG" in n["body"] for n in refused)


def utcnow_minus_a_minute():
    from core.models import utcnow
    return utcnow() - timedelta(minutes=1)
