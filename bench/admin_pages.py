"""Benchmark: the admin pages at the scale of a province (4,000 compounds, 460,000 dwellings).

Prints the server time (p50/p95, in-process WSGI, no network) of the province official's dashboard and
ledger, a city's dashboard (a drill-down), the committee's live vote page and its polled figures, for a
2,000-dwelling compound with an open vote and 1,500 ballots, and the wishes inbox (a committee's, and the
province's over 100,000 wishes); and a floor: the same client fetching a page that reads one row (the
sign-in session and the page frame, no figures). Aim: p95 under 150 ms each. Usage:
    python bench/admin_pages.py [--database-url URL] [--compounds 4000] [--dwellings 460000] [--requests 30]
Given a PostgreSQL URL it drops and rebuilds that database's schema.
"""
import argparse
import gc
import random
import statistics
import sys
from collections import Counter
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

STAGES = ("reserve", "planned", "design", "publicity", "approval", "construction", "acceptance", "handover",
          "management")
CODES = ("B01", "B02", "B03", "B04", "I01", "I03", "I05", "I16", "E01", "E03")
PASSWORD = "bench-password-2026"
VOTE_COMPOUND_DWELLINGS = 2000


def chunks(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def put(table, rows):
    from core.extensions import db
    for part in chunks(rows):
        db.session.execute(insert(table), part)


def build_regions(compounds):
    """Province › 10 cities › 8 counties › 5 streets › 5 communities: 2,000 communities, compounds spread over them."""
    from core.models import Region
    rows, communities, ident = [], [], 0

    def add(parent, level, name):
        nonlocal ident
        ident += 1
        path = (parent["path"] if parent else "/") + f"{ident}/"
        row = {"id": ident, "parent_id": parent["id"] if parent else None, "level": level, "name": name, "path": path}
        rows.append(row)
        return row
    province = add(None, "province", "四川省")
    for c in range(10):
        city = add(province, "city", f"市{c}")
        for k in range(8):
            county = add(city, "county", f"县{c}-{k}")
            for s in range(5):
                street = add(county, "street", f"街道{c}-{k}-{s}")
                for m in range(5):
                    communities.append(add(street, "community", f"社区{c}-{k}-{s}-{m}"))
    put(Region.__table__, rows)
    return rows, communities


def closed_record(dwellings, rng):
    """What closing a vote stores (as votes.services stores it): the record (the count and the parts and
    ballots it was counted from, most owners agreeing) and the count apart."""
    from dataclasses import asdict
    from votes import rules
    parts = [rules.Part(d["id"], d["registered_area"], f"h{d['id']}") for d in dwellings]
    ballots = {p.dwelling_id: rng.choice(("agree", "agree", "agree", "disagree", "abstain"))
               for p in parts if rng.random() < 0.8}
    result = rules.count(parts, ballots, "rebuild")
    record = {"result": asdict(result),
              "inputs": {"parts": [[p.dwelling_id, p.area, p.head] for p in parts],
                         "ballots": {str(k): v for k, v in sorted(ballots.items())}, "chain_head": None, "events": 0}}
    return {"result": record, "counted": record["result"]}


def build(url, compounds, dwellings):
    from bench.common import migrated_app, planner_statistics
    from core.catalogue import sync_base_catalogue
    from core.extensions import db
    from core.models import Building, Compound, Dwelling, Ownership, Person, Unit, WechatAccount, utcnow
    from core.staff import create_staff
    from oversight.models import YearTarget
    from projects.models import Funding, Project, ProjectItem, StageRecord, project_compounds
    from votes.models import Vote
    from wishes.models import Wish, WishCount
    app = migrated_app(url, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    rng = random.Random(7)
    with app.app_context():
        sync_base_catalogue()
        regions, communities = build_regions(compounds)
        per = (dwellings - VOTE_COMPOUND_DWELLINGS) // (compounds - 1)
        compound_rows, building_rows, unit_rows, dwelling_rows = [], [], [], []
        building_id = unit_id = dwelling_id = 0
        for c in range(1, compounds + 1):
            community = communities[(c - 1) % len(communities)]
            size = VOTE_COMPOUND_DWELLINGS if c == 1 else per
            floors = 6
            compound_rows.append({"id": c, "community_id": community["id"], "name": f"小区{c}", "built_year": 1980 + c % 20,
                                  "households": size, "building_count": max(1, size // 24), "heritage": False,
                                  "dangerous": False, "demolition": False, "status": "reserve",
                                  "total_floor_area": size * 8000})
            for b in range(max(1, size // 24)):
                building_id += 1
                building_rows.append({"id": building_id, "compound_id": c, "name": str(b + 1), "floors": floors,
                                      "has_lift": False})
                for u in range(2):
                    unit_id += 1
                    unit_rows.append({"id": unit_id, "building_id": building_id, "name": str(u + 1)})
                    for r in range(12 if b < size // 24 - 1 else (size - 24 * (size // 24 - 1)) // 2):
                        dwelling_id += 1
                        dwelling_rows.append({"id": dwelling_id, "unit_id": unit_id, "room": f"{r // 2 + 1}{r % 2 + 1:02d}",
                                              "registered_area": rng.randint(4800, 12800), "use": "residential"})
        put(Compound.__table__, compound_rows)
        put(Building.__table__, building_rows)
        put(Unit.__table__, unit_rows)
        put(Dwelling.__table__, dwelling_rows)
        # the voting compound's owners (one person per dwelling)
        first_buildings = {b["id"] for b in building_rows if b["compound_id"] == 1}
        first_units = {u["id"] for u in unit_rows if u["building_id"] in first_buildings}
        vote_dwellings = [d["id"] for d in dwelling_rows if d["unit_id"] in first_units]
        put(Person.__table__, [{"id": i + 1, "name": f"业主{i}", "id_key": f"k{i}"} for i in range(len(vote_dwellings))])
        put(Ownership.__table__, [{"dwelling_id": d, "person_id": i + 1, "developer_held": False, "delivered": True}
                                  for i, d in enumerate(vote_dwellings)])
        # projects over 60% of the compounds, with items, stages and funding
        project_rows, links, items, stages, funding = [], [], [], [], []
        today = date.today()
        for c in range(1, compounds + 1):
            if rng.random() > 0.6:
                continue
            pid = len(project_rows) + 1
            stage = rng.choice(STAGES)
            community = communities[(c - 1) % len(communities)]
            accepted = stage in ("handover", "management")
            project_rows.append({"id": pid, "name": f"小区{c}改造", "stage": stage, "reserve_level": rng.choice(
                ("county", "city", "province")), "plan_year": rng.choice((2024, 2025, 2026)),
                "region_id": community["id"], "created_at": utcnow(),
                "accepted_at": utcnow() - timedelta(days=rng.randint(1, 300)) if accepted else None})
            links.append({"project_id": pid, "compound_id": c})
            for code in rng.sample(CODES, 3):
                items.append({"project_id": pid, "catalogue_code": code, "budget": rng.randint(1, 500) * 10000_00,
                              "progress": rng.randint(0, 100)})
            if STAGES.index(stage) >= STAGES.index("construction"):
                stages.append({"project_id": pid, "stage": "construction",
                               "actual_start": today - timedelta(days=rng.randint(0, 700))})
            funding.append({"project_id": pid, "source": "central_subsidy", "amount": rng.randint(1, 300) * 10000_00,
                            "created_at": utcnow()})
        put(Project.__table__, project_rows)
        put(project_compounds, links)
        put(ProjectItem.__table__, items)
        put(StageRecord.__table__, stages)
        put(Funding.__table__, funding)
        # 100,000 wishes from 20,000 residents
        accounts = [{"id": i + 1, "openid": f"o{i}", "dwelling_id": rng.randint(1, dwelling_id), "kind": "owner",
                     "follows": True, "locale": "zh_Hans_CN", "created_at": utcnow()} for i in range(20000)]
        put(WechatAccount.__table__, accounts)
        compound_of = {}
        unit_compound = {u["id"]: u["building_id"] for u in unit_rows}
        building_compound = {b["id"]: b["compound_id"] for b in building_rows}
        for d in dwelling_rows:
            compound_of[d["id"]] = building_compound[unit_compound[d["unit_id"]]]
        wish_rows = [{"account_id": a["id"], "dwelling_id": a["dwelling_id"],
                      "compound_id": compound_of[a["dwelling_id"]], "catalogue_code": rng.choice(CODES),
                      "text": "楼道灯坏了", "channel": "bot", "status": "classified", "created_at": utcnow(),
                      "suggested_codes": [], "photos": []} for a in accounts for _ in range(5)]
        put(Wish.__table__, wish_rows)
        # and their counts per compound and item, as filing each wish keeps them (wishes.counts)
        counted = Counter((w["compound_id"], w["catalogue_code"]) for w in wish_rows)
        put(WishCount.__table__, [{"compound_id": c, "catalogue_code": code, "wishes": n}
                                  for (c, code), n in sorted(counted.items())])
        # 2,000 counted votes across the province, each with the record and count closing a vote stores
        dwellings_of = {}
        for d in dwelling_rows:
            dwellings_of.setdefault(compound_of[d["id"]], []).append(d)
        put(Vote.__table__, [{"compound_id": c, "region_id": compound_rows[c - 1]["community_id"], "scope_kind": "compound",
                              "scope_id": c, "matter": "rebuild", "title": "加装电梯", "text": "", "state": "published",
                              "closes_at": utcnow() - timedelta(days=rng.randint(1, 200)), "publicity_days": 7,
                              "remind_days_before": 2, "publish_details": False, "event_count": 0, "documents": [],
                              "created_at": utcnow(), **closed_record(dwellings_of[c], rng)}
                             for c in rng.sample(range(2, compounds + 1), min(2000, compounds // 2))])
        put(YearTarget.__table__, [{"region_id": r["id"], "year": today.year, "compounds": 400, "households": 46000}
                                   for r in regions if r["level"] in ("province", "city")])
        if url.startswith("postgresql"):
            for table in ("regions", "compounds", "buildings", "units", "dwellings", "people", "projects",
                          "wechat_accounts", "votes"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        create_staff(None, "province", "省厅", "province", 1, PASSWORD)
        create_staff(None, "committee", "社区", "committee", communities[0]["id"], PASSWORD)
        db.session.commit()
        vote_id = open_vote_with_ballots(vote_dwellings, rng)
        city_id = regions[1]["id"]
        planner_statistics()
    return app, vote_id, city_id


def open_vote_with_ballots(dwellings, rng):
    """An open vote of the 2,000-dwelling compound with 1,500 ballots cast through the service."""
    from core.extensions import db
    from core.models import Staff, utcnow
    from votes import services as votes
    staff = Staff.query.filter_by(username="committee").one()
    vote = votes.create_vote(staff, "compound", 1, "rebuild", "1号小区加装电梯")
    votes.open_vote(staff, vote.id, utcnow() - timedelta(minutes=5), utcnow() + timedelta(days=7))
    db.session.commit()
    for dwelling_id in rng.sample(dwellings, 1500):
        votes.record_ballot(vote.id, dwelling_id, rng.choice(("agree", "agree", "disagree", "abstain")), "paper",
                            "bench")
    db.session.commit()
    return vote.id


def measure(client, path, count):
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(round(0.95 * len(timings))) - 1)]


def signed_in(app, username):
    import re
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/admin/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--compounds", type=int, default=4000)
    parser.add_argument("--dwellings", type=int, default=460000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/admin_pages.sqlite3"
    started = time.perf_counter()
    app, vote_id, city_id = build(url, args.compounds, args.dwellings)
    print(f"built {args.compounds} compounds, {args.dwellings} dwellings on {url.split(':')[0]} "
          f"in {time.perf_counter() - started:.0f} s")
    province, committee = signed_in(app, "province"), signed_in(app, "committee")
    gc.freeze()  # as each production worker does once the app is loaded (deploy/gunicorn.conf.py)
    year = date.today().year
    pages = [("province dashboard", province, f"/admin/dashboard?year={year}"),
             ("province ledger", province, "/admin/ledger"),
             ("city dashboard (drill-down)", province, f"/admin/dashboard?region={city_id}&year={year}"),
             ("live vote page", committee, f"/admin/votes/{vote_id}"),
             ("live vote figures (polled)", committee, f"/admin/votes/{vote_id}/live"),
             ("wishes inbox (committee)", committee, "/admin/wishes"),
             ("wishes inbox (province)", province, "/admin/wishes")]
    measure(province, "/admin/password", 2)
    floor50, floor95 = measure(province, "/admin/password", args.requests)
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8}  aim p95 < 150 ms")
    print(f"{'floor (a signed-in page, one row)':<30} {floor50:8.1f} {floor95:8.1f}")
    for name, client, path in pages:
        measure(client, path, 2)  # warm
        p50, p95 = measure(client, path, args.requests)
        print(f"{name:<30} {p50:8.1f} {p95:8.1f}  {'ok' if p95 < 150 else 'OVER'}  {p95 / floor95:.1f}x floor")


if __name__ == "__main__":
    main()
