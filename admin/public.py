"""Public pages anyone may open: a published vote result (the QR code on the notice board leads here), and a
resident's notice behind the signed link a push carries."""
from flask import Blueprint, abort, current_app, render_template
from flask_babel import force_locale

from admin import labels
from core.extensions import db
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
                           figures=live_figures(vote))


@public.get("/n/<token>")
def notice_page(token):
    """One resident's notice in full, in their language; the signed token is the only key."""
    from core.times import format_moment
    from notices import links
    from notices.models import Delivery
    from notices.texts import render
    delivery_id = links.read(token, current_app.config["SECRET_KEY"])
    delivery = db.session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None:
        abort(404)
    from core.models import WechatAccount
    locale = db.session.get(WechatAccount, delivery.account_id).locale or "zh_Hans_CN"
    words = render(delivery.notice, locale)
    with force_locale(locale):
        return render_template("admin/public_notice.html", words=words,
                               when=format_moment(words.when, locale) if words.when else "",
                               sent=format_moment(delivery.notice.created_at, locale))


@public.get("/privacy")
def privacy_page():
    """The privacy notice residents agree to in chat and in the mini-program."""
    from core.accounts import privacy_notice
    return render_template("admin/public_privacy.html", notice=privacy_notice())
