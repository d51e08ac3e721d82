"""Votes counted before counts were kept apart keep being read: the migration copies each one's count from its
stored record, on every backend."""
import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from core import MIGRATIONS
from core.extensions import db

COUNT = {"total_area": 1000, "total_heads": 10, "participating_area": 800, "participating_heads": 8,
         "agree_area": 700, "agree_heads": 7, "disagree_area": 100, "disagree_heads": 1, "abstain_area": 0,
         "abstain_heads": 0, "quorum_met": True, "approved": True, "reason_key": "vote.reason.approved",
         "reason_params": {"agree": "7/8"}}


def test_a_counted_vote_gets_its_count_and_an_open_one_none(app, world):
    compound_id, region_id = world.compound_a.id, world.community_a.id
    db.session.commit()
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0021")
    record = {"result": COUNT, "inputs": {"parts": [[1, 100, "h1"]], "ballots": {"1": "agree"}, "chain_head": None,
                                          "events": 1}}
    with db.engine.begin() as conn:
        for vote_id, state, result in ((1, "published", json.dumps(record)), (2, "open", None)):
            conn.execute(text(
                "INSERT INTO votes (id, compound_id, region_id, scope_kind, scope_id, matter, title, text, documents, "
                "state, result, remind_days_before, publicity_days, publish_details, event_count, created_at) VALUES "
                "(:id, :compound, :region, 'compound', :compound, 'rebuild', 't', '', '[]', :state, :result, 2, 7, "
                "false, 0, '2026-01-01 00:00:00')"),
                {"id": vote_id, "compound": compound_id, "region": region_id, "state": state,
                 "result": result})
    upgrade(directory=MIGRATIONS)
    from votes import outcomes
    from votes.models import Vote
    assert db.session.get(Vote, 1).counted == COUNT and db.session.get(Vote, 2).counted is None
    decided = outcomes.stored_outcomes([1, 2])
    assert list(decided) == [1] and decided[1] == outcomes.outcomes_of([db.session.get(Vote, 1)])[1]
    assert outcomes.approvals([1, 2]) == {1: decided[1].approved}  # what officials' pages count, alike
    assert outcomes.count_approved([1, 2]) == ((1, 0) if decided[1].approved else (0, 1))
