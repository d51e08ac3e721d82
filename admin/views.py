"""Admin pages: thin views over the same services and authorisation as the API."""
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from admin.forms import LoginForm
from core import audit, registry
from core.auth import authenticate, current_staff, sign_in
from core.errors import Unauthorised
from core.ratelimit import TooManyRequests
from core.extensions import db
from core.i18n import translate

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def load_staff():
    g.staff = current_staff(session, required=False)
    if g.staff is None and request.endpoint not in ("admin.login",):
        return redirect(url_for("admin.login", next=request.path))
    g.user_locale = g.staff.locale if g.staff is not None else None


@bp.context_processor
def inject_staff():
    return {"staff": g.get("staff")}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in."""
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            staff = authenticate(form.username.data, form.password.data, request.remote_addr)
        except (Unauthorised, TooManyRequests) as exc:
            error, status = translate(exc.key), 429 if isinstance(exc, TooManyRequests) else 401
        else:
            sign_in(session, staff)
            audit.record(staff, "staff.login", "staff", staff.id, staff.region_id)
            db.session.commit()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/admin/") else url_for("admin.index"))
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out."""
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("admin.login"))


@bp.get("/")
def index():
    """The compounds in my region."""
    return render_template("admin/compounds.html", compounds=registry.list_compounds(g.staff))


@bp.get("/compounds/<int:compound_id>")
def compound(compound_id):
    """One compound with its dwellings and owners."""
    item = registry.get_compound(g.staff, compound_id)
    return render_template("admin/compound.html", compound=item,
                           dwellings=registry.list_dwellings(g.staff, compound_id))


@bp.get("/votes/<int:vote_id>/ballots")
def paper_ballots(vote_id):
    """One printable paper ballot per dwelling in scope, each with its code as text and QR code."""
    import segno
    from sqlalchemy import select
    from core.models import Building, Dwelling, Unit
    from votes import services as votes
    vote = votes.get_vote(g.staff, vote_id)
    rows = db.session.execute(select(Dwelling.id, Building.name, Unit.name, Dwelling.room)
                              .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
                              .where(Dwelling.id.in_(votes.scope_dwellings(vote)))
                              .order_by(Building.name, Unit.name, Dwelling.room)).all()
    ballots = []
    for dwelling_id, building, unit, room in rows:
        code = votes.paper_code(vote.id, dwelling_id)
        ballots.append({"code": code, "building": building, "unit": unit, "room": room,
                        "qr": segno.make(code, error="m").svg_inline(scale=3)})
    return render_template("admin/paper_ballots.html", vote=vote, ballots=ballots)


@bp.get("/votes/<int:vote_id>/non-voters")
def non_voters(vote_id):
    """A printable list of the dwellings that have not voted, for door-to-door work."""
    from votes import services as votes
    vote, rows = votes.non_voters(g.staff, vote_id)
    result = votes.tally(vote)
    return render_template("admin/non_voters.html", vote=vote, rows=rows, result=result)
