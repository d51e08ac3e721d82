"""What people who should not succeed try through the real doors: the chat, the mini-program API and the
panel. Each attempt changes nothing."""
from core.extensions import db
from simulator.sender import text_xml
from tests.builders import LIFT_COEFFICIENTS, LIFT_ROOMS, PNG, Bot, Panel, close_and_publish, create_survey, vote_all, window
from tests.builders import LINK_CODE as CODE
from tests.builders import bound_resident as resident
from tests.builders import resident as survey_resident


def test_someone_else_at_the_same_home_cannot_withdraw_the_owners_pledge(client, world, project, simulator):
    from contributions.models import Contribution
    http, headers, pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["202"], "owner-202")
    tenant = resident(client, simulator, http, headers, rooms["202"], "tenant-202", kind="tenant")
    pledged = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "money", "amount": 50_000}).get_json()
    # through the mini-program API
    refused = client.post(f"/api/v1/project/contributions/{pledged['id']}/cancel", headers=tenant)
    assert refused.status_code == 404, refused.get_data(as_text=True)
    # and in chat: the tenant is not offered the owner's pledge to withdraw
    bot = Bot(client)
    listing = bot.say(text_xml("tenant-202", "认捐"))
    assert "500.00" not in listing and "您没有待缴的认捐" in listing
    bot.say(text_xml("tenant-202", "1"))
    bot.say(text_xml("tenant-202", "1"))
    db.session.expire_all()
    assert db.session.get(Contribution, pledged["id"]).state == "pledged"
    # the owner still withdraws their own
    assert client.post(f"/api/v1/project/contributions/{pledged['id']}/cancel", headers=owner).status_code == 200


