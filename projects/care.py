"""Care afterwards: electing the owners' committee from candidates, the management mode and the management
covenant through the vote machinery, and the long-term management survey at handover."""
from datetime import timedelta
from types import SimpleNamespace

from flask_babel import force_locale, gettext as _
from sqlalchemy import bindparam, select, update

from core import audit
from core.auth import authorize, compounds_in_scope
from core.decisions import pending_row
from core.errors import Conflict, Forbidden, NotFound, RuleViolation, field_error
from core.extensions import db
from core.models import Compound, aware, utcnow
from core.registry import compound_of_dwelling
from notices.services import queue_scoped_notice
from projects.models import (Candidate, Election, ElectionBallot, ElectionOwner, ElectionPaperEntry, ElectionPart,
                             ManagementChoice)
from projects.services import get_project
from projects.texts import ELECTION_STATES
from votes import rules as vote_rules

MODES = ("property", "self", "street")


# the long-term management survey -----------------------------------------------------------------------
def management_definition(compound_name):
    """The long-term management survey: which management mode, and what matters most. Texts in Chinese."""
    with force_locale("zh_Hans_CN"):
        return {"version": 1, "title": compound_name, "sections": [{
            "id": "management", "title": _("Long-term management"), "questions": [
                {"id": "management", "type": "single", "required": True,
                 "title": _("How should the compound be managed after the renovation?"),
                 "options": [{"id": "property", "label": _("a property company")},
                             {"id": "self", "label": _("self-management by the owners")},
                             {"id": "street", "label": _("the street's managed service")}]},
                {"id": "comments", "type": "text", "title": _("What matters most to you in the management?")}]}]}


def start_management_survey(project):
    """At handover: a long-term management survey for each compound of the project, open 30 days."""
    from surveys.models import Survey, SurveyVersion
    created = []
    for compound in project.compounds:
        with force_locale("zh_Hans_CN"):
            title = _("%(compound)s long-term management survey", compound=compound.name)
        survey = Survey(compound_id=compound.id, region_id=compound.community_id, kind="management", title=title,
                        scope_kind="compound", scope_id=compound.id, project_id=project.id, state="open",
                        opens_at=utcnow(), closes_at=utcnow() + timedelta(days=30))
        db.session.add(survey)
        db.session.flush()
        db.session.add(SurveyVersion(survey_id=survey.id, version=1, definition=management_definition(compound.name)))
        queue_scoped_notice("compound", compound.id, "survey_open", {"title": title}, region_id=compound.community_id)
        created.append(survey)
    db.session.flush()
    return created


# the management mode and the covenant, through the vote machinery ---------------------------------------
def propose_management_mode(staff, project_id, compound_id, mode):
    """A draft vote (art. 278, ordinary) on the management mode the survey pointed to."""
    from votes.services import create_vote
    project = get_project(staff, project_id, "projects.edit")
    if compound_id not in {c.id for c in project.compounds}:
        raise NotFound()
    if mode not in MODES:
        raise field_error("mode", "error.invalid")
    with force_locale("zh_Hans_CN"):
        name = {"property": _("a property company"), "self": _("self-management by the owners"),
                "street": _("the street's managed service")}[mode]
        title = _("Long-term management of %(project)s: %(mode)s", project=project.name, mode=name)
    vote = create_vote(staff, "compound", compound_id, "property_manager", title[:200], title)
    db.session.add(ManagementChoice(vote_id=vote.id, compound_id=compound_id, project_id=project.id, mode=mode))
    db.session.flush()
    return vote


