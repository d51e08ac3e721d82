"""The ledger and dashboards: aggregates over a region's subtree, computed in the database."""
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased

from core import audit
from core.auth import authorize, subtree_pattern
from core.errors import NotFound, field_error
from core.extensions import db
from core.ids import among
from core.models import Compound, Region, utcnow
from core.times import year_span
from oversight.models import YearTarget
from projects.models import Funding, Project, ProjectItem, StageRecord, project_compounds
from votes import outcomes
from votes.models import Vote
from wishes.counts import UNCLASSIFIED
from wishes.models import WishCount

STARTED = ("construction", "acceptance", "handover", "management")
COMPLETED = ("handover", "management")


def region_in_scope(staff, region_id=None):
    """The staff member's region, or a region under it (NotFound outside)."""
    authorize(staff, "projects.read")
    if region_id is None:
        return staff.region
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    authorize(staff, "projects.read", region)
    return region


def _under(region):
    return Region.path.startswith(region.path, autoescape=True)


def ledger(staff, region_id=None, year=None, level=None, limit=None, outcome=None):
    """The project reserve ledger (台账): one row per project and compound, with its place in the regions.

    outcome 'started' or 'completed' keeps the projects the dashboard counts as such in `year` (then `year`
    is that year, not the plan year)."""
    region = region_in_scope(staff, region_id)
    # The page first (the rows in order, up to `limit`), then the budgets and funding of its projects only:
    # not the whole province's items summed to keep 500 of them.
    query = (select(Project.id, Project.name, Project.reserve_level, Project.plan_year, Project.stage,
                    Compound.id, Compound.name, Compound.built_year, Compound.households, Compound.building_count,
                    Compound.total_floor_area, Region.path)
             .join(project_compounds, project_compounds.c.project_id == Project.id)
             .join(Compound, Compound.id == project_compounds.c.compound_id)
             .join(Region, Region.id == Compound.community_id)
             .where(_under_written_out(region)).order_by(Region.path, Compound.name, Project.id))
    if outcome in ("started", "completed"):
        query = query.where((_started if outcome == "started" else _completed)(year))
    elif year:
        query = query.where(Project.plan_year == year)
    if level:
        query = query.where(Project.reserve_level == level)
    if limit:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    budgets, funded = _budgets_and_funding({r[0] for r in rows})
    names = _path_names({r[11] for r in rows})
    out = []
    for (pid, pname, level_, plan_year, stage, cid, cname, built, households, buildings, floor_area,
         path) in rows:
        budget_fen, weighted, items, plain = budgets.get(pid, (0, 0, 0, 0))
        if budget_fen:
            progress = _whole(weighted, budget_fen)
        else:
            progress = _whole(plain, items) if items else 0
        chain = [names.get(int(i), "") for i in path.strip("/").split("/")]
        out.append({"project_id": pid, "project": pname, "reserve_level": level_, "plan_year": plan_year,
                    "stage": stage, "compound_id": cid, "compound": cname, "built_year": built,
                    "households": households or 0, "buildings": buildings or 0, "floor_area": floor_area,
                    "regions": chain, "budget": budget_fen, "funded": funded.get(pid, 0),
                    "progress": progress})
    _add_consent_and_money(out)
    return region, out


def _budgets_and_funding(project_ids):
    """({project id: (budget, budget × progress, items, sum of progress)}, {project id: funded}) in fen, for these
    projects only. Two reads of their own rather than joined to the page: a prepared statement may be planned once
    for any filter, and a plan that expected a page of one row summed the funding again for every row."""
    if not project_ids:
        return {}, {}
    budgets = {pid: (int(budget or 0), int(weighted or 0), int(items), int(plain or 0))
               for pid, budget, weighted, items, plain in db.session.execute(
                   select(ProjectItem.project_id, func.sum(ProjectItem.budget),
                          func.sum(ProjectItem.budget * ProjectItem.progress), func.count(ProjectItem.id),
                          func.sum(ProjectItem.progress))
                   .where(among(ProjectItem.project_id, project_ids)).group_by(ProjectItem.project_id))}
    funded = {pid: int(amount or 0) for pid, amount in db.session.execute(
        select(Funding.project_id, func.sum(Funding.amount))
        .where(among(Funding.project_id, project_ids)).group_by(Funding.project_id))}
    return budgets, funded


