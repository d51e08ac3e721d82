"""Projects and notices: the staff's record and the residents' timeline, inbox and participation."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from api.schemas import ID, chat_photos_field, prefetch_chat_photos
from core.extensions import db
from core.scopes import SCOPES
from core.times import format_moment
from core.uploads import store_uploads
from notices import services as notices
from notices.texts import render
from projects import services as projects
from contributions.models import KINDS as CONTRIBUTION_KINDS
from projects.models import FUNDING_SOURCES
from projects.rules import STAGES

staff_blp, resident_blp = door_blueprints(
    __name__, "projects",
    staff=("/api/v1/admin", "Projects, reports and notices, for staff within their region."),
    resident=("/api/v1", "My compound's project, my inbox, reports and acceptance."))


class ItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    catalogue_code = fields.String(required=True, validate=validate.Length(max=32))
    quantity = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    budget = fields.Integer(load_default=0, metadata={"description": "fen"})
    progress = fields.Integer(dump_only=True)


class StageSchema(Schema):
    stage = fields.String()
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    actual_start = fields.Date(allow_none=True)
    actual_end = fields.Date(allow_none=True)
    skip_reason = fields.String(allow_none=True)


class ProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    stage = fields.String()
    reserve_level = fields.String()
    plan_year = fields.Integer(allow_none=True)
    compound_ids = fields.Function(lambda p: [c.id for c in p.compounds])
    compound_names = fields.Function(lambda p: [c.name for c in p.compounds])
    progress = fields.Function(lambda p: projects.progress_of(p))
    items = fields.List(fields.Nested(ItemSchema))
    stages = fields.List(fields.Nested(StageSchema))
    accepted_at = fields.DateTime(allow_none=True)


class ProjectCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    compound_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=20))
    reserve_level = fields.String(load_default="county", validate=validate.OneOf(projects.RESERVE_LEVELS))
    plan_year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))


class ProjectUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    reserve_level = fields.String(validate=validate.OneOf(projects.RESERVE_LEVELS))
    plan_year = fields.Integer(allow_none=True, validate=validate.Range(min=2000, max=2100))


class ProgressSchema(Schema):
    progress = fields.Integer(required=True)


class StagePlanSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    planned_start = fields.Date(load_default=None)
    planned_end = fields.Date(load_default=None)


class AdvanceSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class MilestoneSchema(Schema):
    id = fields.Integer(dump_only=True)
    at = fields.DateTime(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    text = fields.String(load_default="", validate=validate.Length(max=2000))
    photos = fields.List(fields.String(), dump_only=True)


class FundingSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(FUNDING_SOURCES))
    amount = fields.Integer(required=True, metadata={"description": "fen"})
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class ParticipantSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(("resident_rep", "committee", "street", "county",
                                                                  "implementing", "designer", "contractor",
                                                                  "supervisor", "other")))


class DefectEntrySchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    item_id = fields.Integer(load_default=None, validate=ID)


class AcceptSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    participants = fields.List(fields.Nested(ParticipantSchema), required=True, validate=validate.Length(max=50),
                               metadata={"description": "who took part; at least one residents' representative"})
    defects = fields.List(fields.Nested(DefectEntrySchema), load_default=list, validate=validate.Length(max=200),
                          metadata={"description": "the defect list; handover waits until each is closed or waived"})


class ReportSchema(Schema):
    id = fields.Integer()
    reference = fields.Function(lambda r: f"R{r.id:06d}")
    kind = fields.String()
    text = fields.String()
    photos = fields.List(fields.String())
    status = fields.String()
    assignee = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    created_at = fields.DateTime()
    level = fields.Method("get_level", allow_none=True,
                          metadata={"description": "who holds it: community, street or county"})
    deadline = fields.Method("get_deadline", allow_none=True, metadata={"description": "answer due by"})
    reporter_verdict = fields.Method("get_verdict", allow_none=True)

    @staticmethod
    def _escalation(report):
        return report.escalation

    def get_level(self, report):
        escalation = self._escalation(report)
        return escalation.level if escalation else None

    def get_deadline(self, report):
        escalation = self._escalation(report)
        return escalation.due_at.isoformat() if escalation else None

    def get_verdict(self, report):
        escalation = self._escalation(report)
        return escalation.reporter_verdict if escalation else None


class StaffReportSchema(ReportSchema):
    """A report as the committee reads it: with the photos sent in chat that are not kept (yet)."""

    chat_photos = chat_photos_field("site_report")


class ReportHandleSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["triaged", "assigned", "resolved"]))
    assignee = fields.String(load_default=None, validate=validate.Length(max=100))
    answer = fields.String(load_default=None, validate=validate.Length(max=1000))
    outcome = fields.String(load_default=None, validate=validate.Length(max=1000))
    priority = fields.String(load_default=None, validate=validate.OneOf(["low", "normal", "high"]))


class NoticeComposeSchema(Schema):
    scope_kind = fields.String(required=True, validate=validate.OneOf(SCOPES))
    scope_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=60))
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    scheduled_at = fields.AwareDateTime(load_default=None)
    urgent = fields.Boolean(load_default=False, metadata={
        "description": "a water, power or gas cut, or safety: sent before general news already waiting"})


class NoticeCreatedSchema(Schema):
    id = fields.Integer()
    recipients = fields.Integer()


class DeliveryReportSchema(Schema):
    notice_id = fields.Integer()
    fanned_out = fields.Boolean()
    by_state = fields.List(fields.Dict())
    failures = fields.List(fields.Dict())
    priority = fields.Integer(metadata={"description": "0 urgent, 1 the service's own notices, 2 general news"})
    plan = fields.Dict(allow_none=True, metadata={
        "description": "pushes still waiting, and when they are expected to go out within WeChat's daily "
                       "limits: pending, inbox_only, today, reaches_everyone_by (Beijing dates), per_day"})
    plan_text = fields.String(metadata={"description": "the plan in words, in the staff member's language"})


class ManagementModeSchema(Schema):
    mode = fields.String(metadata={"description": "property | self | street"})
    label = fields.String()
    decided_at = fields.DateTime()
    vote_id = fields.Integer()


class TimelineSchema(Schema):
    project = fields.Nested(ProjectSchema)
    progress = fields.Integer()
    funding = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "fen in hand by source (residents' money once received)"})
    contributions = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                metadata={"description": "residents' money in fen: pledged (not in hand), received"})
    milestones = fields.List(fields.Nested(MilestoneSchema))
    satisfaction = fields.Float(allow_none=True, metadata={
        "description": "mean rating index: the mean of all ratings as a share of 5, 0-100 (not the satisfaction rate)"})
    satisfaction_rate = fields.Float(allow_none=True, metadata={
        "description": "satisfaction rate: 满意 + 基本满意 over respondents, 0-100"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "respondents over those asked, 0-100"})
    management = fields.Nested(ManagementModeSchema, allow_none=True, metadata={
        "description": "the compound's management mode as its owners chose it by vote (null: not decided yet)"})


class InboxEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda d: d.notice.kind)
    title = fields.Method("get_title")
    body = fields.Method("get_body")
    where = fields.Method("get_where", metadata={"description": "compound, building, unit ('' when none)"})
    when = fields.Method("get_when", metadata={"description": "the moment that matters, Beijing time, "
                                                              "as residents read it"})
    channel = fields.String(allow_none=True)
    read = fields.Function(lambda d: d.read_at is not None)
    created_at = fields.Function(lambda d: d.notice.created_at.isoformat())
    created_text = fields.Function(lambda d: format_moment(d.notice.created_at, InboxEntrySchema.context_locale()),
                                   metadata={"description": "when it was written, Beijing time"})

    def _words(self, delivery):
        return render(delivery.notice, self.context_locale())

    def get_title(self, delivery):
        return self._words(delivery).title

    def get_body(self, delivery):
        return self._words(delivery).body

    def get_where(self, delivery):
        return self._words(delivery).where

    def get_when(self, delivery):
        words = self._words(delivery)
        return format_moment(words.when, self.context_locale()) if words.when else ""

    @staticmethod
    def context_locale():
        from flask import g
        return g.get("resident_locale")


class ResidentReportCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    kind = fields.String(load_default="report", validate=validate.OneOf(["report", "dispute"]))
    latitude = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))


class ViewSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(["accept", "problems"]))
    text = fields.String(load_default="", validate=validate.Length(max=1000))


class PledgeSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONTRIBUTION_KINDS),
                         metadata={"description": "maintenance_fund: owners only"})
    item_id = fields.Integer(load_default=None, validate=ID)
    dwelling_id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "pledged | received | refunded | cancelled"})
    amount = fields.Integer(load_default=None, metadata={"description": "fen"})
    hours = fields.Integer(load_default=None)
    description = fields.String(load_default=None, validate=validate.Length(max=200))


class SubscriptionResultSchema(Schema):
    results = fields.Dict(keys=fields.String(validate=validate.Length(max=128)),
                          values=fields.String(validate=validate.OneOf(["accept", "reject", "ban", "filter"])),
                          required=True, validate=validate.Length(min=1, max=20),
                          metadata={"description": "wx.requestSubscribeMessage result: template id -> status"})


# staff -------------------------------------------------------------------------------------------
@staff_blp.route("/projects")
class Projects(MethodView):
    @staff_blp.response(200, ProjectSchema(many=True))
    def get(self):
        """Projects in my region."""
        return projects.list_projects(signed_in_staff())

    @staff_blp.arguments(ProjectCreateSchema)
    @staff_blp.response(201, ProjectSchema)
    def post(self, body):
        """Create a project over one or several compounds."""
        project = projects.create_project(signed_in_staff(), **body)
        db.session.commit()
        return project


@staff_blp.route("/projects/<int:project_id>")
class ProjectDetail(MethodView):
    @staff_blp.response(200, ProjectSchema)
    def get(self, project_id):
        """One project."""
        return projects.get_project(signed_in_staff(), project_id)


@staff_blp.route("/projects/<int:project_id>/items")
class Items(MethodView):
    @staff_blp.arguments(ItemSchema)
    @staff_blp.response(201, ItemSchema)
    def post(self, body, project_id):
        """Add an item from the catalogue with its budget."""
        item = projects.add_item(signed_in_staff(), project_id, **body)
        db.session.commit()
        return item


@staff_blp.route("/projects/<int:project_id>/items/<int:item_id>/progress")
class ItemProgress(MethodView):
    @staff_blp.arguments(ProgressSchema)
    @staff_blp.response(200, ItemSchema)
    def put(self, body, project_id, item_id):
        """Record an item's progress (0-100)."""
        item = projects.set_progress(signed_in_staff(), project_id, item_id, body["progress"])
        db.session.commit()
        return item