def test_a_homes_paper_ballot_typed_twice_counts_once_and_the_second_is_held(client, world, simulator, election):
    """One home, one paper ballot in an election: a second entry for the same home is held for review, never
    confirmed over the first (as with a vote's printed codes)."""
    from datetime import timedelta

    from core.models import utcnow
    from core.staff import create_staff
    from tests.builders import PASSWORD, login
    staff, headers, eid, candidates, dwellings = election
    closes = utcnow() + timedelta(days=7)
    assert staff.post(f"/api/v1/admin/elections/{eid}/open", headers=headers,
                      json={"closes_at": closes.isoformat()}).status_code == 200
    create_staff(None, "committee_a2", "委员a2", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    second = client.application.test_client()
    second_headers = {"X-CSRFToken": login(second, "committee_a2")}
    paper = f"/api/v1/admin/elections/{eid}/paper"
    first = staff.post(paper, headers=headers, json={"dwelling_id": dwellings[0], "candidate_ids": [candidates[0]]})
    again = staff.post(paper, headers=headers, json={"dwelling_id": dwellings[0], "candidate_ids": [candidates[1]]})
    assert first.get_json()["state"] == "pending" and again.get_json()["state"] == "held"
    confirmed = second.post(f"{paper}/{first.get_json()['id']}/confirm", headers=second_headers,
                            json={"candidate_ids": [candidates[0]]})
    assert confirmed.get_json()["state"] == "confirmed"
    # the held one cannot be confirmed over it
    refused = second.post(f"{paper}/{again.get_json()['id']}/confirm", headers=second_headers,
                          json={"candidate_ids": [candidates[1]]})
    assert refused.status_code == 409
    # a third entry after the first was confirmed is held too
    third = staff.post(paper, headers=headers, json={"dwelling_id": dwellings[0], "candidate_ids": [candidates[2]]})
    assert third.get_json()["state"] == "held"
    from projects.models import ElectionBallot
    ballot = ElectionBallot.query.filter_by(election_id=eid, dwelling_id=dwellings[0]).one()
    assert ballot.candidate_ids == [candidates[0]]


def test_a_staff_link_code_works_once_only_the_latest_and_not_after_it_expires(client, world, simulator):
    from datetime import timedelta

    from core.models import StaffLinkCode, StaffWechatLink, utcnow
    committee = Panel(client.application.test_client(), "committee_a")
    bot = Bot(client)

    def make_code():
        made = committee.post("/admin/me/wechat?action=code", "/admin/me/wechat")
        return CODE.search(made.get_data(as_text=True)).group(1)

    def linked():
        from core.models import WechatAccount
        return [openid for (openid,) in db.session.query(WechatAccount.openid).join(
            StaffWechatLink, StaffWechatLink.account_id == WechatAccount.id)]

    def send(openid, code):
        bot.say(text_xml(openid, "工作人员"))
        return bot.say(text_xml(openid, code))

    shown_earlier = make_code()
    latest = make_code()
    # a code shown earlier (on a screen someone else saw) is replaced by the one made after it
    assert "无效或已过期" in send("someone-else", shown_earlier)
    assert StaffWechatLink.query.count() == 0
    assert "已关联" in send("staff-own", latest)
    # used once: sent again from another account it links nothing
    assert "无效或已过期" in send("someone-else", latest)
    assert linked() == ["staff-own"]
    # past its 30 minutes it links nothing
    late = make_code()
    db.session.execute(StaffLinkCode.__table__.update().where(StaffLinkCode.used_at.is_(None))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert "无效或已过期" in send("someone-else", late)
    assert linked() == ["staff-own"]


def test_a_lift_vote_opened_through_the_general_vote_door_keeps_the_countys_rule_of_its_opening(
        client, world, stairwell):
    """Opening a stairwell's lift vote as an ordinary vote does not leave its rule open: the county relaxing its
    rule afterwards does not turn a vote that missed it into an approval."""
    committee, headers, county, county_headers, rooms, unit_id, owners = stairwell
    rule = f"/api/v1/admin/lifts/rules/{world.county_a.id}"
    assert county.put(rule, headers=county_headers,
                      json={"min_owner_share": "3/4", "affected_must_agree": False}).status_code == 200
    scheme = committee.post("/api/v1/admin/lifts/schemes", headers=headers, json={
        "unit_id": unit_id, "title": "1栋1单元加装电梯", "total_cost": 1_000_000,
        "coefficients": LIFT_COEFFICIENTS}).get_json()
    vote_id = scheme["vote_id"]
    opened = committee.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json=window())
    assert opened.status_code == 200, opened.get_data(as_text=True)
    vote_all(client, owners, vote_id, {room: "agree" for room in LIFT_ROOMS[:8]})  # 8 of 12: short of 3/4
    assert county.put(rule, headers=county_headers,
                      json={"min_owner_share": "", "affected_must_agree": False}).status_code == 200
    close_and_publish(committee, headers, vote_id)
    result = committee.get(f"/api/v1/admin/votes/{vote_id}/result").get_json()
    assert result["approved"] is False and "3/4" in result["reason"], result
    from lifts.models import LiftScheme
    fixed = db.session.get(LiftScheme, scheme["id"])
    assert fixed.rule["min_owner_share"] == "3/4" and len(fixed.shares) == len(LIFT_ROOMS)  # the shares fixed too


def test_a_survey_photo_answer_reaches_the_committee_and_only_stored_photos_are_accepted(
        client, world, simulator):
    import io

    from tests.builders import login
    from tests.builders import roll_rows, roll_with_owner
    roll_with_owner(world.compound_a.id, roll_rows(4))
    http = client.application.test_client()
    headers = {"X-CSRFToken": login(http, "committee_a")}
    survey_id = create_survey(http, headers, world, {"sections": [{"questions": [
        {"id": "shot", "type": "photo", "title": "拍一张楼道的照片"}]}]})
    me = survey_resident(client, simulator, http, headers, "100", "shot-1")
    other = survey_resident(client, simulator, http, headers, "101", "shot-2")
    uploaded = client.post(f"/api/v1/surveys/{survey_id}/photos", headers=me, content_type="multipart/form-data",
                           data={"photos": [(io.BytesIO(PNG), "stairs.png")]})
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    name = uploaded.get_json()["photos"][0]
    url = f"/api/v1/surveys/{survey_id}/response"
    # an answer naming something that is not a stored photo is refused and changes nothing
    for made_up in (["=HYPERLINK(\"http://x\")"], ["../../etc/passwd"], [name[:-3] + "pdf"]):
        refused = client.put(url, headers=me, json={"answers": {"shot": made_up}, "submit": True})
        assert refused.status_code == 422, (made_up, refused.get_data(as_text=True))
    assert client.get(url, headers=me).status_code == 404
    assert client.put(url, headers=me, json={"answers": {"shot": [name]}, "submit": True}).status_code == 200
    # the committee that runs the survey sees the photo; the respondent too; another resident does not
    def status(who, **kwargs):
        response = who.get(f"/api/v1/files/{name}", **kwargs)
        response.close()
        return response.status_code

    assert status(http) == 200
    assert status(client, headers=me) == 200
    assert status(client, headers=other) == 404


def _owner_shared_with_another_county(world):
    """张三 on compound A's roll and, as 张叁 with another phone, on compound B's, under one person record (as
    rolls shared people before each compound's roll kept its own names): B's dwelling."""
    from core.models import Ownership, Person
    from tests.builders import id_number, roll_with_owner
    roll_with_owner(world.compound_a.id, [["1", "1", "101", "80", "", "", "张三", id_number(1), "13800000001",
                                           "否", "是"]])
    roll_with_owner(world.compound_b.id, [["2", "1", "201", "80", "", "", "张叁", id_number(1), "13900000009",
                                           "否", "是"]])
    first, second = Person.query.order_by(Person.id).all()
    ownership = Ownership.query.filter_by(person_id=second.id).one()
    ownership.person_id = first.id
    db.session.delete(second)
    db.session.commit()
    return ownership.dwelling_id


def test_a_compounds_ballot_sheets_and_non_voters_name_its_owners_as_its_own_roll_does(client, world):
    """The other county's committee sees a shared owner as its own roll writes them, name and phone, never what
    the shared record says (the first compound's roll)."""
    from datetime import timedelta

    from core.models import utcnow
    from votes import services as votes
    _owner_shared_with_another_county(world)
    vote = votes.create_vote(world.committee_b, "compound", world.compound_b.id, "rebuild", "外墙维修")
    votes.open_vote(world.committee_b, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=7))
    db.session.commit()
    committee_b = Panel(client.application.test_client(), "committee_b")
    sheets = committee_b.get(f"/admin/votes/{vote.id}/ballots")
    assert "张叁" in sheets and "张三" not in sheets
    canvass = committee_b.get(f"/admin/votes/{vote.id}/non-voters")
    assert "张叁" in canvass and "13900000009" in canvass
    assert "张三" not in canvass and "13800000001" not in canvass


