"""Signing in and out, the navigation, and the landing page of each role."""
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from admin import labels
from admin.common import bp, page, run_form
from core.http_errors import referrer_path, typed_fields
from admin.forms import LoginForm, PasswordChangeForm
from core import audit, registry
from core import staff as staff_service
from core.auth import Role, authenticate, can, current_staff, sign_in, sign_out
from core.errors import Unauthorised
from core.extensions import db
from core.i18n import translate
from core.ratelimit import TooManyRequests

PUBLIC_ENDPOINTS = ("admin.login",)
# Open to a staff member who must first replace the password an administrator gave them.
PASSWORD_CHANGE_ENDPOINTS = PUBLIC_ENDPOINTS + ("admin.password", "admin.logout")


@bp.before_request
def load_staff():
    g.staff = current_staff(session, required=False)
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method == "POST":  # a form sent after the session ran out: say so, keep what was typed
            return render_template("expired.html", typed=typed_fields(), next=referrer_path()), 401
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    g.user_locale = g.staff.locale if g.staff is not None else None
    if g.staff is not None and g.staff.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("admin.password"))


def safe_next(target):
    """Where to go after signing in: a path of the admin panel, nothing else (no other host, no header tricks)."""
    target = target or ""
    if (not target.startswith("/admin/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in target)):
        return url_for("admin.index")
    return target




def nav_items(staff):
    """The sections a role may use, in the order they appear."""
    if staff is None:
        return []
    items = [("admin.index", _("Compounds"))]
    if staff.role in (Role.COMMITTEE, Role.ADMIN):
        items += [("admin.wishes_inbox", _("Wishes")), ("admin.bindings", _("Bindings")), ("admin.votes_list", _("Votes")),
                  ("admin.surveys_list", _("Surveys")), ("admin.elections_list", _("Elections"))]
    items += [("admin.projects_list", _("Projects")), ("admin.works_overview", _("Works"))]
    if can(staff, "publicity.manage"):
        items.append(("admin.publicity_list", _("Publicity")))
    if can(staff, "votes.manage") or can(staff, "lifts.rule"):
        items.append(("admin.lifts_list", _("Lifts")))
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
            "labels": labels, "label": labels.label, "unread_alerts": lambda: _unread_alerts(staff)}


def _unread_alerts(staff):
    from notices.staff import unread_count
    return unread_count(staff) if staff is not None else 0


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
            if staff.must_change_password:
                return redirect(url_for("admin.password"))
            return redirect(safe_next(request.args.get("next")))
    elif form.errors:
        status = 422
    if request.args.get("expired"):
        error = _("Your session has ended. Please sign in again.")
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out."""
    audit.record(g.staff, "staff.logout", "staff", g.staff.id, g.staff.region_id)
    sign_out(session)
    db.session.commit()
    flash(_("You have signed out."))
    return redirect(url_for("admin.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change my own password (first of all when an administrator chose it); my other sessions end."""
    form = PasswordChangeForm()
    if request.method == "POST":
        def change():
            staff_service.change_password(g.staff, form.current_password.data, form.new_password.data,
                                          form.confirm.data)
            lang = session.get("lang")
            sign_in(session, g.staff)  # this browser goes on in a new session; every other one has ended
            if lang:
                session["lang"] = lang
        done = run_form(form, change, _("Your password was changed. Every other session of yours has ended."),
                        url_for("admin.index"))
        if done is not None:
            return done
    return page("admin/password.html", form=form, forced=g.staff.must_change_password)


@bp.get("/")
def index():
    """The compounds in my region."""
    if g.staff.role not in (Role.COMMITTEE, Role.ADMIN) and not request.args.get("list"):
        return redirect(url_for("admin.dashboard"))
    return page("admin/compounds.html", compounds=registry.list_compounds(g.staff))
