"""A resident's request to delete their data (PIPL art. 47): what names them goes; vote records stay,
pseudonymised, because a counted ballot must remain verifiable.

What the public record needs keeps its place without the resident: an objection still stands with the
committee's answer, an acceptance view still counts in the acceptance summary, a defect reported in the
warranty stays on the project's works with its repair. The resident's own words and photos go from each, the
photo files from the disk (unless someone else's record holds the same file), and so do their words in the
committee's alerts.

The same holds for the rest of what a resident does for their compound:
- as a resident supervisor: the offer to supervise (with the name given) goes; the inspections filed stay on
  the works as a resident supervisor's, and their findings stay open until closed with evidence, without the
  supervisor's name, words or photos (the committee's evidence stays), and so do the committee's alerts that
  quote a finding;
- a pledge stays the home's, so that the published totals stay right, no longer the resident's, without their
  description;
- an election ballot stays counted for its home, without the account that cast it (no chain needs it);
- a proxy the resident stood as no longer stands (withdrawn: a pending one is not confirmed, a confirmed one
  casts no more); the authorisation typed from the 委托书 goes, and so does the uploaded document, from the
  disk too unless another record holds the same file; a ballot the proxy cast stays counted;
- the messages addressed to the resident go from their inbox and links (a web link to one opens nothing), the
  words of those written to them alone go from the outbox, and so do their subscribe-message answers; nothing
  is addressed to the account afterwards (notices.services.queue_direct_message);
- a request to bind to a home the committee has not decided yet is withdrawn (approving it would bind the
  pseudonym to the home, among its residents);
- a staff member's WeChat link to the account ends (audited): their alerts stay in their panel inbox and are
  pushed to WeChat no more;
- the chat's record of their messages (kept a day for WeChat's retries, with replies that may name their home or
  quote them) goes, and so does what a door keeps elsewhere under their openid (forget_elsewhere) once the
  deletion commits."""
import logging

from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.orm import Session

from contributions.models import Contribution
from core import audit
from core.accounts import standing_changes
from core.chat_photos import forget_account
from core.extensions import db
from core.models import (BindingRequest, Conversation, FileLink, InboundMessage, Residency, ResidentSession, Staff,
                         StaffWechatLink, WechatAccount, utcnow)
from core.uploads import forget_uploads
from notices.models import ChannelBlock, Notice, StaffNotice, SubscriptionCredit, SubscriptionEvent
from notices.services import forget_messages_to
from projects.models import (AcceptanceView, Defect, ElectionBallot, Finding, Inspection, ResidentSupervisor,
                             SiteReport)
from publicity.models import Objection
from surveys import tallies
from surveys.models import SurveyResponse
from votes.models import Proxy
from wishes.models import Wish

log = logging.getLogger(__name__)
# Forgetters of what a door keeps outside the database under a resident's openid (the chat's replies in Redis),
# each called with the openid the resident had once their deletion commits; registered by the doors.
_FORGETTERS = []
_PENDING = "openids_deleted"  # in the session's info: the openids of the deletions this transaction holds

# The committee's alerts that quote a resident's words: {alert kind: (what they quote, the param naming it)}.
ALERTS_QUOTING = {"staff_warranty_defect": ("defect", "reference"), "staff_defect_rectified": ("defect", "reference"),
                  "staff_report_escalated": ("report", "reference"), "staff_finding_open": ("finding", "finding")}


def delete_my_data(account):
    """Erase what the service holds about this WeChat user; keep ballots without anything that names them. A
    proxy they stood as lapses with it, and the owners it voted for are told (core.accounts.standing_changes)."""
    with standing_changes([account.id], cause="deletion"):
        # Read again under the account's lock: a binding approved while the deletion waited for it is undone too
        # (read before, the account's home would seem empty already, and stay bound).
        db.session.refresh(account)
        return _delete(account)


