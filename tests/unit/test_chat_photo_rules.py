"""What follows a photo sent in chat that could not be fetched, and how a chat turn names it: pure rules."""
from core.chat_photos import FIRST_BACKOFF, MAX_ATTEMPTS, MAX_BACKOFF, after_failure, media_ids, stored_names

NAME = "a" * 64 + ".jpg"


def test_a_busy_wechat_is_tried_again_later_each_time_twice_as_late_up_to_an_hour():
    waits = [after_failure(attempts, transient=True) for attempts in range(1, MAX_ATTEMPTS)]
    assert all(outcome == "retry" for outcome, _wait in waits)
    seconds = [wait for _outcome, wait in waits]
    assert seconds[0] == FIRST_BACKOFF and seconds[1] == 2 * FIRST_BACKOFF
    assert seconds == sorted(seconds) and max(seconds) == MAX_BACKOFF


def test_every_try_spent_gives_up_well_within_the_three_days_wechat_keeps_a_photo():
    assert after_failure(MAX_ATTEMPTS, transient=True) == ("failed", None)
    total = sum(after_failure(attempts, transient=True)[1] for attempts in range(1, MAX_ATTEMPTS))
    assert total < 24 * 3600


def test_wechat_saying_it_has_no_such_media_ends_at_once():
    assert after_failure(1, transient=False) == ("gone", None)


def test_a_chat_turn_names_media_wechat_holds_apart_from_stored_files():
    photos = [NAME, "wx-media:abc", "wx-media:def"]
    assert media_ids(photos) == ["abc", "def"]
    assert stored_names(photos) == [NAME]
    assert media_ids(None) == [] and stored_names(()) == []
