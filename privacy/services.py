"""A resident's own data, gathered from every package, with phone and ID numbers masked."""
from sqlalchemy import select

from core import identity, pii
from core.extensions import db
from core.models import BindingRequest, Building, Compound, Dwelling, Unit
from notices.models import Delivery, Notice
from contributions.models import Contribution
from projects.models import AcceptanceView, Defect, Election, ElectionBallot, Project, ResidentSupervisor, SiteReport
from publicity.models import Objection
from surveys.models import Survey, SurveyResponse
from votes.models import Ballot, Vote
from wishes.models import Wish


def _when(value):
    return value.isoformat() if value is not None else None


def _address(dwelling_id):
    row = db.session.execute(select(Compound.name, Building.name, Unit.name, Dwelling.room)
                             .join(Building, Building.compound_id == Compound.id).join(Unit, Unit.building_id == Building.id)
                             .join(Dwelling, Dwelling.unit_id == Unit.id).where(Dwelling.id == dwelling_id)).first()
    return dict(zip(("compound", "building", "unit", "room"), row)) if row else None


def export_for(account):
    """Everything kept about this WeChat user, as plain JSON-ready data."""
    phone = pii.keys().decrypt(account.phone_enc) if account.phone_enc else None
    person = account.person
    data = {
        "account": {"openid": account.openid, "language": account.locale, "follows_official_account": account.follows,
                    "first_seen": _when(account.created_at), "last_message": _when(account.last_inbound_at),
                    "phone": identity.mask_phone(phone) if phone else None,
                    "home": _address(account.dwelling_id) if account.dwelling_id else None, "as": account.kind},
        "person": {"name": person.name, "id_number": person.id_masked, "phone": person.phone_masked}
        if person is not None else None,
        "wishes": [{"reference": w.reference, "text": w.text, "item": w.catalogue_code, "status": w.status,
                    "answer": w.answer, "photos": w.photos, "at": _when(w.created_at)}
                   for w in Wish.query.filter_by(account_id=account.id).order_by(Wish.id)],
        "reports": [{"id": r.id, "kind": r.kind, "text": r.text, "status": r.status, "answer": r.answer,
                     "photos": r.photos, "at": _when(r.created_at)}
                    for r in SiteReport.query.filter_by(account_id=account.id).order_by(SiteReport.id)],
        "ballots": [{"vote": title, "choice": b.choice, "channel": b.channel, "receipt": b.receipt,
                     "at": _when(b.cast_at)}
                    for b, title in db.session.execute(select(Ballot, Vote.title).join(Vote, Vote.id == Ballot.vote_id)
                                                       .where(Ballot.account_id == account.id).order_by(Ballot.id))],
        "survey_answers": [{"survey": title, "answers": r.answers, "submitted": r.submitted, "at": _when(r.updated_at)}
                           for r, title in db.session.execute(
                               select(SurveyResponse, Survey.title).join(Survey, Survey.id == SurveyResponse.survey_id)
                               .where(SurveyResponse.account_id == account.id).order_by(SurveyResponse.id))],
        "pledges": [{"kind": p.kind, "amount_fen": p.amount, "hours": p.hours, "description": p.description,
                     "state": p.state, "at": _when(p.pledged_at)}
                    for p in Contribution.query.filter_by(account_id=account.id).order_by(Contribution.id)],
        "objections": [{"text": o.text, "photos": o.photos, "answer": o.answer, "at": _when(o.created_at)}
                       for o in Objection.query.filter_by(account_id=account.id).order_by(Objection.id)],
        "supervision": [{"project": name, "name": r.name, "status": r.status, "at": _when(r.created_at)}
                        for r, name in db.session.execute(
                            select(ResidentSupervisor, Project.name)
                            .join(Project, Project.id == ResidentSupervisor.project_id)
                            .where(ResidentSupervisor.account_id == account.id).order_by(ResidentSupervisor.id))],
        "acceptance_views": [{"project": name, "verdict": v.verdict, "text": v.text, "photos": v.photos,
                              "at": _when(v.at)}
                             for v, name in db.session.execute(
                                 select(AcceptanceView, Project.name)
                                 .join(Project, Project.id == AcceptanceView.project_id)
                                 .where(AcceptanceView.account_id == account.id).order_by(AcceptanceView.id))],
        "defects": [{"text": d.text, "status": d.status, "photos": d.photos, "at": _when(d.created_at)}
                    for d in Defect.query.filter_by(account_id=account.id).order_by(Defect.id)],
        "election_ballots": [{"election": title, "candidates": b.candidate_ids, "at": _when(b.at)}
                             for b, title in db.session.execute(
                                 select(ElectionBallot, Election.title)
                                 .join(Election, Election.id == ElectionBallot.election_id)
                                 .where(ElectionBallot.account_id == account.id).order_by(ElectionBallot.id))],
        "binding_requests": [{"home": _address(r.dwelling_id), "name_given": r.claimed_name, "state": r.state,
                              "at": _when(r.created_at)}
                             for r in BindingRequest.query.filter_by(account_id=account.id).order_by(BindingRequest.id)],
        "messages": [{"kind": kind, "channel": d.channel, "state": d.state, "sent": _when(d.sent_at),
                      "read": _when(d.read_at)}
                     for d, kind in db.session.execute(select(Delivery, Notice.kind).join(Notice)
                                                       .where(Delivery.account_id == account.id).order_by(Delivery.id))],
    }
    return data