def _delete(account):
    now = utcnow()
    # Photos sent in chat and not fetched yet are not fetched at all. First, as the worker that keeps one locks
    # the photo before the wish, report or objection it joins: the same order, so the two never wait on each other.
    forget_account(account.id)
    photos = {}  # upload owner kind -> {id: the resident's photos}
    for kind, model in (("wish", Wish), ("site_report", SiteReport), ("objection", Objection),
                        ("acceptance_view", AcceptanceView), ("defect", Defect)):
        photos[kind] = dict(db.session.execute(select(model.id, model.photos).where(model.account_id == account.id)
                                               .order_by(model.id).with_for_update()).all())
    supervised = select(ResidentSupervisor.id).where(ResidentSupervisor.account_id == account.id)
    photos["inspection"] = dict(db.session.execute(
        select(Inspection.id, Inspection.photos).where(Inspection.supervisor_id.in_(supervised))
        .order_by(Inspection.id).with_for_update()).all())
    inspections = list(photos["inspection"])
    findings = dict(db.session.execute(select(Finding.id, Finding.created_at)
                                       .where(Finding.inspection_id.in_(inspections))).all()) if inspections else {}
    since = min([at for model in (SiteReport, Defect) for at in db.session.scalars(
        select(model.created_at).where(model.account_id == account.id).order_by(model.id).limit(1))]
        + list(findings.values()), default=None)
    quoted = {"report": {f"R{i:06d}" for i in photos["site_report"]}, "defect": {f"D{i:06d}" for i in photos["defect"]},
              "finding": set(findings)}
    db.session.execute(update(Wish).where(Wish.account_id == account.id).values(text="", photos=[]))
    db.session.execute(update(SiteReport).where(SiteReport.account_id == account.id).values(text="", photos=[]))
    # An objection stays (it was published, and answered): without the resident's words and photos.
    db.session.execute(update(Objection).where(Objection.account_id == account.id).values(text="", photos=[]))
    # A view at acceptance still counts as given: its verdict stays, the words and photos go.
    db.session.execute(update(AcceptanceView).where(AcceptanceView.account_id == account.id).values(text="", photos=[]))
    # A defect stays on the works to be repaired, no longer the resident's: nobody is told of its repair.
    db.session.execute(update(Defect).where(Defect.account_id == account.id)
                       .values(text="", photos=[], account_id=None))
    _forget_supervision(account, inspections)
    _forget_alert_words(quoted, since)
    for response in SurveyResponse.query.filter_by(account_id=account.id, submitted=True).with_for_update():
        tallies.change(response.survey_id, response.dwelling_id,
                       tallies.entries(response.answers), {})
    responses = db.session.scalars(select(SurveyResponse.id).where(SurveyResponse.account_id == account.id)).all()
    db.session.execute(update(SurveyResponse).where(SurveyResponse.account_id == account.id).values(answers={}))
    # A pledge stays the home's (the published totals stay right), no longer the resident's, without their words.
    db.session.execute(update(Contribution).where(Contribution.account_id == account.id)
                       .values(account_id=None, description=""))
    # An election ballot stays counted for its home; unlike a vote's ballot, no chain needs the account that cast it.
    db.session.execute(update(ElectionBallot).where(ElectionBallot.account_id == account.id).values(account_id=None))
    proxies = _withdraw_proxies(account)
    _forget_files(photos, {"survey_upload": [account.id], "survey_response": responses, "proxy_document": proxies})
    db.session.execute(update(BindingRequest).where(BindingRequest.account_id == account.id,
                                                    BindingRequest.state == "pending")
                       .values(state="withdrawn", decided_at=now))
    db.session.execute(update(BindingRequest).where(BindingRequest.account_id == account.id)
                       .values(claimed_name=None, phone_last4=None))
    db.session.execute(delete(Conversation).where(Conversation.openid == account.openid))
    # The record of what they wrote to the chat, with its replies, goes while their openid still finds it.
    db.session.execute(delete(InboundMessage).where(InboundMessage.openid == account.openid))
    db.session.info.setdefault(_PENDING, []).append(account.openid)
    db.session.execute(update(ResidentSession).where(ResidentSession.account_id == account.id,
                                                     ResidentSession.revoked_at.is_(None)).values(revoked_at=now))
    _end_staff_link(account)
    _forget_messages(account)
    person = account.person
    if person is not None and person.id_key is None:
        # A household member or tenant created for this account (not an owner on the roll): forget the name.
        db.session.execute(delete(Residency).where(Residency.person_id == person.id))
        person.name = ""
    # The ballots keep their account id (now a pseudonym: the openid is gone) so the chain still verifies.
    account.openid = f"deleted-{account.id}-{int(now.timestamp())}"
    account.unionid = account.phone_enc = None
    account.dwelling_id = account.person_id = account.kind = None
    account.privacy_version = account.privacy_consented_at = None
    account.deleted_at = now
    db.session.flush()
    return account


def forget_elsewhere(forget):
    """Have `forget(openid)` called with a resident's openid each time the deletion of their data commits."""
    if forget not in _FORGETTERS:
        _FORGETTERS.append(forget)


def _forget_pending(session):
    for openid in session.info.pop(_PENDING, ()):
        for forget in _FORGETTERS:
            try:
                forget(openid)
            except Exception:  # the deletion is committed: what is kept elsewhere expires on its own
                log.exception("a deleted account's data kept elsewhere not forgotten")


