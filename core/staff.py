"""Staff accounts: created and changed by administrators within their region, always audited."""
from core import audit
from core.auth import Role, authorize, hash_password
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.models import Region, Staff, utcnow
from core.passwords import password_faults
from core.staff_sessions import end_all_sessions


def create_staff(actor, username, name, role, region_id, password):
    """Create a staff account; its role must match its region's level."""
    region = db.session.get(Region, region_id)
    faults = []
    if region is None:
        faults.append({"field": "region_id", "key": "error.not_found"})
    if role not in Role.ALL:
        faults.append({"field": "role", "key": "staff.bad_role"})
    elif region is not None and role in Role.LEVEL and Role.LEVEL[role] != region.level:
        faults.append({"field": "role", "key": "staff.role_level"})
    if not username or not username.strip():
        faults.append({"field": "username", "key": "error.field_required"})
    faults += [{"field": "password", "key": key, "params": params}
               for key, params in password_faults(password, username)]
    if faults:
        raise InvalidInput(faults)
    if actor is not None:
        authorize(actor, "staff.manage", region)
    if Staff.query.filter_by(username=username.strip()).first():
        raise Conflict("staff.duplicate", username=username)
    # A password an administrator chose is known to two people: its owner replaces it on first sign-in.
    # Accounts made from the command line (the first administrator, the demo) keep the one typed there.
    staff = Staff(username=username.strip(), name=name, role=role, region=region,
                  password_hash=hash_password(password), must_change_password=actor is not None)
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "staff.create", "staff", staff.id, region.id,
                 after={"username": staff.username, "role": role, "region": region.name})
    return staff


def staff_in_region(actor):
    """The staff accounts in the actor's region, by region then user name (Forbidden without staff.manage)."""
    authorize(actor, "staff.manage")
    return (Staff.query.join(Region, Staff.region_id == Region.id)
            .filter(Region.path.startswith(actor.region.path, autoescape=True))
            .order_by(Region.path, Staff.username).all())


def get_staff_member(actor, staff_id):
    """A staff account the actor may manage (NotFound when there is none, Forbidden outside their region)."""
    from core.errors import NotFound
    authorize(actor, "staff.manage")
    member = db.session.get(Staff, staff_id)
    if member is None:
        raise NotFound()
    authorize(actor, "staff.manage", member.region)
    return member


def update_staff(actor, staff_id, role, region_id, active):
    """Change a staff member's role and region, or (de)activate the account; never one's own."""
    from core.errors import NotFound
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound()
    authorize(actor, "staff.manage", staff.region)
    region = db.session.get(Region, region_id)
    if region is None:
        raise InvalidInput([{"field": "region_id", "key": "error.not_found"}])
    authorize(actor, "staff.manage", region)
    if role not in Role.ALL:
        raise InvalidInput([{"field": "role", "key": "staff.bad_role"}])
    if role in Role.LEVEL and Role.LEVEL[role] != region.level:
        raise InvalidInput([{"field": "role", "key": "staff.role_level"}])
    if staff.id == actor.id and (not active or role != staff.role):
        raise Conflict("staff.not_yourself")
    before = {"role": staff.role, "region": staff.region_id, "active": staff.active}
    if (role, region.id, bool(active)) != (staff.role, staff.region_id, staff.active):
        end_all_sessions(staff)  # what the old sessions were allowed is no longer what the account may do
    staff.role, staff.region, staff.active = role, region, bool(active)
    audit.record(actor, "staff.update", "staff", staff.id, region.id, before=before,
                 after={"role": role, "region": region.id, "active": staff.active})
    db.session.flush()
    return staff


def change_password(staff, current, new, confirm=None):
    """A staff member replaces their own password; every session of theirs ends (the caller starts a new one)."""
    from werkzeug.security import check_password_hash
    faults = []
    if not check_password_hash(staff.password_hash, current or ""):
        faults.append({"field": "current_password", "key": "password.wrong_current"})
    faults += [{"field": "new_password", "key": key, "params": params}
               for key, params in password_faults(new, staff.username)]
    if not faults and check_password_hash(staff.password_hash, new):
        faults.append({"field": "new_password", "key": "password.same_as_old"})
    if confirm is not None and not faults and confirm != new:
        faults.append({"field": "confirm", "key": "password.mismatch"})
    if faults:
        raise InvalidInput(faults)
    return _replace_password(staff, staff, new, False, "staff.password_change")


def reset_password(actor, staff_id, password):
    """An administrator sets a new password for someone else, who must change it on next sign-in."""
    from core.errors import NotFound
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound()
    authorize(actor, "staff.manage", staff.region)
    if staff.id == actor.id:
        raise Conflict("staff.not_yourself")
    faults = [{"field": "password", "key": key, "params": params}
              for key, params in password_faults(password, staff.username)]
    if faults:
        raise InvalidInput(faults)
    return _replace_password(actor, staff, password, True, "staff.password_reset")


