"""What every admin page shares: the blueprint, running a form through a service, local times."""
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from markupsafe import Markup, escape

from core.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthorised
from core.extensions import db
from core.http_errors import describe_fault
from core.i18n import translate
from core.times import BEIJING, to_beijing

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
LOCAL = BEIJING  # the panel shows and reads times as Beijing time


SCOPE_FIELDS = {"scope_kind": "scope", "scope_id": "scope"}  # services name the parts of what a form picks at once


def run_form(form, action, message, target, commit=True):
    """Validate `form`, call `action()` (a service call), commit and redirect to `target` (or to
    `target(result)` when it is callable, e.g. the page of what was just created). A callable `message`
    is given the result too.

    With commit=False the action is only tried: it is rolled back and True is returned if it would succeed.
    A service's field faults land next to their fields and other refusals above the form; nothing is
    committed and the page is shown again with what was typed. Out-of-scope actions still raise (404)."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except (NotFound, Forbidden, Unauthorised):
        raise
    except InvalidInput as exc:
        db.session.rollback()
        form.row_errors = []
        for fault in exc.errors:
            if not isinstance(fault, dict):  # a fault in an imported file: reported by row and column
                form.row_errors.append(describe_fault(fault))
                continue
            text = translate(fault["key"], **fault.get("params", {}))
            name = fault.get("field") or ""
            field = form._fields.get(name) or form._fields.get(SCOPE_FIELDS.get(name, ""))
            if field is not None:
                field.errors = list(field.errors) + [text]
            else:  # a fault deeper than the form's fields, e.g. the path inside a survey definition
                form.form_errors.append(f"{fault['field']}: {text}" if fault.get("field") else text)
        if form.row_errors:
            form.form_errors.insert(0, translate(exc.key, **exc.params))
        return None
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(translate(exc.key, **exc.params))
        return None
    if not commit:
        db.session.rollback()
        return True
    db.session.commit()
    if message:
        flash(message(result) if callable(message) else message)
    return redirect(target(result) if callable(target) else target)


def run_confirmed(form, action, message, target, title, consequences, button):
    """run_form for a step that cannot be undone: the first post tries the step (faults show as usual), rolls it
    back and answers a page stating `consequences()` (lines, computed before the step); the step is taken when
    that page is posted back with confirmed=1."""
    if request.form.get("confirmed") == "1":
        return run_form(form, action, message, target)
    if not form.validate_on_submit():
        return None
    try:
        lines = consequences()
    except (ValueError, DomainError):  # what was typed is refused by the trial below, with the fault shown
        db.session.rollback()
        lines = []
    if run_form(form, action, message, target, commit=False) is None:
        return None
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name not in ("csrf_token", "confirmed")]
    return render_template("admin/confirm.html", title=title, consequences=lines, button=button,
                           action=request.full_path.rstrip("?"), fields=fields,
                           back=target.split("#")[0] if isinstance(target, str) else request.path)


def form_id(value):
    """An id a form sent; 404 when it is not one a row can have."""
    from core.ids import row_id
    if row_id(value) is None:
        raise NotFound()
    return row_id(value)


def page(template, form=None, **context):
    """Render a page; 422 when a submitted form has errors, so clients and tests can tell."""
    failed = form is not None and (form.errors or form.form_errors)
    return render_template(template, form=form, **context), 422 if failed else 200


def from_local(value):
    """A naive datetime typed in the panel (Beijing time) as an aware datetime."""
    return value.replace(tzinfo=LOCAL) if value is not None and value.tzinfo is None else value


def local_time(value, fmt="yyyy-MM-dd HH:mm"):
    """An aware or naive-UTC datetime shown in Beijing time."""
    if value is None:
        return ""
    local = to_beijing(value)
    if fmt == "yyyy-MM-dd HH:mm":  # digits alone, written alike in every language: no locale's formatter needed
        return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return format_datetime(local.replace(tzinfo=None), fmt, rebase=False)


def now_local():
    """Now, in Beijing time, without a zone (for datetime-local defaults)."""
    return datetime.now(LOCAL).replace(tzinfo=None, second=0, microsecond=0)


_SLOT = 2147483647  # an id no row has, marking where a row's own id goes in a URL built once


@bp.app_template_global("row_url")
def row_url(endpoint, key):
    """A function from a row's id to `url_for(endpoint, key=id)`, the URL built once: a table of hundreds of rows
    spends more on url_for than on the rows."""
    prefix, _slot, suffix = url_for(endpoint, **{key: _SLOT}).partition(str(_SLOT))
    return lambda value: f"{prefix}{int(value)}{suffix}"


@bp.app_template_filter("localtime")
def _localtime_filter(value, fmt="yyyy-MM-dd HH:mm"):
    return local_time(value, fmt)


@bp.app_template_filter("day")
def _day_filter(value):
    """A calendar day ('2026-12-03') as a notice board writes it: '12月3日（周四）'."""
    from datetime import date
    from flask_babel import get_locale
    from core.times import format_day
    return format_day(date.fromisoformat(value) if isinstance(value, str) else value, str(get_locale()))


@bp.app_template_filter("area")
def _area_filter(value):
    from core.areas import format_area
    return format_area(value) if value is not None else ""


@bp.app_template_filter("yuan")
def _yuan_filter(fen):
    return f"{(fen or 0) // 100:,}.{(fen or 0) % 100:02d}"


@bp.app_template_filter("listing")
def listing(items):
    """Items joined as the language lists them (顿号 in Chinese, commas in English)."""
    from babel.lists import format_list
    from flask_babel import get_locale
    return format_list([str(item) for item in items], style="standard",
                       locale=get_locale()) if items else ""


BLANK_FORMS_KEPT = 256
CSRF_SLOT = "<!--0CSRF0-->"  # markup no escaped text can contain


def _blank(form):
    """Whether nobody filled `form` in: no typed data, no faults (its markup is then that of its class)."""
    return not form.errors and not form.form_errors and all(
        field.data in (None, "", [], False) for field in form if field.type != "CSRFTokenField")


@bp.app_template_global("form_once")
def form_once(form, action, submit, skip=(), cls="", multipart=False):
    """simple_form(form, action, submit, …) (core/templates/_macros.html), a blank form rendered once per class,
    language and address: a page shows the same empty form on every view, but for its CSRF token. A form with
    data or faults is rendered each time."""
    from flask import current_app, get_template_attribute
    from flask_babel import get_locale
    simple_form = get_template_attribute("_macros.html", "simple_form")
    if not _blank(form):
        return simple_form(form, action, submit, skip, cls, multipart)
    token = form.csrf_token.current_token if hasattr(form, "csrf_token") else None
    # by the app (its configuration names the token's field): (form class, language, address, how, whether a
    # token) -> simple_form's markup, CSRF_SLOT standing for the token
    kept = current_app.extensions.setdefault("blank_forms", {})
    key = (type(form), str(get_locale()), action, str(submit), tuple(skip), cls, multipart, bool(token))
    found = kept.get(key)
    if found is None:
        found = str(simple_form(form, action, submit, skip, cls, multipart))
        if token:
            found = found.replace(str(escape(token)), CSRF_SLOT)
        if len(kept) >= BLANK_FORMS_KEPT:
            kept.clear()
        kept[key] = found
    return Markup(found.replace(CSRF_SLOT, str(escape(token))) if token else found)
