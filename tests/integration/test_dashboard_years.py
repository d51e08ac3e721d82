"""The dashboard's votes of a year are those that closed in it, in Beijing time, to the second at either end of
the year."""
from datetime import datetime, timedelta, timezone

from core.extensions import db
from core.models import utcnow
from oversight import services as oversight
from votes.models import Vote


def test_a_vote_closing_in_the_last_second_of_a_year_counts_in_that_year_not_the_next(app, world):
    new_year = datetime(2026, 12, 31, 16, tzinfo=timezone.utc)  # 2027-01-01 00:00 in Beijing
    for closes_at in (new_year - timedelta(seconds=1), new_year, datetime(2025, 12, 31, 16, tzinfo=timezone.utc)):
        db.session.add(Vote(compound_id=world.compound_a.id, region_id=world.community_a.id, scope_kind="compound",
                            scope_id=world.compound_a.id, matter="rebuild", title="加装电梯", text="", state="closed",
                            closes_at=closes_at, publicity_days=7, remind_days_before=2, publish_details=False,
                            event_count=0, documents=[], created_at=utcnow()))
    db.session.commit()
    # closed without a count: not approved
    assert oversight.vote_outcomes(world.city_staff, year=2026) == (0, 2, 0)
    assert oversight.vote_outcomes(world.city_staff, year=2027) == (0, 1, 0)
    assert len(oversight.votes_with_outcome(world.city_staff, year=2026)[1]) == 2
