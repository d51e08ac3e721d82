"""The works: who answers for them, supervision and inspections, defects, money, elections."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.projects import ReportSchema
from api.resident import resident
from core.extensions import db
from core.uploads import store_uploads
from projects import care, works
from projects import services as projects
from projects.models import PARTY_ROLES

staff_blp, resident_blp = door_blueprints(
    __name__, "works",
    staff=("/api/v1/admin", "The works: parties, inspections, defects, money and elections, for staff."),
    resident=("/api/v1", "Who answers for my compound's works, supervision, defects, elections."))


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PartySchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(PARTY_ROLES))
    organisation = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))


class PublicPartySchema(Schema):
    role = fields.String()
    organisation = fields.String()
    contact = fields.String()
    phone = fields.String()


class SupervisorSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    status = fields.String(dump_only=True)


class SupervisorDecisionSchema(Schema):
    approve = fields.Boolean(required=True)


class FindingSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    status = fields.String()
    evidence = fields.String(allow_none=True)
    evidence_photos = fields.List(fields.String())
    closed_at = fields.DateTime(allow_none=True)


class InspectionSchema(Schema):
    id = fields.Integer()
    by_kind = fields.String()
    inspector = fields.String()
    note = fields.String()
    photos = fields.List(fields.String())
    at = fields.DateTime()
    findings = fields.List(fields.Nested(FindingSchema))


class StaffInspectionFormSchema(Schema):
    by_kind = fields.String(required=True, validate=validate.OneOf(works.INSPECTOR_KINDS))
    inspector = fields.String(load_default=None, validate=validate.Length(max=100))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    findings = fields.String(load_default="", validate=validate.Length(max=10000),
                             metadata={"description": "one finding per line"})


class SupervisorInspectionFormSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    findings = fields.String(load_default="", validate=validate.Length(max=10000),
                             metadata={"description": "one finding per line"})


class EvidenceFormSchema(Schema):
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DefectSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer(allow_none=True)
    source = fields.String()
    text = fields.String()
    status = fields.String()
    routed_to = fields.String(allow_none=True)
    rectification = fields.String(allow_none=True)
    rectification_photos = fields.List(fields.String())
    reinspection = fields.String(allow_none=True)
    waive_reason = fields.String(allow_none=True)


class RectifyFormSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReinspectSchema(Schema):
    passed = fields.Boolean(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class WaiveSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class WarrantyDefectFormSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class MoneySchema(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=-10 ** 13, max=10 ** 13),
                            metadata={"description": "fen"})
    note = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ChangeOrderSchema(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=-10 ** 13, max=10 ** 13),
                            metadata={"description": "fen, negative to reduce"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CreatedSchema(Schema):
    id = fields.Integer()


class AccountsSchema(Schema):
    items = fields.List(fields.Dict())
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    funding = fields.Dict(keys=fields.String(), values=fields.Integer())
    funded = fields.Integer()
    change_orders = fields.List(fields.Dict())


class FinalAccountSchema(Schema):
    project_id = fields.Integer()
    figures = fields.Nested(AccountsSchema)
    publicity_id = fields.Integer(allow_none=True)
    published_at = fields.DateTime()


class WorksSchema(Schema):
    parties = fields.List(fields.Nested(PublicPartySchema))
    supervisors = fields.List(fields.Nested(SupervisorSchema))
    inspections = fields.List(fields.Nested(InspectionSchema))
    defects = fields.List(fields.Nested(DefectSchema))
    accounts = fields.Nested(AccountsSchema)
    handover_blockers = fields.List(fields.Integer())


class RegionTimesSchema(Schema):
    region = fields.String()
    reports = fields.Integer()
    open = fields.Integer()
    escalated = fields.Integer()
    overdue = fields.Integer()
    mean_hours = fields.Float(allow_none=True)
    max_hours = fields.Float(allow_none=True)


class ElectionCreateSchema(Schema):
    compound_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 31 - 1))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    seats = fields.Integer(required=True, validate=validate.Range(min=1, max=15))
    project_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2 ** 31 - 1))


class CandidateSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    nominated_by = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                 load_only=True)
    statement = fields.String(load_default="", validate=validate.Length(max=500))


class ElectionSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    title = fields.String()
    seats = fields.Integer()
    state = fields.String()
    closes_at = fields.DateTime(allow_none=True)
    candidates = fields.List(fields.Nested(CandidateSchema))
    elected = fields.Function(lambda e: care.elected_of(e))
    result = fields.Dict(allow_none=True)


class OpenElectionSchema(Schema):
    closes_at = fields.AwareDateTime(required=True)


class PaperElectionBallotSchema(Schema):
    dwelling_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 31 - 1))
    candidate_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2 ** 31 - 1)), required=True,
                                validate=validate.Length(max=15))


class ElectionBallotSchema(Schema):
    candidate_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2 ** 31 - 1)), required=True,
                                validate=validate.Length(max=15))


class ElectionPaperEntrySchema(Schema):
    id = fields.Integer()
    dwelling_id = fields.Integer()
    candidate_ids = fields.Function(lambda e: None if e.state == "pending" else e.candidate_ids, metadata={
        "description": "the candidates ticked (null while pending: the second person reads the paper afresh)"})
    state = fields.String(metadata={"description": "pending (waiting for a second person), confirmed, mismatch, "
                                                   "void (not confirmed before voting closed) or held (the home's "
                                                   "paper ballot was already entered: never counted)"})
    entered_by = fields.Integer()
    confirmed_by = fields.Integer(allow_none=True)


class ElectionBallotDoneSchema(Schema):
    election_id = fields.Integer()
    candidate_ids = fields.List(fields.Integer())


class ModeVoteSchema(Schema):
    compound_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 31 - 1))
    mode = fields.String(required=True, validate=validate.OneOf(care.MODES))


class CovenantVoteSchema(Schema):
    compound_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 31 - 1))
    text = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class VerdictSchema(Schema):
    resolved = fields.Boolean(required=True)


class ResidentWorksSchema(Schema):
    project = fields.String()
    stage = fields.String()
    parties = fields.List(fields.Nested(PublicPartySchema))
    final_accounts = fields.Nested(FinalAccountSchema, allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True, metadata={"description": "满意 + 基本满意 over respondents, %"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "respondents over those asked, %"})
    supervisor = fields.String(allow_none=True, metadata={"description": "my status as a resident supervisor"})


# staff -------------------------------------------------------------------------------------------
@staff_blp.route("/projects/<int:project_id>/parties")
class Parties(MethodView):
    @staff_blp.arguments(PartySchema)
    @staff_blp.response(200, PublicPartySchema)
    def put(self, body, project_id):
        """Name the implementing body, designer, contractor or supervising engineer, with a contact."""
        party = works.set_party(signed_in_staff(), project_id, **body)
        db.session.commit()
        return party


@staff_blp.route("/projects/<int:project_id>/works")
class ProjectWorks(MethodView):
    @staff_blp.response(200, WorksSchema)
    def get(self, project_id):
        """Parties, supervisors, inspections and findings, defects and the accounts of a project."""
        project = projects.get_project(signed_in_staff(), project_id)
        return {"parties": works.parties_of(project), "supervisors": works.supervisors_of(project),
                "inspections": works.inspections_of(project), "defects": works.defects_of(project),
                "accounts": works.accounts_of(project), "handover_blockers": works.handover_blockers(project)}


@staff_blp.route("/projects/<int:project_id>/supervisors/<int:supervisor_id>")
class SupervisorDecision(MethodView):
    @staff_blp.arguments(SupervisorDecisionSchema)
    @staff_blp.response(200, SupervisorSchema)
    def post(self, body, project_id, supervisor_id):
        """Approve (or turn down) a resident volunteering to supervise."""
        row = works.decide_supervisor(signed_in_staff(), project_id, supervisor_id, body["approve"])
        db.session.commit()
        return row


@staff_blp.route("/projects/<int:project_id>/inspections")
class StaffInspections(MethodView):
    @staff_blp.arguments(StaffInspectionFormSchema, location="form")
    @staff_blp.response(201, InspectionSchema)
    def post(self, body, project_id):
        """Record an inspection by the supervising engineer or an official: findings one per line, photos."""
        staff = signed_in_staff()
        projects.get_project(staff, project_id, "projects.edit")
        inspection = works.record_inspection(staff, project_id, body["by_kind"], body["inspector"], body["note"],
                                             _lines(body["findings"]), store_uploads(request.files))
        db.session.commit()
        return inspection


@staff_blp.route("/findings/<int:finding_id>/close")
class CloseFinding(MethodView):
    @staff_blp.arguments(EvidenceFormSchema, location="form")
    @staff_blp.response(200, FindingSchema)
    def post(self, body, finding_id):
        """Close a finding with evidence (text and photos)."""
        finding = works.close_finding(signed_in_staff(), finding_id, body["evidence"], store_uploads(request.files))
        db.session.commit()
        return finding


@staff_blp.route("/projects/<int:project_id>/handover")
class Handover(MethodView):
    @staff_blp.response(200, CreatedSchema)
    def post(self, project_id):
        """Hand the works over: every defect of the acceptance closed or waived."""
        project = projects.hand_over(signed_in_staff(), project_id)
        db.session.commit()
        return project


@staff_blp.route("/defects/<int:defect_id>/rectification")
class Rectify(MethodView):
    @staff_blp.arguments(RectifyFormSchema, location="form")
    @staff_blp.response(200, DefectSchema)
    def post(self, body, defect_id):
        """Record the rectification of a defect with evidence (text and photos)."""
        defect = works.rectify_defect(signed_in_staff(), defect_id, body["text"], store_uploads(request.files))
        db.session.commit()
        return defect


@staff_blp.route("/defects/<int:defect_id>/reinspection")
class Reinspect(MethodView):
    @staff_blp.arguments(ReinspectSchema)
    @staff_blp.response(200, DefectSchema)
    def post(self, body, defect_id):
        """Re-inspect a rectified defect: passed closes it, failed reopens it."""
        defect = works.reinspect_defect(signed_in_staff(), defect_id, body["passed"], body["note"])
        db.session.commit()
        return defect


@staff_blp.route("/defects/<int:defect_id>/waiver")
class Waive(MethodView):
    @staff_blp.arguments(WaiveSchema)
    @staff_blp.response(200, DefectSchema)
    def post(self, body, defect_id):
        """Waive a defect, with the reason."""
        defect = works.waive_defect(signed_in_staff(), defect_id, body["reason"])
        db.session.commit()
        return defect


@staff_blp.route("/projects/<int:project_id>/items/<int:item_id>/spending")
class ItemSpending(MethodView):
    @staff_blp.arguments(MoneySchema)
    @staff_blp.response(201, CreatedSchema)
    def post(self, body, project_id, item_id):
        """Record money actually spent on an item (fen)."""
        row = works.record_spending(signed_in_staff(), project_id, item_id, body["amount"], body["note"])
        db.session.commit()
        return row


@staff_blp.route("/projects/<int:project_id>/items/<int:item_id>/change-orders")
class ItemChangeOrders(MethodView):
    @staff_blp.arguments(ChangeOrderSchema)
    @staff_blp.response(201, CreatedSchema)
    def post(self, body, project_id, item_id):
        """A change to an item's budget (fen) with its reason."""
        row = works.add_change_order(signed_in_staff(), project_id, item_id, body["amount"], body["reason"])
        db.session.commit()
        return row


