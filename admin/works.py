"""The works pages: who answers for them, supervisors, inspections and findings, acceptance defects, money and
final accounts (with the .xlsx for auditors); and the officials' view of what is late, open and slow."""

from flask import Response, g, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateTimeLocalField, HiddenField, IntegerField, MultipleFileField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import InputRequired, Length, NumberRange

from admin.common import bp, form_id, from_local, page, run_form
from admin.forms import DATETIME, NUMBER, choice_list, options, required
from admin.wishes import catalogue_choices
from core.auth import can
from core.errors import NotFound
from core.models import Compound
from core.extensions import db
from core.money import yuan
from core.uploads import store_uploads
from projects import services as projects
from projects import care, works
from projects.texts import ELECTION_STATES

PARTY_ROLES = {"implementing": _l("implementing body"), "designer": _l("designer"), "contractor": _l("contractor"),
               "supervisor": _l("supervising engineer")}
INSPECTORS = {"engineer": _l("supervising engineer"), "official": _l("official"),
              "supervisor": _l("resident supervisor")}
FINDING_STATES = {"open": _l("not yet closed"), "closed": _l("closed with evidence")}
DEFECT_STATES = {"open": _l("awaiting rectification"), "rectified": _l("rectified, awaiting re-inspection"),
                 "closed": _l("passed re-inspection"), "waived": _l("waived")}
SUPERVISOR_STATES = {"pending": _l("awaiting decision"), "approved": _l("approved"), "rejected": _l("turned down")}
PAPER_ENTRY_STATES = {"pending": _l("awaiting confirmation"), "confirmed": _l("confirmed"), "mismatch": _l("mismatch"),
                      "void": _l("void (never confirmed)"),
                      "held": _l("held for review (this home's paper ballot was already entered)")}
LEVELS = {"community": _l("neighbourhood committee"), "street": _l("street office"), "county": _l("county")}


class PartyForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choice_list(PARTY_ROLES), validators=[required()])
    organisation = StringField(_l("Organisation"), validators=[required(), Length(max=200)])
    contact = StringField(_l("Contact person"), validators=[required(), Length(max=100)])
    phone = StringField(_l("Telephone"), validators=[required(), Length(max=20)])


class SupervisorDecisionForm(FlaskForm):
    supervisor_id = HiddenField(validators=[required()])
    decision = SelectField(_l("Decision"), choices=options([("approve", _l("approve")), ("reject", _l("turn down"))]))


class InspectionForm(FlaskForm):
    by_kind = SelectField(_l("Inspected by"), choices=options([("engineer", _l("supervising engineer")),
                                                              ("official", _l("official"))]))
    inspector = StringField(_l("Inspector's name"), validators=[required(), Length(max=100)])
    note = TextAreaField(_l("Inspection note"), validators=[Length(max=2000)])
    findings = TextAreaField(_l("Findings, one per line"), validators=[Length(max=10000)])
    photos = MultipleFileField(_l("Photos (JPEG or PNG, up to 2 MB each, at most 3)"))