def test_a_binding_claim_is_matched_against_the_phone_on_its_own_compounds_roll(client, world):
    """The last four digits a resident gives match an owner only as the dwelling's own compound's roll has their
    phone, not as another county's roll had it."""
    import re

    from core.models import BindingRequest, WechatAccount
    dwelling_id = _owner_shared_with_another_county(world)
    for digits in ("0001", "0009"):
        account = WechatAccount(openid=f"claims-{digits}", follows=True, locale="zh_Hans_CN")
        db.session.add(account)
        db.session.flush()
        db.session.add(BindingRequest(account_id=account.id, dwelling_id=dwelling_id, claimed_name="张叁",
                                      phone_last4=digits))
    db.session.commit()
    page = Panel(client.application.test_client(), "committee_b").get("/admin/bindings")
    rows = {digits: row for row in re.findall(r"<tr>.*?</tr>", page, re.S) for digits in ("0001", "0009")
            if f"<td>{digits}</td>" in row}
    assert "核实" in rows["0001"] and "核实" not in rows["0009"]


def test_another_countys_administrator_reads_nothing_of_this_countys_audit_log(client, world):
    """The log's entries and the actions offered to filter them by are those of the reader's own region only."""
    from core import audit
    from core.staff import create_staff
    from tests.builders import PASSWORD
    audit.record(world.committee_a, "vote.paper_entry", "dwelling", 1, world.community_a.id)
    audit.record(world.committee_b, "wish.answer", "wish", 2, world.community_b.id)
    create_staff(None, "admin_b", "锦江区管理员", "admin", world.county_b.id, PASSWORD)
    db.session.commit()
    page = Panel(client.application.test_client(), "admin_b").get("/admin/audit")
    assert "wish.answer" in page
    assert "vote.paper_entry" not in page and "committee_a" not in page


