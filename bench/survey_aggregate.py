"""Benchmark: the results of 100,000 responses to a 30-question survey, against the floor of the database's
own scan of the answers (count and total stored size, nothing decoded). Prints the results' time,
peak memory and the ratio, and checks the results equal the pure engine's over every response. Usage:
    python bench/survey_aggregate.py [--responses 100000] [--database-url URL]
"""
import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Text, cast, func, insert, select  # noqa: E402

TYPES = ["single", "multiple", "rating", "number", "ranking", "text"]


def definition():
    options = [{"id": f"o{i}", "label": f"选项{i}"} for i in range(5)]
    questions = []
    for i in range(30):
        kind = TYPES[i % len(TYPES)]
        question = {"id": f"q{i}", "type": kind, "title": f"问题{i}"}
        if kind in ("single", "multiple", "ranking"):
            question["options"] = options
        if kind == "number":
            question.update(min=0, max=100000)
        questions.append(question)
    return {"sections": [{"id": "s", "questions": questions}]}


def answer(rng, question):
    kind = question["type"]
    if kind == "single":
        return f"o{rng.randrange(5)}"
    if kind == "multiple":
        return sorted(rng.sample([f"o{i}" for i in range(5)], rng.randint(1, 3)))
    if kind == "rating":
        return rng.randint(1, 5)
    if kind == "number":
        return rng.randint(0, 50000)
    if kind == "ranking":
        order = [f"o{i}" for i in range(5)]
        rng.shuffle(order)
        return order
    return "意见" * rng.randint(1, 5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from bench.common import bench_community, bench_stairwell, migrated_app, planner_statistics
    from core import registry
    from core.extensions import db
    from core.models import Dwelling, WechatAccount, utcnow
    from surveys import engine, services, tallies
    from surveys.models import Survey, SurveyResponse, SurveyVersion
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = migrated_app(url)
        with app.app_context():
            region = bench_community()
            compound = registry.add_compound(region, None, name="bench")
            unit = bench_stairwell(compound)
            dwelling = Dwelling(unit_id=unit.id, room="101", registered_area=8000)
            account = WechatAccount(openid="bench", locale="zh_Hans_CN")
            db.session.add_all([dwelling, account])
            db.session.flush()
            spec = definition()
            survey = Survey(compound_id=compound.id, region_id=region.id, kind="other", title="bench",
                            scope_kind="compound", scope_id=compound.id, state="closed")
            db.session.add(survey)
            db.session.flush()
            db.session.add(SurveyVersion(survey_id=survey.id, version=1, definition=spec))
            qs = engine.questions(spec)
            for start in range(0, args.responses, 10_000):
                db.session.execute(insert(SurveyResponse.__table__), [
                    {"survey_id": survey.id, "respondent": f"r{i}", "account_id": account.id,
                     "dwelling_id": dwelling.id, "version": 1, "submitted": True, "updated_at": utcnow(),
                     "answers": {q["id"]: answer(rng, q) for q in qs if rng.random() < 0.9}}
                    for i in range(start, min(args.responses, start + 10_000))])
            db.session.commit()
            started = time.perf_counter()
            tallies.recount(survey.id)   # what answering keeps up to date, one response at a time
            db.session.commit()
            recount_time = time.perf_counter() - started
            planner_statistics()  # of the responses and the counts just written, outside the recount's time
            # the answers' stored size: PostgreSQL keeps them as jsonb, which it would have to render as text to
            # measure their length (a decoding of every response, not a scan)
            size = (func.pg_column_size(SurveyResponse.answers) if url.startswith("postgresql")
                    else func.length(cast(SurveyResponse.answers, Text)))
            scan = select(func.count(), func.sum(size)).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.submitted.is_(True))

            def floor():
                return db.session.execute(scan).one()[0]

            def ours():
                db.session.expire_all()
                return services.aggregate(survey, spec)

            rows, floor_times = None, []
            for _ in range(3):
                started = time.perf_counter()
                rows = floor()
                floor_times.append(time.perf_counter() - started)
            our_times = []
            for _ in range(3):
                started = time.perf_counter()
                results = ours()
                our_times.append(time.perf_counter() - started)
            tracemalloc.start()
            ours()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            started = time.perf_counter()
            submitted = services._submitted(survey)
            pure = engine.aggregate(spec, [r[0] for r in submitted], [r[1] for r in submitted])
            pure_time = time.perf_counter() - started
            same = pure == results
            db.engine.dispose()
    floor_time, our_time = min(floor_times), min(our_times)
    print(f"{rows} responses x {len(qs)} questions; database {url.split(':')[0]}")
    print(f"floor (the database's own scan of the answers: count and total stored size): {floor_time:.2f} s "
          f"(best of 3)")
    print(f"results (counts kept as answers arrive, written answers read in order; every question's counts, "
          f"means, medians, Borda, percentiles, texts): {our_time:.2f} s (best of 3; "
          f"{', '.join(f'{t:.2f}' for t in our_times)}); ratio {our_time / floor_time:.2f}x; "
          f"traced peak {peak / 1e6:.0f} MB; aim < 2 s")
    print(f"the pure engine over every response, decoded: {pure_time:.2f} s; results identical: {same}")
    print(f"(counting the {rows} responses from scratch, as a repair would: {recount_time:.1f} s)")
    assert same, "the counted results differ from the engine's"
    assert results["q2"].answered > 0


if __name__ == "__main__":
    main()
