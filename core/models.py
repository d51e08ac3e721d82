"""The registry: regions, compounds, buildings, units, dwellings, people, staff, audit, catalogue."""
from datetime import datetime, timezone

from core.areas import counted_area
from core.extensions import db
from core.times import BEIJING


def utcnow():
    """Timezone-aware now, for defaults."""
    return datetime.now(timezone.utc)


def beijing_today():
    """Today's date in Beijing: the dates people type and read are Beijing dates, whatever the server's zone."""
    return datetime.now(BEIJING).date()


def aware(moment):
    """A stored time as timezone-aware UTC (SQLite hands back naive datetimes written in UTC)."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def as_utc(moment):
    """An aware time converted to UTC before it is stored (SQLite keeps the wall time and drops the zone)."""
    return moment.astimezone(timezone.utc) if moment is not None and moment.tzinfo else moment


class RegionLevel:
    """The administrative levels, top down."""

    PROVINCE, CITY, COUNTY, STREET, COMMUNITY = "province", "city", "county", "street", "community"
    ORDER = (PROVINCE, CITY, COUNTY, STREET, COMMUNITY)


class Region(db.Model):
    """A node of the province › city › county › street › community tree."""

    __tablename__ = "regions"
    id = db.Column(db.Integer, primary_key=True)
    parent_id = db.Column(db.Integer, db.ForeignKey("regions.id"), index=True)
    level = db.Column(db.String(16), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    # "/1/4/9/": the ids from the root down, so a region's subtree is one prefix match.
    path = db.Column(db.String(255), nullable=False, index=True)
    parent = db.relationship("Region", remote_side=[id])
    __table_args__ = (db.UniqueConstraint("parent_id", "name"),)

    def contains(self, other):
        """Whether `other` is this region or lies under it."""
        return other.path.startswith(self.path)


class CompoundStatus:
    """Where a compound stands in the renovation scheme."""

    REGISTERED, RESERVE, PLANNED, RENOVATING, COMPLETED, EXCLUDED = (
        "registered", "reserve", "planned", "renovating", "completed", "excluded")
    ALL = (REGISTERED, RESERVE, PLANNED, RENOVATING, COMPLETED, EXCLUDED)


class Compound(db.Model):
    """A housing compound (小区) in one community."""

    __tablename__ = "compounds"
    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)
    address = db.Column(db.String(255))
    built_year = db.Column(db.Integer)
    households = db.Column(db.Integer)
    building_count = db.Column(db.Integer)
    total_floor_area = db.Column(db.BigInteger)  # hundredths of m²
    heritage = db.Column(db.Boolean, nullable=False, default=False)
    dangerous = db.Column(db.Boolean, nullable=False, default=False)
    demolition = db.Column(db.Boolean, nullable=False, default=False)
    reserve_level = db.Column(db.String(16))
    status = db.Column(db.String(16), nullable=False, default=CompoundStatus.REGISTERED)
    community = db.relationship("Region")
    buildings = db.relationship("Building", back_populates="compound", order_by="Building.name")
    __table_args__ = (db.UniqueConstraint("community_id", "name"),)


class Building(db.Model):
    """A building (楼栋) of a compound."""

    __tablename__ = "buildings"
    id = db.Column(db.Integer, primary_key=True)
    compound_id = db.Column(db.Integer, db.ForeignKey("compounds.id"), nullable=False)
    name = db.Column(db.String(32), nullable=False)
    floors = db.Column(db.Integer)
    has_lift = db.Column(db.Boolean, nullable=False, default=False)
    compound = db.relationship("Compound", back_populates="buildings")
    units = db.relationship("Unit", back_populates="building", order_by="Unit.name")
    __table_args__ = (db.UniqueConstraint("compound_id", "name"),)


class Unit(db.Model):
    """A stairwell unit (单元) of a building."""

    __tablename__ = "units"
    id = db.Column(db.Integer, primary_key=True)
    building_id = db.Column(db.Integer, db.ForeignKey("buildings.id"), nullable=False)
    name = db.Column(db.String(32), nullable=False)
    building = db.relationship("Building", back_populates="units")
    dwellings = db.relationship("Dwelling", back_populates="unit", order_by="Dwelling.room")
    __table_args__ = (db.UniqueConstraint("building_id", "name"),)


class Dwelling(db.Model):
    """An exclusive part (户/专有部分) with its areas in hundredths of m²."""

    __tablename__ = "dwellings"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False)
    room = db.Column(db.String(32), nullable=False)
    registered_area = db.Column(db.Integer)
    surveyed_area = db.Column(db.Integer)
    contract_area = db.Column(db.Integer)
    use = db.Column(db.String(16), nullable=False, default="residential")
    floor = db.Column(db.Integer)  # from the roll or set by the committee; None: read from the room number
    unit = db.relationship("Unit", back_populates="dwellings")
    ownerships = db.relationship("Ownership", back_populates="dwelling")
    __table_args__ = (db.UniqueConstraint("unit_id", "room"),)

    @property
    def counted_area(self):
        """Registered, else surveyed, else contract area."""
        return counted_area(self.registered_area, self.surveyed_area, self.contract_area)

    @property
    def storey(self):
        """The floor the dwelling is on: as recorded, else as its room number says (None if unknown)."""
        from core.floors import floor_from_room
        return self.floor if self.floor is not None else floor_from_room(self.room)


class Person(db.Model):
    """A resident or owner; the document number is kept only as a keyed hash."""

    __tablename__ = "people"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    doc_type = db.Column(db.String(16))
    id_key = db.Column(db.String(64), unique=True)
    id_masked = db.Column(db.String(32))
    phone_enc = db.Column(db.Text)
    phone_key = db.Column(db.String(64), index=True)
    phone_masked = db.Column(db.String(16))
    locale = db.Column(db.String(16))


class Ownership(db.Model):
    """A person's ownership of a dwelling; co-owners are several rows."""

    __tablename__ = "ownerships"
    id = db.Column(db.Integer, primary_key=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("people.id"), nullable=False, index=True)
    share = db.Column(db.String(16))
    developer_held = db.Column(db.Boolean, nullable=False, default=False)
    delivered = db.Column(db.Boolean, nullable=False, default=True)
    # Keyed hash of the property certificate number (不动产权证号): with the ID number, what verifies an owner.
    certificate_key = db.Column(db.String(64), index=True)
    # The name and phone as this compound's roll has them: one compound's roll never changes what another
    # compound's roll says about the same person (people are shared across compounds by their ID hash).
    name = db.Column(db.String(100))
    phone_enc = db.Column(db.Text)
    phone_key = db.Column(db.String(64))
    phone_masked = db.Column(db.String(16))
    dwelling = db.relationship("Dwelling", back_populates="ownerships")
    person = db.relationship("Person")
    __table_args__ = (db.UniqueConstraint("dwelling_id", "person_id"),)

    @property
    def roll_name(self):
        """The owner's name as this compound's roll writes it."""
        return self.name if self.name is not None else self.person.name

    @property
    def roll_phone_masked(self):
        """The owner's phone, masked, as this compound's roll writes it."""
        return self.phone_masked if self.name is not None else self.person.phone_masked


