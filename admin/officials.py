"""Officials' pages: the dashboard of a region with drill-down, the reserve ledger (台账) and its .xlsx export."""
from flask import Response, g, request, url_for
from flask_babel import gettext as _

from admin import labels
from admin.common import bp, page, run_form
from admin.forms import TargetForm
from admin.wishes import catalogue_choices
from core import exports
from core.areas import format_area
from core.models import beijing_today
from core.money import format_yuan, yuan
from oversight import services as oversight

LEDGER_PAGE = 500


def _year():
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else beijing_today().year


@bp.route("/dashboard", methods=["GET", "POST"])
def dashboard():
    """Progress against the year's targets, demand, votes and satisfaction, for my region or one under it."""
    region_id, year = request.args.get("region", type=int), _year()
    form = TargetForm(formdata=request.form if request.method == "POST" else None, year=year)
    if request.method == "POST":
        region = oversight.region_in_scope(g.staff, region_id)
        done = run_form(form, lambda: oversight.set_target(g.staff, region.id, form.year.data, form.compounds.data,
                                                           form.households.data),
                        _("The target was saved."), url_for("admin.dashboard", region=region_id, year=form.year.data))
        if done is not None:
            return done
    region, total, breakdown = oversight.dashboard(g.staff, region_id, year)
    names = dict(catalogue_choices(g.staff))
    demand = [(names.get(code, code), n) for code, n in total.demand[:15]]
    passed, failed, running = oversight.vote_outcomes(g.staff, region.id, year)
    rows, combined = oversight.satisfaction_by_project(g.staff, region.id)
    satisfaction = [(p.name, int(rates.satisfaction_rate * 100)) for p, rates, _index in rows
                    if rates.satisfaction_rate is not None]
    trail, node = [], region
    while node is not None and node.path.startswith(g.staff.region.path):
        trail.insert(0, node)
        node = node.parent
    # the lowest level (a community, or a region with no compounds further down) lists its compounds
    compounds = oversight.compounds_in(g.staff, region.id)[1] if not breakdown else None
    return page("admin/dashboard.html", form=form, region=region, total=total, breakdown=breakdown, year=year,
                demand=demand, votes=(passed, failed, running), satisfaction=satisfaction, combined=combined,
                trail=trail,
                region_bars=[(r.name, f.started_compounds) for r, f in breakdown], compounds=compounds)


@bp.get("/dashboard/compounds")
def region_compounds():
    """The compounds a dashboard figure counts: every compound under a region, with its projects and wishes."""
    region, compounds = oversight.compounds_in(g.staff, request.args.get("region", type=int))
    return page("admin/region_compounds.html", region=region, compounds=compounds, year=_year())


@bp.get("/dashboard/votes")
def region_votes():
    """The votes a dashboard figure counts: approved, not approved or still open, in a region and year."""
    outcome = request.args.get("outcome") if request.args.get("outcome") in ("approved", "rejected", "open") else None
    year = _year()
    region, votes = oversight.votes_with_outcome(g.staff, request.args.get("region", type=int), year, outcome)
    from core.scopes import describe_scope
    return page("admin/region_votes.html", region=region, votes=votes, year=year, outcome=outcome,
                describe=describe_scope)


def _ledger_filters():
    """The ledger's filters as its page and its export both read them: region, year, level and outcome (a year
    with an outcome is the year projects started or were completed in, not their plan year)."""
    args = request.args
    level = args.get("level") if args.get("level") in ("county", "city", "province") else None
    outcome = args.get("outcome") if args.get("outcome") in ("started", "completed") else None
    year = args.get("year", type=int)  # out of the year box's range (an edited link): no year, as left empty
    return {"region_id": args.get("region", type=int), "year": year if year and 2000 <= year <= 2100 else None,
            "level": level, "outcome": outcome}


def _outcome_words(outcome, year):
    """What a ledger filtered by an outcome lists, as its page and its export say it (None without one): in the
    year given, or in any year when the year is left empty."""
    if outcome == "started":
        return (_("Projects whose construction started in %(year)s.", year=year) if year else
                _("Projects whose construction has started, in any year."))
    if outcome == "completed":
        return (_("Projects completed (handed over) in %(year)s.", year=year) if year else
                _("Projects completed (handed over), in any year."))
    return None


def _year_label(outcome):
    """The ledger's year box: the plan year, or with an outcome the year construction started or ended in."""
    return {"started": _("Year construction started"), "completed": _("Year completed (handed over)")}.get(
        outcome) or _("Plan year")


@bp.get("/ledger")
def ledger():
    """The project reserve ledger by level and year, within my region."""
    filters = _ledger_filters()
    region, rows = oversight.ledger(g.staff, **filters, limit=LEDGER_PAGE + 1)
    return page("admin/ledger.html", region=region, rows=rows[:LEDGER_PAGE], more=len(rows) > LEDGER_PAGE,
                outcome_words=_outcome_words(filters["outcome"], filters["year"]),
                year_label=_year_label(filters["outcome"]), **filters)


def ledger_table(rows):
    """The ledger as a header and rows of cells, in the reader's language."""
    header = [_("City"), _("County"), _("Street"), _("Community"), _("Compound"), _("Built"), _("Households"),
              _("Buildings"), _("Floor area (m²)"), _("Project"), _("Reserve level"), _("Plan year"), _("Stage"),
              _("Budget (yuan)"), _("Funded (yuan)"), _("Progress (%)"), _("Approved consent vote"),
              _("Publicity of the plan"), _("Residents' money received (yuan)"),
              _("Residents' money pledged, not received (yuan)")]
    table, publicity_name = [], labels.namer(labels.PLAN_PUBLICITY)
    for r in rows:
        chain = (r["regions"] + [""] * 5)[1:5]
        table.append(chain + [r["compound"], r["built_year"], r["households"], r["buildings"],
                              format_area(r["floor_area"]) if r["floor_area"] else None, r["project"],
                              labels.label(labels.LEVELS, r["reserve_level"]), r["plan_year"],
                              labels.label(labels.STAGES, r["stage"]), yuan(r["budget"]), yuan(r["funded"]),
                              r["progress"], r["consent_vote"] or "", publicity_name(r["publicity"]),
                              format_yuan(r["received"]).replace(",", ""),
                              format_yuan(r["pledged"]).replace(",", "")])
    return header, table


@bp.get("/ledger.xlsx")
def ledger_export():
    """The whole ledger the page shows with the same filters (every row, not only the first page), as .xlsx."""
    filters = _ledger_filters()
    region, rows = oversight.ledger(g.staff, **filters)
    header, table = ledger_table(rows)
    year, outcome = filters["year"], filters["outcome"]
    title = [_("Project reserve ledger: %(region)s", region=region.name)] + [
        words for words in (_outcome_words(outcome, year),) if words]
    data = exports.to_xlsx([title, header, *table], title=_("Ledger"))
    from core import audit
    from core.extensions import db
    audit.record(g.staff, "ledger.export", "region", region.id, region.id,
                 after={"rows": len(table), "year": year, "level": filters["level"], "outcome": outcome})
    db.session.commit()
    name = f"ledger-{region.id}-{year or 'all'}{'-' + outcome if outcome else ''}.xlsx"
    return Response(data, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={name}"})
