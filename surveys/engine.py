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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

TYPES = {"single", "multiple", "ranking", "rating", "number", "text", "matrix", "photo", "catalogue"}
OPS = {"equals", "not_equals", "answered", "contains"}
MAX_TEXT = 2000
OTHER = "__other__"


@dataclass(frozen=True)
class Fault:
    """One problem, at a path in the definition or at a question of a response."""

    path: str
    key: str
    params: dict = field(default_factory=dict)


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
            if kind in ("single", "multiple", "ranking") and not _option_ids(question):
                faults.append(Fault(f"{path}.options", "survey.def.options"))
            if kind == "matrix" and (not question.get("rows") or not question.get("scale")):
                faults.append(Fault(f"{path}.rows", "survey.def.matrix"))
            if kind == "multiple":
                low, high = question.get("min", 0), question.get("max", len(_option_ids(question)))
                if not (0 <= low <= high <= len(_option_ids(question))):
                    faults.append(Fault(f"{path}.max", "survey.def.bounds"))
            if kind == "number" and question.get("min") is not None and question.get("max") is not None \
                    and question["min"] > question["max"]:
                faults.append(Fault(f"{path}.max", "survey.def.bounds"))
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


def _option_ids(question):
    return [o["id"] for o in question.get("options", []) if isinstance(o, dict) and "id" in o]


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
        empty = given in (None, "", [], {})
        if not visible:
            if not empty:
                faults.append(Fault(qid, "survey.answer.hidden"))
            continue
        if empty:
            if question.get("required") and not draft:
                faults.append(Fault(qid, "survey.answer.required"))
            continue
        fault = _check(question, given, catalogue_codes)
        if fault:
            faults.append(Fault(qid, *fault))
        else:
            clean[qid] = given
    if faults:
        raise ResponseInvalid(faults)
    return clean


def _check(question, given, catalogue_codes):
    kind, options = question["type"], _option_ids(question)
    if kind == "single":
        if isinstance(given, dict) and given.get("choice") == OTHER and question.get("other"):
            text = given.get("text", "")
            return None if isinstance(text, str) and text.strip() and len(text) <= MAX_TEXT else (
                "survey.answer.other_text", {})
        return None if given in options else ("survey.answer.option", {})
    if kind in ("multiple", "catalogue"):
        allowed = options if kind == "multiple" else list(catalogue_codes)
        if not isinstance(given, list) or len(set(given)) != len(given) or any(g not in allowed for g in given):
            return "survey.answer.option", {}
        low, high = question.get("min", 0), question.get("max", len(allowed))
        return None if low <= len(given) <= high else ("survey.answer.count", {"min": low, "max": high})
    if kind == "ranking":
        return None if isinstance(given, list) and sorted(given) == sorted(options) and len(set(given)) == len(
            given) else ("survey.answer.ranking", {})
    if kind == "rating":
        return None if isinstance(given, int) and not isinstance(given, bool) and 1 <= given <= 5 else (
            "survey.answer.rating", {})
    if kind == "number":
        if not isinstance(given, (int, float)) or isinstance(given, bool):
            return "survey.answer.number", {}
        low, high = question.get("min"), question.get("max")
        if (low is not None and given < low) or (high is not None and given > high):
            return "survey.answer.range", {"min": low, "max": high}
        return None
    if kind == "text":
        return None if isinstance(given, str) and len(given) <= MAX_TEXT else ("survey.answer.text", {})
    if kind == "matrix":
        rows = [r["id"] for r in question["rows"]]
        scale = [s["id"] for s in question["scale"]]
        if not isinstance(given, dict) or any(k not in rows or v not in scale for k, v in given.items()):
            return "survey.answer.matrix", {}
        return None
    if kind == "photo":
        return None if isinstance(given, list) and all(isinstance(p, str) for p in given) and len(given) <= 3 else (
            "survey.answer.photo", {})
    return "survey.answer.option", {}


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
    percentiles: dict = field(default_factory=dict)
    texts: tuple = ()
    matrix: dict = field(default_factory=dict)
    by_building: dict = field(default_factory=dict)  # building -> counts (choice questions) or mean (rating)


