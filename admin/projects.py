"""Project pages: items and progress, stages, milestones with photos, funding, acceptance, on-site reports."""
from flask import g, request, url_for
from flask_babel import gettext as _

from admin.common import bp, page, run_form
from admin.consent import gate_summary
from contributions.services import project_totals
from admin.forms import (AcceptanceForm, FundingForm, ItemForm, MilestoneForm, PlanStageForm, ProgressForm,
                         ProjectForm, ReportForm, StageForm, options)
from core.scopes import compound_choices
from admin.wishes import catalogue_choices
from core.chat_photos import notes_for
from core.uploads import store_uploads
from projects import services as projects
from projects.works import answerable_reports

# Residents' money in the funding chart: only what was received (pledges are shown apart).
RESIDENT_LINES = {"resident_received": lambda: _("residents' contributions received")}


@bp.route("/projects", methods=["GET", "POST"])
def projects_list():
    """Projects in my region; create one for a compound."""
    form = ProjectForm()
    form.compounds.choices = options(compound_choices(g.staff))
    if request.method == "POST":
        done = run_form(form, lambda: projects.create_project(g.staff, form.name.data, [int(form.compounds.data)],
                                                            form.reserve_level.data, form.plan_year.data),
                        _("The project was created."), lambda project: url_for("admin.project", project_id=project.id))
        if done is not None:
            return done
    rows = projects.list_projects(g.staff)
    return page("admin/projects.html", form=form, projects=rows,
                progress=projects.progress_by_project(p.id for p in rows))


FORMS = {"item": ItemForm, "progress": ProgressForm, "stage": StageForm, "plan": PlanStageForm,
         "milestone": MilestoneForm, "funding": FundingForm, "accept": AcceptanceForm, "report": ReportForm}


def _forms(staff):
    forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    forms["item"].catalogue_code.choices = options(catalogue_choices(staff))
    return forms


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
def project(project_id):
    """One project, with a form for each thing staff record."""
    item = projects.get_project(g.staff, project_id)
    forms = _forms(g.staff)
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in FORMS:
            from core.errors import NotFound
            raise NotFound()
        form = FORMS[action]()
        if action == "item":
            form.catalogue_code.choices = forms["item"].catalogue_code.choices
        forms[action] = form
        calls = {
            "item": lambda: projects.add_item(g.staff, project_id, form.catalogue_code.data,
                                              budget=form.budget.data * 100),
            "progress": lambda: projects.set_progress(g.staff, project_id, int(form.item_id.data),
                                                      form.progress.data),
            "stage": lambda: projects.advance_stage(g.staff, project_id, form.stage.data, form.reason.data or None),
            "plan": lambda: projects.plan_stage(g.staff, project_id, form.stage.data, form.planned_start.data,
                                                form.planned_end.data),
            "milestone": lambda: projects.add_milestone(g.staff, project_id, form.title.data, form.text.data,
                                                        store_uploads(request.files)),
            "funding": lambda: projects.add_funding(g.staff, project_id, form.source.data, form.amount.data * 100,
                                                    form.note.data or None),
            "accept": lambda: projects.record_joint_acceptance(
                g.staff, project_id, form.note.data,
                [{"name": n, "role": "resident_rep"} for n in _lines(form.representatives.data)]
                + [{"name": n, "role": "other"} for n in _lines(form.participants.data)],
                [{"text": t} for t in _lines(form.defects.data)]),
            "report": lambda: projects.handle_report(
                g.staff, projects.report_of_project(g.staff, project_id, form.report_id.data), form.status.data,
                form.assignee.data or None, form.answer.data or None),
        }
        done = run_form(form, calls[action], _("Saved."), url_for("admin.project", project_id=project_id)
                        + f"#{action}")
        if done is not None:
            return done
        failed = action
    reports, escalations = projects.project_reports(item)
    names = dict(catalogue_choices(g.staff))
    from admin.works import LEVELS
    return page("admin/project.html", escalations=escalations, works_levels=LEVELS, project=item, forms=forms, failed=failed, names=names,
                form=forms[failed] if failed else None, progress=projects.progress_of(item),
                funding=_funding_rows(projects.funding_summary(item)), acceptance=projects.acceptance_summary(item),
                milestones=projects.milestones_of(item),
                reports=reports, report_photo_notes=notes_for("site_report", [r.id for r in reports]),
                answerable=answerable_reports(g.staff, reports),
                gate=gate_summary(item), resident_money=project_totals(item.id))


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _funding_rows(summary):
    """(source name, yuan) of each source with money, for the chart."""
    from admin import labels
    return [(labels.label(labels.FUNDING, source) if source not in RESIDENT_LINES else RESIDENT_LINES[source](),
             fen // 100) for source, fen in summary.items() if fen]