@staff_blp.route("/projects/<int:project_id>/stages")
class Stages(MethodView):
    @staff_blp.arguments(StagePlanSchema)
    @staff_blp.response(200, StageSchema)
    def put(self, body, project_id):
        """Plan a stage's dates."""
        record = projects.plan_stage(signed_in_staff(), project_id, **body)
        db.session.commit()
        return record

    @staff_blp.arguments(AdvanceSchema)
    @staff_blp.response(200, ProjectSchema)
    def post(self, body, project_id):
        """Move the project to a later stage; the residents are told."""
        project = projects.advance_stage(signed_in_staff(), project_id, body["stage"], body["reason"])
        db.session.commit()
        return project


@staff_blp.route("/projects/<int:project_id>")
class ProjectUpdate(MethodView):
    @staff_blp.arguments(ProjectUpdateSchema)
    @staff_blp.response(200, ProjectSchema)
    def patch(self, body, project_id):
        """Change a project's name, reserve level or plan year."""
        project = projects.update_project(signed_in_staff(), project_id, **body)
        db.session.commit()
        return project


@staff_blp.route("/projects/<int:project_id>/milestones")
class Milestones(MethodView):
    @staff_blp.arguments(MilestoneSchema, location="form")
    @staff_blp.response(201, MilestoneSchema)
    def post(self, body, project_id):
        """Add a milestone with up to three photos (multipart); the residents are told."""
        staff = signed_in_staff()
        projects.get_project(staff, project_id, "projects.edit")
        milestone = projects.add_milestone(staff, project_id, body["title"], body["text"],
                                           store_uploads(request.files))
        db.session.commit()
        return milestone


