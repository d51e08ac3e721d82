"""Votes as stored: the vote, one ballot per dwelling, the hash-chained log, paper entries."""
from sqlalchemy import case
from sqlalchemy.ext.hybrid import hybrid_property

from core.errors import Conflict
from core.extensions import db
from core.models import aware, utcnow


class VoteState:
    DRAFT, OPEN, CLOSED, PUBLISHED, ARCHIVED = "draft", "open", "closed", "published", "archived"


class Vote(db.Model):
    """A consent vote of the owners of a compound, building or stairwell unit."""

    __tablename__ = "votes"
    id = db.Column(db.Integer, primary_key=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False, index=True)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    scope_kind = db.Column(db.String(16), nullable=False)  # compound | building | unit
    scope_id = db.Column(db.Integer, nullable=False)
    matter = db.Column(db.String(32), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    text = db.Column(db.Text, nullable=False, default="")
    documents = db.Column(db.JSON, nullable=False, default=list)
    threshold_num = db.Column(db.Integer)
    threshold_den = db.Column(db.Integer)
    state = db.Column(db.String(16), nullable=False, default=VoteState.DRAFT)
    opens_at = db.Column(db.DateTime(timezone=True))
    closes_at = db.Column(db.DateTime(timezone=True))  # the planned end (as extended)
    closed_at = db.Column(db.DateTime(timezone=True))  # when it actually closed: earlier when closed by hand
    extended_reason = db.Column(db.Text)
    remind_days_before = db.Column(db.Integer, nullable=False, default=2)
    reminded_at = db.Column(db.DateTime(timezone=True))
    publicity_days = db.Column(db.Integer, nullable=False, default=7)
    published_at = db.Column(db.DateTime(timezone=True))
    publicity_ends_at = db.Column(db.DateTime(timezone=True))
    publish_details = db.Column(db.Boolean, nullable=False, default=False)
    result = db.Column(db.JSON)
    # The art. 278 count of the result (its "result" part, as votes.rules.Result has it), kept apart from the
    # parts and ballots it was counted from: officials' pages read the counts of thousands of votes.
    counted = db.Column(db.JSON)
    result_hash = db.Column(db.String(64))
    chain_head = db.Column(db.String(64))
    roll_area = db.Column(db.BigInteger)  # totals of the roll frozen at opening
    roll_heads = db.Column(db.Integer)
    event_count = db.Column(db.Integer, nullable=False, default=0)
    created_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    def require(self, *states):
        """Raise Conflict unless the vote is in one of `states`."""
        if self.state not in states:
            from votes.texts import VOTE_STATES
            raise Conflict("vote.wrong_state", state=VOTE_STATES.get(self.state, self.state))

    @property
    def closed_early(self):
        """Whether it was closed before its planned end."""
        return self.closed_at is not None and aware(self.closed_at) < aware(self.closes_at)

    @hybrid_property
    def ended_at(self):
        """When voting ended: the close by hand when it came before the planned end, else the planned end (from
        which no ballot was taken, though a close on time is stored when the scheduled job came round); for a
        vote still open, when it is planned to end. In a query, the same rule as an expression (for ordering: a
        year's votes are chosen by oversight._ended_in_year, written out for the planner)."""
        return self.closed_at if self.closed_early else self.closes_at

    @ended_at.inplace.expression
    @classmethod
    def _ended_at_expression(cls):
        return case((cls.closed_at < cls.closes_at, cls.closed_at), else_=cls.closes_at)

    def accepting(self, now):
        """Whether ballots are accepted at `now`."""
        return (self.state == VoteState.OPEN and aware(self.opens_at) <= now < aware(self.closes_at))


class RollPartMixin:
    """A row of a roll frozen when voting opens (a vote's or an election's): one exclusive part's counted area
    and head. Each table declares its own key to the vote or election: a class's own columns come before a
    mixin's, so that key leads the primary key."""

    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), primary_key=True)
    area = db.Column(db.Integer, nullable=False)
    head_no = db.Column(db.Integer, nullable=False)  # the owner's head, numbered within what is voted on


class RollOwnerMixin:
    """Who owned a part when voting opened (on a vote or an election); each table declares its key first."""

    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), primary_key=True)
    person_id = db.Column(db.Integer, db.ForeignKey("people.id"), primary_key=True)


class VotePart(RollPartMixin, db.Model):
    """The roll of a vote, frozen when it opens: each exclusive part's counted area and head."""

    __tablename__ = "vote_parts"
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), primary_key=True)


class VoteOwner(RollOwnerMixin, db.Model):
    """Who owned each part when the vote opened: only they (or their confirmed proxy) cast its ballot."""

    __tablename__ = "vote_owners"
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), primary_key=True)
    __table_args__ = (db.Index("ix_vote_owners_person", "person_id", "vote_id"),)


