"""Staff accounts: created and changed by administrators within their region, always audited."""
from core import audit
from core.auth import Role, authorize, hash_password
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.models import Region, Staff

MIN_PASSWORD = 8


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
    if not password or len(password) < MIN_PASSWORD:
        faults.append({"field": "password", "key": "staff.short_password", "params": {"min": MIN_PASSWORD}})
    if faults:
        raise InvalidInput(faults)
    if actor is not None:
        authorize(actor, "staff.manage", region)
    if Staff.query.filter_by(username=username.strip()).first():
        raise Conflict("staff.duplicate", username=username)
    staff = Staff(username=username.strip(), name=name, role=role, region=region,
                  password_hash=hash_password(password))
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "staff.create", "staff", staff.id, region.id,
                 after={"username": staff.username, "role": role, "region": region.name})
    return staff


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
    staff.role, staff.region, staff.active = role, region, bool(active)
    audit.record(actor, "staff.update", "staff", staff.id, region.id, before=before,
                 after={"role": role, "region": region.id, "active": staff.active})
    db.session.flush()
    return staff