@staff_blp.route("/projects/<int:project_id>/funding")
class FundingView(MethodView):
    @staff_blp.arguments(FundingSchema)
    @staff_blp.response(201, FundingSchema)
    def post(self, body, project_id):
        """Record money from a source (fen)."""
        funding = projects.add_funding(signed_in_staff(), project_id, **body)
        db.session.commit()
        return funding


@staff_blp.route("/projects/<int:project_id>/acceptance")
class JointAcceptance(MethodView):
    @staff_blp.arguments(AcceptSchema)
    @staff_blp.response(200, ProjectSchema)
    def post(self, body, project_id):
        """Record the joint acceptance with participants and defects; with no defect the project is handed over."""
        project = projects.record_joint_acceptance(signed_in_staff(), project_id, body["note"], body["participants"],
                                                   body["defects"])
        db.session.commit()
        return project


@staff_blp.route("/reports")
class Reports(MethodView):
    @staff_blp.response(200, StaffReportSchema(many=True))
    def get(self):
        """On-site reports and disputes in my region."""
        return prefetch_chat_photos("site_report", projects.reports_in_scope(signed_in_staff(),
                                                                            request.args.get("status")))


@staff_blp.route("/reports/<int:report_id>")
class ReportHandle(MethodView):
    @staff_blp.arguments(ReportHandleSchema)
    @staff_blp.response(200, StaffReportSchema)
    def post(self, body, report_id):
        """Triage, assign or resolve a report (the reporter is told the answer)."""
        report = projects.handle_report(signed_in_staff(), report_id, **body)
        db.session.commit()
        return report