def decide_management_modes():
    """Scheduled: a management-mode vote whose result is published decides; approved, its mode becomes the
    compound's management mode (audited), and the compound's residents are told."""
    from votes import outcomes
    from votes.models import Vote, VoteState
    pending = db.session.execute(select(ManagementChoice, Vote).join(Vote, Vote.id == ManagementChoice.vote_id).where(
        ManagementChoice.outcome.is_(None), Vote.state.in_((VoteState.PUBLISHED, VoteState.ARCHIVED)))).all()
    for choice, vote in pending:
        approved = outcomes.approved(vote)  # the one outcome every door reads
        choice.outcome, choice.decided_at = ("approved" if approved else "rejected"), utcnow()
        compound = db.session.get(Compound, choice.compound_id)
        audit.record(None, "compound.management_mode", "compound", compound.id, compound.community_id,
                     after={"vote": vote.id, "mode": choice.mode, "approved": approved})
        if approved:
            with force_locale("zh_Hans_CN"):
                body = _("By the owners' vote, %(compound)s is managed from now on by %(mode)s.",
                         compound=compound.name, mode=mode_label(choice.mode))
                title = _("Management of the compound decided")
            queue_scoped_notice("compound", compound.id, "works_message", {"title": title, "body": body},
                                region_id=compound.community_id)
    db.session.flush()
    return len(pending)


def mode_label(mode):
    """A management mode in the reader's language."""
    return {"property": _("a property company"), "self": _("self-management by the owners"),
            "street": _("the street's managed service")}.get(mode, mode or "")


MANAGEMENT_MODE = (select(ManagementChoice.mode, ManagementChoice.decided_at, ManagementChoice.vote_id)
                   .where(ManagementChoice.compound_id == bindparam("compound"), ManagementChoice.outcome == "approved")
                   .order_by(ManagementChoice.decided_at.desc(), ManagementChoice.vote_id.desc()).limit(1))


def management_mode_of(compound_id):
    """The compound's management mode as the owners last approved it: (mode, decided_at, vote id) or None."""
    row = db.session.execute(MANAGEMENT_MODE, {"compound": compound_id}).first()
    return (row.mode, row.decided_at, row.vote_id) if row else None


def management_modes_in(region):
    """(compound, mode, decided_at) of the compounds under the region whose owners chose a management mode."""
    from core.models import Region
    rows = db.session.execute(
        select(Compound, ManagementChoice).join(ManagementChoice, ManagementChoice.compound_id == Compound.id)
        .join(Region, Region.id == Compound.community_id)
        .where(Region.path.startswith(region.path, autoescape=True), ManagementChoice.outcome == "approved")
        .order_by(Compound.name, ManagementChoice.decided_at)).all()
    latest = {}
    for compound, choice in rows:  # a later decision replaces an earlier one
        latest[compound.id] = (compound, choice.mode, choice.decided_at)
    return list(latest.values())


def propose_covenant(staff, project_id, compound_id, text):
    """The management covenant as a document the owners vote on (art. 278, ordinary)."""
    from votes.services import create_vote
    project = get_project(staff, project_id, "projects.edit")
    if compound_id not in {c.id for c in project.compounds}:
        raise NotFound()
    text = (text or "").strip()
    if not text:
        raise field_error("text", "error.field_required")
    with force_locale("zh_Hans_CN"):
        title = _("Management covenant of %(compound)s", compound=db.session.get(Compound, compound_id).name)
    return create_vote(staff, "compound", compound_id, "management_covenant", title[:200], text[:20000])


# electing the owners' committee ----------------------------------------------------------------------------
def get_election(staff, election_id, action="votes.read"):
    election = db.session.get(Election, election_id)
    if election is None:
        raise NotFound()
    compound = db.session.get(Compound, election.compound_id)
    authorize(staff, action, compound.community)
    return election


def create_election(staff, compound_id, title, seats, project_id=None):
    """An election of the owners' committee of a compound, taking nominations."""
    compound = compounds_in_scope(staff).filter(Compound.id == compound_id).first()
    if compound is None:
        raise NotFound()
    authorize(staff, "votes.manage", compound.community)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise field_error("title", "error.field_required")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= 15:
        raise field_error("seats", "election.bad_seats")
    if project_id is not None:
        project = get_project(staff, project_id)
        if compound_id not in {c.id for c in project.compounds}:
            raise NotFound()
    election = Election(compound_id=compound.id, region_id=compound.community_id, project_id=project_id,
                        title=title, seats=seats, created_by=staff.id)
    db.session.add(election)
    db.session.flush()
    audit.record(staff, "election.create", "election", election.id, compound.community_id,
                 after={"title": title, "seats": seats})
    return election


