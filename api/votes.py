"""Votes: staff define and run them; owners cast in the mini-program; the result contract."""
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.doors import door_blueprints, signed_in_staff
from api.resident import resident
from core.areas import format_area
from core.extensions import db
from core.i18n import translate
from core.scopes import SCOPES
from votes import rules
from votes import services as votes

staff_blp, resident_blp = door_blueprints(
    __name__, "votes",
    staff=("/api/v1/admin/votes", "Consent votes, for committee staff within their region."),
    resident=("/api/v1/votes", "My open votes, my ballot and my receipt."))


class VoteCreateSchema(Schema):
    scope_kind = fields.String(required=True, validate=validate.OneOf(SCOPES))
    scope_id = fields.Integer(required=True)
    matter = fields.String(required=True, validate=validate.OneOf(list(rules.MATTERS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(load_default="", validate=validate.Length(max=20000))
    threshold = fields.String(load_default=None, metadata={"description": "for renovation_willingness: e.g. '2/3'"})
    publicity_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=60))
    remind_days_before = fields.Integer(load_default=2, validate=validate.Range(min=0, max=30))
    publish_details = fields.Boolean(load_default=False)


class VoteUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    text = fields.String(validate=validate.Length(max=20000))
    matter = fields.String(validate=validate.OneOf(list(rules.MATTERS)))
    publish_details = fields.Boolean()


class WindowSchema(Schema):
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)


class ExtendSchema(Schema):
    closes_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PublishSchema(Schema):
    publish_details = fields.Boolean(load_default=None)


class VoteSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    scope_kind = fields.String()
    scope_id = fields.Integer()
    matter = fields.String()
    title = fields.String()
    text = fields.String()
    documents = fields.List(fields.Dict(), metadata={"description": "{file, title}: GET /api/v1/files/<file>"})
    state = fields.String()
    opens_at = fields.DateTime(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    extended_reason = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    publicity_ends_at = fields.DateTime(allow_none=True)
    publish_details = fields.Boolean()


class ResultSchema(Schema):
    """The result contract: areas as decimal strings in m² with two decimals, heads as integers."""

    quorum_met = fields.Boolean()
    approved = fields.Boolean(metadata={"description": "the outcome: art. 278 and any rule fixed when the vote "
                                                      "opened (a county's rule for a lift)"})
    civil_code_approved = fields.Boolean(metadata={"description": "art. 278 alone"})
    total_area = fields.String()
    total_heads = fields.Integer()
    participating_area = fields.String()
    participating_heads = fields.Integer()
    agree_area = fields.String()
    agree_heads = fields.Integer()
    disagree_area = fields.String()
    disagree_heads = fields.Integer()
    abstain_area = fields.String()
    abstain_heads = fields.Integer()
    reason = fields.String()
    state = fields.String()
    details = fields.List(fields.Dict(), allow_none=True)


class PaperEntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=64))
    choice = fields.String(required=True, validate=validate.OneOf(rules.CHOICES))
    dwelling_id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True)


class ConfirmSchema(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(rules.CHOICES))


class CanvassSchema(Schema):
    dwelling_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(votes.CANVASS))
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class ProxySchema(Schema):
    id = fields.Integer(dump_only=True)
    dwelling_id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    authorisation = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    id_number = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "the proxy's ID number, as on the signed authorisation"})
    owner_person_id = fields.Integer(data_key="owner_id", load_default=None, allow_none=True, metadata={
        "description": "the owner who signed the authorisation (an owner's person_id in the compound's dwellings); "
                       "may be left out when the home has one owner. The proxy stands only while they own the home: "
                       "on the owners' roll while the vote is a draft, on the roll frozen when it opened after"})
    document = fields.String(dump_only=True, metadata={"description": "the uploaded 委托书 (multipart field 'file')"})
    state = fields.String(dump_only=True)
    recorded_by = fields.Integer(dump_only=True)
    confirmed_by = fields.Integer(dump_only=True, allow_none=True)


class NonVoterSchema(Schema):
    dwelling_id = fields.Integer()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    canvass = fields.String()


class BallotCodeSchema(Schema):
    dwelling_id = fields.Integer()
    code = fields.String()


