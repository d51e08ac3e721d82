"""Benchmark: tally a 10,000-dwelling compound's vote in a city of 100,000 ballots, against the floor
of a bare SQL aggregate over the same ballots (choice, count and area summed in the database). Usage:
    python bench/vote_tally.py [--database-url URL] [--compounds 10] [--dwellings 10000]
"""
import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402


def build(url, compounds, per_compound):
    from bench.common import bench_community, bench_stairwell, migrated_app
    from core import registry
    from core.extensions import db
    from core.models import Dwelling, Ownership, Person, utcnow
    from votes.models import Ballot, Vote
    app = migrated_app(url)
    rng = random.Random(5)
    with app.app_context():
        region = bench_community()
        vote_ids = []
        person_id = 0
        for c in range(compounds):
            compound = registry.add_compound(region, None, name=f"compound-{c}")
            unit = bench_stairwell(compound)
            db.session.execute(insert(Dwelling.__table__), [
                {"unit_id": unit.id, "room": str(i), "registered_area": rng.randint(4000, 13000), "use": "residential"}
                for i in range(per_compound)])
            ids = [r[0] for r in db.session.execute(text("SELECT id FROM dwellings WHERE unit_id = :u ORDER BY id"),
                                                    {"u": unit.id})]
            people = []
            for i, _dwelling in enumerate(ids):
                if i % 20 == 1 and people:
                    continue  # the same buyer as the previous flat
                person_id += 1
                people.append({"id": person_id, "name": f"p{person_id}", "id_key": f"key-{person_id}"})
            db.session.execute(insert(Person.__table__), people)
            owners, p = [], 0
            for i, dwelling_id in enumerate(ids):
                if not (i % 20 == 1 and i > 0):
                    p += 1
                owners.append({"dwelling_id": dwelling_id, "person_id": people[p - 1]["id"],
                               "developer_held": i % 50 == 7, "delivered": i % 50 != 7})
            db.session.execute(insert(Ownership.__table__), owners)
            vote = Vote(compound_id=compound.id, region_id=region.id, scope_kind="compound", scope_id=compound.id,
                        matter="rebuild", title="bench", state="open", opens_at=utcnow(), closes_at=utcnow(),
                        chain_head="0" * 64)
            db.session.add(vote)
            db.session.flush()
            from votes.services import freeze_roll
            freeze_roll(vote)
            roll = dict(((d, (a, h)) for d, a, h in db.session.execute(
                text("SELECT dwelling_id, area, head_no FROM vote_parts WHERE vote_id = :v"), {"v": vote.id})))
            db.session.execute(insert(Ballot.__table__), [
                {"vote_id": vote.id, "dwelling_id": d, "choice": rng.choice(("agree", "agree", "agree", "disagree",
                                                                            "abstain")),
                 "channel": "paper", "receipt": f"r{vote.id}-{d}", "cast_at": utcnow(), "area": roll[d][0],
                 "head_no": roll[d][1]}
                for d in ids if rng.random() < 0.9])
            vote_ids.append(vote.id)
        db.session.commit()
        ballots = db.session.scalar(text("SELECT count(*) FROM ballots"))
    return app, vote_ids[0], ballots


FLOOR_SQL = text("""
    SELECT b.choice, count(*), sum(coalesce(d.registered_area, d.surveyed_area, d.contract_area))
    FROM ballots b JOIN dwellings d ON d.id = b.dwelling_id WHERE b.vote_id = :v GROUP BY b.choice""")


def best_of(function, runs=5):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - started)
    return min(times), value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--compounds", type=int, default=10)
    parser.add_argument("--dwellings", type=int, default=10_000)
    args = parser.parse_args()
    from core.extensions import db
    from votes.models import Vote
    from votes.services import tally
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app, vote_id, ballots = build(url, args.compounds, args.dwellings)
        with app.app_context():
            vote = db.session.get(Vote, vote_id)
            floor, rows = best_of(lambda: db.session.execute(FLOOR_SQL, {"v": vote_id}).all())
            ours, result = best_of(lambda: tally(vote))
            from votes.services import recount
            pure, check = best_of(lambda: recount(vote), runs=2)
            assert check == result, "the database count and the pure recount differ"
            db.engine.dispose()
    print(f"{ballots} ballots in the city; the compound: {args.dwellings} dwellings, "
          f"{result.participating_heads} participating heads of {result.total_heads}; database {url.split(':')[0]}")
    print(f"floor (SQL aggregate of the compound's ballots, best of 5): {floor * 1000:.1f} ms")
    print(f"tally (heads, areas, quorum and approval, best of 5): {ours * 1000:.1f} ms; "
          f"ratio {ours / floor:.2f}x (aim <= 3x)")
    print(f"pure recount in Python (what verify uses): {pure * 1000:.1f} ms; it agrees with the tally")


if __name__ == "__main__":
    main()