def nominate(staff, election_id, name, nominated_by, statement=""):
    """Add a candidate while nominations are open."""
    election = get_election(staff, election_id, "votes.manage")
    if election.state != "nominating":
        raise Conflict("election.wrong_state", state=ELECTION_STATES.get(election.state, election.state))
    name, nominated_by = (name or "").strip(), (nominated_by or "").strip()
    if not name or len(name) > 100:
        raise field_error("name", "error.field_required")
    if not nominated_by or len(nominated_by) > 100:
        raise field_error("nominated_by", "error.field_required")
    candidate = Candidate(election_id=election.id, name=name, nominated_by=nominated_by,
                          statement=(statement or "").strip()[:500])
    db.session.add(candidate)
    db.session.flush()
    audit.record(staff, "election.nominate", "election", election.id, election.region_id,
                 after={"candidate": candidate.id, "name": name, "nominated_by": nominated_by})
    return candidate


def open_election(staff, election_id, closes_at):
    """Close nominations and open the ballot until `closes_at`; the residents are told."""
    election = get_election(staff, election_id, "votes.manage")
    if election.state != "nominating":
        raise Conflict("election.wrong_state", state=ELECTION_STATES.get(election.state, election.state))
    if len(election.candidates) < election.seats:
        raise Conflict("election.too_few_candidates", seats=election.seats)
    if closes_at is None or closes_at.tzinfo is None or closes_at <= utcnow():
        raise field_error("closes_at", "election.bad_closing")
    election.state, election.opens_at, election.closes_at = "open", utcnow(), closes_at
    freeze_roll(election)
    audit.record(staff, "election.open", "election", election.id, election.region_id,
                 after={"closes_at": closes_at.isoformat()})
    announce_election(election)
    db.session.flush()
    return election


def freeze_roll(election):
    """Fix the election's roll as voting opens: later amendments to the registry do not change it.
    Heads are numbered within the election; who may cast each part's ballot follows this roll."""
    from core.models import Ownership
    parts = _live_parts(election)
    if not parts:
        raise Conflict("vote.empty_scope")
    numbers = {}
    db.session.execute(ElectionPart.__table__.insert(), [
        {"election_id": election.id, "dwelling_id": p.dwelling_id, "area": p.area,
         "head_no": numbers.setdefault(p.head, len(numbers) + 1)} for p in parts])
    owners = db.session.execute(select(Ownership.dwelling_id, Ownership.person_id).where(
        Ownership.dwelling_id.in_([p.dwelling_id for p in parts]), Ownership.developer_held.is_(False))).all()
    if owners:
        db.session.execute(ElectionOwner.__table__.insert(), [
            {"election_id": election.id, "dwelling_id": d, "person_id": person} for d, person in set(owners)])


def owners_to_tell(election):
    """The WeChat accounts of the owners on the election's frozen roll."""
    from core.models import WechatAccount
    return db.session.scalars(select(WechatAccount.id).join(
        ElectionOwner, ElectionOwner.person_id == WechatAccount.person_id).where(
        ElectionOwner.election_id == election.id, WechatAccount.kind == "owner",
        WechatAccount.deleted_at.is_(None)).distinct().order_by(WechatAccount.id)).all()


def announce_election(election):
    """Every owner on the roll hears that voting is open, with the candidates, seats and deadline."""
    from notices.services import queue_direct_message
    compound = db.session.get(Compound, election.compound_id)
    params = {"title": election.title, "election_id": election.id, "where": compound.name,
              "seats": election.seats, "candidates": len(election.candidates),
              "closes_at": aware(election.closes_at).isoformat()}
    accounts = owners_to_tell(election)
    for account_id in accounts:
        queue_direct_message(account_id, "election_open", params, created_by=election.created_by)
    return len(accounts)


