"""The survey engine: definitions, conditions, response validation and aggregation. Pure: plain data
in, frozen results out, message keys for errors (translated at the edge). No Flask, no database.

A definition is JSON:
    {"version": 1, "sections": [{"id": "s1", "title": "...", "questions": [
        {"id": "q1", "type": "single", "title": "...", "required": true,
         "options": [{"id": "a", "label": "..."}], "other": true,
         "show_if": {"question": "q0", "op": "equals", "value": "yes"}}]}]}
Types: single (with "other, please say"), multiple (min/max), ranking, rating (1-5), number (unit,
min, max), text, matrix (rows x scale), photo, catalogue (catalogue item codes).
Conditions: equals, not_equals, answered, contains; combined with {"all": [...]} / {"any": [...]}.
"""
from dataclasses import dataclass, field
from fractions import Fraction

from surveys.kinds import EMPTY, KINDS, MAX_TEXT, OTHER, Fault, kind_of  # noqa: F401 - the engine's vocabulary

TYPES = set(KINDS)
OPS = {"equals", "not_equals", "answered", "contains"}


class DefinitionInvalid(Exception):
    def __init__(self, faults):
        self.faults = faults
        super().__init__(faults)


class ResponseInvalid(Exception):
    def __init__(self, faults):
        self.faults = faults
        super().__init__(faults)


def questions(definition):
    """All questions in order, with their section."""
    return [q for section in definition.get("sections", []) for q in section.get("questions", [])]


def stored_files(definition, answers):
    """The stored uploads (photos) a response's answers name."""
    return [name for q in questions(definition) if q.get("id") in answers
            for name in kind_of(q).stored_files(q, answers[q["id"]])]


def _condition_refs(condition):
    if not isinstance(condition, dict):
        return None
    if "all" in condition or "any" in condition:
        parts = condition.get("all", condition.get("any"))
        if not isinstance(parts, list) or not parts:
            return None
        refs = []
        for part in parts:
            inner = _condition_refs(part)
            if inner is None:
                return None
            refs.extend(inner)
        return refs
    if condition.get("op") not in OPS or not isinstance(condition.get("question"), str):
        return None
    if condition["op"] != "answered" and "value" not in condition:
        return None
    return [condition["question"]]


def validate_definition(definition):
    """Raise DefinitionInvalid with every fault (path like 'sections[0].questions[2].show_if')."""
    faults = []
    if not isinstance(definition, dict) or not isinstance(definition.get("sections"), list):
        raise DefinitionInvalid([Fault("sections", "survey.def.sections")])
    seen = {}
    for s_index, section in enumerate(definition["sections"]):
        for q_index, question in enumerate(section.get("questions", []) if isinstance(section, dict) else []):
            path = f"sections[{s_index}].questions[{q_index}]"
            if not isinstance(question, dict) or not isinstance(question.get("id"), str):
                faults.append(Fault(path, "survey.def.id"))
                continue
            qid = question["id"]
            if qid in seen:
                faults.append(Fault(f"{path}.id", "survey.def.duplicate", {"question": qid}))
            kind = question.get("type")
            if kind not in TYPES:
                faults.append(Fault(f"{path}.type", "survey.def.type", {"type": kind}))
            else:
                faults.extend(KINDS[kind].faults(question, path))
            if "show_if" in question:
                refs = _condition_refs(question["show_if"])
                if refs is None:
                    faults.append(Fault(f"{path}.show_if", "survey.def.condition"))
                else:
                    for ref in refs:
                        if ref == qid:
                            faults.append(Fault(f"{path}.show_if", "survey.def.cycle", {"question": ref}))
                        elif ref not in seen:
                            faults.append(Fault(f"{path}.show_if", "survey.def.later_question", {"question": ref}))
            seen[qid] = question
    if not seen:
        faults.append(Fault("sections", "survey.def.empty"))
    if faults:
        raise DefinitionInvalid(faults)
    return definition


