"""The append-only audit log of staff writes."""
from datetime import date, datetime, time, timedelta, timezone

from core.auth import authorize
from core.errors import field_error
from core.extensions import db
from core.models import AuditLog, Region
from core.times import BEIJING


def actor_name(staff):
    """How an actor is written in the log."""
    return staff.username if staff is not None else "system"


def record(staff, action, target_type, target_id=None, region_id=None, before=None, after=None):
    """Append one entry; the caller's transaction commits it with the change it describes."""
    entry = AuditLog(staff_id=staff.id if staff is not None else None, actor=actor_name(staff),
                     action=action, target_type=target_type,
                     target_id=str(target_id) if target_id is not None else None,
                     region_id=region_id, before=before, after=after)
    db.session.add(entry)
    return entry


def audit_entries(staff, action=None, limit=100, before_id=None, actor=None, day=None):
    """The latest entries within the staff member's region (administrators of the root see all); Forbidden
    to those who may not read the log."""
    query = _readable(staff)
    if action:
        query = query.filter(AuditLog.action == action)
    if actor:
        query = query.filter(AuditLog.actor == actor)
    if day:
        try:
            start = datetime.combine(date.fromisoformat(day), time(), BEIJING).astimezone(timezone.utc)
        except ValueError:
            raise field_error("day", "error.invalid") from None
        query = query.filter(AuditLog.at >= start, AuditLog.at < start + timedelta(days=1))
    if before_id:
        query = query.filter(AuditLog.id < before_id)
    return query.order_by(AuditLog.id.desc()).limit(min(limit, 500)).all()


def logged_actions(staff):
    """The actions the entries within the staff member's region hold, in order, to filter by (Forbidden to those
    who may not read the log)."""
    return [action for (action,) in _readable(staff).with_entities(AuditLog.action).distinct()
            .order_by(AuditLog.action).limit(200)]


def _readable(staff):
    """A query of the entries the staff member may read: those within their region (administrators of the root
    see all); Forbidden to those who may not read the log."""
    authorize(staff, "audit.read")
    in_region = Region.path.startswith(staff.region.path, autoescape=True)
    if staff.region.parent_id is None:
        in_region = in_region | AuditLog.region_id.is_(None)
    return AuditLog.query.outerjoin(Region, AuditLog.region_id == Region.id).filter(in_region)
