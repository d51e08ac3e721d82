"""Public pages anyone may open: a published vote result (the QR code on the notice board leads here)."""
from flask import Blueprint, abort, render_template

from admin import labels
from core.extensions import db
from votes import services as votes
from votes.models import Vote

public = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")


@public.get("/votes/<int:vote_id>")
def vote_result(vote_id):
    """The published result of a vote; nothing before publication."""
    from admin.votes import live_figures
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.state not in ("published", "archived"):
        abort(404)
    # Each home's choice is personal information: never on this public page (PIPL art. 25).
    return render_template("admin/public_result.html", vote=vote, labels=labels, label=labels.label,
                           figures=live_figures(vote, votes.result_of(vote)))