def shown(condition, answers):
    """Whether a question with this show_if is shown, given the answers to earlier questions."""
    if condition is None:
        return True
    if "all" in condition:
        return all(shown(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(shown(part, answers) for part in condition["any"])
    answer = answers.get(condition["question"])
    op = condition["op"]
    if op == "answered":
        return answer not in (None, "", [], {})
    if op == "equals":
        return _value(answer) == condition["value"]
    if op == "not_equals":
        return answer is not None and _value(answer) != condition["value"]
    if op == "contains":
        return isinstance(answer, list) and condition["value"] in answer
    return False


def _value(answer):
    return answer.get("choice") if isinstance(answer, dict) and "choice" in answer else answer


def validate_response(definition, answers, catalogue_codes=(), draft=False):
    """Return the cleaned answers (hidden questions dropped) or raise ResponseInvalid per question.

    A draft may leave required questions empty; everything given must still be valid."""
    faults, clean = [], {}
    known = {q["id"] for q in questions(definition)}
    for qid in answers:
        if qid not in known:
            faults.append(Fault(qid, "survey.answer.unknown_question"))
    for question in questions(definition):
        qid = question["id"]
        visible = shown(question.get("show_if"), clean)
        given = answers.get(qid)
        empty = given in EMPTY
        if not visible:
            if not empty:
                faults.append(Fault(qid, "survey.answer.hidden"))
            continue
        if empty:
            if question.get("required") and not draft:
                faults.append(Fault(qid, "survey.answer.required"))
            continue
        fault = kind_of(question).check(question, given, catalogue_codes)
        if fault:
            faults.append(Fault(qid, *fault))
        else:
            clean[qid] = given
    if faults:
        raise ResponseInvalid(faults)
    return clean


# aggregation ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionResult:
    question: str
    type: str
    answered: int
    counts: dict = field(default_factory=dict)       # option -> count
    shares: dict = field(default_factory=dict)       # option -> Fraction of answered
    other_texts: tuple = ()
    mean: Fraction = None
    median: Fraction = None
    distribution: dict = field(default_factory=dict)
    borda: dict = field(default_factory=dict)
    histogram: dict = field(default_factory=dict)
    bin_width: Fraction = None
    percentiles: dict = field(default_factory=dict)
    texts: tuple = ()
    matrix: dict = field(default_factory=dict)
    by_building: dict = field(default_factory=dict)  # building -> counts (choice questions) or mean (rating)


def aggregate(definition, responses, buildings=None):
    """Results per question. `responses`: list of answer dicts; `buildings`: parallel list of building names."""
    buildings = buildings or [None] * len(responses)
    counted = {question["id"]: [(a[question["id"]], b, 1) for a, b in zip(responses, buildings)
                                if a.get(question["id"]) not in EMPTY] for question in questions(definition)}
    return aggregate_counted(definition, counted)


def aggregate_counted(definition, counted, written=None, figures=None):
    """Results per question from counted answers, the same as `aggregate` over the answers written out.

    `counted`: {question id: [(answer, building, how many)]}; `written`: {question id: the written words in
    the order they are read} for the questions whose kind reads them apart (a text question's answers, a
    choice's 'other' texts) when they are not among the counted answers; `figures`: {question id: its
    NumberFigures} for the number questions the database summed up instead of counting out."""
    results, written, figures = {}, written or {}, figures or {}
    for question in questions(definition):
        qid, kind = question["id"], kind_of(question)
        if qid in figures:
            fields, answered = kind.figured(question, figures[qid]), figures[qid].total
        else:
            given = [(a, b, n) for a, b, n in counted.get(qid, ())
                     if n and (type(a) is int or a not in EMPTY)]   # most answers are plain numbers
            fields = kind.tally(question, given)
            answered = sum(n for _a, _b, n in given)
        field_name = kind.written(question)
        if field_name and qid in written:
            fields[field_name] = tuple(written[qid])
            if field_name == "texts":
                answered = len(fields["texts"])
        results[qid] = QuestionResult(question=qid, type=question["type"], answered=answered, **fields)
    return results


def chat_obstacle(definition):
    """None when every question can be asked in chat; else (message key, params) naming the first one that
    can't, by its number and title."""
    for number, question in enumerate(questions(definition), start=1):
        key = kind_of(question).chat_obstacle(question)
        if key:
            return key, {"number": number, "title": question.get("title") or question["id"]}
    return None


def ratings(definition, answers):
    """The rating answers (1-5) in one response."""
    return [answers[q["id"]] for q in questions(definition) if q["type"] == "rating"
            and isinstance(answers.get(q["id"]), int)]


def satisfaction_index(definition, responses):
    """The mean of every rating answer, as a fraction of 5 (None when nobody rated)."""
    given = [value for answers in responses for value in ratings(definition, answers)]
    return Fraction(sum(given), 5 * len(given)) if given else None
