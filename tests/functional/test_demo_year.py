"""`flask demo seed` gives every official page something to show: projects at every stage with milestones and
photos, the year's targets, a finished acceptance with satisfaction answers, a published vote (SQLite and
PostgreSQL)."""
import pytest
from sqlalchemy import func, select

from core.demo import DEMO_PASSWORD
from core.extensions import db
from projects.models import Milestone, Project
from surveys.models import SurveyResponse
from tests.builders import form_token as token
from votes.models import Ballot, PaperEntry, Vote


def demo_sign_in(app, username):
    client = app.test_client()
    response = client.post("/admin/login", data={"csrf_token": token(client, "/admin/login"), "username": username,
                                                 "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.slow  # seeds a whole province and its year
def test_the_demo_shows_a_whole_year(app, simulator):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "yulinbei2" in result.output
    stages = set(db.session.scalars(select(Project.stage)))
    assert {"reserve", "planned", "design", "publicity", "approval", "construction", "acceptance",
            "handover"} <= stages
    photos = [p for m in db.session.scalars(select(Milestone)) for p in m.photos]
    assert len(photos) >= 10
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse).where(SurveyResponse.submitted)) >= 5
    vote = db.session.scalars(select(Vote)).one()
    assert vote.state == "published"
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) == 21
    confirmers = set(db.session.scalars(select(PaperEntry.confirmed_by)))
    entrants = set(db.session.scalars(select(PaperEntry.entered_by)))
    assert len(confirmers) == 1 and confirmers.isdisjoint(entrants)

    # what an official and a committee member see, signed in with the demo logins
    official, committee = demo_sign_in(app, "wuhou"), demo_sign_in(app, "yulinbei")
    from datetime import datetime
    from zoneinfo import ZoneInfo
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    dashboard = official.get(f"/admin/dashboard?year={year}").get_data(as_text=True)
    assert "玉林小区基础类改造" in official.get(f"/admin/ledger?year={year}").get_data(as_text=True)
    assert "3,600" in dashboard or "3600" in dashboard
    notice = committee.get(f"/admin/votes/{vote.id}/notice")
    assert notice.status_code == 200 and "综合改造方案" in notice.get_data(as_text=True)
