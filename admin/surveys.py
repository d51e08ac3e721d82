"""Survey pages: generate the 一区一策 draft, edit questions and conditions, open, close, results, export."""
import json
from datetime import timedelta

from flask import Response, g, request, url_for
from flask_babel import get_locale, gettext as _

from admin.common import bp, from_local, local_time, now_local, page, run_confirmed, run_form
from admin.forms import PublishForm, SurveyDefinitionForm, SurveyGenerateForm, SurveyOpenForm, options
from core.scopes import compound_choices, count_accounts_in, describe_scope
from core.errors import field_error
from surveys import editing, engine, export
from surveys import services as surveys
from surveys.kinds import kind_of
from surveys.texts import QUESTION_TYPES, condition_words, say


@bp.route("/surveys", methods=["GET", "POST"])
def surveys_list():
    """Surveys of my region; generate a co-design draft for a compound."""
    form = SurveyGenerateForm()
    form.compound_id.choices = options(compound_choices(g.staff))
    if request.method == "POST":
        done = run_form(form, lambda: surveys.generate_codesign(g.staff, int(form.compound_id.data)), _("The co-design draft was generated. Check and edit it before opening."),
                        lambda survey: url_for("admin.survey", survey_id=survey.id))
        if done is not None:
            return done
    return page("admin/surveys.html", form=form, surveys=surveys.list_surveys(g.staff), describe=describe_scope)


TEXTS_SHOWN = 10       # text answers shown per question on the results tab
TEXTS_PER_PAGE = 50


def charts(definition, results, names=None):
    """Each question's result as its type draws it (bars, distribution, ranks, grid or the texts)."""
    out = []
    for question in engine.questions(definition):
        result = results.get(question["id"])
        if result is None:
            continue
        chart = kind_of(question).chart(question, result, names)
        rows = [(_("other") if label == engine.OTHER else label, value) for label, value in chart.rows]
        out.append({"id": question["id"], "title": question.get("title") or question["id"],
                    "answered": result.answered, "figure": chart.figure, "rows": rows,
                    "columns": list(chart.columns), "texts": list(chart.texts),
                    "summary": say(chart.summary[0], **chart.summary[1]) if chart.summary else ""})
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
    return page("admin/survey.html", survey=survey, definition=definition, conditions=condition_words(definition),
                kinds=QUESTION_TYPES, tab="questions",
                scope_name=describe_scope(survey.scope_kind, survey.scope_id), **defaults,
                form=next((f for f in forms.values()), None))


@bp.get("/surveys/<int:survey_id>")
def survey(survey_id):
    """A survey's facts, its questions in words and the editor."""
    return _survey_page(survey_id)


@bp.get("/surveys/<int:survey_id>/results")
def survey_results(survey_id):
    """The results tab: each question with the chart its type calls for."""
    survey, results = surveys.results(g.staff, survey_id)
    definition = surveys.definition_of(survey)
    english = str(get_locale()).startswith("en")
    return page("admin/survey_results.html", survey=survey, tab="results", shown=TEXTS_SHOWN,
                charts=charts(definition, results, surveys.catalogue_names(english)),
                scope_name=describe_scope(survey.scope_kind, survey.scope_id))


@bp.get("/surveys/<int:survey_id>/results/<question_id>")
def survey_texts(survey_id, question_id):
    """Every written answer to one question, a page at a time (for those who manage the survey)."""
    surveys.get_survey(g.staff, survey_id, "surveys.manage")
    survey, results = surveys.results(g.staff, survey_id)
    definition = surveys.definition_of(survey)
    found = editing.find_question(definition, question_id)
    if found is None or question_id not in results:
        from core.errors import NotFound
        raise NotFound()
    texts = list(kind_of(found[1]).chart(found[1], results[question_id]).texts)
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    start = (page_no - 1) * TEXTS_PER_PAGE
    return page("admin/survey_texts.html", survey=survey, question=found[1],
                texts=texts[start:start + TEXTS_PER_PAGE], first=start + 1, total=len(texts), page_no=page_no,
                more=start + TEXTS_PER_PAGE < len(texts))


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
    survey = surveys.get_survey(g.staff, survey_id)

    def consequences():
        return [_("%(n)s residents bound in WeChat in %(scope)s will be told when it opens at %(start)s; they can "
                  "answer until %(end)s (Beijing time).", n=count_accounts_in(survey.scope_kind, survey.scope_id),
                  scope=describe_scope(survey.scope_kind, survey.scope_id),
                  start=local_time(from_local(form.opens_at.data)), end=local_time(from_local(form.closes_at.data))),
                _("Once someone has answered, changing a question makes a new version of the survey.")]

    done = run_confirmed(form, lambda: surveys.open_survey(g.staff, survey_id, from_local(form.opens_at.data),
                                                           from_local(form.closes_at.data)),
                         _("The survey is open and the residents are being told."),
                         url_for("admin.survey", survey_id=survey_id),
                         _("Open the survey “%(title)s”?", title=survey.title), consequences,
                         _("Yes, open the survey"))
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
        "show_op": simple.get("op", "equals"), "show_value": editing.condition_value_label(
            definition, simple.get("question"), simple.get("value", "")) if simple else ""}
    form = QuestionForm(formdata=request.form if request.method == "POST" else None, **data)
    form.section.choices = options([(s["id"], s.get("title", s["id"])) for s in definition["sections"]])
    others = [(qid, title) for qid, title in _questions(definition)
              if question is None or qid != question.get("id")]
    keep = [("__keep__", _("keep the combined condition (edit it as JSON)"))] if condition and not simple else []
    form.show_question.choices = options([("", _("always show"))] + keep + others)
    return form


def _condition(form, definition):
    """The condition as stored: the value typed as an answer's words becomes the option it names."""
    if form.show_question.data == "__keep__":
        return "keep"
    if not form.show_question.data:
        return None
    condition = {"question": form.show_question.data, "op": form.show_op.data}
    if form.show_op.data != "answered":
        condition["value"] = editing.condition_value(definition, form.show_question.data, form.show_value.data)
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
                                     form.options.data, _condition(form, definition))
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
                                      form.required_answer.data, form.options.data,
                                      _condition(form, definition))
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
    question = next(q for q in engine.questions(definition) if q["id"] == question_id)

    def consequences():
        return [_("Residents who answer from now on will no longer be asked “%(question)s”.",
                  question=question.get("title", question_id)),
                _("Answers already given stay in the results and exports.")]

    done = run_confirmed(form, lambda: surveys.update_definition(g.staff, survey_id, changed),
                         _("The question was removed."), url_for("admin.survey", survey_id=survey_id) + "#questions",
                         _("Delete the question “%(question)s”?", question=question.get("title", question_id)),
                         consequences, _("Yes, delete the question"))
    return done or _survey_page(survey_id, close_form=form)
