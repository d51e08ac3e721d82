"""Lift services: a county's rule, a stairwell's scheme and vote, each owner's share, the link to the works."""
from sqlalchemy import bindparam, literal, select

from core import audit
from core.auth import authorize, get_in_region, kept_in_region
from core.errors import Conflict, InvalidInput, NotFound, RuleViolation, field_error
from core.extensions import db
from core.floors import check_floor
from core.models import Dwelling, Region, RegionLevel, Unit, utcnow
from core.scopes import scope_compound
from lifts.models import LiftRuleRecord, LiftScheme
from votes import lifts as rules
from votes import outcomes
from votes import services as votes
from votes.models import Vote, VoteState


def _rule(field, call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except RuleViolation as fault:
        raise InvalidInput([{"field": field, "key": fault.key, "params": fault.params}]) from None


# the county's rule -------------------------------------------------------------------------------------
def set_lift_rule(staff, region_id, min_owner_share, affected_must_agree):
    """A county sets what it adds to art. 278 for lift votes; votes already open keep the rule they opened with."""
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    authorize(staff, "lifts.rule", region)
    if region.level != RegionLevel.COUNTY:
        raise field_error("region_id", "lift.county_only")
    rule = _rule("min_owner_share", rules.check_rule, min_owner_share, affected_must_agree)
    record = LiftRuleRecord.query.filter_by(region_id=region.id).first()
    before = None
    if record is None:
        record = LiftRuleRecord(region_id=region.id)
        db.session.add(record)
    else:
        before = {"min_owner_share": record.min_owner_share, "affected_must_agree": record.affected_must_agree}
    stored = rule.as_dict()
    record.min_owner_share, record.affected_must_agree = stored["min_owner_share"], rule.affected_must_agree
    record.updated_by, record.updated_at = staff.id, utcnow()
    audit.record(staff, "lift.rule", "region", region.id, region.id, before=before, after=stored)
    db.session.flush()
    return record


def rule_for(region):
    """The rule in force in a region: its county's, or art. 278 alone."""
    if region is None:
        return rules.CIVIL_CODE
    record = (LiftRuleRecord.query.join(Region, LiftRuleRecord.region_id == Region.id)
              .filter(literal(region.path).startswith(Region.path)).order_by(Region.path.desc()).first())
    if record is None:
        return rules.CIVIL_CODE
    return rules.LiftRule.from_dict({"min_owner_share": record.min_owner_share,
                                     "affected_must_agree": record.affected_must_agree})


# floors --------------------------------------------------------------------------------------------------
def set_floor(staff, dwelling_id, floor):
    """Correct the floor a dwelling is on (None: read it from the room number again)."""
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound()
    compound = dwelling.unit.building.compound
    authorize(staff, "registry.edit", compound.community)
    value = _rule("floor", check_floor, floor)
    before = dwelling.floor
    dwelling.floor = value
    audit.record(staff, "dwelling.floor", "dwelling", dwelling.id, compound.community_id,
                 before={"floor": before}, after={"floor": value, "storey": dwelling.storey})
    db.session.flush()
    return dwelling


def unit_dwellings(unit_id):
    """The dwellings of a stairwell unit, lowest floor first."""
    rows = Dwelling.query.filter_by(unit_id=unit_id).all()
    return sorted(rows, key=lambda d: (d.storey if d.storey is not None else 999, d.room))


# the scheme -------------------------------------------------------------------------------------------
def _unit_for_scheme(staff, unit_id):
    """A stairwell the staff member may draw a lift scheme for, with its compound (NotFound otherwise)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    compound = scope_compound("unit", unit.id)
    authorize(staff, "votes.manage", compound.community)
    return unit, compound


def rooms_of_unit(staff, unit_id, rooms):
    """The dwelling ids of the rooms named (e.g. '101') in a stairwell the staff member may draw a lift scheme
    for: a field fault when one is not in it, NotFound before anything is looked up outside their region."""
    unit, _compound = _unit_for_scheme(staff, unit_id)
    rooms = set(rooms)
    found = dict(db.session.execute(db.select(Dwelling.room, Dwelling.id).where(Dwelling.unit_id == unit.id,
                                                                                 Dwelling.room.in_(rooms))).all())
    if len(found) != len(rooms):
        raise field_error("affected", "lift.affected_outside_unit")
    return sorted(found.values())


def create_scheme(staff, unit_id, title, total_cost, coefficients, subsidy=0, provident_fund=0, by_area=False,
                  affected=(), text=""):
    """A stairwell's lift scheme and its draft vote (the owners of the unit, a special matter of art. 278)."""
    unit, compound = _unit_for_scheme(staff, unit_id)
    _rule("total_cost", rules.net_cost, total_cost, subsidy, provident_fund)
    parsed = _rule("coefficients", rules.parse_coefficients, coefficients)
    in_unit = {d.id for d in unit.dwellings}
    affected = sorted({int(d) for d in affected or ()})
    if any(d not in in_unit for d in affected):
        raise field_error("affected", "lift.affected_outside_unit")
    vote = votes.create_vote(staff, "unit", unit.id, "rebuild", title, text=text)
    scheme = LiftScheme(unit_id=unit.id, region_id=compound.community_id, title=vote.title, total_cost=total_cost,
                        subsidy=subsidy, provident_fund=provident_fund, by_area=bool(by_area), affected=affected,
                        coefficients={str(k): f"{v.numerator}/{v.denominator}" for k, v in sorted(parsed.items())},
                        vote_id=vote.id, created_by=staff.id)
    db.session.add(scheme)
    db.session.flush()
    audit.record(staff, "lift.scheme", "lift_scheme", scheme.id, scheme.region_id,
                 after={"unit": unit.id, "vote": vote.id, "total_cost": total_cost, "subsidy": subsidy,
                        "provident_fund": provident_fund, "coefficients": scheme.coefficients,
                        "affected": affected})
    return scheme


def get_scheme(staff, scheme_id, action="votes.read"):
    """A scheme in the staff member's region (NotFound otherwise)."""
    return get_in_region(staff, LiftScheme, scheme_id, action)


def scheme_of_vote(vote_id):
    """The lift scheme a vote decides (None for other votes)."""
    return LiftScheme.query.filter_by(vote_id=vote_id).first()


def compute_shares(scheme):
    """Each dwelling's share in fen as the scheme stands now (raises when a floor or coefficient is missing)."""
    dwellings = Dwelling.query.filter_by(unit_id=scheme.unit_id).all()
    floors = {d.id: d.storey for d in dwellings}
    areas = {d.id: d.counted_area or 0 for d in dwellings} if scheme.by_area else None
    net = rules.net_cost(scheme.total_cost, scheme.subsidy, scheme.provident_fund)
    return _rule("coefficients", rules.cost_shares, net, floors, rules.parse_coefficients(scheme.coefficients), areas)


def shares_of(scheme):
    """{dwelling id: fen}: fixed once the vote opened, computed from the scheme before."""
    if scheme.shares is not None:
        return {int(k): v for k, v in scheme.shares.items()}
    return compute_shares(scheme)


def open_lift_vote(staff, scheme_id, opens_at, closes_at):
    """Open the stairwell's vote: the county's rule in force now and every owner's share are fixed with it."""
    scheme = get_scheme(staff, scheme_id, "votes.manage")
    vote = db.session.get(Vote, scheme.vote_id)
    vote.require(VoteState.DRAFT)
    votes.open_vote(staff, vote.id, opens_at, closes_at)  # _fix_terms fixes the rule and the shares
    audit.record(staff, "lift.open", "lift_scheme", scheme.id, scheme.region_id,
                 after={"rule": scheme.rule, "shares": scheme.shares})
    db.session.flush()
    return scheme


def _fix_terms(vote):
    """For votes.ON_OPEN: a lift vote opened by any door is counted by the county's rule in force as it opens,
    with every owner's share fixed then."""
    scheme = scheme_of_vote(vote.id)
    if scheme is None:
        return
    shares = compute_shares(scheme)
    scheme.rule = rule_for(db.session.get(Region, scheme.region_id)).as_dict()
    scheme.shares = {str(k): v for k, v in sorted(shares.items())}


votes.ON_OPEN.append(_fix_terms)


def share_for(vote_id, dwelling_id):
    """What one owner pays if the lift is built, and the rule the vote is counted by (None: not a lift vote)."""
    scheme = scheme_of_vote(vote_id)
    if scheme is None:
        return None
    shares = shares_of(scheme)
    if dwelling_id not in shares:
        return None
    dwelling = db.session.get(Dwelling, dwelling_id)
    coefficients = rules.parse_coefficients(scheme.coefficients)
    rule = scheme_rule(scheme)
    coefficient = coefficients.get(dwelling.storey)
    return {"scheme_id": scheme.id, "dwelling_id": dwelling_id, "room": dwelling.room, "floor": dwelling.storey,
            "coefficient": None if coefficient is None else _fraction_text(coefficient),
            "share": shares[dwelling_id], "total_cost": scheme.total_cost, "subsidy": scheme.subsidy,
            "provident_fund": scheme.provident_fund,
            "net_cost": scheme.total_cost - scheme.subsidy - scheme.provident_fund,
            "min_owner_share": rule.as_dict()["min_owner_share"], "affected_must_agree": rule.affected_must_agree,
            "affected": dwelling_id in (scheme.affected or []), "fixed": scheme.shares is not None}


def _fraction_text(value):
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def outcome(scheme):
    """The lift decision once the vote is counted: art. 278 and the county's rule (None before closing)."""
    vote = db.session.get(Vote, scheme.vote_id)
    decided = outcomes.outcome_of(vote) if vote is not None else None
    return decided.detail if decided is not None else None


_SCHEMES_OF = select(LiftScheme).where(LiftScheme.vote_id.in_(bindparam("votes", expanding=True)))  # built once


def _refine_lift_votes(counted, among):
    """For votes.outcomes: a lift vote is approved only if the rule fixed when it opened is met too."""
    refined = {}
    schemes = db.session.scalars(_SCHEMES_OF, {"votes": among}) if isinstance(among, list) else \
        LiftScheme.query.filter(LiftScheme.vote_id.in_(among))
    for scheme in schemes:
        if scheme.vote_id not in counted:  # chosen but not counted yet
            continue
        _vote, result, ballots = counted[scheme.vote_id]
        decided = rules.decide_lift(result, scheme_rule(scheme), ballots, scheme.affected or [])
        refined[scheme.vote_id] = outcomes.Refinement(decided.approved, decided.reason_key, decided.reason_params,
                                                      decided)
    return refined


def _lift_votes_among(among):
    """The votes among `among` (a select of vote ids) that a lift's rule governs."""
    return select(LiftScheme.vote_id).where(LiftScheme.vote_id.in_(among))


_refine_lift_votes.governs = _lift_votes_among
outcomes.REFINERS.append(_refine_lift_votes)


def item_approved(item_id):
    """Whether a project item is linked to a stairwell's published, approved lift vote."""
    scheme = LiftScheme.query.filter_by(project_item_id=item_id).first()
    if scheme is None:
        return False
    vote = db.session.get(Vote, scheme.vote_id)
    decided = outcome(scheme)
    return vote.state in (VoteState.PUBLISHED, VoteState.ARCHIVED) and decided is not None and decided.approved


def link_item(staff, scheme_id, item_id):
    """The approved stairwell vote links to the project item that builds its lift."""
    from projects.consent import LIFT_CODES
    from projects.models import ProjectItem
    scheme = get_scheme(staff, scheme_id, "projects.edit")
    item = db.session.get(ProjectItem, item_id)
    if item is None:
        raise NotFound()
    authorize(staff, "projects.edit", item.project.region)
    if item.catalogue_code not in LIFT_CODES:
        raise field_error("item_id", "lift.not_a_lift_item")
    compound = scope_compound("unit", scheme.unit_id)
    if compound.id not in {c.id for c in item.project.compounds}:
        raise field_error("item_id", "lift.item_elsewhere")
    decided = outcome(scheme)
    if decided is None or not decided.approved:
        raise Conflict("lift.not_approved")
    taken = LiftScheme.query.filter(LiftScheme.project_item_id == item.id, LiftScheme.id != scheme.id).first()
    if taken is not None:
        raise Conflict("lift.item_taken")
    scheme.project_item_id = item.id
    audit.record(staff, "lift.link", "lift_scheme", scheme.id, scheme.region_id, after={"item": item.id})
    db.session.flush()
    return scheme


def schemes_for(staff):
    """The lift schemes in the staff member's region, newest first."""
    authorize(staff, "votes.read")
    return kept_in_region(staff, LiftScheme).order_by(LiftScheme.id.desc()).all()


def resident_share(account, vote_id):
    """The signed-in owner's own share on a lift vote (NotFound when not a lift vote of their home)."""
    if account.dwelling_id is None:
        from core.errors import Forbidden
        raise Forbidden("bind.required")
    share = share_for(vote_id, account.dwelling_id)
    if share is None:
        raise NotFound()
    return share


def scheme_rule(scheme):
    """The rule a scheme's vote is counted by: fixed at opening, the county's current one before."""
    if scheme.rule is not None:
        return rules.LiftRule.from_dict(scheme.rule)
    return rule_for(db.session.get(Region, scheme.region_id))


def ballot_lines(vote_id, dwelling_ids):
    """({dwelling id: share}, the rule) for printing personalised paper ballots (({}, None) for other votes)."""
    scheme = scheme_of_vote(vote_id)
    if scheme is None:
        return {}, None
    try:
        shares = shares_of(scheme)
    except InvalidInput:
        return {}, scheme_rule(scheme)
    return {d: shares[d] for d in dwelling_ids if d in shares}, scheme_rule(scheme)



def open_votes_in(region):
    """How many lift votes are open now in a region (a county's rule does not change them)."""
    return (LiftScheme.query.join(Vote, Vote.id == LiftScheme.vote_id).join(Region, LiftScheme.region_id == Region.id)
            .filter(Vote.state == VoteState.OPEN, Region.path.startswith(region.path, autoescape=True)).count())
