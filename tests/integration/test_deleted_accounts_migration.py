"""Accounts deleted before deletion took as much as it does now: the migration takes the rest from each, on every
backend (what a resident supervisor did, pledges, election ballots, the proxies they stood as, the messages
addressed to them, a staff member's WeChat link, a binding request still waiting, the words and photos of
objections, views at acceptance and defects), and changes nothing of a live account holding the same."""
from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, insert, inspect, select

from contributions.models import Contribution
from core import MIGRATIONS
from core.extensions import db
from core.models import BindingRequest, ChatPhoto, FileLink, StaffWechatLink, WechatAccount, utcnow
from notices.models import ChannelBlock, Delivery, Notice, StaffNotice, SubscriptionCredit, SubscriptionEvent
from projects.models import (AcceptanceView, Defect, Election, ElectionBallot, Finding, Inspection, Project,
                             ResidentSupervisor, SiteReport)
from publicity.models import Objection, Publicity
from surveys.models import Survey, SurveyResponse
from tests.builders import roll_rows, roll_with_owner, rooms_on_record
from votes.models import Proxy, Vote
from wishes.models import Wish

TABLES = [model.__table__ for model in (
    WechatAccount, Wish, SiteReport, Objection, AcceptanceView, Defect, ResidentSupervisor, Inspection, Finding,
    Contribution, ElectionBallot, Proxy, Notice, Delivery, StaffNotice, SubscriptionEvent, SubscriptionCredit,
    ChannelBlock, StaffWechatLink, BindingRequest, ChatPhoto, FileLink, SurveyResponse)]


def photo(tag, what):
    return f"{tag}-{what}".ljust(64, "0") + ".png"


def add(model, **values):
    row = model(**values)
    db.session.add(row)
    db.session.flush()
    return row


def add_row(model, **values):
    """A row of only these columns (the model may have gained columns since the schema under test)."""
    table = model.__table__
    return db.session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()


def shared(compound, community):
    """What both residents' data hangs on: a project, its publicity, vote, election and survey, homes, news."""
    roll_with_owner(compound, roll_rows(4))
    project = add(Project, name="外墙改造", region_id=community).id
    return {
        "compound": compound, "rooms": rooms_on_record(), "project": project,
        "publicity": add(Publicity, subject_kind="project", subject_id=project, region_id=community,
                         title="公示", starts_at=utcnow(), ends_at=utcnow() + timedelta(days=7)).id,
        "vote": add(Vote, compound_id=compound, region_id=community, scope_kind="compound", scope_id=compound,
                    matter="rebuild", title="外墙", state="open").id,
        "election": add(Election, compound_id=compound, region_id=community, title="业委会", seats=3,
                        state="open").id,
        "survey": add(Survey, compound_id=compound, region_id=community, kind="codesign", title="调查",
                      scope_kind="compound", scope_id=compound, state="open").id,
        "news": add(Notice, kind="free_text", params={"title": "停水", "body": "明早停水"}, scope_kind="compound",
                    scope_id=compound, fanned_out_at=utcnow()).id,
    }


