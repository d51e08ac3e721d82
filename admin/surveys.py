"""Survey pages: generate the 一区一策 draft, edit questions and conditions, open, close, results, export."""
import json
from dataclasses import asdict
from datetime import timedelta
from fractions import Fraction

from flask import Response, g, redirect, request, url_for
from flask_babel import gettext as _

from admin.common import bp, from_local, now_local, page, run_form
from admin.forms import PublishForm, SurveyDefinitionForm, SurveyGenerateForm, SurveyOpenForm, options
from core.scopes import compound_choices, describe_scope
from core.errors import field_error
from core.numbers import decimal_text
from surveys import editing, engine, export
from surveys import services as surveys
from surveys.texts import labels as survey_labels


@bp.route("/surveys", methods=["GET", "POST"])
def surveys_list():
    """Surveys of my region; generate a co-design draft for a compound."""
    form = SurveyGenerateForm()
    form.compound_id.choices = options(compound_choices(g.staff))
    if request.method == "POST":
        def run():
            from wishes.services import demand_counts
            compound_id = int(form.compound_id.data)
            run.survey = surveys.generate_codesign(g.staff, compound_id, survey_labels(),
                                                   demand_counts(g.staff, compound_id))
        if run_form(form, run, _("The co-design draft was generated. Check and edit it before opening."), ""):
            return redirect(url_for("admin.survey", survey_id=run.survey.id))
    return page("admin/surveys.html", form=form, surveys=surveys.list_surveys(g.staff), describe=describe_scope)


def _number(value):
    if isinstance(value, Fraction):
        return decimal_text(value)
    return value


def charts(definition, results):
    """Each question's results as rows for a bar chart (option label, count), or texts."""
    out = []
    for question in engine.questions(definition):
        result = results.get(question["id"])
        if result is None:
            continue
        data = asdict(result)
        options = {o["id"]: o["label"] for o in question.get("options", [])}
        options[engine.OTHER] = _("other")
        item = {"title": question.get("title", question["id"]), "answered": result.answered, "rows": [],
                "texts": [], "summary": ""}
        if data.get("counts") is not None:
            item["rows"] = [(options.get(k, k), v) for k, v in sorted(data["counts"].items(), key=lambda kv: -kv[1])]
            item["texts"] = list(data.get("other_texts") or [])
        elif data.get("distribution") is not None:
            item["rows"] = [(f"{k} ★", v) for k, v in sorted(data["distribution"].items())]
            item["summary"] = _("mean %(mean)s, median %(median)s", mean=_number(data["mean"]) or "-",
                                median=_number(data["median"]) or "-")
        elif data.get("borda") is not None:
            item["rows"] = [(options.get(k, k), v) for k, v in data["borda"].items()]
            item["summary"] = _("Borda points: higher is more wanted")
        elif data.get("histogram") is not None:
            item["rows"] = [(_number(Fraction(k)) if "/" in k or "." in k else k, v)
                            for k, v in data["histogram"].items()]
            item["summary"] = _("mean %(mean)s, median %(median)s", mean=_number(data["mean"]) or "-",
                                median=_number(data["median"]) or "-")
        elif data.get("texts") is not None:
            item["texts"] = list(data["texts"])
        elif data.get("matrix") is not None:
            item["rows"] = [(f"{row} · {level}", n) for row, levels in data["matrix"].items()
                            for level, n in levels.items()]
        out.append(item)
    return out


def _survey_page(survey_id, **forms):
    survey = surveys.get_survey(g.staff, survey_id)
    definition = surveys.definition_of(survey)
    start = now_local()
    defaults = {"definition_form": SurveyDefinitionForm(formdata=None, definition=json.dumps(
                    definition, ensure_ascii=False, indent=2)),
                "open_form": SurveyOpenForm(formdata=None, opens_at=start, closes_at=start + timedelta(days=14)),
                "close_form": PublishForm(formdata=None)}
    defaults.update(forms)
    _survey, results = surveys.results(g.staff, survey_id)
    from admin.forms import CONDITION_OPS, QUESTION_TYPES
    return page("admin/survey.html", survey=survey, definition=definition, charts=charts(definition, results),
                kinds=QUESTION_TYPES, ops=CONDITION_OPS,
                scope_name=describe_scope(survey.scope_kind, survey.scope_id), **defaults,
                form=next((f for f in forms.values()), None))


@bp.get("/surveys/<int:survey_id>")
def survey(survey_id):
    return _survey_page(survey_id)


@bp.post("/surveys/<int:survey_id>/definition")
def survey_definition(survey_id):
    form = SurveyDefinitionForm()

    def run():
        try:
            definition = json.loads(form.definition.data)
        except ValueError as exc:
            raise field_error("definition", "survey.bad_json", line=exc.lineno, column=exc.colno) from None
        surveys.update_definition(g.staff, survey_id, definition)
    done = run_form(form, run, _("The questions were saved."), url_for("admin.survey", survey_id=survey_id))
    return done or _survey_page(survey_id, definition_form=form)


@bp.post("/surveys/<int:survey_id>/open")
def survey_open(survey_id):
    form = SurveyOpenForm()
    done = run_form(form, lambda: surveys.open_survey(g.staff, survey_id, from_local(form.opens_at.data),
                                                      from_local(form.closes_at.data)),
                    _("The survey is open and the residents are being told."), url_for("admin.survey",
                                                                                      survey_id=survey_id))
    return done or _survey_page(survey_id, open_form=form)


