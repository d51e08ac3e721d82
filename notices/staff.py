"""Alerts to staff: kept in the staff member's panel inbox and pushed through the outbox to the WeChat account
they linked. Each domain writes its own words (registered notice kinds); this module only delivers."""
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select

from core.errors import NotFound
from core.extensions import db
from core.models import StaffWechatLink, WechatAccount, utcnow
from notices.models import StaffNotice
from notices.services import queue_direct_message
from notices.texts import render


def notify_staff(staff_members, kind, params):
    """One alert per staff member: in the inbox, and on WeChat for those who linked an account (not one whose
    holder has since deleted their data)."""
    links = dict(db.session.execute(
        select(StaffWechatLink.staff_id, StaffWechatLink.account_id)
        .join(WechatAccount, StaffWechatLink.account_id == WechatAccount.id)
        .where(StaffWechatLink.staff_id.in_([s.id for s in staff_members] or [0]),
               WechatAccount.deleted_at.is_(None))).all())
    written = []
    for staff in staff_members:
        notice = queue_direct_message(links[staff.id], kind, params) if staff.id in links else None
        entry = StaffNotice(staff_id=staff.id, kind=kind, params=params, notice_id=notice.id if notice else None)
        db.session.add(entry)
        written.append(entry)
    db.session.flush()
    return written


def inbox_of(staff, limit=100):
    """(alert, its words in the staff member's language) newest first."""
    rows = (StaffNotice.query.filter_by(staff_id=staff.id).order_by(StaffNotice.id.desc()).limit(limit).all())
    return [(row, words_of(row, staff.locale)) for row in rows]


def words_of(entry, locale):
    """An alert as a NoticeText in the reader's language."""
    return render(SimpleNamespace(kind=entry.kind, params=entry.params, scope_kind="account", scope_id=None),
                  locale)


_UNREAD = select(func.count()).select_from(StaffNotice).where(
    StaffNotice.staff_id == bindparam("staff"), StaffNotice.read_at.is_(None))  # built once: every page asks


def unread_count(staff):
    """How many of my alerts I have not read."""
    return db.session.scalar(_UNREAD, {"staff": staff.id}) or 0


def mark_read(staff, notice_id=None):
    """Mark one of my alerts (or all of them) read."""
    if notice_id is not None:
        entry = db.session.get(StaffNotice, notice_id)
        if entry is None or entry.staff_id != staff.id:
            raise NotFound()
        entries = [entry] if entry.read_at is None else []
    else:
        entries = StaffNotice.query.filter(StaffNotice.staff_id == staff.id, StaffNotice.read_at.is_(None)).all()
    for entry in entries:
        entry.read_at = utcnow()
    db.session.flush()
    return len(entries)