class CastSchema(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(rules.CHOICES))
    dwelling_id = fields.Integer(load_default=None, metadata={"description": "one flat only"})
    dwelling_ids = fields.List(fields.Integer(), load_default=None, validate=validate.Length(min=1, max=100),
                               metadata={"description": "these flats only (default: every flat I may cast for)"})


class FlatBallotSchema(Schema):
    dwelling_id = fields.Integer()
    address = fields.String()
    choice = fields.String()
    channel = fields.String()
    receipt = fields.String()
    cast_at = fields.DateTime()


class ReceiptSchema(Schema):
    dwelling_id = fields.Integer()
    choice = fields.String()
    channel = fields.String()
    receipt = fields.String()
    cast_at = fields.DateTime()
    flats = fields.List(fields.Nested(FlatBallotSchema), metadata={"description": "every flat's current ballot"})
    chain_head = fields.String(metadata={"description": "the vote's chain head after my ballot: keep it to check "
                                                        "against the published head (flask votes verify --head)"})


class MyFlatSchema(Schema):
    dwelling_id = fields.Integer()
    address = fields.String()
    role = fields.String(metadata={"description": "owner | proxy"})
    choice = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)


class MyVoteSchema(VoteSchema):
    dwellings = fields.List(fields.Nested(MyFlatSchema))
    paper_rule = fields.String()


class DetailsSchema(Schema):
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    choice = fields.String()


class ReceiptCheckSchema(Schema):
    counted = fields.Boolean()
    choice = fields.String()


def result_body(vote, decided):
    """A vote's outcome (votes.outcomes) as the API contract has it: `approved` and `reason` are the outcome,
    art. 278 and any rule fixed when the vote opened; `civil_code_approved` the art. 278 count alone."""
    result = decided.result
    body = {name: getattr(result, name) for name in ("quorum_met", "total_heads", "participating_heads",
                                                     "agree_heads", "disagree_heads", "abstain_heads")}
    for name in ("total_area", "participating_area", "agree_area", "disagree_area", "abstain_area"):
        body[name] = format_area(getattr(result, name))
    body["approved"], body["civil_code_approved"] = decided.approved, decided.civil_code_approved
    body["reason"] = translate(decided.reason_key, **decided.reason_params)
    body["state"] = vote.state
    body["details"] = votes.published_details(vote)
    return body


class VoteQuerySchema(Schema):
    compound_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    state = fields.String(load_default=None, validate=validate.OneOf(["draft", "open", "closed", "published", "archived"]))


class PaperEntryQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(["pending", "confirmed", "mismatch"]))


class PaperEntryListSchema(Schema):
    id = fields.Integer()
    dwelling_id = fields.Integer()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    state = fields.String(metadata={"description": "pending (waiting for a second person), confirmed or mismatch"})
    entered_by = fields.Integer()
    entered_by_name = fields.String()
    entered_at = fields.DateTime()
    confirmed_by = fields.Integer(allow_none=True)


@staff_blp.route("")
class Votes(MethodView):
    @staff_blp.arguments(VoteQuerySchema, location="query")
    @staff_blp.response(200, VoteSchema(many=True))
    def get(self, query):
        """The votes in my region (or one compound of it), newest first."""
        return votes.list_votes(signed_in_staff(), state=query["state"], compound_id=query["compound_id"])

    @staff_blp.arguments(VoteCreateSchema)
    @staff_blp.response(201, VoteSchema)
    def post(self, body):
        """Draft a vote for a compound, building or stairwell unit."""
        vote = votes.create_vote(signed_in_staff(), **body)
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>")
class VoteDetail(MethodView):
    @staff_blp.response(200, VoteSchema)
    def get(self, vote_id):
        """One vote."""
        return votes.get_vote(signed_in_staff(), vote_id)

    @staff_blp.arguments(VoteUpdateSchema)
    @staff_blp.response(200, VoteSchema)
    def patch(self, body, vote_id):
        """Change a draft (refused once the vote is open)."""
        vote = votes.update_vote(signed_in_staff(), vote_id, **body)
        db.session.commit()
        return vote


class DocumentSchema(Schema):
    title = fields.String(load_default=None, validate=validate.Length(max=100))


