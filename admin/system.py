"""Administrators' pages: staff accounts and roles, the catalogue, the audit log with filters."""
from flask import g, request, url_for
from flask_babel import gettext as _, get_locale

from admin.common import bp, page, run_form
from admin.forms import CatalogueItemForm, PasswordResetForm, StaffEditForm, StaffForm, options
from core import audit, catalogue
from core.auth import authorize
from core.models import Region
from core.staff import create_staff, get_staff_member, reset_password, staff_in_region, update_staff


def region_choices(staff):
    """(id, 'name (level)') of the regions in the staff member's region."""
    from admin import labels
    rows = Region.query.filter(Region.path.startswith(staff.region.path, autoescape=True)).order_by(
        Region.path).limit(5000).all()
    return [(str(r.id), f"{'　' * (r.path.count('/') - 2)}{r.name} ({labels.label(labels.LEVELS, r.level)})")
            for r in rows]


@bp.route("/staff", methods=["GET", "POST"])
def staff_list():
    """Staff accounts in my region; create one."""
    members = staff_in_region(g.staff)
    form = StaffForm()
    form.region_id.choices = options(region_choices(g.staff))
    if request.method == "POST":
        done = run_form(form, lambda: create_staff(g.staff, form.username.data.strip(), form.name.data.strip(),
                                                   form.role.data, int(form.region_id.data), form.password.data),
                        _("The account was created."), url_for("admin.staff_list"))
        if done is not None:
            return done
    return page("admin/staff.html", form=form, members=members)


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
def staff_member(staff_id):
    """Change a staff member's role or region, or deactivate the account."""
    member = get_staff_member(g.staff, staff_id)
    form = StaffEditForm(formdata=request.form if request.method == "POST" else None, role=member.role,
                         region_id=str(member.region_id), active=member.active)
    form.region_id.choices = options(region_choices(g.staff))
    reset = PasswordResetForm(formdata=None)
    if request.method == "POST":
        done = run_form(form, lambda: update_staff(g.staff, staff_id, form.role.data, int(form.region_id.data),
                                                   form.active.data),
                        _("Saved."), url_for("admin.staff_list"))
        if done is not None:
            return done
    return page("admin/staff_member.html", form=form, member=member, reset=reset)


@bp.post("/staff/<int:staff_id>/password")
def staff_password(staff_id):
    """Give a staff member a new password, which they must change at their next sign-in; their sessions end."""
    member = get_staff_member(g.staff, staff_id)
    reset = PasswordResetForm()
    done = run_form(reset, lambda: reset_password(g.staff, staff_id, reset.password.data),
                    _("The password was set; it must be changed at the next sign-in."), url_for("admin.staff_list"))
    if done is not None:
        return done
    form = StaffEditForm(formdata=None, role=member.role, region_id=str(member.region_id), active=member.active)
    form.region_id.choices = options(region_choices(g.staff))
    return page("admin/staff_member.html", form=reset, edit=form, member=member, reset=reset)


@bp.route("/catalogue", methods=["GET", "POST"], endpoint="catalogue")
def catalogue_page():
    """The renovation catalogue; a county adds its own items."""
    items = catalogue.catalogue_for(g.staff)
    form = CatalogueItemForm()
    if request.method == "POST":
        authorize(g.staff, "catalogue.edit")  # refused before the form is read
        done = run_form(form, lambda: catalogue.add_county_item(g.staff.region, form.cls.data, form.name_zh.data,
                                                                form.name_en.data, actor=g.staff),
                        _("The item was added."), url_for("admin.catalogue"))
        if done is not None:
            return done
    return page("admin/catalogue.html", form=form, items=items, english=str(get_locale()).startswith("en"))


@bp.get("/audit")
def audit_log():
    """The audit log of my region, filtered by action, actor and date, newest first."""
    action = (request.args.get("action") or "").strip() or None
    actor = (request.args.get("actor") or "").strip() or None
    before_id = request.args.get("before", type=int)
    entries = audit.audit_entries(g.staff, action=action, limit=100, before_id=before_id, actor=actor,
                                  day=request.args.get("day") or None)
    return page("admin/audit.html", entries=entries, actions=audit.logged_actions(g.staff), action=action, actor=actor,
                day=request.args.get("day") or "")
