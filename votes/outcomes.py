"""The outcome of a vote, the one answer every door and every official figure reads.

Art. 278 counts every vote; a rule fixed on top of it when the vote opened (a county's rule for a stairwell's
lift) may turn an art. 278 approval into "not approved", with its own reason. Domains that add such rules
register a refiner here (votes knows no lift); nobody else reads `vote.result["result"]["approved"]`."""
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from votes import rules

# Each refiner takes {vote id: (vote, Result, {dwelling id: choice})} and what those votes were chosen by (a
# select of vote ids, or the ids), and returns {vote id: Refinement} for the votes its rule governs, in one query
# for all of them that filters by that select (officials' pages count thousands of votes). A refiner may say
# which votes it governs: `refiner.governs(among)`, a select of those vote ids among `among`; approvals() then
# reads the other votes' art. 278 approval alone (a refiner that does not say is asked about every vote).
REFINERS = []


@dataclass(frozen=True)
class Refinement:
    """What a rule on top of art. 278 decided, and why."""

    approved: bool
    reason_key: str
    reason_params: dict = field(default_factory=dict)
    detail: object = None


@dataclass(frozen=True)
class Outcome:
    """Approved or not, and the reason, with the art. 278 count it rests on."""

    approved: bool
    civil_code_approved: bool
    reason_key: str
    reason_params: dict
    result: rules.Result
    detail: object = None  # what a refiner adds (a lift's LiftOutcome)


def _counted(vote, live):
    if vote.result is not None:
        record = vote.result
        return rules.Result(**record["result"]), {int(k): v for k, v in record["inputs"]["ballots"].items()}
    if not live:
        return None
    from votes import services
    return services.tally(vote), _LiveBallots(vote)


def outcomes_of(votes, live=False):
    """{vote id: Outcome} for votes with a stored result (and, with `live`, the count so far of the others)."""
    counted = {}
    for vote in votes:
        found = _counted(vote, live)
        if found is not None:
            counted[vote.id] = (vote, *found)
    return _decided(counted)


def _decided(counted, among=None):
    """{vote id: Outcome} from {vote id: (vote, Result, ballots)}: art. 278, then every refiner's rule (`among`:
    the select of vote ids the votes were chosen by, when there is one)."""
    decided = {vote_id: Outcome(result.approved, result.approved, result.reason_key, result.reason_params, result)
               for vote_id, (_vote, result, _ballots) in counted.items()}
    if not counted:
        return decided
    for refine in REFINERS:
        for vote_id, refined in refine(counted, list(counted) if among is None else among).items():
            decided[vote_id] = replace(decided[vote_id], approved=decided[vote_id].approved and refined.approved,
                                       reason_key=refined.reason_key, reason_params=refined.reason_params,
                                       detail=refined.detail)
    return decided


class _LazyBallots(Mapping):
    """{dwelling id: choice} read from `_ballots()` only when first asked for."""

    def __getitem__(self, dwelling_id):
        return self._ballots()[dwelling_id]

    def __iter__(self):
        return iter(self._ballots())

    def __len__(self):
        return len(self._ballots())


class _LiveBallots(_LazyBallots):
    """An open vote's {dwelling id: choice}, read only when a refiner asks (the live page is polled every few
    seconds, and most votes are governed by art. 278 alone)."""

    def __init__(self, vote):
        self.vote, self.found = vote, None

    def _ballots(self):
        if self.found is None:
            from votes import services
            self.found = services.ballots_of(self.vote)
        return self.found


class _StoredBallots(_LazyBallots):
    """A counted vote's {dwelling id: choice} from its stored record, read only when a refiner asks: then the
    ballots of every vote of the batch are read at once (most pages count votes no refiner governs)."""

    def __init__(self, batch, vote_id):
        self.batch, self.vote_id = batch, vote_id

    def _ballots(self):
        if self.batch.get(self.vote_id) is None:
            from sqlalchemy import select

            from core.extensions import db
            from votes.models import Vote
            self.batch.update({vote_id: {int(k): v for k, v in (ballots or {}).items()} for vote_id, ballots in
                               db.session.execute(select(Vote.id, Vote.result["inputs"]["ballots"])
                                                  .where(Vote.id.in_(list(self.batch))))})
        return self.batch[self.vote_id]


