"""Photos residents send in the official-account chat for a wish or an on-site report: the chat turn only notes
them, a worker round fetches them from WeChat (the simulator) and keeps them, and the committee sees the photo, or
is told plainly that it is still being fetched or could not be kept."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from core.chat_photos import MAX_ATTEMPTS, fetch_due
from core.extensions import db
from core.models import AuditLog, ChatPhoto, utcnow
from core.uploads import stored_path
from notices.jobs import fetch_chat_photos
from notices.models import Notice
from simulator.sender import image_xml, text_xml, voice_xml
from tests.builders import PNG, Bot
from tests.builders import bound_resident as resident

JPEG = b"\xff\xd8\xff\xe0" + b"a-photo-of-the-stairs" * 8


def inject(simulator, times):
    """WeChat answers 'system busy' to the next `times` downloads."""
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/media/get", "errcode": -1, "times": times},
                  timeout=5).raise_for_status()


def media_calls(simulator):
    return [c for c in simulator.state.calls if c["path"] == "/cgi-bin/media/get"]


def file_wish_with_photo(bot, openid, media_id):
    assert "照明" in bot.say(voice_xml(openid, "楼道灯坏了，晚上看不见。"))
    bot.say(text_xml(openid, "1"))
    assert "已收到照片（1 张）" in bot.say(image_xml(openid, media_id=media_id))
    bot.say(text_xml(openid, "好"))
    return bot.say(text_xml(openid, "1"))


def report_with_photo(bot, openid, media_id):
    bot.say(text_xml(openid, "反映问题"))
    bot.say(text_xml(openid, "工地晚上十点还在施工"))
    assert "已收到照片（1 张）" in bot.say(image_xml(openid, media_id=media_id))
    assert "R0000" in bot.say(text_xml(openid, "好"))


def only_photo(kind):
    return db.session.execute(select(ChatPhoto).where(ChatPhoto.kind == kind)
                              .execution_options(populate_existing=True)).scalar_one()


def test_a_wish_photo_sent_in_chat_is_fetched_by_the_worker_and_shown_to_the_committee(client, project, simulator):
    http, headers, _pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["101"], "wish-101")
    done = file_wish_with_photo(Bot(client), "wish-101", simulator.state.add_media(JPEG))
    assert "W0" in done
    assert not media_calls(simulator)  # the chat turn did not wait for WeChat

    wish = http.get("/api/v1/admin/wishes").get_json()[0]
    assert wish["photos"] == [] and [n["state"] for n in wish["chat_photos"]] == ["fetching"]
    assert "正在取回" in wish["chat_photos"][0]["text"]
    assert "正在取回" in http.get("/admin/wishes").get_data(as_text=True)
    english = http.get("/api/v1/admin/wishes?lang=en").get_json()[0]["chat_photos"][0]["text"]
    assert english == "A photo sent in WeChat is still being fetched."

    assert fetch_chat_photos() == 1
    assert len(media_calls(simulator)) == 1
    wish = http.get("/api/v1/admin/wishes").get_json()[0]
    assert wish["chat_photos"] == [] and len(wish["photos"]) == 1
    name = wish["photos"][0]
    assert name.endswith(".jpg") and stored_path(name).read_bytes() == JPEG
    assert http.get(f"/api/v1/admin/wishes/{wish['id']}").get_json()["photos"] == [name]
    page = http.get("/admin/wishes").get_data(as_text=True)
    assert name in page and "正在取回" not in page
    shown = http.get(f"/api/v1/files/{name}")
    assert shown.status_code == 200 and shown.data == JPEG
    shown.close()
    # the resident sees their own photo too, and is told nothing new
    assert client.get(f"/api/v1/wishes/{wish['id']}", headers=me).get_json()["photos"] == [name]
    mine = client.get(f"/api/v1/files/{name}", headers=me)
    assert mine.status_code == 200
    mine.close()
    assert db.session.scalar(select(Notice.id).where(Notice.kind == "chat_photo_refused")) is None
    assert fetch_chat_photos() == 0  # kept once; nothing is fetched again


def test_a_report_photo_is_fetched_after_wechat_fails_and_recovers(client, project, simulator):
    http, headers, pid, rooms = project
    resident(client, simulator, http, headers, rooms["101"], "rep-101")
    report_with_photo(Bot(client), "rep-101", simulator.state.add_media(PNG, "image/png"))
    inject(simulator, times=2)  # WeChat busy (-1) twice, then well again

    start = utcnow()
    assert fetch_chat_photos() == 1
    photo = only_photo("site_report")
    assert (photo.state, photo.attempts) == ("waiting", 1) and photo.last_error.startswith("-1")
    report = http.get("/api/v1/admin/reports").get_json()[0]
    assert report["photos"] == [] and [n["state"] for n in report["chat_photos"]] == ["fetching"]
    assert "正在取回" in http.get(f"/admin/projects/{pid}").get_data(as_text=True)
    assert fetch_chat_photos() == 0  # not due before its backoff
    assert fetch_due(now=start + timedelta(seconds=61)) == 1  # WeChat busy again: waits twice as long
    photo = only_photo("site_report")
    assert photo.attempts == 2 and photo.state == "waiting"
    assert fetch_due(now=start + timedelta(seconds=61 + 119)) == 0
    assert fetch_due(now=start + timedelta(seconds=61 + 121)) == 1  # WeChat answers again
    photo = only_photo("site_report")
    assert photo.state == "kept" and photo.name
    report = http.get("/api/v1/admin/reports").get_json()[0]
    assert report["photos"] == [photo.name] and report["chat_photos"] == []
    assert stored_path(photo.name).read_bytes() == PNG
    assert photo.name in http.get(f"/admin/projects/{pid}").get_data(as_text=True)


def test_a_photo_wechat_never_gives_ends_as_not_kept_and_the_committee_is_told(client, project, simulator):
    http, headers, pid, rooms = project
    resident(client, simulator, http, headers, rooms["101"], "rep-102")
    report_with_photo(Bot(client), "rep-102", simulator.state.add_media(PNG, "image/png"))
    inject(simulator, times=100)
    moment = utcnow()
    for _attempt in range(MAX_ATTEMPTS):
        assert fetch_due(now=moment) == 1
        moment += timedelta(hours=2)
    photo = only_photo("site_report")
    assert (photo.state, photo.reason, photo.attempts) == ("failed", "unreachable", MAX_ATTEMPTS)
    assert fetch_due(now=moment) == 0
    report = http.get("/api/v1/admin/reports").get_json()[0]
    assert report["photos"] == [] and report["chat_photos"][0]["state"] == "failed"
    assert "没能从微信取到" in http.get(f"/admin/projects/{pid}").get_data(as_text=True)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "chat_photo.failed"))
    assert entry.target_type == "site_report" and entry.actor == "system" and entry.region_id is not None
    # WeChat failing is not the resident's doing: they are told nothing
    assert db.session.scalar(select(Notice.id).where(Notice.kind == "chat_photo_refused")) is None


def test_a_refused_wish_photo_tells_the_resident_once_through_the_outbox(client, project, simulator):
    from notices.sender import drain
    http, headers, _pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["101"], "wish-102")
    file_wish_with_photo(Bot(client), "wish-102", simulator.state.add_media(b"<html>not a photo</html>", "text/html"))
    assert fetch_chat_photos() == 1
    wish = http.get("/api/v1/admin/wishes?lang=en").get_json()[0]
    assert wish["photos"] == []
    assert wish["chat_photos"] == [{"state": "refused", "reason": "not_a_photo", "text": (
        "A photo sent in WeChat could not be kept: it is not a JPEG or PNG image.")}]
    drain()
    told = [n for n in client.get("/api/v1/inbox", headers=me).get_json() if n["kind"] == "chat_photo_refused"]
    assert len(told) == 1 and told[0]["title"] == "照片没能保存"
    body = told[0]["body"]
    assert wish["reference"] in body and "JPEG 或 PNG" in body and "小程序「我的诉求」" in body
    assert len(body.splitlines()) <= 3
    sent = [c for c in simulator.state.calls if c["path"] == "/cgi-bin/message/custom/send"]
    assert any("照片没能保存" in c["body"]["text"]["content"] for c in sent)
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "chat_photo.refused")) is not None


def test_a_resident_who_deletes_their_data_has_no_photo_fetched_afterwards(client, project, simulator):
    http, headers, _pid, rooms = project
    me = resident(client, simulator, http, headers, rooms["101"], "wish-103")
    file_wish_with_photo(Bot(client), "wish-103", simulator.state.add_media(JPEG))
    assert client.post("/api/v1/me/deletion", headers=me).status_code == 204
    assert fetch_chat_photos() == 0
    assert not media_calls(simulator)
    assert only_photo("wish").media_id == ""


def test_the_outbox_worker_and_the_scheduler_fetch_chat_photos(app, client, project, simulator):
    from notices.jobs import register_jobs
    added = []

    class Scheduler:
        def add_job(self, func, trigger, **options):
            added.append((options["id"], options.get("seconds"), options["args"][0]))
    register_jobs(app, Scheduler())
    assert ("notices.chat_photos", app.config["OUTBOX_INTERVAL"], "notices.jobs:fetch_chat_photos") in added

    http, headers, _pid, rooms = project
    resident(client, simulator, http, headers, rooms["101"], "wish-104")
    file_wish_with_photo(Bot(client), "wish-104", simulator.state.add_media(JPEG))
    result = app.test_cli_runner().invoke(args=["notices", "drain"])
    assert result.exit_code == 0 and "Fetched 1 photos sent in chat." in result.output
    assert only_photo("wish").state == "kept"


@pytest.mark.postgresql_only
def test_two_workers_at_once_fetch_each_photo_of_a_wish_once_and_keep_both(app, client, project, simulator):
    http, headers, _pid, rooms = project
    resident(client, simulator, http, headers, rooms["101"], "wish-105")
    bot = Bot(client)
    assert "照明" in bot.say(voice_xml("wish-105", "楼道灯坏了，晚上看不见。"))
    bot.say(text_xml("wish-105", "1"))
    for body in (JPEG, PNG):
        bot.say(image_xml("wish-105", media_id=simulator.state.add_media(body)))
    bot.say(text_xml("wish-105", "好"))
    assert "W0" in bot.say(text_xml("wish-105", "1"))
    requests.post(f"{simulator.url}/sim/inject", json={"path": "/cgi-bin/media/get", "delay": 0.3, "times": 2},
                  timeout=5).raise_for_status()  # both downloads in flight together

    def worker(_n):
        with app.app_context():
            try:
                return fetch_due(batch=1)
            finally:
                db.session.remove()
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(worker, range(2))) == [1, 1]
    assert len(media_calls(simulator)) == 2  # each photo fetched by one worker only
    wish = http.get("/api/v1/admin/wishes").get_json()[0]
    assert len(wish["photos"]) == 2 and wish["chat_photos"] == []  # neither write lost the other's photo
    assert {stored_path(name).read_bytes() for name in wish["photos"]} == {JPEG, PNG}