@staff_blp.route("/projects/<int:project_id>/final-accounts")
class FinalAccounts(MethodView):
    @staff_blp.response(200, AccountsSchema)
    def get(self, project_id):
        """The accounts as they stand: per item budget, change orders, spending; funding by source."""
        return works.accounts_of(projects.get_project(signed_in_staff(), project_id))

    @staff_blp.response(201, FinalAccountSchema)
    def post(self, project_id):
        """Publish the final accounts through the publicity step."""
        record = works.publish_final_accounts(signed_in_staff(), project_id)
        db.session.commit()
        return record


@staff_blp.route("/reports/times")
class ReportTimes(MethodView):
    @staff_blp.response(200, RegionTimesSchema(many=True))
    def get(self):
        """Reports and disputes by region: counts, open, escalated, overdue, hours to answer."""
        from oversight.services import report_times
        _region, rows = report_times(signed_in_staff(), request.args.get("region", type=int))
        return [dict(entry, region=name, mean_hours=_hours(entry["mean_hours"]), max_hours=_hours(entry["max_hours"]))
                for name, entry in rows]


def _hours(value):
    return None if value is None else round(value.numerator / value.denominator, 1)


@staff_blp.route("/projects/<int:project_id>/management-vote")
class ManagementVote(MethodView):
    @staff_blp.arguments(ModeVoteSchema)
    @staff_blp.response(201, CreatedSchema)
    def post(self, body, project_id):
        """A draft vote on the management mode (property company, self-management, street service)."""
        vote = care.propose_management_mode(signed_in_staff(), project_id, body["compound_id"], body["mode"])
        db.session.commit()
        return vote