def _whole(numerator, denominator):
    """numerator / denominator truncated to a whole number, as int(Fraction(numerator, denominator)) is."""
    whole = abs(numerator) // abs(denominator)
    return whole if (numerator < 0) == (denominator < 0) else -whole


def _under_written_out(region):
    """_under(region) with the region's path written into the statement rather than sent as a parameter.

    psycopg prepares a statement it has run five times on a connection, and PostgreSQL may then plan it once for
    any parameters; not knowing the path, it guesses a dozen regions under it, and for a province (every region)
    loops over each compound's projects where hashing them once would do: four times the database's time. A path
    is digits and slashes, read from the regions table, and is quoted as a literal."""
    return Region.path.like(bindparam("subtree", subtree_pattern(region.path), literal_execute=True), escape="/")


def _add_consent_and_money(rows):
    """Each row's approved consent vote, the plan's publicity state and residents' money (pledged and
    received apart), read in three queries for the whole page."""
    from contributions.services import totals_by_project
    from projects.consent import CONSENT_MATTERS
    from publicity.models import Publicity
    from publicity.services import unanswered_count
    compound_ids = {r["compound_id"] for r in rows}
    project_ids = {r["project_id"] for r in rows}
    approved = {}
    if compound_ids:
        query = select(Vote.id).where(among(Vote.compound_id, compound_ids), Vote.scope_kind == "compound",
                                      Vote.matter.in_(CONSENT_MATTERS), Vote.state.in_(("published", "archived")))
        found = db.session.execute(query.add_columns(Vote.compound_id, Vote.title).order_by(Vote.id)).all()
        decided = outcomes.approvals(query)
        for vote in found:
            if decided.get(vote.id):
                approved[vote.compound_id] = vote
    periods = {}
    if project_ids:
        for period in Publicity.query.filter(Publicity.subject_kind == "plan",
                                             among(Publicity.subject_id, project_ids)).order_by(Publicity.id):
            periods[period.subject_id] = period
    unanswered = unanswered_count([p.id for p in periods.values()])
    money = totals_by_project(project_ids)
    for row in rows:
        vote, period = approved.get(row["compound_id"]), periods.get(row["project_id"])
        row["consent_vote"] = vote.title if vote else None
        row["consent_vote_id"] = vote.id if vote else None
        if period is None:
            row["publicity"] = "none"
        elif unanswered.get(period.id):
            row["publicity"] = "unanswered"
        else:
            row["publicity"] = period.state  # open | ended
        row["pledged"] = money.get(row["project_id"], {}).get("pledged", 0)
        row["received"] = money.get(row["project_id"], {}).get("received", 0)


def _path_names(paths):
    ids = {int(i) for path in paths for i in path.strip("/").split("/") if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(Region.id, Region.name).where(among(Region.id, ids))).all())


@dataclass
class Figures:
    """A region's figures for one year."""

    compounds: int = 0
    households: int = 0
    started_compounds: int = 0
    started_households: int = 0
    completed_compounds: int = 0
    completed_households: int = 0
    wishes: int = 0
    target_compounds: int = 0
    target_households: int = 0
    demand: list = field(default_factory=list)   # (catalogue code, wishes), most asked first (the total's)


def _child_of(region, path):
    """The id of the child of `region` that `path` lies under (None for the region itself)."""
    parts = path.strip("/").split("/")
    depth = len(region.path.strip("/").split("/"))
    return int(parts[depth]) if len(parts) > depth else None


def _started(year=None):
    """A project counted as started: under construction or later (construction started in `year` if given)."""
    condition = Project.stage.in_(STARTED)
    if year:
        condition = and_(condition, Project.id.in_(select(StageRecord.project_id).where(
            StageRecord.stage == "construction", func.extract("year", StageRecord.actual_start) == year)))
    return condition


def _completed(year=None):
    """A project counted as completed: handed over (accepted in `year`, a Beijing year, if given)."""
    condition = Project.stage.in_(COMPLETED)
    if year:
        condition = and_(condition, _in_year(Project.accepted_at, year))
    return condition