class Residency(db.Model):
    """Who lives in a dwelling: owners, tenants and family."""

    __tablename__ = "residencies"
    id = db.Column(db.Integer, primary_key=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("people.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # owner | tenant | family
    dwelling = db.relationship("Dwelling")
    person = db.relationship("Person")
    __table_args__ = (db.UniqueConstraint("dwelling_id", "person_id"),)


class Staff(db.Model):
    """A staff account, always bound to one region."""

    __tablename__ = "staff"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(100), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), nullable=False, index=True)
    password_hash = db.Column(db.String(255), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    locale = db.Column(db.String(16))
    # Set when someone else chose the password (an administrator creating or resetting the account).
    must_change_password = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    password_changed_at = db.Column(db.DateTime(timezone=True))
    sessions_ended_at = db.Column(db.DateTime(timezone=True))  # sessions started before this are over
    region = db.relationship("Region")


class StaffLinkCode(db.Model):
    """A one-time code a staff member sends to the official account to receive their alerts there (hashed)."""

    __tablename__ = "staff_link_codes"
    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), nullable=False, unique=True)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    used_at = db.Column(db.DateTime(timezone=True))


class StaffWechatLink(db.Model):
    """The WeChat account a staff member's alerts are pushed to (one each way)."""

    __tablename__ = "staff_wechat_links"
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, unique=True)
    linked_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class StaffSession(db.Model):
    """A staff sign-in held on the server (when there is no Redis): the cookie carries only its token."""

    __tablename__ = "staff_sessions"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False, index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    revoked_at = db.Column(db.DateTime(timezone=True))