class Ballot(db.Model):
    """The one ballot of a dwelling in a vote (co-owners share it; the last one cast counts)."""

    __tablename__ = "ballots"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    choice = db.Column(db.String(16), nullable=False)
    channel = db.Column(db.String(16), nullable=False)  # miniprogram | bot | paper | proxy
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), index=True)
    person_id = db.Column(db.Integer)  # the person who cast it (owner or proxy), when known
    entered_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    confirmed_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    receipt = db.Column(db.String(24), nullable=False)
    cast_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # Copied from the frozen roll when cast, so that the count reads ballots alone (verify checks them).
    area = db.Column(db.Integer, nullable=False, default=0)
    head_no = db.Column(db.Integer, nullable=False, default=0)
    __table_args__ = (db.UniqueConstraint("vote_id", "dwelling_id"),
                      db.Index("ix_ballots_vote_head", "vote_id", "head_no", "choice", "area"))


class BallotEvent(db.Model):
    """Append-only, hash-chained record of every ballot, change and paper entry."""

    __tablename__ = "ballot_events"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False)
    seq = db.Column(db.Integer, nullable=False)
    dwelling_id = db.Column(db.Integer, nullable=False)
    choice = db.Column(db.String(16), nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    actor = db.Column(db.String(64), nullable=False)
    at = db.Column(db.String(40), nullable=False)  # ISO text, hashed as written
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False)
    __table_args__ = (db.UniqueConstraint("vote_id", "seq"),)


class PaperEntryMixin:
    """A collected paper ballot (on a vote or an election) typed by one staff member and counted once a second
    one confirms it; each table adds its key to what is voted on, and what the two read on the ballot."""

    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    entered_by = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False)
    confirmed_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    # pending | confirmed | mismatch | held (for review, never counted: the home's paper ballot was already
    # entered) | void (never settled before voting closed: not counted)
    state = db.Column(db.String(16), nullable=False, default="pending")
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class PaperEntry(PaperEntryMixin, db.Model):
    """A collected paper ballot typed or scanned by one staff member, counted once another confirms it."""

    __tablename__ = "paper_entries"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False, index=True)
    choice = db.Column(db.String(16), nullable=False)
    confirm_choice = db.Column(db.String(16))
    reason = db.Column(db.String(64))  # why an entry is held for review


class Canvass(db.Model):
    """Door-to-door status of a dwelling in a vote."""

    __tablename__ = "canvass"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    status = db.Column(db.String(16), nullable=False)  # pending | visited | refused | collected
    note = db.Column(db.String(200))
    updated_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    __table_args__ = (db.UniqueConstraint("vote_id", "dwelling_id"),)


class Proxy(db.Model):
    """A registered proxy (委托) who may vote for a dwelling, with the authorisation recorded."""

    __tablename__ = "vote_proxies"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False)
    authorisation = db.Column(db.Text, nullable=False)
    document = db.Column(db.String(128))  # the uploaded 委托书
    proxy_person_id = db.Column(db.Integer)  # the proxy as verified by their ID number
    # The owner who signed the authorisation: it stands only while they own the flat, on the registry's roll while
    # the vote is a draft, on the vote's frozen roll once it opened (votes.services.standing_proxies). None: a proxy
    # registered before the owner was recorded, whom the records could not tell (migration 0027): it stands no more.
    owner_person_id = db.Column(db.Integer, db.ForeignKey("people.id"))
    # pending | confirmed | lapsed (stopped standing while its vote was open: votes.services.lapse_proxy) |
    # withdrawn (the proxy deleted their data: no longer stands, and is not confirmed)
    state = db.Column(db.String(16), nullable=False, default="pending")
    recorded_by = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False)
    confirmed_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    confirmed_at = db.Column(db.DateTime(timezone=True))
    # The proxies an account stands as: what a deletion withdraws and a change of standing lapses.
    __table_args__ = (db.UniqueConstraint("vote_id", "dwelling_id"), db.Index("ix_vote_proxies_account_id", "account_id"))


class BallotIntake(db.Model):
    """A ballot as received while another cast was appending to the vote's chain: casting writes one row here
    and commits, without waiting for that cast's commit; chaining then appends the waiting rows to the vote's
    log in the order they came (`seq` set), or marks them late when the vote closed before they could be
    chained. A cast that finds the chain free appends its ballot to the log at once and writes no row here."""

    __tablename__ = "ballot_intake"
    id = db.Column(db.Integer, primary_key=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, nullable=False)
    choice = db.Column(db.String(16), nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    actor = db.Column(db.String(64), nullable=False)
    at = db.Column(db.String(40), nullable=False)  # when it was received, ISO text as the log hashes it
    account_id = db.Column(db.Integer)
    person_id = db.Column(db.Integer)
    entered_by = db.Column(db.Integer)
    confirmed_by = db.Column(db.Integer)
    area = db.Column(db.Integer, nullable=False)
    head_no = db.Column(db.Integer, nullable=False)
    # waiting | chained | late (the vote closed before it reached the chain: never counted; marked by the round
    # that finds it so, by the close, or by the schedule's sweep when its cast went away)
    state = db.Column(db.String(8), nullable=False, default="waiting")
    seq = db.Column(db.Integer)  # its place in the vote's log, once chained
    __table_args__ = (db.Index("ix_ballot_intake_vote_state", "vote_id", "state", "id"),)