def stored_outcomes(votes):
    """{vote id: Outcome} of the counted votes among `votes` (a select of vote ids, or ids), reading each one's
    count kept apart from its record, not the parts and ballots it was counted from (those only if a refiner
    asks)."""
    from sqlalchemy import Select, select

    from core.extensions import db
    from votes.models import Vote
    rows = db.session.execute(select(Vote.id, Vote.state, Vote.counted)
                              .where(Vote.id.in_(votes), Vote.counted.is_not(None))).all()
    batch = dict.fromkeys((row.id for row in rows), None)
    return _decided({row.id: (row, rules.Result(**row.counted), _StoredBallots(batch, row.id)) for row in rows},
                    votes if isinstance(votes, Select) else None)


def approvals(votes):
    """{vote id: approved} of the counted votes among `votes` (a select of vote ids), as stored_outcomes()
    decides them, without building an outcome for each: art. 278's approval is read from each vote's stored
    count in the database, and only the votes a refiner governs are decided in full (a province counts
    thousands of votes, few of them under a rule of their own)."""
    from sqlalchemy import select

    from core.extensions import db
    from votes.models import Vote
    found = dict(db.session.execute(select(Vote.id, Vote.counted["approved"].as_boolean())
                                    .where(Vote.id.in_(votes), Vote.counted.is_not(None))).all())
    decided = {vote_id: bool(approved) for vote_id, approved in found.items()}
    if decided and REFINERS:
        decided.update({vote_id: outcome.approved for vote_id, outcome in stored_outcomes(_governed(votes)).items()
                        if vote_id in decided})
    return decided


def count_approved(votes):
    """(approved, not approved) among the counted votes of `votes` (a select of vote ids), as approvals() decides
    them, summed by the database: a rule on top of art. 278 only ever withholds an approval, so the votes it
    governs and art. 278 approved but it did not are taken off."""
    from sqlalchemy import case, func, select

    from core.extensions import db
    from votes.models import Vote
    total, approved = db.session.execute(
        select(func.count(Vote.id), func.sum(case((Vote.counted["approved"].as_boolean(), 1), else_=0)))
        .where(Vote.id.in_(votes), Vote.counted.is_not(None))).one()
    approved = int(approved or 0)
    if total and REFINERS:
        approved -= sum(1 for outcome in stored_outcomes(_governed(votes)).values()
                        if outcome.civil_code_approved and not outcome.approved)
    return approved, total - approved


def _governed(votes):
    """The votes among `votes` that some refiner governs (all of them when a refiner does not say)."""
    from sqlalchemy import select, union
    if not all(hasattr(refine, "governs") for refine in REFINERS):
        return votes
    chosen = [refine.governs(votes) for refine in REFINERS]
    return chosen[0] if len(chosen) == 1 else select(union(*chosen).subquery().c[0])


def outcome_of(vote, live=False):
    """The outcome of one vote (None when it has no stored result and `live` is not asked for)."""
    return outcomes_of([vote], live=live).get(vote.id)


def approved(vote):
    """Whether a counted vote was approved by every rule it is decided by (False before counting)."""
    decided = outcome_of(vote)
    return decided is not None and decided.approved


def uncovered_by_approved(matter, dwelling_ids):
    """The dwellings of `dwelling_ids` that no published, approved vote of `matter` covers (empty: all are
    decided). A vote covers the dwellings of its scope: its compound, building or stairwell."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Building, Dwelling, Unit
    from core.scopes import scope_dwellings
    from votes.models import Vote, VoteState
    wanted = set(dwelling_ids)
    if not wanted:
        return set()
    compounds = set(db.session.scalars(select(Building.compound_id).join(Unit, Unit.building_id == Building.id)
                                       .join(Dwelling, Dwelling.unit_id == Unit.id).where(Dwelling.id.in_(wanted))))
    found = (Vote.query.filter(Vote.matter == matter, Vote.compound_id.in_(compounds),
                               Vote.state.in_((VoteState.PUBLISHED, VoteState.ARCHIVED))).order_by(Vote.id).all())
    decided = outcomes_of(found)
    missing = set(wanted)
    for vote in found:
        if missing and vote.id in decided and decided[vote.id].approved:
            missing -= set(db.session.scalars(scope_dwellings(vote).where(Dwelling.id.in_(missing))))
    return missing