class FileLink(db.Model):
    """What an upload belongs to: a wish, a site report, a milestone, a vote, a proxy's authorisation..."""

    __tablename__ = "file_links"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, index=True)
    kind = db.Column(db.String(24), nullable=False)
    target_id = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.UniqueConstraint("name", "kind", "target_id"),)


class ChatPhoto(db.Model):
    """A photo a resident sent in the official-account chat for a wish, an on-site report or an objection: WeChat
    keeps it three days by its media id, so a worker fetches it (core/chat_photos.py) and adds the stored file to
    the photos of what it belongs to. Written in the same transaction as that thing."""

    __tablename__ = "chat_photos"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(24), nullable=False)  # wish | site_report | objection (an upload owner kind)
    target_id = db.Column(db.Integer, nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    media_id = db.Column(db.String(128), nullable=False)
    # waiting (due at next_attempt_at) | fetching (claimed) | kept | refused | gone | failed
    state = db.Column(db.String(16), nullable=False, default="waiting", server_default="waiting")
    reason = db.Column(db.String(32))  # why it was not kept: too_large | not_a_photo | gone | unreachable
    name = db.Column(db.String(80))  # the stored upload, once kept
    attempts = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    last_error = db.Column(db.String(255))
    next_attempt_at = db.Column(db.DateTime(timezone=True))
    claimed_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = db.Column(db.DateTime(timezone=True))
    __table_args__ = (db.Index("ix_chat_photos_owner", "kind", "target_id"),
                      db.Index("ix_chat_photos_due", "state", "next_attempt_at"))


class AuditLog(db.Model):
    """Append-only record of every staff write: who, what, when, before and after."""

    __tablename__ = "audit_log"
    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), index=True)
    actor = db.Column(db.String(64), nullable=False)
    action = db.Column(db.String(64), nullable=False)
    target_type = db.Column(db.String(32), nullable=False)
    target_id = db.Column(db.String(64))
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), index=True)
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)


class CatalogueClass:
    """The three classes of renovation content."""

    BASIC, IMPROVEMENT, ENHANCEMENT = "basic", "improvement", "enhancement"
    ALL = (BASIC, IMPROVEMENT, ENHANCEMENT)