def _median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return Fraction(ordered[middle]) if n % 2 else Fraction(ordered[middle - 1] + ordered[middle], 2)


def _percentile(ordered, share):
    """Nearest-rank percentile."""
    if not ordered:
        return None
    rank = max(1, -(-share * len(ordered) // 100))
    return ordered[int(rank) - 1]


def aggregate(definition, responses, buildings=None, bins=10):
    """Results per question. `responses`: list of answer dicts; `buildings`: parallel list of building names."""
    results = {}
    buildings = buildings or [None] * len(responses)
    for question in questions(definition):
        qid, kind = question["id"], question["type"]
        given = [(a[qid], b) for a, b in zip(responses, buildings) if a.get(qid) not in (None, "", [], {})]
        answered = len(given)
        data = {"question": qid, "type": kind, "answered": answered}
        if kind in ("single", "multiple", "catalogue"):
            counts, others, per_building = Counter(), [], defaultdict(Counter)
            for answer, building in given:
                chosen = answer if isinstance(answer, list) else [_value(answer)]
                if isinstance(answer, dict) and answer.get("choice") == OTHER:
                    others.append(answer.get("text", ""))
                for option in chosen:
                    counts[option] += 1
                    per_building[building][option] += 1
            data.update(counts=dict(counts), other_texts=tuple(others),
                        shares={k: Fraction(v, answered) for k, v in counts.items()} if answered else {},
                        by_building={b: dict(c) for b, c in per_building.items() if b is not None})
        elif kind == "rating":
            values = [a for a, _b in given]
            per_building = defaultdict(list)
            for answer, building in given:
                per_building[building].append(answer)
            data.update(mean=Fraction(sum(values), len(values)) if values else None, median=_median(values),
                        distribution={k: values.count(k) for k in range(1, 6)},
                        by_building={b: Fraction(sum(v), len(v)) for b, v in per_building.items() if b is not None})
        elif kind == "ranking":
            options = _option_ids(question)
            borda = {o: 0 for o in options}
            for answer, _b in given:
                for position, option in enumerate(answer):
                    borda[option] += len(options) - 1 - position
            data["borda"] = dict(sorted(borda.items(), key=lambda item: (-item[1], options.index(item[0]))))
        elif kind == "number":
            ordered = sorted(a for a, _b in given)
            histogram = {}
            if ordered:
                low, high = ordered[0], ordered[-1]
                width = Fraction(high - low, bins) if high > low else 1
                for value in ordered:
                    index = min(int((value - low) / width), bins - 1) if high > low else 0
                    histogram[index] = histogram.get(index, 0) + 1
                histogram = {f"{low + i * width}": count for i, count in sorted(histogram.items())}
            data.update(mean=Fraction(sum(Fraction(v) for v in ordered), len(ordered)) if ordered else None,
                        median=_median([Fraction(v) for v in ordered]), histogram=histogram,
                        percentiles={p: _percentile(ordered, p) for p in (10, 25, 50, 75, 90)})
        elif kind == "text":
            data["texts"] = tuple(a for a, _b in given)
        elif kind == "matrix":
            matrix = defaultdict(Counter)
            for answer, _b in given:
                for row, level in answer.items():
                    matrix[row][level] += 1
            data["matrix"] = {row: dict(levels) for row, levels in matrix.items()}
        results[qid] = QuestionResult(**data)
    return results


def satisfaction_index(definition, responses):
    """The mean of every rating answer, as a fraction of 5 (None when nobody rated)."""
    ratings = [a[q["id"]] for q in questions(definition) if q["type"] == "rating" for a in responses
               if isinstance(a.get(q["id"]), int)]
    return Fraction(sum(ratings), 5 * len(ratings)) if ratings else None