def dashboard(staff, region_id=None, year=None):
    """Figures for a region and for each region directly under it (for drilling down)."""
    region = region_in_scope(staff, region_id)
    # per community: compounds and households, started and completed (in the year when given)
    started, completed = _started(year), _completed(year)
    project_state = (select(project_compounds.c.compound_id,
                            func.max(case((started, 1), else_=0)).label("started"),
                            func.max(case((completed, 1), else_=0)).label("completed"))
                     .join(Project, Project.id == project_compounds.c.project_id)
                     .group_by(project_compounds.c.compound_id).subquery())
    # summed per region directly under this one in the database (each community meets the child whose path
    # begins its own), not per community in Python: a province has 2,000 communities and ten cities
    child = aliased(Region)
    under_child = and_(child.parent_id == region.id,
                       func.substr(Region.path, 1, func.length(child.path)) == child.path)
    rows = db.session.execute(
        select(child.id, func.count(Compound.id), func.coalesce(func.sum(Compound.households), 0),
               func.coalesce(func.sum(project_state.c.started), 0),
               func.coalesce(func.sum(case((project_state.c.started == 1, Compound.households), else_=0)), 0),
               func.coalesce(func.sum(project_state.c.completed), 0),
               func.coalesce(func.sum(case((project_state.c.completed == 1, Compound.households), else_=0)), 0))
        .select_from(Region)
        .join(Compound, Compound.community_id == Region.id)
        .outerjoin(child, under_child)
        .outerjoin(project_state, project_state.c.compound_id == Compound.id)
        .where(_under_written_out(region)).group_by(child.id)).all()
    # wishes (duplicates merged away) per region under this one and per catalogue item, read from the counts
    # kept per compound and item as wishes change: a province has 100,000 wishes, and a few rows per compound
    wished = db.session.execute(
        select(child.id, WishCount.catalogue_code, func.sum(WishCount.wishes))
        .select_from(Region)
        .join(Compound, Compound.community_id == Region.id)
        .join(WishCount, WishCount.compound_id == Compound.id)
        .outerjoin(child, under_child)
        .where(_under_written_out(region)).group_by(child.id, WishCount.catalogue_code)).all()
    total, children = Figures(), {}
    total.demand = _most_asked((code, n) for _child, code, n in wished)
    wishes_of = Counter()
    for child_id, _code, n in wished:
        wishes_of[child_id] += int(n)
    for child_id, compounds, households, s_c, s_h, c_c, c_h in rows:
        wishes = wishes_of[child_id]
        for figures in (total, children.setdefault(child_id, Figures()) if child_id is not None else None):
            if figures is None:
                continue
            figures.compounds += compounds
            figures.households += int(households)
            figures.started_compounds += int(s_c)
            figures.started_households += int(s_h)
            figures.completed_compounds += int(c_c)
            figures.completed_households += int(c_h)
            figures.wishes += int(wishes)
    child_regions = {r.id: r for r in Region.query.filter(Region.parent_id == region.id)}
    if year:
        for target in YearTarget.query.filter(YearTarget.year == year,
                                              YearTarget.region_id.in_([region.id, *child_regions])):
            holder = total if target.region_id == region.id else children.setdefault(target.region_id, Figures())
            holder.target_compounds, holder.target_households = target.compounds, target.households
    breakdown = sorted(((child_regions[c], f) for c, f in children.items() if c in child_regions),
                       key=lambda item: item[0].name)
    return region, total, breakdown


def demand(staff, region_id=None):
    """Residents' wishes by catalogue item (duplicates merged away), most asked first."""
    return _demand_of(region_in_scope(staff, region_id))


def _demand_of(region):
    # read from the counts kept per compound and item (wishes.counts), not from each of the region's wishes
    compounds = select(Compound.id).join(Region, Region.id == Compound.community_id).where(_under(region))
    return _most_asked(db.session.execute(
        select(WishCount.catalogue_code, func.sum(WishCount.wishes))
        .where(WishCount.compound_id.in_(compounds)).group_by(WishCount.catalogue_code)).all())


def _most_asked(counted):
    """[(catalogue code, wishes)] of (code, count) pairs summed per code, most asked first (the wishes not yet
    classified and the items no wish asks for any more left out)."""
    totals = Counter()
    for code, n in counted:
        if code != UNCLASSIFIED:
            totals[code] += int(n)
    return sorted(((code, n) for code, n in totals.items() if n > 0), key=lambda item: (-item[1], item[0]))


