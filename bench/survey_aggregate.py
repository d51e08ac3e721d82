"""Benchmark: aggregate 100,000 responses to a 30-question survey, against the floor of one SQL scan
that reads the same response rows. Prints the aggregation time, peak memory and the ratio. Usage:
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

from sqlalchemy import insert, select  # noqa: E402

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
    from bench.common import bench_community, bench_stairwell, migrated_app
    from core import registry
    from core.extensions import db
    from core.models import Dwelling, WechatAccount, utcnow
    from surveys import engine
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
            query = select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id,
                                                         SurveyResponse.submitted.is_(True))

            def floor():
                return len(db.session.execute(query).scalars().all())

            def ours():
                return engine.aggregate(spec, db.session.execute(query).scalars().all())

            started = time.perf_counter()
            rows = floor()
            floor_time = time.perf_counter() - started
            started = time.perf_counter()
            results = ours()
            our_time = time.perf_counter() - started
            tracemalloc.start()
            ours()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            db.engine.dispose()
    print(f"{rows} responses x {len(qs)} questions; database {url.split(':')[0]}")
    print(f"floor (one SQL scan reading the same rows): {floor_time:.2f} s")
    print(f"aggregation (read + every question's counts, means, medians, Borda, percentiles, texts): "
          f"{our_time:.2f} s; ratio {our_time / floor_time:.2f}x (aim <= 5x); traced peak {peak / 1e6:.0f} MB")
    assert results["q2"].answered > 0


if __name__ == "__main__":
    main()