class CloseFindingForm(FlaskForm):
    finding_id = HiddenField(validators=[required()])
    evidence = StringField(_l("Evidence of what was done"), validators=[required(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos"))


class RectifyForm(FlaskForm):
    defect_id = HiddenField(validators=[required()])
    text = StringField(_l("Rectification done"), validators=[required(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos"))


class ReinspectForm(FlaskForm):
    defect_id = HiddenField(validators=[required()])
    passed = SelectField(_l("Re-inspection"), choices=options([("yes", _l("passed")), ("no", _l("not passed"))]))
    note = StringField(_l("Re-inspection note"), validators=[required(), Length(max=2000)])


class WaiveForm(FlaskForm):
    defect_id = HiddenField(validators=[required()])
    reason = StringField(_l("Reason for waiving"), validators=[required(), Length(max=1000)])


class SpendingForm(FlaskForm):
    # two money forms on one page: their fields need ids of their own
    item_id = SelectField(_l("Item"), validators=[required()], validate_choice=False, id="spend-item")
    amount = IntegerField(_l("Amount spent (yuan)"), validators=[InputRequired(NUMBER), NumberRange(1, 10 ** 10)],
                          id="spend-amount")
    note = StringField(_l("What it paid for"), validators=[required(), Length(max=200)], id="spend-note")


class ChangeOrderForm(FlaskForm):
    item_id = SelectField(_l("Item"), validators=[required()], validate_choice=False)
    amount = IntegerField(_l("Change to the budget (yuan, negative to reduce)"),
                          validators=[InputRequired(NUMBER), NumberRange(-10 ** 10, 10 ** 10)])
    reason = StringField(_l("Reason for the change"), validators=[required(), Length(max=2000)])


class EmptyForm(FlaskForm):
    pass


FORMS = {"party": PartyForm, "supervisor": SupervisorDecisionForm, "inspection": InspectionForm,
         "finding": CloseFindingForm, "rectify": RectifyForm, "reinspect": ReinspectForm, "waive": WaiveForm,
         "spending": SpendingForm, "change": ChangeOrderForm, "handover": EmptyForm, "accounts": EmptyForm}


@bp.route("/projects/<int:project_id>/works", methods=["GET", "POST"])
def project_works(project_id):
    """Who answers for the works, supervisors, inspections and findings, defects, money."""
    project = projects.get_project(g.staff, project_id)
    names = dict(catalogue_choices(g.staff))
    item_choices = options([(str(i.id), names.get(i.catalogue_code, i.catalogue_code)) for i in project.items])
    forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in FORMS:
            raise NotFound()
        form = forms[action] = FORMS[action]()
        staff = g.staff
        calls = {
            "party": lambda: works.set_party(staff, project_id, form.role.data, form.organisation.data,
                                             form.contact.data, form.phone.data),
            "supervisor": lambda: works.decide_supervisor(staff, project_id, form_id(form.supervisor_id.data),
                                                          form.decision.data == "approve"),
            "inspection": lambda: works.record_inspection(staff, project_id, form.by_kind.data, form.inspector.data,
                                                          form.note.data, (form.findings.data or "").splitlines(),
                                                          store_uploads(request.files)),
            "finding": lambda: works.close_finding(staff, _in_project(project, "finding", form.finding_id.data),
                                                   form.evidence.data, store_uploads(request.files)),
            "rectify": lambda: works.rectify_defect(staff, _in_project(project, "defect", form.defect_id.data),
                                                    form.text.data, store_uploads(request.files)),
            "reinspect": lambda: works.reinspect_defect(staff, _in_project(project, "defect", form.defect_id.data),
                                                        form.passed.data == "yes", form.note.data),
            "waive": lambda: works.waive_defect(staff, _in_project(project, "defect", form.defect_id.data),
                                                form.reason.data),
            "spending": lambda: works.record_spending(staff, project_id, form_id(form.item_id.data),
                                                      form.amount.data * 100, form.note.data),
            "change": lambda: works.add_change_order(staff, project_id, form_id(form.item_id.data),
                                                     form.amount.data * 100, form.reason.data),
            "handover": lambda: projects.hand_over(staff, project_id),
            "accounts": lambda: works.publish_final_accounts(staff, project_id),
        }
        done = run_form(form, calls[action], _("Saved."),
                        url_for("admin.project_works", project_id=project_id) + f"#{action}")
        if done is not None:
            return done
        failed = action
    forms["spending"].item_id.choices = forms["change"].item_id.choices = item_choices
    from surveys.services import satisfaction_rates_of
    from projects.models import JointAcceptance
    return page("admin/project_works.html", form=forms[failed] if failed else None, forms=forms, failed=failed,
                project=project, names=names, parties=works.parties_of(project),
                supervisors=works.supervisors_of(project), inspections=works.inspections_of(project),
                defects=works.defects_of(project), blockers=works.handover_blockers(project),
                accounts=works.accounts_of(project), published=works.published_accounts(project),
                acceptance=JointAcceptance.query.filter_by(project_id=project.id).first(),
                overdue=[s for p, s in works.overdue_stages_in(project.region) if p.id == project.id],
                rates=satisfaction_rates_of(project.id), roles=PARTY_ROLES, inspectors=INSPECTORS,
                finding_states=FINDING_STATES, defect_states=DEFECT_STATES, supervisor_states=SUPERVISOR_STATES)


def _in_project(project, kind, value):
    """A finding or defect id from a form, only if it belongs to this project."""
    from projects.models import Defect, Finding
    row = db.session.get(Finding if kind == "finding" else Defect, form_id(value))
    if row is None or row.project_id != project.id:
        raise NotFound()
    return row.id


def accounts_table(project, figures, names):
    """The final accounts as header and rows, in the reader's language (yuan, exact)."""
    from admin import labels
    rows = [[_("Item"), _("Budget (yuan)"), _("Change orders (yuan)"), _("Revised budget (yuan)"),
             _("Spent (yuan)"), _("Difference (yuan)")]]
    columns = ("budget", "changes", "revised", "spent", "difference")
    for r in figures["items"]:
        rows.append([names.get(r["code"], r["code"]), *(yuan(r[c]) for c in columns)])
    rows.append([_("Total"), *(yuan(figures["totals"][c]) for c in columns)])
    changes = [[_("Item"), _("Change (yuan)"), _("Reason")]] + [
        [names.get(c["code"], c["code"]), yuan(c["amount"]), c["reason"]] for c in figures["change_orders"]]
    funding = [[_("Source"), _("Amount (yuan)")]] + [
        [labels.label(labels.FUNDING, s) if s != "resident_pledges" else _("residents' pledges"), yuan(fen)]
        for s, fen in figures["funding"].items()]
    return rows, changes, funding


@bp.get("/projects/<int:project_id>/accounts.xlsx")
def accounts_export(project_id):
    """The accounts (the published final accounts once published) as an .xlsx workbook for auditors."""
    from core import audit, exports
    project = projects.get_project(g.staff, project_id)
    published = works.published_accounts(project)
    figures = published.figures if published else works.accounts_of(project)
    rows, changes, funding = accounts_table(project, figures, dict(catalogue_choices(g.staff)))
    heading = [project.name, _("published") if published else _("not yet published")]
    data = exports.to_xlsx_sheets([(title, [heading, *table]) for title, table in (
        (_("Final accounts"), rows), (_("Change orders"), changes), (_("Funding"), funding))])
    audit.record(g.staff, "project.accounts_export", "project", project.id, project.region_id,
                 after={"published": published is not None})
    db.session.commit()
    return Response(data, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename=accounts-{project.id}.xlsx"})


@bp.get("/works")
def works_overview():
    """Officials' and committees' view: overdue stages, open findings, report times by region, satisfaction."""
    from oversight import services as oversight
    region = oversight.region_in_scope(g.staff, request.args.get("region", type=int))
    _region, times = oversight.report_times(g.staff, region.id)
    rows, combined = oversight.satisfaction_by_project(g.staff, region.id)
    return page("admin/works.html", region=region, overdue=works.overdue_stages_in(region),
                findings=works.open_findings_in(region), times=times, satisfaction=rows, combined=combined,
                alerts=works.alerts_for(g.staff), levels=LEVELS, managed=care.management_modes_in(region),
                mode_label=care.mode_label)


@bp.app_template_filter("percent")
def _percent_filter(value):
    """An exact Fraction as a percentage with one decimal ('—' when unknown)."""
    if value is None:
        return "—"
    return f"{round(value.numerator * 100 / value.denominator, 1)}%"


@bp.app_template_filter("hours")
def _hours_filter(value):
    if value is None:
        return "—"
    return f"{round(value.numerator / value.denominator, 1)}"



# electing the owners' committee ------------------------------------------------------------------------
class ElectionForm(FlaskForm):
    compound_id = SelectField(_l("Compound"), validators=[required()], validate_choice=False)
    title = StringField(_l("Title"), validators=[required(), Length(max=200)])
    seats = IntegerField(_l("Seats on the committee"), validators=[InputRequired(NUMBER), NumberRange(1, 15)])


class NominateForm(FlaskForm):
    name = StringField(_l("Candidate"), validators=[required(), Length(max=100)])
    nominated_by = StringField(_l("Nominated by"), validators=[required(), Length(max=100)])
    statement = StringField(_l("Statement"), validators=[Length(max=500)])


class OpenElectionForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("Closes at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(DATETIME)])


class PaperElectionForm(FlaskForm):
    dwelling_id = SelectField(_l("Dwelling"), validators=[required()], validate_choice=False)
    candidate_ids = SelectMultipleField(_l("Candidates ticked on the ballot (none: took part, agreed to nobody)"),
                                        validate_choice=False, widget=ListWidget(prefix_label=False),
                                        option_widget=CheckboxInput())


class ConfirmPaperElectionForm(FlaskForm):
    entry_id = HiddenField(validators=[required()])
    candidate_ids = SelectMultipleField(_l("Candidates ticked on the ballot, as you read it"), validate_choice=False,
                                        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


@bp.route("/elections", methods=["GET", "POST"])
def elections_list():
    """Owners' committee elections in my region; start one for a compound."""
    from core.scopes import compound_choices
    from core.auth import authorize, compounds_in_scope
    from projects.models import Election
    authorize(g.staff, "votes.read")
    form = ElectionForm()
    form.compound_id.choices = options(compound_choices(g.staff))
    if request.method == "POST":
        done = run_form(form, lambda: care.create_election(g.staff, form_id(form.compound_id.data), form.title.data,
                                                           form.seats.data),
                        _("Saved."), lambda election: url_for("admin.election", election_id=election.id))
        if done is not None:
            return done
    compounds = compounds_in_scope(g.staff).with_entities(Compound.id)
    rows = Election.query.filter(Election.compound_id.in_(compounds)).order_by(Election.id.desc()).limit(200).all()
    return page("admin/elections.html", form=form, elections=rows, election_states=ELECTION_STATES)


@bp.route("/elections/<int:election_id>", methods=["GET", "POST"])
def election(election_id):
    """One election: candidates, nominations, voting, paper ballots, the count per candidate."""
    row = care.get_election(g.staff, election_id)
    forms = {"nominate": NominateForm(formdata=None), "open": OpenElectionForm(formdata=None),
             "paper": PaperElectionForm(formdata=None), "confirm": ConfirmPaperElectionForm(formdata=None),
             "close": EmptyForm(formdata=None)}
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in forms:
            raise NotFound()
        form = forms[action] = {"nominate": NominateForm, "open": OpenElectionForm, "paper": PaperElectionForm,
                                "confirm": ConfirmPaperElectionForm, "close": EmptyForm}[action]()
        calls = {
            "nominate": lambda: care.nominate(g.staff, election_id, form.name.data, form.nominated_by.data,
                                              form.statement.data),
            "open": lambda: care.open_election(g.staff, election_id, from_local(form.closes_at.data)),
            "paper": lambda: care.enter_paper_ballot(g.staff, election_id, form_id(form.dwelling_id.data),
                                                     [form_id(c) for c in form.candidate_ids.data or []]),
            "confirm": lambda: care.confirm_paper_ballot(g.staff, election_id, form_id(form.entry_id.data),
                                                         [form_id(c) for c in form.candidate_ids.data or []]),
            "close": lambda: care.close_election(g.staff, election_id),
        }
        done = run_form(form, calls[action], _("Saved."), url_for("admin.election", election_id=election_id))
        if done is not None:
            return done
        failed = action
    parts = care.election_parts(row)
    ballots = care.ballots_of(row)
    forms["paper"].dwelling_id.choices = options([(str(d), name) for d, name in care.dwelling_names(parts)])
    forms["paper"].candidate_ids.choices = options([(str(c.id), c.name) for c in row.candidates])
    candidates = options([(str(c.id), c.name) for c in row.candidates])
    names = dict(care.dwelling_names(parts))
    entries = []
    # Which candidates a home ticked is for the staff who run the paper ballots, not for those who only read.
    for entry in care.paper_entries(g.staff, election_id) if can(g.staff, "votes.paper") else []:
        confirm = None
        if entry.state == "pending" and entry.entered_by != g.staff.id:
            failed_here = failed == "confirm" and forms["confirm"].entry_id.data == str(entry.id)
            confirm = forms["confirm"] if failed_here else ConfirmPaperElectionForm(formdata=None, entry_id=entry.id)
            confirm.candidate_ids.choices = candidates
        entries.append((entry, names.get(entry.dwelling_id, entry.dwelling_id), confirm))
    return page("admin/election.html", form=forms[failed] if failed else None, forms=forms, election=row,
                parts=len(parts), voted=len(ballots), failed=failed, election_states=ELECTION_STATES,
                entries=entries, candidate_names={c.id: c.name for c in row.candidates},
                entry_states=PAPER_ENTRY_STATES)
