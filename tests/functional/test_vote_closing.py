"""Closing a vote settles what was left open: paper entries no second person confirmed are voided (kept, shown,
never counted) and the actual close time is kept beside the planned end, whether closed by hand or on time."""
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import AuditLog, Unit, aware, utcnow
from tests.builders import roll_rows, roll_with_owner, rooms_on_record
from tests.builders import STAIRWELL_ROWS as ROWS
from votes import services as votes
from votes.models import PaperEntry, Vote


def _open_vote_with_a_pending_entry(world):
    roll_with_owner(world.compound_a.id, ROWS)
    unit_id = db.session.scalar(select(Unit.id))
    rooms = rooms_on_record()
    vote = votes.create_vote(world.committee_a, "unit", unit_id, "rebuild", "加装电梯")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=14))
    entry = votes.enter_paper_ballot(world.committee_a, vote.id, votes.paper_code(vote.id, rooms["105"]), "agree")
    db.session.commit()
    return vote.id, entry.id


def test_closing_early_voids_unconfirmed_paper_entries_and_keeps_the_actual_close_time(world):
    vote_id, entry_id = _open_vote_with_a_pending_entry(world)
    votes.close_vote(world.committee_a, vote_id)
    db.session.commit()
    vote = db.session.get(Vote, vote_id)
    assert db.session.get(PaperEntry, entry_id).state == "void"
    assert vote.closed_early and aware(vote.closed_at) <= utcnow() < aware(vote.closes_at)
    assert vote.result["result"]["participating_heads"] == 0  # the void entry was never counted
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "vote.paper_void")) is not None


def test_a_vote_closed_on_time_by_the_schedule_voids_them_too(world):
    vote_id, entry_id = _open_vote_with_a_pending_entry(world)
    votes.run_due(now=utcnow() + timedelta(days=15))
    vote = db.session.get(Vote, vote_id)
    assert vote.state == "closed" and db.session.get(PaperEntry, entry_id).state == "void"
    assert vote.closed_at is not None


def test_two_closes_at_once_close_the_vote_once(app, client, world, simulator):
    import threading
    from sqlalchemy import func, select
    from core.extensions import db
    from core.models import AuditLog, Unit
    from core.staff import create_staff
    from tests.builders import STAIRWELL_ROWS, login, open_lift_vote, roll_with_owner
    roll_with_owner(world.compound_a.id, STAIRWELL_ROWS)
    staff = app.test_client()
    headers = {"X-CSRFToken": login(staff, "committee_a")}
    vote_id = open_lift_vote(staff, headers, db.session.scalar(select(Unit.id)))
    create_staff(None, "committee_a2", "复核员", "committee", world.community_a.id, "correct horse battery")
    db.session.commit()
    other = app.test_client()
    closers = [(staff, headers), (other, {"X-CSRFToken": login(other, "committee_a2")})]
    answers, barrier = [], threading.Barrier(2)

    def close(http, http_headers):
        barrier.wait()
        answers.append(http.post(f"/api/v1/admin/votes/{vote_id}/close", headers=http_headers).status_code)
    threads = [threading.Thread(target=close, args=closer) for closer in closers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [200, 409]
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "vote.close")) == 1


def test_a_vote_extended_while_the_schedule_closes_it_stays_open_until_its_new_end(app, world):
    """The schedule read the vote with its old end; the extension committed before the close held the chain."""
    vote_id, _entry = _open_vote_with_a_pending_entry(world)
    due = utcnow() + timedelta(days=15)
    stale = db.session.get(Vote, vote_id)  # as the scheduled close read it: due
    with app.app_context():  # the committee extends it meanwhile, in a transaction of its own
        votes.extend_vote(db.session.merge(world.committee_a), vote_id, due + timedelta(days=7), "外出业主较多")
        db.session.commit()
    assert votes._close(stale, due_by=due) is False
    db.session.commit()
    vote = db.session.get(Vote, vote_id)
    assert vote.state == "open" and aware(vote.closes_at) > due
    votes.run_due(now=due + timedelta(days=8))  # its new end: the schedule closes it then
    db.session.expire_all()
    assert db.session.get(Vote, vote_id).state == "closed"


def test_an_extension_after_the_vote_closed_is_refused(world):
    vote_id, _entry = _open_vote_with_a_pending_entry(world)
    votes.close_vote(world.committee_a, vote_id)
    db.session.commit()
    import pytest
    from core.errors import Conflict
    with pytest.raises(Conflict):
        votes.extend_vote(world.committee_a, vote_id, utcnow() + timedelta(days=30), "外出业主较多")


def test_a_vote_closed_late_by_the_scheduler_shows_the_window_ending_at_its_planned_end(client, world):
    """Ballots stop at the planned end (Vote.accepting); the scheduler, down for two hours, closed the vote later.
    The vote's page and its notice-board result say voting ran until the planned end, as the officials' list of
    votes (Vote.ended_at) does, not until the scheduler came round."""
    from core.extensions import db
    from core.times import to_beijing
    from tests.builders import page_sign_in as sign
    from votes import services as votes
    from votes.models import Vote

    roll_with_owner(world.compound_a.id, roll_rows(2))
    ids = []
    for title in ("加装电梯甲", "加装电梯乙"):
        vote = votes.create_vote(world.committee_a, "compound", world.compound_a.id, "rebuild", title)
        votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(days=7), utcnow() + timedelta(days=1))
        ids.append(vote.id)
    db.session.commit()
    planned_end = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
    for vote_id in ids:  # its planned end came two hours ago; the close comes now
        db.session.get(Vote, vote_id).closes_at = planned_end
        db.session.flush()
        votes.close_vote(None, vote_id)
    votes.publish_vote(world.committee_a, ids[1])
    db.session.commit()
    shown = to_beijing(planned_end).strftime("%Y-%m-%d %H:%M")
    late = to_beijing(db.session.get(Vote, ids[0]).closed_at).strftime("%Y-%m-%d %H:%M")
    committee = sign(client.application.test_client(), "committee_a")
    for path in (f"/admin/votes/{ids[0]}", f"/admin/votes/{ids[1]}/notice"):
        page = committee.get(path).get_data(as_text=True)
        assert shown in page and late not in page, (path, shown, late)