def _candidate_ids(election, candidate_ids):
    known = {c.id for c in election.candidates}
    chosen = sorted(set(candidate_ids or ()))
    if not set(chosen) <= known:
        raise field_error("candidate_ids", "election.unknown_candidate")
    if len(chosen) > election.seats:
        raise field_error("candidate_ids", "election.too_many", seats=election.seats)
    return chosen


def _record(election, dwelling_id, chosen, channel, account_id=None, entered_by=None):
    if not _lock_open(election, share=True) or utcnow() >= aware(election.closes_at):
        raise Conflict("election.not_open")
    on_roll = db.session.get(ElectionPart, (election.id, dwelling_id))
    if on_roll is None:
        raise NotFound()
    ballot = ElectionBallot.query.filter_by(election_id=election.id, dwelling_id=dwelling_id).first()
    if ballot is None:
        ballot = ElectionBallot(election_id=election.id, dwelling_id=dwelling_id)
        db.session.add(ballot)
    ballot.candidate_ids, ballot.channel, ballot.account_id, ballot.entered_by, ballot.at = (
        chosen, channel, account_id, entered_by, utcnow())
    db.session.flush()
    return ballot


def open_elections_for(account):
    """Open elections of the owner's compound."""
    if account.dwelling_id is None:
        return []
    compound_id = compound_of_dwelling(account.dwelling_id).id
    return Election.query.filter_by(compound_id=compound_id, state="open").order_by(Election.id).all()


def _owned_on_roll(account, election):
    """The dwellings the account's verified person owned on the election's roll as it opened."""
    if account.kind != "owner" or not account.person_id or getattr(account, "deleted_at", None) is not None:
        return []
    return db.session.scalars(select(ElectionOwner.dwelling_id).where(
        ElectionOwner.election_id == election.id, ElectionOwner.person_id == account.person_id)
        .order_by(ElectionOwner.dwelling_id)).all()


def cast_election_ballot(account, election_id, candidate_ids, channel="online"):
    """An owner agrees to up to `seats` candidates for every flat they own in the compound at once (none:
    taking part without agreeing to anyone). Returns the first ballot."""
    from votes.services import require_voter
    election = db.session.get(Election, election_id)
    if election is None:
        raise NotFound()
    require_voter(account)
    owned = _owned_on_roll(account, election)
    if not owned:
        raise Forbidden("vote.not_owner")
    chosen = _candidate_ids(election, candidate_ids)
    return [_record(election, d, chosen, channel, account_id=account.id) for d in owned][0]


def elections_for_owner(account):
    """Open elections in which the account's person owns a dwelling on the frozen roll, latest deadline last."""
    if account.kind != "owner" or not account.person_id:
        return []
    on_roll = select(ElectionOwner.election_id).where(ElectionOwner.person_id == account.person_id)
    return Election.query.filter(Election.id.in_(on_roll), Election.state == "open",
                                 Election.closes_at > utcnow()).order_by(Election.closes_at, Election.id).all()


def resident_election(election_id):
    """An election as residents may read it (NotFound while it is still taking nominations)."""
    election = db.session.get(Election, election_id)
    if election is None or election.state == "nominating":
        raise NotFound()
    return election


def my_election_ballot(account, election):
    """The ballot of the first dwelling the account votes for in this election (None: not yet)."""
    owned = _owned_on_roll(account, election)
    if not owned:
        return None
    return ElectionBallot.query.filter_by(election_id=election.id, dwelling_id=owned[0]).first()