@staff_blp.route("/projects/<int:project_id>/covenant-vote")
class CovenantVote(MethodView):
    @staff_blp.arguments(CovenantVoteSchema)
    @staff_blp.response(201, CreatedSchema)
    def post(self, body, project_id):
        """A draft vote on the management covenant, the text as its document."""
        vote = care.propose_covenant(signed_in_staff(), project_id, body["compound_id"], body["text"])
        db.session.commit()
        return vote


@staff_blp.route("/elections")
class Elections(MethodView):
    @staff_blp.arguments(ElectionCreateSchema)
    @staff_blp.response(201, ElectionSchema)
    def post(self, body):
        """Start electing a compound's owners' committee (nominations open)."""
        election = care.create_election(signed_in_staff(), **body)
        db.session.commit()
        return election


@staff_blp.route("/elections/<int:election_id>")
class ElectionDetail(MethodView):
    @staff_blp.response(200, ElectionSchema)
    def get(self, election_id):
        """An election with its candidates and, once closed, the count per candidate."""
        return care.get_election(signed_in_staff(), election_id)


@staff_blp.route("/elections/<int:election_id>/candidates")
class Candidates(MethodView):
    @staff_blp.arguments(CandidateSchema)
    @staff_blp.response(201, CandidateSchema)
    def post(self, body, election_id):
        """Nominate a candidate."""
        candidate = care.nominate(signed_in_staff(), election_id, **body)
        db.session.commit()
        return candidate


