"""Who may see a vote's documents: residents whose dwelling is in its scope, once it is no longer a draft,
and staff of its region."""
from core.extensions import db
from core.models import Region
from core.uploads import owner_kind, staff_may_read
from votes.models import Proxy, Vote, VoteState


@owner_kind("vote_document")
def may_see_vote_document(vote_id, staff=None, account=None):
    """Staff of the vote's region; a resident bound to a dwelling in the vote's scope, or who may vote in it."""
    from votes.services import in_scope, voting_rights
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        return False
    if account is not None:
        if vote.state == VoteState.DRAFT:
            return False
        if account.dwelling_id and in_scope(vote, account.dwelling_id):
            return True
        return bool(voting_rights(account, vote))  # an owner on its frozen roll or a confirmed proxy, open or not
    return staff is not None and staff_may_read(staff, "votes.read", db.session.get(Region, vote.region_id))


@owner_kind("proxy_document")
def may_see_proxy_document(proxy_id, staff=None, account=None):
    """The written authorisation (it names the owner and the proxy): staff of the vote's region who register and
    confirm proxies, and the proxy it authorises."""
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None:
        return False
    vote = db.session.get(Vote, proxy.vote_id)
    if account is not None:
        # the proxy it names, while their account may still be one (bound as an owner of the vote's compound, the
        # person the authorisation names): not an account unlinked, deleted or moved since, nor one whose proxy
        # lapsed so (linked again, the authorisation does not stand again)
        from votes.services import LAPSED, proxy_still_eligible
        return proxy.account_id == account.id and proxy.state != LAPSED and proxy_still_eligible(vote, proxy)
    return staff is not None and staff_may_read(staff, "votes.manage", db.session.get(Region, vote.region_id))