@staff_blp.route("/<int:vote_id>/documents")
class Documents(MethodView):
    @staff_blp.arguments(DocumentSchema, location="form")
    @staff_blp.response(201, VoteSchema)
    def post(self, body, vote_id):
        """Attach a plan document (PDF or image, multipart field 'file') to a draft vote."""
        from flask import request
        from core.errors import InvalidInput
        from core.uploads import MAX_DOCUMENT_BYTES, store_document
        staff = signed_in_staff()
        votes.get_vote(staff, vote_id, "votes.manage")
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput([{"field": "file", "key": "error.field_required"}])
        vote = votes.attach_document(staff, vote_id, store_document(upload.read(MAX_DOCUMENT_BYTES + 1)),
                                     body["title"] or upload.filename)
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>/open")
class OpenVote(MethodView):
    @staff_blp.arguments(WindowSchema)
    @staff_blp.response(200, VoteSchema)
    def post(self, body, vote_id):
        """Open the vote for a window of time."""
        vote = votes.open_vote(signed_in_staff(), vote_id, body["opens_at"], body["closes_at"])
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>/extend")
class ExtendVote(MethodView):
    @staff_blp.arguments(ExtendSchema)
    @staff_blp.response(200, VoteSchema)
    def post(self, body, vote_id):
        """Give owners more time, with a reason."""
        vote = votes.extend_vote(signed_in_staff(), vote_id, body["closes_at"], body["reason"])
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>/close")
class CloseVote(MethodView):
    @staff_blp.response(200, VoteSchema)
    def post(self, vote_id):
        """Close the vote and store the result."""
        vote = votes.close_vote(signed_in_staff(), vote_id)
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>/publish")
class PublishVote(MethodView):
    @staff_blp.arguments(PublishSchema)
    @staff_blp.response(200, VoteSchema)
    def post(self, body, vote_id):
        """Publish the result (公示) and tell the residents."""
        vote = votes.publish_vote(signed_in_staff(), vote_id, body["publish_details"])
        db.session.commit()
        return vote


@staff_blp.route("/<int:vote_id>/result")
class Result(MethodView):
    @staff_blp.response(200, ResultSchema)
    def get(self, vote_id):
        """The count: live while open, the stored result once closed."""
        vote, result = votes.progress(signed_in_staff(), vote_id)
        return result_body(vote, result)


@staff_blp.route("/<int:vote_id>/non-voters")
class NonVoters(MethodView):
    @staff_blp.response(200, NonVoterSchema(many=True))
    def get(self, vote_id):
        """Dwellings that have not voted, for door-to-door work."""
        return votes.non_voters(signed_in_staff(), vote_id)[1]


@staff_blp.route("/<int:vote_id>/ballot-codes")
class BallotCodes(MethodView):
    @staff_blp.response(200, BallotCodeSchema(many=True))
    def get(self, vote_id):
        """The code of each dwelling's paper ballot."""
        return votes.ballot_codes(signed_in_staff(), vote_id)


@staff_blp.route("/<int:vote_id>/paper")
class Paper(MethodView):
    @staff_blp.arguments(PaperEntryQuerySchema, location="query")
    @staff_blp.response(200, PaperEntryListSchema(many=True))
    def get(self, query, vote_id):
        """The paper entries of a vote; `state=pending` lists those waiting for a second person."""
        return votes.paper_entries(signed_in_staff(), vote_id, query["state"])

    @staff_blp.arguments(PaperEntrySchema)
    @staff_blp.response(201, PaperEntrySchema)
    def post(self, body, vote_id):
        """Enter a collected paper ballot by its code (a second person confirms it)."""
        entry = votes.enter_paper_ballot(signed_in_staff(), vote_id, body["code"], body["choice"])
        db.session.commit()
        return entry


@staff_blp.route("/<int:vote_id>/paper/<int:entry_id>/confirm")
class PaperConfirm(MethodView):
    @staff_blp.arguments(ConfirmSchema)
    @staff_blp.response(200, PaperEntrySchema)
    def post(self, body, vote_id, entry_id):
        """Confirm another person's entry: the same choice counts, a different one is held for review."""
        entry = votes.confirm_paper_ballot(signed_in_staff(), vote_id, entry_id, body["choice"])
        db.session.commit()
        return entry


@staff_blp.route("/<int:vote_id>/canvass")
class CanvassView(MethodView):
    @staff_blp.arguments(CanvassSchema)
    @staff_blp.response(200, CanvassSchema)
    def post(self, body, vote_id):
        """Record a dwelling's door-to-door status."""
        row = votes.set_canvass(signed_in_staff(), vote_id, body["dwelling_id"], body["status"], body["note"])
        db.session.commit()
        return row