@bp.post("/surveys/<int:survey_id>/close")
def survey_close(survey_id):
    form = PublishForm()
    done = run_form(form, lambda: surveys.close_survey(g.staff, survey_id), _("The survey is closed."),
                    url_for("admin.survey", survey_id=survey_id))
    return done or _survey_page(survey_id, close_form=form)


@bp.get("/surveys/<int:survey_id>/export.xlsx")
def survey_export(survey_id):
    """The answers as .xlsx, one column per question (building, unit and room first)."""
    header, rows = surveys.export_table(g.staff, survey_id, _("other, please say"),
                                        [_("Building"), _("Unit"), _("Room")])
    return Response(export.to_xlsx(header, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=survey-{survey_id}.xlsx"})


def _questions(definition):
    return [(q["id"], q.get("title", q["id"])) for q in engine.questions(definition)]


def _question_form(survey, definition, question=None, section_id=None):
    """The question editor, filled from `question` (None: a new one) unless a form was posted."""
    from admin.forms import QuestionForm
    condition = (question or {}).get("show_if") or {}
    simple = condition if "question" in condition else {}
    data = {} if request.method == "POST" else {
        "section": section_id, "title": (question or {}).get("title", ""), "kind": (question or {}).get(
            "type", "single"), "required_answer": (question or {}).get("required", False),
        "options": editing.format_options(question or {}), "show_question": simple.get("question", "__keep__"
                                                                                        if condition else ""),
        "show_op": simple.get("op", "equals"), "show_value": simple.get("value", "")}
    form = QuestionForm(formdata=request.form if request.method == "POST" else None, **data)
    form.section.choices = options([(s["id"], s.get("title", s["id"])) for s in definition["sections"]])
    others = [(qid, f"{qid} · {title}") for qid, title in _questions(definition)
              if question is None or qid != question.get("id")]
    keep = [("__keep__", _("keep the combined condition (edit it as JSON)"))] if condition and not simple else []
    form.show_question.choices = options([("", _("always show"))] + keep + others)
    return form


def _condition(form):
    if form.show_question.data == "__keep__":
        return "keep"
    if not form.show_question.data:
        return None
    condition = {"question": form.show_question.data, "op": form.show_op.data}
    if form.show_op.data != "answered":
        condition["value"] = (form.show_value.data or "").strip()
    return condition


@bp.route("/surveys/<int:survey_id>/questions/<question_id>", methods=["GET", "POST"])
def survey_question(survey_id, question_id):
    """Edit one question: its text, kind, options, whether it is required, and when it is shown."""
    survey = surveys.get_survey(g.staff, survey_id, "surveys.manage")
    definition = surveys.definition_of(survey)
    found = editing.find_question(definition, question_id)
    if found is None:
        from core.errors import NotFound
        raise NotFound()
    section_id, question = found
    form = _question_form(survey, definition, question, section_id)
    if request.method == "POST":
        def save():
            changed = editing.edited(question, form.title.data, form.kind.data, form.required_answer.data,
                                     form.options.data, _condition(form))
            surveys.update_definition(g.staff, survey_id, editing.replace_question(definition, question_id, changed))
        done = run_form(form, save, _("The questions were saved."), url_for("admin.survey", survey_id=survey_id)
                        + "#questions")
        if done is not None:
            return done
    return page("admin/survey_question.html", form=form, survey=survey, question=question)


@bp.route("/surveys/<int:survey_id>/questions/new", methods=["GET", "POST"])
def survey_question_new(survey_id):
    """Add a question at the end of a section."""
    survey = surveys.get_survey(g.staff, survey_id, "surveys.manage")
    definition = surveys.definition_of(survey)
    form = _question_form(survey, definition, None, definition["sections"][-1]["id"] if definition["sections"]
                          else None)
    if request.method == "POST":
        def save():
            question = editing.edited({"id": editing.new_id(definition)}, form.title.data, form.kind.data,
                                      form.required_answer.data, form.options.data, _condition(form))
            try:
                changed = editing.add_question(definition, form.section.data, question)
            except KeyError:
                raise field_error("section", "error.invalid") from None
            surveys.update_definition(g.staff, survey_id, changed)
        done = run_form(form, save, _("The questions were saved."), url_for("admin.survey", survey_id=survey_id)
                        + "#questions")
        if done is not None:
            return done
    return page("admin/survey_question.html", form=form, survey=survey, question=None)


@bp.post("/surveys/<int:survey_id>/questions/<question_id>/remove")
def survey_question_remove(survey_id, question_id):
    """Remove a question (refused, with the reason, when another question's condition depends on it)."""
    survey = surveys.get_survey(g.staff, survey_id, "surveys.manage")
    definition = surveys.definition_of(survey)
    form = PublishForm()
    try:
        changed = editing.remove_question(definition, question_id)
    except KeyError:
        from core.errors import NotFound
        raise NotFound() from None
    done = run_form(form, lambda: surveys.update_definition(g.staff, survey_id, changed),
                    _("The question was removed."), url_for("admin.survey", survey_id=survey_id) + "#questions")
    return done or _survey_page(survey_id, close_form=form)
