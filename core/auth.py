"""Staff roles, passwords, and the one function that decides every staff action."""
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import Forbidden, NotFound, Unauthorised
from core.extensions import db
from core.models import Compound, Region, RegionLevel, Staff


class Role:
    """Staff roles and the region level each is bound to."""

    COMMITTEE, STREET, COUNTY, CITY, PROVINCE, ADMIN = (
        "committee", "street", "county", "city", "province", "admin")
    LEVEL = {
        COMMITTEE: RegionLevel.COMMUNITY,
        STREET: RegionLevel.STREET,
        COUNTY: RegionLevel.COUNTY,
        CITY: RegionLevel.CITY,
        PROVINCE: RegionLevel.PROVINCE,
    }
    ALL = (COMMITTEE, STREET, COUNTY, CITY, PROVINCE, ADMIN)


_READ = {"registry.read", "catalogue.read", "wishes.read", "projects.read", "notices.read", "votes.read",
         "surveys.read", "publicity.read"}
# Officials answer a resident's site report only once it falls to them: passed up to their level, or to a level
# below with no active staff, for which they answer (projects.works.report_holders); never one a committee or
# street office still holds.
_ANSWER_PASSED_UP = {"reports.handle_passed_up"}
PERMISSIONS = {
    # Committee staff keep the roll and go door to door: they need the real phone numbers.
    Role.COMMITTEE: _READ | {"registry.import", "registry.edit", "pii.phone", "wishes.handle", "notices.send",
                             "projects.edit", "reports.handle", "votes.manage", "votes.paper", "surveys.manage",
                             "publicity.manage", "contributions.record"},
    Role.STREET: _READ | {"projects.edit", "reports.handle", "notices.send", "publicity.manage"},
    # Officials may let works start without the residents' consent or publicity, with a reason (audited).
    Role.COUNTY: _READ | _ANSWER_PASSED_UP | {"catalogue.edit", "registry.approve", "projects.edit", "projects.create", "targets.edit",
                          "regions.create", "compounds.create", "publicity.manage", "projects.override_gate",
                          "lifts.rule"},
    Role.CITY: _READ | _ANSWER_PASSED_UP | {"registry.approve", "targets.edit", "projects.override_gate"},
    Role.PROVINCE: _READ | _ANSWER_PASSED_UP | {"registry.approve", "targets.edit", "projects.override_gate"},
    Role.ADMIN: _READ | {"registry.import", "registry.edit", "staff.manage", "audit.read", "catalogue.edit",
                         "regions.create", "compounds.create",
                         "wishes.handle", "notices.send", "projects.edit", "projects.create", "reports.handle",
                         "votes.manage", "votes.paper", "surveys.manage", "targets.edit",
                         "publicity.manage", "contributions.record", "projects.override_gate", "lifts.rule"},
}


def decide(role, action, staff_path, target_path):
    """Pure decision: 'allow', 'not_found' (outside the region, so existence is not leaked) or 'forbidden'."""
    if target_path is not None and not target_path.startswith(staff_path):
        return "not_found"
    if action not in PERMISSIONS.get(role, ()):
        return "forbidden"
    return "allow"


def authorize(staff, action, region=None):
    """Raise NotFound or Forbidden unless `staff` may do `action` on something in `region`."""
    if staff is None:
        raise Unauthorised()
    verdict = decide(staff.role, action, staff.region.path, region.path if region is not None else None)
    if verdict == "not_found":
        raise NotFound()
    if verdict == "forbidden":
        raise Forbidden()


def can(staff, action):
    """Whether the role allows an action at all (for navigation and masking)."""
    return staff is not None and action in PERMISSIONS.get(staff.role, ())


def compounds_in_scope(staff):
    """A query of the compounds inside the staff member's region."""
    return Compound.query.join(Region, Compound.community_id == Region.id).filter(
        Region.path.startswith(staff.region.path, autoescape=True))


