"""Admin pages: thin views over the same services and authorisation as the API."""
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from admin.forms import LoginForm
from core import audit, registry
from core.auth import authenticate, current_staff, sign_in
from core.errors import Unauthorised
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
    error = None
    if form.validate_on_submit():
        try:
            staff = authenticate(form.username.data, form.password.data)
        except Unauthorised as exc:
            error = translate(exc.key)
        else:
            sign_in(session, staff)
            audit.record(staff, "staff.login", "staff", staff.id, staff.region_id)
            db.session.commit()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/admin/") else url_for("admin.index"))
    return render_template("admin/login.html", form=form, error=error), 200 if error is None else 401


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
