"""Every HTML page, the public result page included, carries a Content-Security-Policy that allows no inline
script or style; other responses (JSON, static files, uploads) run nothing and cannot be framed."""
from tests.builders import login


def _policy(response):
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    return policy, directives


def _published_vote(world):
    from datetime import timedelta

    from core.extensions import db
    from core.models import utcnow
    from tests.builders import roll_with_owner
    from tests.builders import STAIRWELL_ROWS as ROWS
    from votes import services as votes
    roll_with_owner(world.compound_a.id, ROWS)
    vote = votes.create_vote(world.committee_a, "compound", world.compound_a.id, "management_covenant", "管理规约")
    votes.open_vote(world.committee_a, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=7))
    votes.close_vote(world.committee_a, vote.id)
    votes.publish_vote(world.committee_a, vote.id)
    db.session.commit()
    return vote.id


def test_pages_allow_no_inline_script_or_style(client, world):
    public = f"/public/votes/{_published_vote(world)}"
    login(client, "committee_a")
    for path in ("/admin/login", "/admin/", "/admin/votes", public, "/admin/no-such-page"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.mimetype == "text/html", path
        policy, directives = _policy(response)
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (path, policy)
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'", path


def test_other_responses_run_nothing(client, world):
    for path in ("/api/v1/openapi.json", "/static/admin.js"):
        response = client.get(path)
        response.close()
        policy, directives = _policy(response)
        assert directives.get("default-src") == "'none'" and "sandbox" in directives, (path, policy)
