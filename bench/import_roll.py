"""Benchmark: import a 20,000-dwelling voter roll (.xlsx) and compare with openpyxl reading it alone.

Prints dwellings per second, peak memory, and the ratio of the import's time to the floor (the time
openpyxl needs to read every row of the same file in read-only mode). Usage:
    python bench/import_roll.py [--dwellings 20000] [--database-url URL]
"""
import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from bench.common import bench_community, migrated_app  # noqa: E402
from core import registry  # noqa: E402
from core.demo import HEADER, make_id_number  # noqa: E402
from core.extensions import db  # noqa: E402


def make_roll(dwellings, seed=7):
    """An .xlsx roll: 8% co-owned dwellings, 5% owners with two flats, 2% developer-held."""
    rng = random.Random(seed)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    owners = []
    per_building = 4 * 18 * 4
    for i in range(dwellings):
        b, rest = divmod(i, per_building)
        u, rest = divmod(rest, 18 * 4)
        floor, flat = divmod(rest, 4)
        base = [f"{b + 1}栋", f"{u + 1}单元", f"{floor + 1}{flat + 1:02d}", rng.randint(4000, 13000) / 100, None,
                None]
        if rng.random() < 0.02:
            sheet.append(base + ["某房地产开发有限公司", None, None, "是", "否"])
            continue
        if owners and rng.random() < 0.05:
            owner = rng.choice(owners)
        else:
            owner = (f"业主{i}", make_id_number(rng, rng.randint(1940, 1995)), f"139{i:08d}")
            owners.append(owner)
        sheet.append(base + [owner[0], owner[1], owner[2], "否", "是"])
        if rng.random() < 0.08:
            sheet.append(base + [f"共有人{i}", make_id_number(rng, 1970), None, "否", "是"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_floor(data):
    """The time for openpyxl alone to read every cell of the roll."""
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = sum(1 for _ in workbook.active.iter_rows(values_only=True))
    workbook.close()
    return time.perf_counter() - started, rows


def fresh_app(url):
    app = migrated_app(url)
    with app.app_context():
        compound = registry.add_compound(bench_community(), None, name="bench compound")
        db.session.commit()
        return app, compound.id


def run_import(app, compound_id, data):
    with app.app_context():
        started = time.perf_counter()
        report = registry.import_roll(None, compound_id, data, "bench.xlsx")
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return elapsed, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dwellings", type=int, default=20_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    data = make_roll(args.dwellings)
    floor_times = [read_floor(data)[0] for _ in range(3)]
    floor = min(floor_times)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
        app, compound_id = fresh_app(url)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        elapsed, report = run_import(app, compound_id, data)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        again, second = run_import(app, compound_id, data)  # re-import: changes nothing
        # Python-level peak of a third, identical (no-op) import, traced separately from the timings.
        tracemalloc.start()
        run_import(app, compound_id, data)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    backend = url.split(":", 1)[0]
    print(f"roll: {args.dwellings} dwellings, {report.rows} owner rows, {len(data) / 1e6:.1f} MB xlsx; database {backend}")
    print(f"floor (openpyxl read-only, best of 3): {floor:.2f} s")
    print(f"import: {elapsed:.2f} s = {report.dwellings_created / elapsed:,.0f} dwellings/s; "
          f"ratio to floor {elapsed / floor:.2f}x (aim <= 3x)")
    print(f"re-import of the same roll: {again:.2f} s, changed anything: {second.changed}")
    print(f"peak RSS of the process: {rss_after / 1024:.0f} MB (before import {rss_before / 1024:.0f} MB); "
          f"traced Python peak during a re-import: {traced_peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
