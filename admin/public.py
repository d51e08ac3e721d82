"""Public pages anyone may open: a published vote result (the QR code on the notice board leads here), and a
resident's notice behind the signed link a push carries."""
from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length

from admin import labels
from core.extensions import db
from projects.models import Project

public = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")


@public.get("/votes/<int:vote_id>")
def vote_result(vote_id):
    """The published result of a vote; nothing before publication."""
    from admin.votes import live_figures
    from votes.services import published_vote
    vote = published_vote(vote_id)
    if vote is None:
        abort(404)
    # Each home's choice is personal information: never on this public page (PIPL art. 25).
    return render_template("admin/public_result.html", vote=vote, labels=labels, label=labels.label,
                           figures=live_figures(vote))


@public.get("/n/<token>")
def notice_page(token):
    """One resident's notice in full, in their language; the signed token is the only key."""
    from core.times import format_moment
    from notices.services import notice_by_link
    found = notice_by_link(token, current_app.config["SECRET_KEY"])
    if found is None:
        abort(404)
    words, locale, sent_at = found
    with force_locale(locale):
        return render_template("admin/public_notice.html", words=words,
                               when=format_moment(words.when, locale) if words.when else "",
                               sent=format_moment(sent_at, locale))


@public.get("/privacy")
def privacy_page():
    """The privacy notice residents agree to in chat and in the mini-program."""
    from core.accounts import privacy_notice
    return render_template("admin/public_privacy.html", notice=privacy_notice())


class ContractorRectifyForm(FlaskForm):
    text = TextAreaField(_l("What was repaired, and how"), validators=[DataRequired(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos of the repair (JPEG or PNG, up to 2 MB each, at most 3)"))


@public.route("/defects/<token>", methods=["GET", "POST"])
def defect_page(token):
    """The contractor's page for a warranty defect (the committee forwards the signed link): the defect, its
    photos, and a form to report it repaired with evidence while it is open."""
    from admin.common import run_form
    from core.uploads import store_uploads
    from projects import works
    defect = works.defect_by_token(token)
    form = ContractorRectifyForm()
    if request.method == "POST" and defect.status == "open":
        done = run_form(form, lambda: works.contractor_rectify(token, form.text.data, store_uploads(request.files)),
                        _("Thank you: the repair is reported. The committee will check it."),
                        url_for("public.defect_page", token=token))
        if done is not None:
            return done
    project = db.session.get(Project, defect.project_id)
    failed = form.errors or form.form_errors
    return render_template("admin/public_defect.html", defect=defect, project=project, form=form,
                           token=token), 422 if failed else 200


@public.get("/defects/<token>/files/<name>")
def defect_photo(token, name):
    """A photo of the defect or of its repair, for whoever holds the defect's link while the defect is open:
    once it is closed or waived, the residents' photos are no longer shown to the link's holder."""
    from api.files import FILE_CSP, IMAGE_TYPES
    from core.uploads import stored_path
    from projects import rules, works
    defect = works.defect_by_token(token)
    if defect.status in rules.DEFECT_DONE:
        abort(404)
    path = stored_path(name)
    extension = name.rpartition(".")[2]
    if path is None or extension not in IMAGE_TYPES or name not in (defect.photos or []) + (
            defect.rectification_photos or []):
        abort(404)
    response = send_file(path, mimetype=IMAGE_TYPES[extension], max_age=3600)
    response.cache_control.private = True
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
