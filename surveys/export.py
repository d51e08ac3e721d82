"""Survey answers as a table a person can read: one column per question, 'other' text in its own
column, a matrix row per column; hidden or unanswered questions are empty cells, never 'None'."""
from core import exports
from surveys.engine import questions
from surveys.kinds import kind_of


def columns(definition, other_header):
    """(key, header) pairs in order; `other_header` is the translated word for the 'other' column."""
    return [((question["id"], part), header) for question in questions(definition)
            for part, header in kind_of(question).columns(question, other_header)]


def cell(question, answer, part):
    """One cell's value, as the question's type writes it."""
    return kind_of(question).cell(question, answer, part)


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