def holdings(common, tag, room, committee, staff, watcher):
    """An account holding one of each kind of thing deletion takes; returns their ids (by what they are)."""
    ids = {}
    home = common["rooms"][room]
    account = add(WechatAccount, openid=f"{tag}-openid", dwelling_id=home, kind="owner", follows=True)
    ids["account"] = account.id

    def with_photo(key, model, kind, **values):
        ids[key] = add(model, **values, photos=[photo(tag, key)]).id
        ids[f"{key}_link"] = add(FileLink, name=photo(tag, key), kind=kind, target_id=ids[key]).id

    with_photo("wish", Wish, "wish", account_id=account.id, dwelling_id=home, compound_id=common["compound"],
               text=f"{tag}: 加装电梯", channel="bot")
    with_photo("report", SiteReport, "site_report", compound_id=common["compound"], account_id=account.id,
               text=f"{tag}: 脚手架挡住了门")
    with_photo("objection", Objection, "objection", publicity_id=common["publicity"], account_id=account.id,
               dwelling_id=home, text=f"{tag}: 我不同意")
    with_photo("view", AcceptanceView, "acceptance_view", project_id=common["project"], account_id=account.id,
               verdict="problems", text=f"{tag}: 墙面起皮")
    with_photo("defect", Defect, "defect", project_id=common["project"], source="warranty", account_id=account.id,
               text=f"{tag}: 屋顶漏水", rectification_photos=[photo(tag, "repair")])
    ids["repair_link"] = add(FileLink, name=photo(tag, "repair"), kind="defect", target_id=ids["defect"]).id
    ids["chat_photo"] = add(ChatPhoto, kind="objection", target_id=ids["objection"], account_id=account.id,
                            media_id=f"{tag}-media", state="waiting", last_error="timeout").id
    ids["supervisor"] = add(ResidentSupervisor, project_id=common["project"], account_id=account.id,
                            name=f"{tag}·张三", status="approved").id
    with_photo("inspection", Inspection, "inspection", project_id=common["project"], by_kind="supervisor",
               supervisor_id=ids["supervisor"], inspector=f"{tag}·张三", note=f"{tag}: 巡查")
    ids["finding"] = add(Finding, inspection_id=ids["inspection"], project_id=common["project"],
                         text=f"{tag}: 裂缝", photos=[photo(tag, "inspection")]).id
    quotes = {"staff_report_escalated": {"reference": f"R{ids['report']:06d}"},
              "staff_warranty_defect": {"reference": f"D{ids['defect']:06d}"},
              "staff_finding_open": {"finding": ids["finding"]}}
    for kind, named in quotes.items():
        params = {**named, "project": "外墙改造", "text": f"{tag}: 原话"}
        ids[kind] = add(StaffNotice, staff_id=committee, kind=kind, params=params).id
        # The copy pushed to the WeChat account a staff member linked.
        pushed = add(Notice, kind=kind, params=params, scope_kind="account", scope_id=watcher, fanned_out_at=utcnow())
        ids[f"{kind}_pushed"] = pushed.id
        add(Delivery, notice_id=pushed.id, account_id=watcher)
    ids["pledge"] = add(Contribution, project_id=common["project"], dwelling_id=home, kind="money", amount=10000,
                        description=f"{tag}: 我出一百", account_id=account.id).id
    ids["election_ballot"] = add(ElectionBallot, election_id=common["election"], dwelling_id=home,
                                 candidate_ids=[], channel="online", account_id=account.id).id
    proxied = common["rooms"][str(int(room) + 1)]
    ids["proxy"] = add_row(Proxy, vote_id=common["vote"], dwelling_id=proxied, account_id=account.id,
                           authorisation=f"{tag}: 业主某某委托", document=photo(tag, "authorisation"),
                           proxy_person_id=77, state="confirmed", recorded_by=committee)
    ids["proxy_link"] = add(FileLink, name=photo(tag, "authorisation"), kind="proxy_document",
                            target_id=ids["proxy"]).id
    ids["response"] = add(SurveyResponse, survey_id=common["survey"], respondent=f"a{account.id}",
                          account_id=account.id, dwelling_id=home, version=1, answers={}, submitted=True).id
    ids["response_link"] = add(FileLink, name=photo(tag, "answer"), kind="survey_response",
                               target_id=ids["response"]).id
    ids["upload_link"] = add(FileLink, name=photo(tag, "upload"), kind="survey_upload", target_id=account.id).id
    direct = add(Notice, kind="wish_answered", params={"reference": f"W{ids['wish']:06d}", "answer": "已安排"},
                 scope_kind="account", scope_id=account.id, fanned_out_at=utcnow())
    ids["direct"] = direct.id
    ids["direct_delivery"] = add(Delivery, notice_id=direct.id, account_id=account.id, state="sent").id
    ids["news_delivery"] = add(Delivery, notice_id=common["news"], account_id=account.id, state="pending").id
    ids["event"] = add(SubscriptionEvent, openid=account.openid, template_id="tpl", status="accept",
                       source="miniprogram").id
    ids["credit"] = add(SubscriptionCredit, account_id=account.id, template_id="tpl", remaining=2).id
    ids["block"] = add(ChannelBlock, account_id=account.id, channel="subscribe", reason="43101").id
    add(StaffWechatLink, staff_id=staff, account_id=account.id)
    ids["staff"] = staff
    ids["binding"] = add(BindingRequest, account_id=account.id, dwelling_id=common["rooms"]["103"],
                         claimed_name=None, state="pending").id
    ids["decided_binding"] = add(BindingRequest, account_id=account.id, dwelling_id=home, state="approved",
                                 decided_at=utcnow() - timedelta(days=3)).id
    return ids


def delete_as_before(ids):
    """What deleting one's data did before the migration's release: the account pseudonymised, the words and photos
    of wishes and on-site reports cleared (their files' links stayed)."""
    account = db.session.get(WechatAccount, ids["account"])
    account.openid = f"deleted-{account.id}-1764300000"
    account.dwelling_id = account.kind = None
    account.deleted_at = utcnow() - timedelta(days=1)
    for model, key in ((Wish, "wish"), (SiteReport, "report")):
        row = db.session.get(model, ids[key])
        row.text, row.photos = "", []