def _outcome(vote, decided):
    if vote.state == "open":
        return "open"
    return "approved" if vote.id in decided and decided[vote.id].approved else "rejected"


def _votes_query(region, year):
    query = (select(Vote).join(Region, Region.id == Vote.region_id)
             .where(_under_written_out(region), Vote.state.in_(("open", "closed", "published", "archived"))))
    if year:
        query = query.where(_ended_in_year(year))
    return query


def _in_year(column, year):
    """A stored time within `year` as officials count it, in Beijing time (a project accepted at 00:30 on New
    Year's Day in Beijing, 16:30 UTC the day before, belongs to the new year). As a range of UTC instants, not
    extract('year'), which reads UTC on either database: the planner estimates a range rightly (two thousand
    rows of a province counted by hash, not looked up one by one), and SQLite compares the stored UTC text."""
    start, end = year_span(year)
    return and_(column >= start, column < end)


def _ended_in_year(year):
    """A vote whose voting ended (or, still open, is planned to end) in `year`, in Beijing time: Vote.ended_at
    within year_span(year). Written out as ranges of the two stored columns rather than as a range of an
    expression over them, which the planner has no statistics for and would guess a handful of votes out of a
    province's thousands: the earlier of the two is at or after the start when both are (an open vote has no
    close yet), and before the end when either is."""
    start, end = year_span(year)
    return and_(Vote.closes_at >= start, or_(Vote.closed_at.is_(None), Vote.closed_at >= start),
                or_(Vote.closes_at < end, Vote.closed_at < end))


def vote_outcomes(staff, region_id=None, year=None):
    """Votes counted in the region: (approved, not approved, still open)."""
    region = region_in_scope(staff, region_id)
    query = _votes_query(region, year)
    total, still_open = db.session.execute(query.with_only_columns(
        func.count(Vote.id), func.sum(case((Vote.state == "open", 1), else_=0)))).one()
    still_open = int(still_open or 0)
    # art. 278 and a lift's county rule, as every other door reads it, from each vote's stored count alone;
    # a closed vote without a count is not approved
    approved, _rejected = outcomes.count_approved(query.where(Vote.state != "open").with_only_columns(Vote.id))
    return approved, total - still_open - approved, still_open


def votes_with_outcome(staff, region_id=None, year=None, outcome=None, limit=500):
    """The votes vote_outcomes counts under `outcome` ('approved', 'rejected', 'open'; None: all)."""
    region = region_in_scope(staff, region_id)
    rows = db.session.scalars(_votes_query(region, year).order_by(Vote.ended_at.desc(), Vote.id.desc())).all()
    decided = outcomes.outcomes_of(rows)
    return region, [v for v in rows if outcome is None or _outcome(v, decided) == outcome][:limit]


def compounds_in(staff, region_id=None, limit=500):
    """The compounds under a region (the drill-down's last level): place, households, status, projects, wishes."""
    region = region_in_scope(staff, region_id)
    rows = db.session.execute(select(Compound, Region.path).join(Region, Region.id == Compound.community_id)
                              .where(_under(region)).order_by(Region.path, Compound.name).limit(limit)).all()
    ids = [c.id for c, _path in rows]
    projects = {}
    for compound_id, project_id, name, stage in db.session.execute(
            select(project_compounds.c.compound_id, Project.id, Project.name, Project.stage)
            .join(Project, Project.id == project_compounds.c.project_id)
            .where(project_compounds.c.compound_id.in_(ids)).order_by(Project.id)):
        projects.setdefault(compound_id, []).append({"id": project_id, "name": name, "stage": stage})
    wishes = {c: int(n) for c, n in db.session.execute(select(WishCount.compound_id, func.sum(WishCount.wishes))
                                                          .where(WishCount.compound_id.in_(ids))
                                                          .group_by(WishCount.compound_id))}
    names = _path_names({path for _c, path in rows})
    return region, [{"compound": c, "regions": [names.get(int(i), "") for i in path.strip("/").split("/")],
                     "projects": projects.get(c.id, []), "wishes": wishes.get(c.id, 0)} for c, path in rows]