def test_a_lift_scheme_drawn_for_another_countys_stairwell_tells_nothing_of_its_rooms(client, world):
    """Naming another county's stairwell in the panel's lift form is refused alike whether the rooms named as
    affected are there or not, and creates nothing."""
    from sqlalchemy import select

    from core.models import Building, Unit
    from lifts.models import LiftScheme
    from tests.builders import id_number, roll_with_owner
    roll_with_owner(world.compound_b.id, [["1", "1", "201", "80", "", "", "钱九", id_number(9), "", "否", "是"]])
    unit_b = db.session.scalar(select(Unit.id).join(Building).where(Building.compound_id == world.compound_b.id))
    committee_a = Panel(client.application.test_client(), "committee_a")
    form = dict(unit=f"unit:{unit_b}", title="加装电梯", total_cost="300000", subsidy="", provident_fund="",
                coefficients="1:0, 2:1", text="")
    there = committee_a.post("/admin/lifts", "/admin/lifts", **dict(form, affected="201"))
    not_there = committee_a.post("/admin/lifts", "/admin/lifts", **dict(form, affected="909"))
    assert there.status_code == not_there.status_code == 404
    assert LiftScheme.query.count() == 0


def test_a_notice_link_opens_only_as_signed(client, world):
    """The web page of a resident's notice opens with the link sent to them; the link altered, signed with
    another key or naming another delivery opens nothing."""
    from core.models import WechatAccount
    from notices import links
    from notices.models import Delivery
    from notices.services import queue_direct_message
    account = WechatAccount(openid="link-reader", follows=True, locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    queue_direct_message(account.id, "wish_answer", {"reference": "W000001", "answer": "楼道灯已修好"})
    db.session.commit()
    delivery_id = db.session.query(Delivery.id).scalar()
    secret = client.application.config["SECRET_KEY"]
    token = links.sign(delivery_id, secret)
    assert "楼道灯已修好" in client.get(f"/public/n/{token}").get_data(as_text=True)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for forged in (altered, links.sign(delivery_id, "another key"), links.sign(delivery_id + 1, "another key"),
                   token.split(".")[0], f"{delivery_id}"):
        response = client.get(f"/public/n/{forged}")
        assert response.status_code == 404 and "楼道灯已修好" not in response.get_data(as_text=True), forged


def test_a_residents_offer_to_supervise_is_theirs_alone_to_see(client, world, project, simulator):
    """The works page tells a resident their own offer to supervise; a neighbour at the same home and one next
    door see none."""
    http, headers, pid, rooms = project
    volunteer = resident(client, simulator, http, headers, rooms["202"], "volunteer-202")
    same_home = resident(client, simulator, http, headers, rooms["202"], "family-202", kind="family")
    next_door = resident(client, simulator, http, headers, rooms["201"], "owner-201")
    offered = client.post("/api/v1/project/supervisors", headers=volunteer, json={"name": "张阿姨"})
    assert offered.status_code in (200, 201), offered.get_data(as_text=True)
    assert client.get("/api/v1/project/works", headers=volunteer).get_json()["supervisor"] == "pending"
    for other in (same_home, next_door):
        assert client.get("/api/v1/project/works", headers=other).get_json()["supervisor"] is None
