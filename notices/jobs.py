"""Scheduled work of the notices package."""
from core.scheduler import run_job


def register_jobs(app, scheduler):
    """Fan out due notices and deliver the outbox every few seconds, and fetch the photos residents sent in chat
    as often; forget old inbound messages daily."""
    every = app.config["OUTBOX_INTERVAL"]
    scheduler.add_job(run_job, "interval", seconds=every, args=["notices.sender:run_once"],
                      id="notices.outbox", replace_existing=True)
    scheduler.add_job(run_job, "interval", seconds=every, args=["notices.jobs:fetch_chat_photos"],
                      id="notices.chat_photos", replace_existing=True)
    scheduler.add_job(run_job, "interval", hours=6, args=["notices.sender:forget_old_inbound"],
                      id="notices.forget_inbound", replace_existing=True)


def tell_photo_refused(account_id, params):
    """The resident who sent a photo in chat that is not one we keep is told, through the outbox."""
    from notices.services import queue_direct_message
    queue_direct_message(account_id, "chat_photo_refused", params)


def fetch_chat_photos():
    """One round of fetching the photos residents sent in chat (core/chat_photos.py); returns photos handled."""
    from core.chat_photos import fetch_due
    return fetch_due(tell=tell_photo_refused)