class CatalogueItem(db.Model):
    """One item of renovation content; base items have no region, a county may add its own."""

    __tablename__ = "catalogue_items"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    cls = db.Column(db.String(16), nullable=False)
    name_zh = db.Column(db.String(100), nullable=False)
    name_en = db.Column(db.String(100), nullable=False)
    region_id = db.Column(db.Integer, db.ForeignKey("regions.id"), index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    active = db.Column(db.Boolean, nullable=False, default=True)


class WechatToken(db.Model):
    """The one shared access token per WeChat app."""

    __tablename__ = "wechat_tokens"
    appid = db.Column(db.String(64), primary_key=True)
    token = db.Column(db.String(512), nullable=False)
    expires_at = db.Column(db.Float, nullable=False)


class WechatAccount(db.Model):
    """A WeChat user (openid) and, once bound, the person and dwelling they are."""

    __tablename__ = "wechat_accounts"
    id = db.Column(db.Integer, primary_key=True)
    openid = db.Column(db.String(64), nullable=False, unique=True)
    unionid = db.Column(db.String(64), index=True)
    person_id = db.Column(db.Integer, db.ForeignKey("people.id"), index=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), index=True)
    kind = db.Column(db.String(16))  # owner | tenant | family, once bound
    follows = db.Column(db.Boolean, nullable=False, default=False)
    locale = db.Column(db.String(16), nullable=False, default="zh_Hans_CN")
    phone_enc = db.Column(db.Text)
    last_inbound_at = db.Column(db.DateTime(timezone=True))
    privacy_version = db.Column(db.String(16))  # the privacy notice consented to, and when
    privacy_consented_at = db.Column(db.DateTime(timezone=True))
    deleted_at = db.Column(db.DateTime(timezone=True))  # the resident asked for their data to be deleted
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    person = db.relationship("Person")
    dwelling = db.relationship("Dwelling")


class ResidentSession(db.Model):
    """A mini-program session: an opaque token kept only as its hash; session_key stays here."""

    __tablename__ = "resident_sessions"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    session_key_enc = db.Column(db.Text)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    revoked_at = db.Column(db.DateTime(timezone=True))
    account = db.relationship("WechatAccount")


class BindingCode(db.Model):
    """A one-time code committee staff issue for one dwelling (kept hashed)."""

    __tablename__ = "binding_codes"
    id = db.Column(db.Integer, primary_key=True)
    code_hash = db.Column(db.String(64), nullable=False, unique=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False, index=True)
    person_id = db.Column(db.Integer, db.ForeignKey("people.id"))
    kind = db.Column(db.String(16), nullable=False)
    issued_by = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    used_at = db.Column(db.DateTime(timezone=True))
    used_by = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"))


class BindingRequest(db.Model):
    """A binding the roll could not confirm, waiting for the committee."""

    __tablename__ = "binding_requests"
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"), nullable=False, index=True)
    claimed_name = db.Column(db.String(100))
    phone_last4 = db.Column(db.String(4))
    state = db.Column(db.String(16), nullable=False, default="pending")  # pending | approved | rejected | withdrawn
    evidence = db.Column(db.Text)  # what the committee saw before approving an owner
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    decided_by = db.Column(db.Integer, db.ForeignKey("staff.id"))
    decided_at = db.Column(db.DateTime(timezone=True))
    account = db.relationship("WechatAccount")
    dwelling = db.relationship("Dwelling")


class BindAttempt(db.Model):
    """Each try to bind to a dwelling, so that tries are limited per flat as well as per account."""

    __tablename__ = "bind_attempts"
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("wechat_accounts.id"), nullable=False)
    dwelling_id = db.Column(db.Integer, db.ForeignKey("dwellings.id"))
    method = db.Column(db.String(16), nullable=False)  # room | owner | code
    ok = db.Column(db.Boolean, nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (db.Index("ix_bind_attempts_account", "account_id", "at"),
                      db.Index("ix_bind_attempts_dwelling", "dwelling_id", "at"))


class InboundMessage(db.Model):
    """Each official-account message or event once: WeChat's retries find the same reply here."""

    __tablename__ = "inbound_messages"
    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    dedupe_key = db.Column(db.String(160), nullable=False, unique=True)
    nonce = db.Column(db.String(64), nullable=False, index=True)
    openid = db.Column(db.String(64), nullable=False)
    received_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    reply = db.Column(db.Text)


class Conversation(db.Model):
    """Where a WeChat user is in a bot conversation; survives restarts."""

    __tablename__ = "conversations"
    openid = db.Column(db.String(64), primary_key=True)
    flow = db.Column(db.String(32), nullable=False)
    step = db.Column(db.String(32), nullable=False)
    data = db.Column(db.JSON, nullable=False, default=dict)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