@staff_blp.route("/notices")
class Notices(MethodView):
    @staff_blp.arguments(NoticeComposeSchema)
    @staff_blp.response(201, NoticeCreatedSchema)
    def post(self, body):
        """Write to the residents of a compound, building or unit, now or at a set time."""
        notice, count = notices.compose_notice(signed_in_staff(), **body)
        db.session.commit()
        return {"id": notice.id, "recipients": count}


@staff_blp.route("/notices/<int:notice_id>/report")
class NoticeReport(MethodView):
    @staff_blp.response(200, DeliveryReportSchema)
    def get(self, notice_id):
        """Delivered, failed with reason, pending: by channel; the plan within WeChat's daily limits."""
        from flask_babel import get_locale
        from notices.texts import plan_sentence
        report = notices.delivery_report(signed_in_staff(), notice_id)
        return dict(report, plan_text=plan_sentence(report["plan"], str(get_locale())))


# residents ---------------------------------------------------------------------------------------
@resident_blp.route("/project")
class MyProject(MethodView):
    @resident_blp.response(200, TimelineSchema)
    def get(self):
        """My compound's project: stages, items and progress, funding by source, milestones."""
        return projects.timeline(resident())


@resident_blp.route("/inbox")
class Inbox(MethodView):
    @resident_blp.response(200, InboxEntrySchema(many=True))
    def get(self):
        """My notices, newest first."""
        from flask import g
        account = resident()
        g.resident_locale = account.locale
        return notices.inbox(account)


@resident_blp.route("/inbox/<int:delivery_id>")
class InboxEntry(MethodView):
    @resident_blp.response(200, InboxEntrySchema)
    def get(self, delivery_id):
        """One of my notices in full (the page a push links to: pages/notice/notice?id=N)."""
        from flask import g
        account = resident()
        g.resident_locale = account.locale
        return notices.my_delivery(account, delivery_id)


@resident_blp.route("/inbox/<int:delivery_id>/read")
class InboxRead(MethodView):
    @resident_blp.response(204)
    def post(self, delivery_id):
        """Mark a notice as read."""
        notices.mark_read(resident(), delivery_id)
        db.session.commit()


@resident_blp.route("/reports")
class MyReports(MethodView):
    @resident_blp.response(200, ReportSchema(many=True))
    def get(self):
        """My reports with their status and answer."""
        return projects.my_reports(resident())

    @resident_blp.arguments(ResidentReportCreateSchema, location="form")
    @resident_blp.response(201, ReportSchema)
    def post(self, body):
        """Report a problem on site (or a dispute), with up to three photos (multipart)."""
        account = resident()
        report = projects.report_problem(account, body["text"], body["kind"], store_uploads(request.files),
                                         latitude=body["latitude"], longitude=body["longitude"])
        db.session.commit()
        return report


@resident_blp.route("/project/acceptance")
class MyView(MethodView):
    @resident_blp.arguments(ViewSchema, location="form")
    @resident_blp.response(200, ViewSchema)
    def put(self, body):
        """My view of the works at acceptance, with photos of problems (multipart)."""
        account = resident()
        view = projects.record_view(account, body["verdict"], body["text"], store_uploads(request.files))
        db.session.commit()
        return view


@resident_blp.route("/project/pledges")
class Pledges(MethodView):
    @resident_blp.arguments(PledgeSchema)
    @resident_blp.response(201, PledgeSchema)
    def post(self, body):
        """Pledge money, maintenance fund (owners only), labour or goods for my home."""
        from contributions import services as contributions
        item = contributions.pledge(resident(), **body)
        db.session.commit()
        return item


@resident_blp.route("/subscriptions")
class Subscriptions(MethodView):
    @resident_blp.arguments(SubscriptionResultSchema)
    @resident_blp.response(204)
    def post(self, body):
        """Report wx.requestSubscribeMessage results: each 'accept' allows one message."""
        notices.record_subscription_results(resident(), sorted(body["results"].items()), "miniprogram")
        db.session.commit()