def _drop_pending(session):
    session.info.pop(_PENDING, None)


if not event.contains(Session, "after_commit", _forget_pending):
    event.listen(Session, "after_commit", _forget_pending)
    event.listen(Session, "after_rollback", _drop_pending)


def _forget_supervision(account, inspections):
    """The resident's offers to supervise go (the name they gave with them); the inspections they filed stay on
    the works as a resident supervisor's, findings open until the committee closes them with evidence, without
    the supervisor's name, words or photos (the photo files go with the others)."""
    if inspections:
        db.session.execute(update(Inspection).where(Inspection.id.in_(inspections))
                           .values(inspector="", note="", photos=[], supervisor_id=None))
        db.session.execute(update(Finding).where(Finding.inspection_id.in_(inspections)).values(text="", photos=[]))
    db.session.execute(delete(ResidentSupervisor).where(ResidentSupervisor.account_id == account.id))


def _withdraw_proxies(account):
    """The proxies the resident stood as no longer stand: a pending one leaves the committee's queue, a confirmed
    one casts no more (a ballot it cast stays counted). The authorisation typed from the 委托书 names the owner and
    the proxy: it goes, and the document with it. Returns the proxies' ids (their files go with the others)."""
    ids = db.session.scalars(select(Proxy.id).where(Proxy.account_id == account.id).order_by(Proxy.id)
                             .with_for_update()).all()
    if ids:
        db.session.execute(update(Proxy).where(Proxy.id.in_(ids)).values(
            state="withdrawn", authorisation="", document=None, proxy_person_id=None))
    return ids


def _end_staff_link(account):
    """A staff member's alerts are pushed to this account no more (their panel inbox keeps them); audited as the
    staff member's own unlinking is."""
    for link in db.session.scalars(select(StaffWechatLink).where(StaffWechatLink.account_id == account.id)):
        staff = db.session.get(Staff, link.staff_id)
        audit.record(None, "staff.wechat_unlink", "staff", staff.id, staff.region_id,
                     before={"account": account.id}, after={"reason": "account_deleted"})
        db.session.delete(link)


def _forget_messages(account):
    """The messages addressed to the resident leave their inbox (a link to one opens nothing any more), and the
    words of those written to them alone leave the outbox; their answers to subscribe-message requests go too."""
    # Held from here to the commit: a message being queued to the account right now is waited for and taken
    # below; one queued after this sees the account deleted (notices.services.still_addressable). Not earlier:
    # a committee answering the resident holds the wish, report or objection, then the account, as do we.
    db.session.execute(select(WechatAccount.id).where(WechatAccount.id == account.id).with_for_update())
    forget_messages_to([account.id])
    db.session.execute(delete(SubscriptionEvent).where(SubscriptionEvent.openid == account.openid))
    db.session.execute(delete(SubscriptionCredit).where(SubscriptionCredit.account_id == account.id))
    db.session.execute(delete(ChannelBlock).where(ChannelBlock.account_id == account.id))


def _forget_files(photos, whole):
    """The resident's photos no longer belong to what they were given for (`photos`: kind -> {id: names}; a
    defect's repair photos are the contractor's and stay), nor do the files of `whole` (kind -> ids); the files
    nothing else holds leave the disk once the deletion commits."""
    conditions = [and_(FileLink.kind == kind, FileLink.target_id == target_id, FileLink.name.in_(names))
                  for kind, rows in photos.items() for target_id, names in rows.items() if names]
    conditions += [and_(FileLink.kind == kind, FileLink.target_id.in_(ids)) for kind, ids in whole.items() if ids]
    names = {name for rows in photos.values() for listed in rows.values() for name in listed or ()}
    if conditions:
        names |= set(db.session.scalars(select(FileLink.name).where(or_(*conditions))))
        db.session.execute(delete(FileLink).where(or_(*conditions)))
    forget_uploads(names)


def _forget_alert_words(quoted, since):
    """The committee's alerts about the resident's reports, defects and findings (none older than `since`) keep
    what they name, not the words."""
    if since is None:
        return
    for model in (StaffNotice, Notice):
        for row in db.session.scalars(select(model).where(model.kind.in_(ALERTS_QUOTING), model.created_at >= since)
                                      .order_by(model.id).with_for_update()):
            params = row.params or {}
            thing, param = ALERTS_QUOTING[row.kind]
            if params.get(param) in quoted[thing] and params.get("text"):
                row.params = {**params, "text": ""}