@staff_blp.route("/<int:vote_id>/proxies")
class Proxies(MethodView):
    @staff_blp.response(200, ProxySchema(many=True))
    def get(self, vote_id):
        """Proxies waiting for a second staff member's confirmation."""
        return votes.pending_proxies(signed_in_staff(), vote_id)

    @staff_blp.arguments(ProxySchema, location="form")
    @staff_blp.response(201, ProxySchema)
    def post(self, body, vote_id):
        """Register a proxy: the signed authorisation (multipart field 'file') and the proxy's ID number.
        It counts once a second staff member confirms it; the owners are told then."""
        from flask import request
        from core.uploads import MAX_DOCUMENT_BYTES, store_document
        staff = signed_in_staff()
        votes.get_vote(staff, vote_id, "votes.manage")
        upload = request.files.get("file")
        document = store_document(upload.read(MAX_DOCUMENT_BYTES + 1)) if upload is not None else None
        proxy = votes.register_proxy(staff, vote_id, document=document, **body)
        db.session.commit()
        return proxy


@staff_blp.route("/<int:vote_id>/proxies/<int:proxy_id>/confirm")
class ConfirmProxy(MethodView):
    @staff_blp.response(200, ProxySchema)
    def post(self, vote_id, proxy_id):
        """A second staff member confirms the proxy against the authorisation."""
        proxy = votes.confirm_proxy(signed_in_staff(), vote_id, proxy_id)
        db.session.commit()
        return proxy


@resident_blp.route("")
class MyVotes(MethodView):
    @resident_blp.response(200, MyVoteSchema(many=True))
    def get(self):
        """Votes open to me now, with every flat I may cast for and its current ballot."""
        result = []
        for vote, flats in votes.open_votes_with_flats(resident()):
            vote.dwellings, vote.paper_rule = flats, translate("vote.paper_rule")
            result.append(vote)
        return result


@resident_blp.route("/<int:vote_id>/ballot")
class MyBallot(MethodView):
    @resident_blp.response(200, ReceiptSchema)
    def get(self, vote_id):
        """My flats' ballots and their receipts."""
        return votes.receipt_of(vote_id, votes.my_ballots(resident(), vote_id))

    @resident_blp.arguments(CastSchema)
    @resident_blp.response(200, ReceiptSchema)
    def put(self, body, vote_id):
        """Cast or change my ballot: for every flat I own in scope at once, or the flats named (the last
        ballot received before closing counts, in every channel)."""
        wanted = body["dwelling_ids"] or ([body["dwelling_id"]] if body["dwelling_id"] else None)
        received = votes.cast_ballots(resident(), vote_id, body["choice"], "miniprogram", wanted, defer=True)
        db.session.commit()
        # Chained already, in that one transaction, when no other cast was appending to the vote's chain;
        # otherwise kept as received without waiting for the others' commits, and carried by the next round of
        # chaining (which commits on its own: it answers every cast it carries).
        return votes.receipt_of(vote_id, votes.chain_received(vote_id, received))


@resident_blp.route("/<int:vote_id>/details")
class PublishedDetails(MethodView):
    @resident_blp.response(200, DetailsSchema(many=True))
    def get(self, vote_id):
        """Each flat's choice, where the vote said before opening that they would be published: only for
        owners in its scope, signed in."""
        return votes.details_for_owner(resident(), vote_id)


@resident_blp.route("/<int:vote_id>/receipts/<receipt>")
class ReceiptCheck(MethodView):
    @resident_blp.response(200, ReceiptCheckSchema)
    def get(self, vote_id, receipt):
        """Check that a receipt's ballot is in the published result."""
        resident()
        return votes.check_receipt(vote_id, receipt)


class PublishedVoteSchema(Schema):
    vote = fields.Nested(VoteSchema)
    result = fields.Nested(ResultSchema)


@resident_blp.route("/<int:vote_id>/result")
class PublishedVote(MethodView):
    @resident_blp.response(200, PublishedVoteSchema)
    def get(self, vote_id):
        """A published vote of my home's scope with its result and the end of its publicity period; choices by
        flat are not part of this answer."""
        vote, result = votes.published_for_resident(resident(), vote_id)
        return {"vote": vote, "result": {**result_body(vote, result), "details": None}}
