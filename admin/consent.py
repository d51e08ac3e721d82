"""Pages for 先自治后整治: what a project lacks before works, publishing its plan, officials' override;
publicity periods with their objections and answers; the residents' contribution ledger."""
from flask import Response, abort, g, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from admin.common import bp, form_id, from_local, page, run_form
from admin.forms import DATETIME, NUMBER, options, required
from admin.lifts import parse_coefficients_text
from admin.public import public
from contributions import services as contributions
from contributions.texts import KINDS, STATES
from core.auth import can
from core.chat_photos import notes_for
from core.errors import NotFound
from core.extensions import db
from core.i18n import translate
from core import catalogue, scopes
from core.times import format_moment, time_left
from projects import consent, services as projects
from publicity import services as publicity
from publicity.texts import SUBJECTS


class PlanPublicityForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Published from (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(DATETIME)])
    ends_at = DateTimeLocalField(_l("Until (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(DATETIME)])
    summary = TextAreaField(_l("What residents should know"), validators=[Length(max=5000)])


class OverrideForm(FlaskForm):
    reason = TextAreaField(_l("Why the works may start without it"), validators=[required(), Length(max=2000)])


class AnswerForm(FlaskForm):
    objection_id = HiddenField(validators=[required()])
    answer = TextAreaField(_l("Answer to the resident"), validators=[required(), Length(max=1000)])


class PledgeForm(FlaskForm):
    dwelling_id = SelectField(_l("Home"), validators=[required()], validate_choice=False)
    kind = SelectField(_l("Kind"), choices=options(KINDS.items()), validators=[required()])
    amount = IntegerField(_l("Amount (fen)"), validators=[Optional(), NumberRange(1, 10 ** 12, NUMBER)])
    hours = IntegerField(_l("Hours"), validators=[Optional(), NumberRange(1, 10 ** 6, NUMBER)])
    description = StringField(_l("Note"), validators=[Length(max=200)])


class ApportionForm(FlaskForm):
    item_id = SelectField(_l("Item"), validators=[required()], validate_choice=False)
    rule = SelectField(_l("Shared"), choices=options([("area", _l("by floor area")), ("floor", _l("by floor coefficients")),
                                                       ("equal", _l("equally"))]), validators=[required()])
    amount = IntegerField(_l("Residents pay together (yuan)"), validators=[InputRequired(NUMBER),
                                                                           NumberRange(0, 10 ** 9, NUMBER)])
    coefficients = StringField(_l("Coefficient per floor (by floor only), e.g. 1:0, 2:0.5, 3:1"),
                               validators=[Length(max=300)])
    scope = SelectField(_l("Among the homes of"), validators=[required()], validate_choice=False)


class ReceiveForm(FlaskForm):
    contribution_id = HiddenField(validators=[required()])
    receipt_no = StringField(_l("Receipt no."), validators=[Length(max=64)])


class CloseEntryForm(FlaskForm):
    contribution_id = HiddenField(validators=[required()])
    state = SelectField(_l("Change to"), choices=options([("refunded", _l("refunded")),
                                                          ("cancelled", _l("cancelled"))]), validators=[required()])
    reason = StringField(_l("Reason"), validators=[required(), Length(max=200)])


def missing_texts(missing):
    """The gate's gaps as sentences in the reader's language."""
    return [translate(m["key"], **m["params"]) for m in missing]


# the gate -------------------------------------------------------------------------------------------------
@bp.route("/projects/<int:project_id>/gate", methods=["GET", "POST"])
def project_gate(project_id):
    """What the project lacks before works start; publish its plan; an official's override."""
    project = projects.get_project(g.staff, project_id)
    forms = {"publish": PlanPublicityForm(formdata=None), "override": OverrideForm(formdata=None)}
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in forms:
            raise NotFound()
        form = forms[action] = {"publish": PlanPublicityForm, "override": OverrideForm}[action]()
        calls = {"publish": lambda: consent.publish_plan(g.staff, project_id, from_local(form.starts_at.data),
                                                         from_local(form.ends_at.data), form.summary.data),
                 "override": lambda: consent.override_gate(g.staff, project_id, form.reason.data)}
        done = run_form(form, calls[action], _("Saved."), url_for("admin.project_gate", project_id=project_id))
        if done is not None:
            return done
        failed = action
    status = consent.gate_status(project)
    return page("admin/gate.html", form=forms[failed] if failed else None, forms=forms, project=project,
                status=status, missing=missing_texts(status["missing"]))


# publicity ---------------------------------------------------------------------------------------------------
@bp.get("/publicity")
def publicity_list():
    """Publicity periods in my region, with unanswered objections counted."""
    periods = publicity.list_publicity(g.staff)
    return page("admin/publicity_list.html", periods=periods, subjects=SUBJECTS,
                unanswered=publicity.unanswered_count([p.id for p in periods]))


@bp.route("/publicity/<int:publicity_id>", methods=["GET", "POST"])
def publicity_page(publicity_id):
    """One period: what was published, each objection with its answer or a form to answer it."""
    period = publicity.get_publicity(g.staff, publicity_id)
    form = AnswerForm(formdata=None)
    if request.method == "POST":
        if request.args.get("action") == "close":
            form = FlaskForm()
            call = lambda: publicity.close_publicity(g.staff, publicity_id)  # noqa: E731
        else:
            form = AnswerForm()
            call = lambda: publicity.answer_objection(g.staff, form_id(form.objection_id.data),  # noqa: E731
                                                      form.answer.data, publicity_id)
        done = run_form(form, call, _("Saved."), url_for("admin.publicity_page", publicity_id=publicity_id))
        if done is not None:
            return done
    return page("admin/publicity.html", form=form, period=period, subjects=SUBJECTS,
                deadline=format_moment(period.ends_at), editable=can(g.staff, "publicity.manage"),
                photo_notes=notes_for("objection", [o.id for o in period.objections]))


@public.get("/publicity/<int:publicity_id>")
def public_publicity(publicity_id):
    """What is published, the countdown, and every objection with its answer (names withheld)."""
    try:
        period = publicity.public_period(publicity_id)
    except NotFound:
        abort(404)
    from core.models import utcnow
    days, hours = time_left(period.ends_at, utcnow())
    return render_template("admin/public_publicity.html", period=period, days=days, hours=hours,
                           deadline=format_moment(period.ends_at), subjects=SUBJECTS)


# the contribution ledger ------------------------------------------------------------------------------------
def _dwelling_choices(project):
    from core.registry import dwellings_of_compounds
    return [(str(d), _("Building %(building)s, unit %(unit)s, room %(room)s", building=b, unit=u, room=r))
            for d, b, u, r in dwellings_of_compounds(c.id for c in project.compounds)]


@bp.route("/projects/<int:project_id>/contributions", methods=["GET", "POST"])
def project_ledger(project_id):
    """Who has given what: pledged and received apart; record receipts, refunds and cancellations."""
    project = projects.get_project(g.staff, project_id)
    forms = {"pledge": PledgeForm(formdata=None), "receive": ReceiveForm(formdata=None),
             "close": CloseEntryForm(formdata=None), "apportion": ApportionForm(formdata=None)}
    choices = _dwelling_choices(project)
    english = str(get_locale()).startswith("en")
    names = {i.code: i.name_en if english else i.name_zh for i in catalogue.items_for_region(g.staff.region)}
    item_choices = options([(str(i.id), f"{i.id} {names.get(i.catalogue_code, i.catalogue_code)}")
                            for i in project.items])
    scope_options = options(scopes.compound_scope_choices(project.compounds))
    forms["pledge"].dwelling_id.choices = options(choices)
    forms["apportion"].item_id.choices, forms["apportion"].scope.choices = item_choices, scope_options
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in forms:
            raise NotFound()
        form = forms[action] = {"pledge": PledgeForm, "receive": ReceiveForm, "close": CloseEntryForm,
                                "apportion": ApportionForm}[action]()
        if action == "pledge":
            form.dwelling_id.choices = options(choices)
        if action == "apportion":
            form.item_id.choices, form.scope.choices = item_choices, scope_options
        calls = {
            "pledge": lambda: contributions.record_pledge(g.staff, project_id, form_id(form.dwelling_id.data),
                                                          form.kind.data, amount=form.amount.data,
                                                          hours=form.hours.data, description=form.description.data),
            "receive": lambda: contributions.receive(g.staff, form_id(form.contribution_id.data), form.receipt_no.data),
            "close": lambda: contributions.close_entry(g.staff, form_id(form.contribution_id.data), form.state.data,
                                                       form.reason.data),
            "apportion": lambda: contributions.set_apportionment(
                g.staff, form_id(form.item_id.data), form.rule.data, form.amount.data * 100,
                coefficients=parse_coefficients_text(form.coefficients.data) if form.rule.data == "floor" else None,
                scope_kind=scopes.split_scope(form.scope.data)[0], scope_id=scopes.split_scope(form.scope.data)[1]),
        }
        done = run_form(form, calls[action], _("Saved."), url_for("admin.project_ledger", project_id=project_id))
        if done is not None:
            return done
        failed = action
    ledger = contributions.committee_ledger(g.staff, project_id)
    return page("admin/contributions.html", form=forms[failed] if failed else None, forms=forms, failed=failed,
                project=project, ledger=ledger, kinds=KINDS, states=STATES,
                editable=can(g.staff, "contributions.record"))


@bp.get("/projects/<int:project_id>/contributions.xlsx")
def project_ledger_export(project_id):
    """The committee's ledger as an .xlsx workbook (amounts as exact decimal text)."""
    data = contributions.export_ledger(g.staff, project_id)
    db.session.commit()
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=contributions-{project_id}.xlsx"})


def gate_summary(project):
    """For the project page: whether works may start and the gaps, as sentences."""
    status = consent.gate_status(project)
    return {"open": not status["missing"] or status["override"] is not None,
            "missing": missing_texts(status["missing"]), "publicity": status["publicity"]}