@staff_blp.route("/elections/<int:election_id>/open")
class OpenElection(MethodView):
    @staff_blp.arguments(OpenElectionSchema)
    @staff_blp.response(200, ElectionSchema)
    def post(self, body, election_id):
        """Close nominations and open voting until the given time."""
        election = care.open_election(signed_in_staff(), election_id, body["closes_at"])
        db.session.commit()
        return election


@staff_blp.route("/elections/<int:election_id>/paper")
class PaperElectionBallot(MethodView):
    @staff_blp.response(200, ElectionPaperEntrySchema(many=True))
    def get(self, election_id):
        """The election's paper entries: pending (waiting for a second person), confirmed, mismatch or void; for
        the staff who run its paper ballots."""
        return care.paper_entries(signed_in_staff(), election_id)

    @staff_blp.arguments(PaperElectionBallotSchema)
    @staff_blp.response(200, ElectionPaperEntrySchema)
    def post(self, body, election_id):
        """Enter a paper ballot for a dwelling; it counts once a second staff member confirms it."""
        entry = care.enter_paper_ballot(signed_in_staff(), election_id, body["dwelling_id"], body["candidate_ids"])
        db.session.commit()
        return entry


@staff_blp.route("/elections/<int:election_id>/paper/<int:entry_id>/confirm")
class ConfirmPaperElectionBallot(MethodView):
    @staff_blp.arguments(ElectionBallotSchema)
    @staff_blp.response(200, ElectionPaperEntrySchema)
    def post(self, body, election_id, entry_id):
        """A second staff member ticks the same candidates from the paper: a match counts, a mismatch does not."""
        entry = care.confirm_paper_ballot(signed_in_staff(), election_id, entry_id, body["candidate_ids"])
        db.session.commit()
        return entry


