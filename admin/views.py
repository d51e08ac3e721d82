"""Signing in and out, the navigation, and the landing page of each role."""
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from admin import labels
from admin.common import bp, page
from core.http_errors import referrer_path, typed_fields
from admin.forms import LoginForm
from core import audit, registry
from core.auth import Role, authenticate, can, current_staff, sign_in
from core.errors import Unauthorised
from core.extensions import db
from core.i18n import translate
from core.ratelimit import TooManyRequests

PUBLIC_ENDPOINTS = ("admin.login",)


@bp.before_request
def load_staff():
    g.staff = current_staff(session, required=False)
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method == "POST":  # a form sent after the session ran out: say so, keep what was typed
            return render_template("expired.html", typed=typed_fields(), next=referrer_path()), 401
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    g.user_locale = g.staff.locale if g.staff is not None else None




def nav_items(staff):
    """The sections a role may use, in the order they appear."""
    if staff is None:
        return []
    items = [("admin.index", _("Compounds"))]
    if staff.role in (Role.COMMITTEE, Role.ADMIN):
        items += [("admin.wishes_inbox", _("Wishes")), ("admin.bindings", _("Bindings")), ("admin.votes_list", _("Votes")),
                  ("admin.surveys_list", _("Surveys"))]
    items += [("admin.projects_list", _("Projects"))]
    if can(staff, "notices.send"):
        items.append(("admin.notices_list", _("Notices")))
    if staff.role != Role.COMMITTEE:
        items += [("admin.dashboard", _("Dashboard")), ("admin.ledger", _("Ledger"))]
    if can(staff, "regions.create"):
        items.append(("admin.regions", _("Regions")))
    if can(staff, "staff.manage"):
        items += [("admin.staff_list", _("Staff")), ("admin.audit_log", _("Audit log"))]
    if can(staff, "catalogue.edit"):
        items.append(("admin.catalogue", _("Catalogue")))
    from admin.simulator import simulator_enabled
    if simulator_enabled(staff):
        items.append(("admin.simulator", _("WeChat simulator")))
    return items


@bp.app_context_processor
def inject_staff():
    staff = g.get("staff") if request and request.blueprint == "admin" else None
    return {"staff": staff, "nav": nav_items(staff), "can": lambda action: can(staff, action),
            "labels": labels, "label": labels.label}


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
            lang = session.get("lang")
            sign_in(session, staff)
            if lang:
                session["lang"] = lang
            audit.record(staff, "staff.login", "staff", staff.id, staff.region_id)
            db.session.commit()
            target = request.args.get("next", "")
            safe = target.startswith("/admin/") and not target.startswith("//")
            return redirect(target if safe else url_for("admin.index"))
    elif form.errors:
        status = 422
    if request.args.get("expired"):
        error = _("Your session has ended. Please sign in again.")
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out."""
    audit.record(g.staff, "staff.logout", "staff", g.staff.id, g.staff.region_id)
    db.session.commit()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("admin.login"))


@bp.get("/")
def index():
    """The compounds in my region."""
    if g.staff.role not in (Role.COMMITTEE, Role.ADMIN) and not request.args.get("list"):
        return redirect(url_for("admin.dashboard"))
    return page("admin/compounds.html", compounds=registry.list_compounds(g.staff))