def enter_paper_ballot(staff, election_id, dwelling_id, candidate_ids):
    """Committee staff type a paper ballot collected door to door or at the meeting; it counts once a second
    staff member confirms it (as votes' paper ballots do)."""
    election = get_election(staff, election_id, "votes.paper")
    if election.state != "open" or utcnow() >= aware(election.closes_at):
        raise Conflict("election.not_open")
    if db.session.get(ElectionPart, (election.id, dwelling_id)) is None:
        raise NotFound()
    earlier = db.session.scalar(select(ElectionPaperEntry.id).where(
        ElectionPaperEntry.election_id == election.id, ElectionPaperEntry.dwelling_id == dwelling_id,
        ElectionPaperEntry.state.in_(("pending", "confirmed"))).limit(1))
    # One home, one paper ballot: a second entry for the same home is held for review, never counted.
    entry = ElectionPaperEntry(election_id=election.id, dwelling_id=dwelling_id, entered_by=staff.id,
                               candidate_ids=_candidate_ids(election, candidate_ids),
                               state="held" if earlier is not None else "pending")
    db.session.add(entry)
    db.session.flush()
    audit.record(staff, "election.paper", "election", election.id, election.region_id,
                 after={"entry": entry.id, "dwelling": dwelling_id, "candidates": entry.candidate_ids})
    return entry


def confirm_paper_ballot(staff, election_id, entry_id, candidate_ids):
    """A second staff member ticks the same ballot: a match counts, a mismatch is kept for review."""
    election = get_election(staff, election_id, "votes.paper")
    _lock_open(election, share=True)  # before the entry's row, in the order a close takes them
    entry = pending_row(ElectionPaperEntry, entry_id, "vote.entry_done", made_by="entered_by", staff=staff,
                        election_id=election.id)
    chosen = _candidate_ids(election, candidate_ids)
    entry.confirmed_by, entry.confirm_ids = staff.id, chosen
    if chosen != entry.candidate_ids:
        entry.state = "mismatch"
    else:
        _record(election, entry.dwelling_id, chosen, "paper", entered_by=entry.entered_by)
        entry.state = "confirmed"
    audit.record(staff, "election.paper_confirm", "election", election.id, election.region_id,
                 after={"entry": entry.id, "state": entry.state, "candidates": chosen})
    db.session.flush()
    return entry


def paper_entries(staff, election_id):
    """The election's paper entries, latest first, for the staff who run its paper ballots (votes.paper): the
    candidates a home ticked are that home's own choice, not for those who may only read the election."""
    return paper_entries_of(get_election(staff, election_id, "votes.paper"))


def paper_entries_of(election):
    """The election's paper entries, latest first."""
    return (ElectionPaperEntry.query.filter_by(election_id=election.id)
            .order_by(ElectionPaperEntry.id.desc()).all())


def _live_parts(election):
    from votes.services import parts_of
    return parts_of(SimpleNamespace(scope_kind="compound", scope_id=election.compound_id))


def _parts(election):
    """The roll the election counts: frozen once voting opened, the live registry while nominating."""
    if election.state == "nominating":
        return _live_parts(election)
    return [vote_rules.Part(d, a, str(h)) for d, a, h in db.session.execute(
        select(ElectionPart.dwelling_id, ElectionPart.area, ElectionPart.head_no)
        .where(ElectionPart.election_id == election.id).order_by(ElectionPart.dwelling_id))]


def close_election(staff, election_id):
    """Count each candidate under art. 278's ordinary rule; the elected are published to the residents."""
    election = get_election(staff, election_id, "votes.manage")
    if election.state == "nominating":
        raise Conflict("election.wrong_state", state=ELECTION_STATES.get(election.state, election.state))
    if not _lock_open(election):  # closed before, or by another close meanwhile
        raise Conflict("election.closed")
    return _close(election, staff)


def close_due(now=None):
    """Scheduled: count the elections whose voting time is up (the residents hear the result), and let the
    published management-mode votes decide the compounds' management mode."""
    now = now or utcnow()
    decide_management_modes()
    for election in Election.query.filter(Election.state == "open", Election.closes_at <= now).all():
        if not _lock_open(election):
            continue  # closed by hand meanwhile
        try:
            _close(election, None)
        except Conflict as fault:  # nobody could be counted: the committee sees it on the page
            audit.record(None, "election.close_failed", "election", election.id, election.region_id,
                         after={"reason": fault.key})
    db.session.commit()