def dump():
    """Every row of every table deletion touches, by table and primary key."""
    found = {}
    for table in TABLES:
        key = [column.name for column in table.primary_key.columns]
        table = Table(table.name, MetaData(), autoload_with=db.session.connection())  # as the schema under test has it
        for row in db.session.execute(select(table)).mappings():
            found[(table.name, tuple(row[k] for k in key))] = dict(row)
    return found


def expected_after(before, gone):
    """`before` with what a deletion today takes from the account `gone` holds."""
    expected = {key: dict(row) for key, row in before.items()}

    def change(table, row_id, **values):
        expected[(table, (row_id,))].update(values)

    for key in ("wish", "report", "objection", "view"):
        table = {"wish": "wishes", "report": "site_reports", "objection": "publicity_objections",
                 "view": "acceptance_views"}[key]
        change(table, gone[key], text="", photos=[])
    change("defects", gone["defect"], text="", photos=[], account_id=None)
    change("chat_photos", gone["chat_photo"], state="failed", reason="deleted", media_id="", name=None,
           last_error=None)
    change("inspections", gone["inspection"], inspector="", note="", photos=[], supervisor_id=None)
    change("inspection_findings", gone["finding"], text="", photos=[])
    for kind in ("staff_report_escalated", "staff_warranty_defect", "staff_finding_open"):
        change("staff_notices", gone[kind], params={**before[("staff_notices", (gone[kind],))]["params"], "text": ""})
        change("notices", gone[f"{kind}_pushed"],
               params={**before[("notices", (gone[f"{kind}_pushed"],))]["params"], "text": ""})
    change("notices", gone["direct"], params={})
    change("contributions", gone["pledge"], account_id=None, description="")
    change("election_ballots", gone["election_ballot"], account_id=None)
    change("vote_proxies", gone["proxy"], state="withdrawn", authorisation="", document=None, proxy_person_id=None)
    change("binding_requests", gone["binding"], state="withdrawn")
    for table, key in (("resident_supervisors", "supervisor"), ("deliveries", "direct_delivery"),
                       ("deliveries", "news_delivery"), ("subscription_events", "event"),
                       ("subscription_credits", "credit"), ("channel_blocks", "block"),
                       ("staff_wechat_links", "staff")):
        del expected[(table, (gone[key],))]
    for key in ("wish", "report", "objection", "view", "defect", "inspection", "proxy", "response", "upload"):
        del expected[("file_links", (gone[f"{key}_link"],))]
    return expected


def test_accounts_deleted_before_lose_what_deletion_now_takes_and_live_ones_keep_it(app, world):
    committee, staff = world.committee_a.id, (world.county_staff_a.id, world.county_staff_b.id, world.city_staff.id)
    compound, community = world.compound_a.id, world.community_a.id
    db.session.commit()
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0025")
    assert "ix_vote_proxies_account_id" not in {i["name"] for i in inspect(db.engine).get_indexes("vote_proxies")}
    common = shared(compound, community)
    watcher = add(WechatAccount, openid="watcher-openid", follows=True).id
    add(StaffWechatLink, staff_id=staff[2], account_id=watcher)
    gone = holdings(common, "gone", "100", committee, staff[0], watcher)
    kept = holdings(common, "kept", "101", committee, staff[1], watcher)
    delete_as_before(gone)
    db.session.commit()
    before = dump()
    db.session.remove()

    upgrade(directory=MIGRATIONS, revision="0026")

    after = dump()
    expected = expected_after(before, gone)
    # Withdrawn and given up as the migration ran.
    for key, column in ((("chat_photos", (gone["chat_photo"],)), "finished_at"),
                        (("binding_requests", (gone["binding"],)), "decided_at")):
        assert after[key].pop(column) is not None and expected[key].pop(column) is None
    assert {key: (expected.get(key), row) for key, row in after.items() if row != expected.get(key)} == {}
    assert set(after) == set(expected)
    # So the live account's were left as they were: its proxy stands, its messages and files are there.
    assert after[("vote_proxies", (kept["proxy"],))]["state"] == "confirmed"
    assert {("deliveries", (kept["direct_delivery"],)), ("file_links", (kept["proxy_link"],)),
            ("resident_supervisors", (kept["supervisor"],)), ("staff_wechat_links", (kept["staff"],))} <= set(after)
    assert "ix_vote_proxies_account_id" in {i["name"] for i in inspect(db.engine).get_indexes("vote_proxies")}
    db.session.remove()
    upgrade(directory=MIGRATIONS)  # and on to the schema of today