def _replace_password(actor, staff, password, must_change, action):
    """Store the new password, end every session of the account and audit it as `action` by `actor`."""
    staff.password_hash = hash_password(password)
    staff.must_change_password = must_change
    staff.password_changed_at = utcnow()
    end_all_sessions(staff)
    audit.record(actor, action, "staff", staff.id, staff.region_id)
    db.session.flush()
    return staff


# alerts on WeChat ------------------------------------------------------------------------------------
LINK_CODE_LIFETIME_MINUTES = 30


def _code_hash(code):
    import hashlib
    return hashlib.sha256(code.encode()).hexdigest()


def issue_link_code(staff):
    """A one-time code (30 minutes) the staff member sends to the official account to get alerts there; it
    replaces any earlier unused code."""
    import secrets
    from datetime import timedelta
    from core.accounts import CODE_ALPHABET
    from core.models import StaffLinkCode
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    # only the latest code works: one shown earlier (perhaps on a screen someone else saw) no longer links
    StaffLinkCode.query.filter(StaffLinkCode.staff_id == staff.id, StaffLinkCode.used_at.is_(None)).delete(
        synchronize_session=False)
    db.session.add(StaffLinkCode(staff_id=staff.id, code_hash=_code_hash(code),
                                 expires_at=utcnow() + timedelta(minutes=LINK_CODE_LIFETIME_MINUTES)))
    audit.record(staff, "staff.wechat_code", "staff", staff.id, staff.region_id)
    db.session.flush()
    return code


def link_wechat(account, code):
    """The WeChat account that sent a valid code becomes where its staff member's alerts are pushed (audited);
    a wrong code counts against the account's daily tries, like a resident's binding code."""
    from core.accounts import _attempt, _check_tries, normalise_code
    from core.models import StaffLinkCode, StaffWechatLink, aware
    _check_tries(account)
    entry = StaffLinkCode.query.filter_by(code_hash=_code_hash(normalise_code(code))).first()
    staff = db.session.get(Staff, entry.staff_id) if entry is not None else None
    if entry is None or entry.used_at is not None or aware(entry.expires_at) <= utcnow() or not staff.active:
        _attempt(account, None, "staff_code", False)
        raise InvalidInput([{"field": "code", "key": "staff.bad_link_code"}])
    entry.used_at = utcnow()
    StaffWechatLink.query.filter((StaffWechatLink.staff_id == staff.id)
                                 | (StaffWechatLink.account_id == account.id)).delete(synchronize_session=False)
    db.session.add(StaffWechatLink(staff_id=staff.id, account_id=account.id))
    _attempt(account, None, "staff_code", True)
    audit.record(staff, "staff.wechat_link", "staff", staff.id, staff.region_id, after={"account": account.id})
    db.session.flush()
    return staff


def unlink_wechat(staff):
    """Stop pushing the staff member's alerts to WeChat (audited); the panel inbox keeps them."""
    from core.models import StaffWechatLink
    link = db.session.get(StaffWechatLink, staff.id)
    if link is None:
        raise Conflict("staff.not_linked")
    db.session.delete(link)
    audit.record(staff, "staff.wechat_unlink", "staff", staff.id, staff.region_id, before={"account": link.account_id})
    db.session.flush()


def wechat_link_of(staff):
    """The staff member's link to WeChat, or None (also when whoever held the account deleted their data)."""
    from core.models import StaffWechatLink, WechatAccount
    link = db.session.get(StaffWechatLink, staff.id)
    if link is None or db.session.get(WechatAccount, link.account_id).deleted_at is not None:
        return None
    return link


def responsible_staff(region_id):
    """The active staff who answer for what happens in a region (administrators are not among them): those whose
    own region it is (committee, street or county) or, when it has none (a committee not set up yet, everyone
    deactivated), those of the nearest region above that has any (its street, then its county ...), whose scope
    covers it; so an alert sent through here reaches someone. [] only when nobody up to the province is active.
    Two queries: the region (its path lists its ancestors' ids), then the staff of the deepest one staffed."""
    region = db.session.get(Region, region_id)
    if region is None:
        return []
    answering = (Staff.active.is_(True), Staff.role != Role.ADMIN)
    ancestors = [int(part) for part in region.path.strip("/").split("/")]  # "/1/4/9/": the root down to the region
    nearest = (db.select(Staff.region_id).join(Region, Region.id == Staff.region_id)
               .where(Staff.region_id.in_(ancestors), *answering)
               .order_by(db.func.length(Region.path).desc()).limit(1).scalar_subquery())  # the longest path: lowest
    return Staff.query.filter(Staff.region_id == nearest, *answering).order_by(Staff.id).all()


def staff_names(staff_ids):
    """{staff id: name} of these staff members (as pages name who recorded or confirmed something)."""
    ids = {i for i in staff_ids if i is not None}
    return dict(db.session.execute(db.select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all()) if ids else {}