def _lock_open(election, share=False):
    """Hold the election's row until the transaction ends and read its state and end again as they stand now;
    whether it is still open. A close holds it alone (FOR UPDATE), so one close at a time counts it; a ballot
    shares it (FOR SHARE), so it goes in before a close counts or finds the election closed. On SQLite, the
    database's write lock."""
    if db.session.get_bind().dialect.name != "postgresql":
        table = Election.__table__
        db.session.execute(update(table).where(table.c.id == election.id).values(state=table.c.state))
    db.session.refresh(election, ["state", "closes_at"], with_for_update={"read": True} if share else True)
    return election.state == "open"


def _close(election, staff):
    ballots = {d: set(c) for d, c in db.session.execute(
        select(ElectionBallot.dwelling_id, ElectionBallot.candidate_ids)
        .where(ElectionBallot.election_id == election.id)).all()}
    parts = _parts(election)
    on_roll = {p.dwelling_id for p in parts}
    ballots = {d: named for d, named in ballots.items() if d in on_roll}
    try:
        counted = vote_rules.count_election(parts, ballots, [c.id for c in election.candidates], election.seats)
    except RuleViolation as fault:
        raise Conflict(fault.key, **fault.params) from None
    names = {c.id: c.name for c in election.candidates}
    election.result = {"candidates": [
        {"id": c.candidate_id, "name": names[c.candidate_id], "elected": c.elected, "approved": c.result.approved,
         "agree_heads": c.result.agree_heads, "agree_area": c.result.agree_area,
         "participating_heads": c.result.participating_heads, "participating_area": c.result.participating_area,
         "total_heads": c.result.total_heads, "total_area": c.result.total_area,
         "quorum_met": c.result.quorum_met, "reason_key": c.result.reason_key, "reason_params": c.result.reason_params}
        for c in counted]}
    election.state = "closed"
    # paper entries nobody confirmed are void: they stay listed, never counted
    ElectionPaperEntry.query.filter_by(election_id=election.id, state="pending").update(
        {"state": "void"}, synchronize_session=False)
    elected = [names[c.candidate_id] for c in counted if c.elected]
    audit.record(staff, "election.close", "election", election.id, election.region_id,
                 after={"elected": elected, "by": "staff" if staff else "schedule"})
    with force_locale("zh_Hans_CN"):
        body = (_("Elected to the owners' committee: %(names)s.", names="、".join(elected)) if elected
                else _("No candidate was elected."))
    queue_scoped_notice("compound", election.compound_id, "works_message", {"title": election.title, "body": body},
                        created_by=staff.id if staff else None, region_id=election.region_id)
    db.session.flush()
    return election


def elected_of(election):
    return [c["name"] for c in (election.result or {}).get("candidates", []) if c["elected"]]


def elections_of_compound(compound_id):
    return Election.query.filter_by(compound_id=compound_id).order_by(Election.id.desc()).all()


def election_parts(election):
    """The exclusive parts the election counts (frozen when voting opened)."""
    return _parts(election)


def ballots_of(election):
    return ElectionBallot.query.filter_by(election_id=election.id).all()


def dwelling_names(parts):
    """(dwelling id, '1栋1单元101') for the paper-ballot form, in roll order."""
    from core.models import Building, Dwelling, Unit
    ids = [p.dwelling_id for p in parts]
    rows = db.session.execute(select(Dwelling.id, Building.name, Unit.name, Dwelling.room)
                              .join(Unit, Dwelling.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
                              .where(Dwelling.id.in_(ids or [0])).order_by(Building.name, Unit.name, Dwelling.room))
    return [(d, f"{b}-{u}-{room}") for d, b, u, room in rows]
