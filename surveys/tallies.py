"""Survey answers counted as they arrive: each submitted response adds one to the count of each of its
answers (per question and building), a changed or withdrawn response moves its counts, all in the
response's own transaction. Results read these counts (and, for written words, only those words), so a
province-wide survey's results cost what its distinct answers cost, not what its responses do."""
import hashlib
import json
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import select, text

from core.extensions import db
from core.models import Building, Dwelling, Unit
from surveys.kinds import EMPTY, NumberFigures, kind_of
from surveys.models import SurveyResponse, SurveyTally


def canonical(value):
    """An answer as the one JSON text every equal answer has."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entries(answers):
    """{(question, canonical answer): 1} for the non-empty answers of one response."""
    return Counter((qid, canonical(value)) for qid, value in (answers or {}).items() if value not in EMPTY)


# One answer's count moved, in the building of the response's dwelling (PostgreSQL and SQLite say an upsert alike;
# as text, so that it is compiled once: the dialects' upsert constructs are compiled again for every execution).
MOVE = text("INSERT INTO survey_tallies (survey_id, question, building_id, digest, value, n) "
            "SELECT :survey_id, :question, units.building_id, :digest, :value, :n "
            "FROM dwellings JOIN units ON units.id = dwellings.unit_id WHERE dwellings.id = :dwelling_id "
            "ON CONFLICT (survey_id, question, building_id, digest) DO UPDATE SET n = survey_tallies.n + excluded.n")


def change(survey_id, dwelling_id, before, after):
    """Move one response's counts, in its dwelling's building, from `before` to `after` (Counters from `entries`;
    empty for a draft)."""
    delta = Counter(after)
    delta.subtract(before)
    rows = [{"survey_id": survey_id, "question": qid, "dwelling_id": dwelling_id,
             "digest": hashlib.sha1(value.encode()).hexdigest(), "value": value, "n": n}
            for (qid, value), n in sorted(delta.items()) if n]   # one order everywhere: no deadlocks
    if rows:
        db.session.execute(MOVE, rows)  # in that order, sent together


def counted(survey_id, skip=()):
    """{question: [(answer, building name, how many)]} of the submitted responses (questions in `skip`
    left out)."""
    query = (select(SurveyTally.question, SurveyTally.value, Building.name, SurveyTally.n)
             .join(Building, Building.id == SurveyTally.building_id)
             .where(SurveyTally.survey_id == survey_id, SurveyTally.n > 0))
    if skip:
        query = query.where(SurveyTally.question.not_in(list(skip)))
    found, decoded = {}, {}
    for question, value, building, n in db.session.connection().execute(query):
        answer = decoded.get(value)
        if answer is None:
            answer = decoded[value] = _decode(value)
        found.setdefault(question, []).append((answer, building, n))
    return found


@contextmanager
def sorting_in_memory():
    """Let the reads inside sort a province's answers (tens of MB) in memory instead of spilling them to disk,
    for those reads only (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    connection = db.session.connection()
    connection.execute(text("SET LOCAL work_mem = '64MB'"))
    try:
        yield
    finally:
        connection.execute(text("SET LOCAL work_mem TO DEFAULT"))


def figures(survey_id, questions):
    """{question: NumberFigures} of the questions whose kind is summed up, read where the counts are kept
    (PostgreSQL; elsewhere none) when every answer counted is a whole number; the rest are counted out."""
    wanted = {q["id"]: kind_of(q) for q in questions if kind_of(q).summed}
    if not wanted or db.engine.dialect.name != "postgresql":
        return {}
    connection = db.session.connection()
    # canonical JSON of a whole number is digits and a sign, of anything else never (a float has "." or "e");
    # under a billion, a value times its count stays within bigint. Each value is read as a number once (OFFSET 0
    # keeps the subquery apart: merged into the outer query, the cast would be evaluated for every aggregate).
    summed = {question: (total, exact, low, high) for question, total, exact, low, high, whole in connection.execute(
        text("SELECT question, sum(n), sum(number * n), min(number), max(number), bool_and(number IS NOT NULL)"
             " FROM (SELECT question, n, CASE WHEN ltrim(value, '-0123456789') = '' AND length(value) < 10"
             " THEN value::bigint END AS number FROM survey_tallies"
             " WHERE survey_id = :survey AND question = ANY(:questions) AND n > 0 OFFSET 0) t GROUP BY question"),
        {"survey": survey_id, "questions": list(wanted)}) if whole}
    if not summed:
        return {}
    # how many answers fall in each of a hundred fine bins per histogram bin (one hash aggregate, no sort):
    # the histogram adds them up, and the running counts say which fine bins hold the places wanted
    params = {"survey": survey_id, "summed": list(summed), "lows": [f[2] for f in summed.values()],
              "highs": [f[3] for f in summed.values()], "fine": [wanted[q].BINS * 100 for q in summed]}
    fine = {}
    for question, index, n in connection.execute(text(
            f"SELECT question, {_FINE_BIN}, sum(n) FROM survey_tallies JOIN unnest(CAST(:summed AS text[]),"
            " CAST(:lows AS bigint[]), CAST(:highs AS bigint[]), CAST(:fine AS int[])) AS w(q, low, high, fine)"
            " ON question = w.q WHERE survey_id = :survey AND n > 0 GROUP BY 1, 2"), params):
        fine.setdefault(question, {})[index] = int(n)
    bins, looked = {}, {}
    for question, (total, *_rest) in summed.items():
        kind, counts = wanted[question], bins.setdefault(question, {})
        places, before = iter(kind.positions(total)), 0
        place = next(places, None)
        for index, n in sorted(fine[question].items()):
            key = min(index // 100, kind.BINS - 1)
            counts[key] = counts.get(key, 0) + n
            while place is not None and place < before + n:
                looked.setdefault((question, index), (before, []))[1].append(place)
                place = next(places, None)
            before += n
    # the values of only the fine bins holding a wanted place, in order: each such bin is a range of whole numbers,
    # and each value is read as a number once (OFFSET 0 keeps the subquery apart, as above)
    ranges = {(question, index): _fine_values(summed[question][2], summed[question][3], wanted[question].BINS * 100,
                                              index) for question, index in looked}
    bin_at = {(question, low): index for (question, index), (low, _high) in ranges.items()}
    found = {}
    if ranges:
        for question, low, value, n in connection.execute(text(
                "SELECT t.question, h.low, t.number, sum(t.n) FROM (SELECT question, value::bigint AS number, n"
                " FROM survey_tallies WHERE survey_id = :survey AND question = ANY(:questions) AND n > 0 OFFSET 0) t"
                " JOIN unnest(CAST(:bins AS text[]), CAST(:lows AS bigint[]), CAST(:highs AS bigint[])) AS h(q, low, high)"
                " ON t.question = h.q AND t.number BETWEEN h.low AND h.high GROUP BY 1, 2, 3"),
                {"survey": survey_id, "questions": sorted({question for question, _index in ranges}),
                 "bins": [question for question, _index in ranges], "lows": [low for low, _high in ranges.values()],
                 "highs": [high for _low, high in ranges.values()]}):
            found.setdefault((question, bin_at[(question, low)]), []).append((value, int(n)))
    at = {}
    for (question, index), (before, places) in looked.items():
        runs = sorted(found[(question, index)])
        for place in places:
            at.setdefault(question, {})[place] = _value_at(runs, place - before)
    return {question: NumberFigures(int(total), int(exact), low, high, bins[question], at.get(question, {}))
            for question, (total, exact, low, high) in summed.items()}


def _value_at(runs, place):
    """The value at a place (from 0) of [(value, how many)] in order of value."""
    for value, n in runs:
        if place < n:
            return value
        place -= n
    raise IndexError(place)


# a whole-number answer's fine bin: a hundredth of a histogram bin, so that bin is the fine one's // 100
_FINE_BIN = ("CASE WHEN w.high > w.low THEN least((value::bigint - w.low) * w.fine / (w.high - w.low), w.fine)"
             " ELSE 0 END")


def _fine_values(low, high, fine, index):
    """(lowest, highest) of the whole numbers between `low` and `high` whose fine bin (_FINE_BIN, out of `fine`)
    is `index`: those whose distance from `low`, times `fine`, is at least index and less than index + 1 spans."""
    if high <= low:
        return low, high
    span = high - low
    return low - (-index * span // fine), min(high, low - (-(index + 1) * span // fine) - 1)


def _decode(value):
    """A canonical answer back as data (the plain numbers and words most answers are, without the parser)."""
    if value.isdigit() and (value == "0" or value[0] != "0"):
        return int(value)
    if value[:1] == '"' and "\\" not in value and value.count('"') == 2:
        return value[1:-1]
    return json.loads(value)


def written(survey_id, questions):
    """{question: the written words in the order the results list them (building, unit, room)} for the
    questions whose kind reads words apart from the counts."""
    wanted = [q for q in questions if kind_of(q).written(q)]
    if not wanted:
        return {}
    if db.engine.dialect.name == "postgresql":
        parts = _written_parts_pg(survey_id, wanted)
    else:
        # a text answer is the words themselves: read as text, not decoded
        columns = [SurveyResponse.answers[q["id"]].as_string() if kind_of(q).written(q) == "texts"
                   else SurveyResponse.answers[q["id"]] for q in wanted]
        parts = db.session.connection().execute(
            select(*columns).join(Dwelling, SurveyResponse.dwelling_id == Dwelling.id)
            .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(SurveyResponse.survey_id == survey_id, SurveyResponse.submitted.is_(True))
            .order_by(Building.name, Unit.name, Dwelling.room, SurveyResponse.id)).partitions(5000)
    found = {q["id"]: [] for q in wanted}
    kinds = [(q, kind_of(q)) for q in wanted]
    for part in parts:   # a few thousand rows at a time, each question's answers together
        for (question, kind), answers in zip(kinds, zip(*part)):
            found[question["id"]].extend(kind.written_values(question, answers))
    return found


def _written_parts_pg(survey_id, wanted):
    """The wanted questions' answers, a few thousand responses at a time in the order the results list them, as
    plain tuples read from the driver (no row objects for a province's responses). PostgreSQL looks every wanted
    question up in each response's answers at once (jsonb_to_record: the stored jsonb is not parsed again, and
    the other answers are not read), and sorts the responses by their home's place among the homes answering (a
    number: the few homes are sorted by building, unit and room, not every response by three names)."""
    def quoted(name):
        return '"' + name.replace('"', '""') + '"'
    fields = ", ".join(f"{quoted(q['id'])} {'text' if kind_of(q).written(q) == 'texts' else 'jsonb'}"
                       for q in wanted)
    cursor = db.session.connection().connection.cursor()   # in the session's transaction
    try:
        # no parameters: the driver then reads no placeholders in the question names
        survey = int(survey_id)
        cursor.execute(
            "SELECT x.* FROM survey_responses r JOIN (SELECT d.id, dense_rank() OVER (ORDER BY b.name, u.name, d.room)"
            " AS place FROM dwellings d JOIN units u ON u.id = d.unit_id JOIN buildings b ON b.id = u.building_id"
            f" WHERE d.id IN (SELECT dwelling_id FROM survey_responses WHERE survey_id = {survey} AND submitted))"
            f" home ON home.id = r.dwelling_id, jsonb_to_record(r.answers) AS x({fields})"
            f" WHERE r.survey_id = {survey} AND r.submitted ORDER BY home.place, r.id")
        while part := cursor.fetchmany(5000):
            yield part
    finally:
        cursor.close()


def recount(survey_id):
    """Rebuild a survey's counts from its responses (after a repair, or to check them)."""
    db.session.execute(SurveyTally.__table__.delete().where(SurveyTally.survey_id == survey_id))
    totals = Counter()
    rows = db.session.execute(select(SurveyResponse.answers, Unit.building_id)
                              .join(Dwelling, SurveyResponse.dwelling_id == Dwelling.id)
                              .join(Unit, Dwelling.unit_id == Unit.id)
                              .where(SurveyResponse.survey_id == survey_id, SurveyResponse.submitted.is_(True)))
    for answers, building_id in rows:
        for (qid, value), n in entries(answers).items():
            totals[(building_id, qid, value)] += n
    rows = [{"survey_id": survey_id, "question": qid, "building_id": building_id,
             "digest": hashlib.sha1(value.encode()).hexdigest(), "value": value, "n": n}
            for (building_id, qid, value), n in totals.items()]
    for start in range(0, len(rows), 5000):
        db.session.execute(SurveyTally.__table__.insert(), rows[start:start + 5000])