@staff_blp.route("/elections/<int:election_id>/close")
class CloseElection(MethodView):
    @staff_blp.response(200, ElectionSchema)
    def post(self, election_id):
        """Close voting and count each candidate under art. 278's ordinary rule."""
        election = care.close_election(signed_in_staff(), election_id)
        db.session.commit()
        return election


# residents ---------------------------------------------------------------------------------------
@resident_blp.route("/project/works")
class MyWorks(MethodView):
    @resident_blp.response(200, ResidentWorksSchema)
    def get(self):
        """Who answers for my compound's works, the published final accounts, satisfaction."""
        from surveys.services import satisfaction_rates_of
        account = resident()
        project = projects.project_for_resident(account)
        rates = satisfaction_rates_of(project.id)
        mine = works.own_offer(project, account)

        def percent(value):
            return None if value is None else round(value.numerator * 100 / value.denominator, 1)
        return {"project": project.name, "stage": project.stage, "parties": works.parties_of(project),
                "final_accounts": works.published_accounts(project),
                "satisfaction_rate": percent(rates.satisfaction_rate) if rates else None,
                "response_rate": percent(rates.response_rate) if rates else None,
                "supervisor": mine.status if mine else None}


@resident_blp.route("/project/supervisors")
class Volunteer(MethodView):
    @resident_blp.arguments(SupervisorSchema)
    @resident_blp.response(201, SupervisorSchema)
    def post(self, body):
        """Offer to supervise the works as a resident; the committee decides."""
        row = works.volunteer_supervisor(resident(), body["name"])
        db.session.commit()
        return row


@resident_blp.route("/project/inspections")
class SupervisorInspections(MethodView):
    @resident_blp.arguments(SupervisorInspectionFormSchema, location="form")
    @resident_blp.response(201, InspectionSchema)
    def post(self, body):
        """A resident supervisor files an inspection note with photos; findings one per line (multipart)."""
        account = resident()
        works.supervisor_for(account)
        inspection = works.file_inspection_note(account, body["note"], _lines(body["findings"]),
                                                store_uploads(request.files))
        db.session.commit()
        return inspection


@resident_blp.route("/project/reports")
class SupervisedReports(MethodView):
    @resident_blp.response(200, ReportSchema(many=True))
    def get(self):
        """Every report and dispute on the project (resident supervisors only)."""
        return works.supervised_reports(resident())


@resident_blp.route("/reports/<int:report_id>/verdict")
class ReportVerdict(MethodView):
    @resident_blp.arguments(VerdictSchema)
    @resident_blp.response(200, CreatedSchema)
    def post(self, body, report_id):
        """Say whether the answer resolved my report; if not, it reopens."""
        report = works.reporter_verdict(resident(), report_id, body["resolved"])
        db.session.commit()
        return report


@resident_blp.route("/project/defects")
class WarrantyDefects(MethodView):
    @resident_blp.response(200, DefectSchema(many=True))
    def get(self):
        """Defects I reported during the warranty, with their status."""
        return works.my_defects(resident())

    @resident_blp.arguments(WarrantyDefectFormSchema, location="form")
    @resident_blp.response(201, DefectSchema)
    def post(self, body):
        """Report a defect during the warranty, with photos (multipart); it goes to the contractor."""
        account = resident()
        defect = works.report_warranty_defect(account, body["text"], store_uploads(request.files))
        db.session.commit()
        return defect


@resident_blp.route("/elections")
class MyElections(MethodView):
    @resident_blp.response(200, ElectionSchema(many=True))
    def get(self):
        """Open elections of my compound's owners' committee, with the candidates."""
        return care.open_elections_for(resident())


@resident_blp.route("/elections/<int:election_id>/ballot")
class MyElectionBallot(MethodView):
    @resident_blp.arguments(ElectionBallotSchema)
    @resident_blp.response(200, ElectionBallotDoneSchema)
    def post(self, body, election_id):
        """Agree to up to as many candidates as there are seats (owners only; none: take part, agree to nobody)."""
        ballot = care.cast_election_ballot(resident(), election_id, body["candidate_ids"])
        db.session.commit()
        return ballot
