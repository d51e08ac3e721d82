"""A resident's request to delete their data (PIPL art. 47): what names them goes; vote records stay,
pseudonymised, because a counted ballot must remain verifiable."""
from sqlalchemy import delete, update

from core.chat_photos import forget_account
from core.extensions import db
from core.models import BindingRequest, Conversation, Residency, ResidentSession, utcnow
from projects.models import SiteReport
from surveys import tallies
from surveys.models import SurveyResponse
from wishes.models import Wish


def delete_my_data(account):
    """Erase what the service holds about this WeChat user; keep ballots without anything that names them."""
    now = utcnow()
    # Photos sent in chat and not fetched yet are not fetched at all. First, as the worker that keeps one locks
    # the photo before the wish or report it joins: the same order, so the two never wait on each other.
    forget_account(account.id)
    db.session.execute(update(Wish).where(Wish.account_id == account.id).values(text="", photos=[]))
    db.session.execute(update(SiteReport).where(SiteReport.account_id == account.id).values(text="", photos=[]))
    for response in SurveyResponse.query.filter_by(account_id=account.id, submitted=True).with_for_update():
        tallies.change(response.survey_id, tallies.building_of(response.dwelling_id),
                       tallies.entries(response.answers), {})
    db.session.execute(update(SurveyResponse).where(SurveyResponse.account_id == account.id).values(answers={}))
    db.session.execute(update(BindingRequest).where(BindingRequest.account_id == account.id)
                       .values(claimed_name=None, phone_last4=None))
    db.session.execute(delete(Conversation).where(Conversation.openid == account.openid))
    db.session.execute(update(ResidentSession).where(ResidentSession.account_id == account.id,
                                                     ResidentSession.revoked_at.is_(None)).values(revoked_at=now))
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
