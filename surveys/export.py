"""Survey answers as a table a person can read: one column per question, 'other' text in its own
column, a matrix row per column; hidden or unanswered questions are empty cells, never 'None'."""
from core import exports
from surveys.engine import OTHER, questions


def columns(definition, other_header):
    """(key, header) pairs in order; `other_header` is the translated word for the 'other' column."""
    result = []
    for question in questions(definition):
        title = question.get("title") or question["id"]
        if question["type"] == "matrix":
            for row in question["rows"]:
                result.append(((question["id"], row["id"]), f"{title} - {row.get('label', row['id'])}"))
            continue
        result.append(((question["id"], None), title))
        if question["type"] == "single" and question.get("other"):
            result.append(((question["id"], OTHER), f"{title} - {other_header}"))
    return result


def _labels(question):
    return {o["id"]: o.get("label", o["id"]) for o in question.get("options", [])} | {
        s["id"]: s.get("label", s["id"]) for s in question.get("scale", [])}


def cell(question, answer, part):
    """One cell's text."""
    if answer in (None, "", [], {}):
        return ""
    labels = _labels(question)
    if question["type"] == "matrix":
        return labels.get(answer.get(part), "") if isinstance(answer, dict) else ""
    if part == OTHER:
        return answer.get("text", "") if isinstance(answer, dict) and answer.get("choice") == OTHER else ""
    if isinstance(answer, dict):
        return "" if answer.get("choice") == OTHER else labels.get(answer.get("choice"), "")
    if isinstance(answer, list):
        return "、".join(str(labels.get(a, a)) for a in answer)
    if question["type"] == "single":
        return labels.get(answer, str(answer))
    return answer


def table(definition, responses, other_header, meta_headers=(), meta=None):
    """Header row and value rows; `meta` gives leading cells per response (e.g. building, room)."""
    cols = columns(definition, other_header)
    by_id = {q["id"]: q for q in questions(definition)}
    header = list(meta_headers) + [title for _key, title in cols]
    rows = []
    for index, answers in enumerate(responses):
        leading = list(meta[index]) if meta else []
        rows.append(leading + [cell(by_id[qid], answers.get(qid), part) for (qid, part), _title in cols])
    return header, rows


def to_xlsx(header, rows):
    """The answers as an .xlsx workbook (formula-looking text neutralised)."""
    return exports.to_xlsx([header, *rows])


def to_csv(header, rows):
    """The answers as CSV (formula-looking text neutralised)."""
    return exports.to_csv([header, *rows])