def subtree_pattern(path):
    """The LIKE pattern (escaped with '/') of the region paths under and at `path`."""
    return path.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def scope_pattern(staff):
    """The LIKE pattern (escaped with '/') of the region paths inside the staff member's region, for statements
    built once with IN_SCOPE: the same compounds as compounds_in_scope."""
    return subtree_pattern(staff.region.path)


# The ids of the compounds whose community's path matches :scope (scope_pattern), for statements built once.
IN_SCOPE = select(Compound.id).join(Region, Compound.community_id == Region.id).where(
    Region.path.like(bindparam("scope"), escape="/"))


def kept_in_region(staff, model):
    """A query of the rows of `model` (kept in a region: `region_id`) inside the staff member's region."""
    return model.query.join(Region, model.region_id == Region.id).filter(
        Region.path.startswith(staff.region.path, autoescape=True))


def get_in_region(staff, model, row_id, action):
    """The row of `model` (kept in a region: `region_id`) if `staff` may do `action` on it, else NotFound."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound()
    authorize(staff, action, db.session.get(Region, row.region_id))
    return row


def hash_password(password):
    """A slow salted hash (scrypt; tests may configure a faster method)."""
    from flask import current_app, has_app_context
    method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


# Checked when the user name is unknown, so a failed login takes as long either way.
_DUMMY_HASH = hash_password("not-a-real-password")


class PasswordChangeRequired(Forbidden):
    """Signed in with a password someone else chose: it must be changed before anything else."""

    key = "auth.password_change_required"


# A wrong password counts against the pair (client address, account), so a stranger guessing at a named
# account locks out only themselves; the address alone has a wider limit (guessing across many accounts).
LOGIN_PAIR_LIMIT, LOGIN_ADDRESS_LIMIT, LOGIN_WINDOW = 10, 50, 900


def authenticate(username, password, remote_addr=None):
    """The active staff member with these credentials, or Unauthorised (TooManyRequests when guessed at)."""
    from core.ratelimit import limit
    name = (username or "").strip().lower()
    address = remote_addr or "-"
    limit("login-pair", f"{address}|{name}", LOGIN_PAIR_LIMIT, LOGIN_WINDOW)
    limit("login-addr", address, LOGIN_ADDRESS_LIMIT, LOGIN_WINDOW)
    staff = Staff.query.filter_by(username=(username or "").strip()).first()
    if staff is None or not staff.active:
        check_password_hash(_DUMMY_HASH, password or "")
        raise Unauthorised("error.login_failed")
    if not check_password_hash(staff.password_hash, password or ""):
        raise Unauthorised("error.login_failed")
    return staff


def sign_in(flask_session, staff):
    """Start a fresh staff session, held on the server (a new session id against fixation)."""
    from core.staff_sessions import TOKEN_KEY, start_session
    flask_session.clear()
    flask_session[TOKEN_KEY] = start_session(staff)
    flask_session.permanent = True


def sign_out(flask_session):
    """End this session on the server and forget the cookie's contents."""
    from core.staff_sessions import TOKEN_KEY, end_session
    end_session(flask_session.get(TOKEN_KEY))
    flask_session.clear()


def current_staff(flask_session, required=True):
    """The signed-in, active staff member, or Unauthorised (None when not required).

    When required, a staff member who must still change an administrator-set password gets
    PasswordChangeRequired: only signing out and changing the password are open to them."""
    from core.extensions import db
    from core.staff_sessions import TOKEN_KEY, is_live, session_owner
    owner = session_owner(flask_session.get(TOKEN_KEY))
    # with its region, which every page names and every rule reads: one query, not two
    staff = db.session.get(Staff, owner[0], options=[joinedload(Staff.region)]) if owner else None
    if staff is None or not staff.active or not is_live(staff, owner[1]):
        if required:
            raise Unauthorised()
        return None
    if required and staff.must_change_password:
        raise PasswordChangeRequired()
    return staff