def set_target(staff, region_id, year, compounds, households):
    """Set a region's target for a year (officials of that region or above)."""
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    authorize(staff, "targets.edit", region)
    if compounds < 0 or households < 0:
        raise field_error("compounds", "project.bad_amount")
    target = YearTarget.query.filter_by(region_id=region.id, year=year).first()
    before = {"compounds": target.compounds, "households": target.households} if target else None
    if target is None:
        target = YearTarget(region_id=region.id, year=year)
        db.session.add(target)
    target.compounds, target.households, target.set_by = compounds, households, staff.id
    audit.record(staff, "target.set", "region", region.id, region.id, before=before,
                 after={"year": year, "compounds": compounds, "households": households})
    db.session.flush()
    return target


def satisfaction_by_project(staff, region_id=None, limit=50):
    """(project, Rates, old index) for the region's accepted projects with a satisfaction survey, latest
    first; and the region's combined Rates. The old index (mean rating over 5) is kept, labelled as such."""
    from surveys.rates import combine
    from surveys.models import Survey
    from surveys.services import satisfaction_of, satisfaction_rates_of
    region = region_in_scope(staff, region_id)
    surveyed = select(Survey.project_id).where(Survey.kind == "satisfaction")
    projects = (Project.query.join(Region, Region.id == Project.region_id)
                .filter(_under(region), Project.id.in_(surveyed))
                .order_by(Project.accepted_at.desc(), Project.id.desc()).limit(limit).all())
    rows = [(p, rates, satisfaction_of(p.id)) for p in projects if (rates := satisfaction_rates_of(p.id))]
    return rows, combine([r for _p, r, _i in rows])


def _seconds_between(start, end):
    """Whole seconds from `start` to `end`, computed by the database."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


def report_times(staff, region_id=None, now=None):
    """Per region directly under the chosen one: reports, still open, escalated, past the deadline now, and
    the mean and longest time to answer in hours (exact Fractions of whole seconds). Summed per community
    in the database, then rolled up."""
    from projects.models import ReportEscalation, SiteReport
    region = region_in_scope(staff, region_id)
    now = now or utcnow()
    still_open = SiteReport.status != "resolved"
    seconds = func.round(_seconds_between(SiteReport.created_at, SiteReport.resolved_at))
    rows = db.session.execute(
        select(Region.path, func.count(SiteReport.id), func.sum(case((still_open, 1), else_=0)),
               func.sum(case((ReportEscalation.level.in_(("street", "county")), 1), else_=0)),
               func.sum(case((and_(still_open, ReportEscalation.due_at <= now), 1), else_=0)),
               func.count(SiteReport.resolved_at), func.sum(seconds), func.max(seconds))
        .join(Compound, Compound.community_id == Region.id).join(SiteReport, SiteReport.compound_id == Compound.id)
        .outerjoin(ReportEscalation, ReportEscalation.report_id == SiteReport.id)
        .where(Region.path.startswith(region.path, autoescape=True)).group_by(Region.path)).all()
    names = {r.id: r.name for r in Region.query.filter(Region.parent_id == region.id)}
    out = {}
    for path, reports, open_, escalated, overdue, answered, total, longest in rows:
        child = _child_of(region, path)
        entry = out.setdefault(child if child in names else region.id, {
            "reports": 0, "open": 0, "escalated": 0, "overdue": 0, "answered": 0, "seconds": 0, "max": None})
        entry["reports"] += reports
        entry["open"] += int(open_ or 0)
        entry["escalated"] += int(escalated or 0)
        entry["overdue"] += int(overdue or 0)
        entry["answered"] += answered
        entry["seconds"] += int(total or 0)
        if longest is not None:
            entry["max"] = max(entry["max"] or 0, int(longest))
    result = []
    for child, entry in out.items():
        answered, total, longest = entry.pop("answered"), entry.pop("seconds"), entry.pop("max")
        entry["mean_hours"] = Fraction(total, 3600 * answered) if answered else None
        entry["max_hours"] = Fraction(longest, 3600) if longest is not None else None
        result.append((names.get(child, region.name), entry))
    return region, sorted(result, key=lambda item: item[0])
