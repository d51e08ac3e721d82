"""Editing a survey definition one question at a time, as plain data (pure; the engine validates)."""
import copy
import re

from surveys.kinds import KINDS, kind_of

TYPES_WITH_OPTIONS = {name for name, kind in KINDS.items() if kind.options_key == "options"}


def parse_options(text):
    """Options typed one per line, as 'label' or 'id = label'; ids a, b, c… are given when left out."""
    options, used = [], set()
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        ident, sep, label = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z0-9_\-]{1,32}", ident.strip()):
            ident, label = ident.strip(), label.strip()
        else:
            ident, label = None, line
        options.append([ident, label])
        if ident:
            used.add(ident)
    letters = (chr(c) for c in range(ord("a"), ord("z") + 1))
    for option in options:
        if option[0] is None:
            option[0] = next(letter for letter in letters if letter not in used)
            used.add(option[0])
    return [{"id": ident, "label": label} for ident, label in options]


def format_options(question):
    """The options of a question as the editor shows them."""
    return "\n".join(f"{o['id']} = {o['label']}" for o in question.get("options", []))


def _locate(definition, question_id):
    for s, section in enumerate(definition.get("sections", [])):
        for q, question in enumerate(section.get("questions", [])):
            if question.get("id") == question_id:
                return s, q
    return None


def find_question(definition, question_id):
    """(section id, question) or None."""
    place = _locate(definition, question_id)
    if place is None:
        return None
    section = definition["sections"][place[0]]
    return section.get("id"), section["questions"][place[1]]


def edited(question, title, kind, required, options_text, condition):
    """The question with what the editor changes; everything else (min, max, rows, …) kept."""
    question = copy.deepcopy(question)
    question.update(title=title.strip(), type=kind, required=bool(required))
    if kind in TYPES_WITH_OPTIONS:
        question["options"] = parse_options(options_text)
    elif "options" in question and kind not in TYPES_WITH_OPTIONS | {"matrix"}:
        del question["options"]
    if condition == "keep":
        pass
    elif condition is None:
        question.pop("show_if", None)
    else:
        question["show_if"] = condition
    return question


def replace_question(definition, question_id, question):
    """A new definition with one question replaced."""
    place = _locate(definition, question_id)
    if place is None:
        raise KeyError(question_id)
    result = copy.deepcopy(definition)
    result["sections"][place[0]]["questions"][place[1]] = question
    return result


def add_question(definition, section_id, question):
    """A new definition with a question appended to a section."""
    result = copy.deepcopy(definition)
    for section in result.get("sections", []):
        if section.get("id") == section_id:
            section.setdefault("questions", []).append(question)
            return result
    raise KeyError(section_id)


def remove_question(definition, question_id):
    """A new definition without the question."""
    place = _locate(definition, question_id)
    if place is None:
        raise KeyError(question_id)
    result = copy.deepcopy(definition)
    del result["sections"][place[0]]["questions"][place[1]]
    return result


def new_id(definition):
    """An id not used by any question yet."""
    used = {q.get("id") for s in definition.get("sections", []) for q in s.get("questions", [])}
    n = 1
    while f"q{n}" in used:
        n += 1
    return f"q{n}"


def condition_parts(definition, condition):
    """A show_if in the committee's words: ("all" | "any" | None, [(question title, op, value label)]).
    Values are shown as their option's label (a number or text as it is); an unknown question by its id."""
    if not condition:
        return None, []
    joiner = "all" if "all" in condition else "any" if "any" in condition else None
    parts = condition.get(joiner) if joiner else [condition]
    by_id = {q.get("id"): q for s in definition.get("sections", []) for q in s.get("questions", [])}
    words = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict) or "question" not in part:
            words.append(("?", part.get("op", "?") if isinstance(part, dict) else "?", ""))
            continue
        question = by_id.get(part["question"])
        title = (question.get("title") or question["id"]) if question else part["question"]
        value = part.get("value", "")
        label = kind_of(question).value_label(question, value) if question and question.get(
            "type") in KINDS and part.get("op") != "answered" else ("" if part.get("op") == "answered"
                                                                             else str(value))
        words.append((title, part.get("op"), label))
    return joiner, words


def condition_value(definition, question_id, typed):
    """The value a committee typed for a condition on `question_id` (an option's label or id, a number), as
    stored in the definition."""
    found = find_question(definition, question_id)
    if found is None or found[1].get("type") not in KINDS:
        return (typed or "").strip()
    return kind_of(found[1]).value_of(found[1], typed)


def condition_value_label(definition, question_id, value):
    """A stored condition value as the editor shows it (the option's label)."""
    found = find_question(definition, question_id)
    if found is None or found[1].get("type") not in KINDS:
        return "" if value is None else str(value)
    return kind_of(found[1]).value_label(found[1], value)
