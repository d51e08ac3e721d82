"""Officials count a year in Beijing time: a project accepted, or a vote closing, in the first hours of New Year's
Day in Beijing (still 31 December in UTC) is the new year's, on the dashboard and the pages its figures open."""
import re
from datetime import datetime, timezone

from core.extensions import db
from core.models import utcnow
from projects.models import Project
from projects.services import create_project
from tests.builders import page_sign_in
from votes.models import Vote


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def completed_card(html):
    """The number the dashboard's 已完工 card shows."""
    return int(re.search(r"<h2>已完工</h2><p class=\"big\"><a [^>]*>(\d+)</a>", html).group(1))


def test_a_project_accepted_after_midnight_in_beijing_on_new_years_day_is_completed_in_the_new_year(client, world):
    project = create_project(world.admin, "玉林小区基础类改造", [world.compound_a.id], "county", 2026)
    # 2026-12-31 17:00 UTC is 2027-01-01 01:00 in Beijing
    project.stage, project.accepted_at = "handover", utc(2026, 12, 31, 17, 0)
    db.session.commit()
    county = page_sign_in(client.application.test_client(), "county_a")

    def seen_in(year):
        dashboard = county.get(f"/admin/dashboard?year={year}").get_data(as_text=True)
        ledger = county.get(f"/admin/ledger?year={year}&outcome=completed").get_data(as_text=True)
        return completed_card(dashboard), "玉林小区基础类改造" in ledger

    assert seen_in(2027) == (1, True)
    assert seen_in(2026) == (0, False)
    assert db.session.get(Project, project.id).plan_year == 2026  # the plan year is not what counts here


def test_a_vote_closing_after_midnight_in_beijing_counts_in_the_new_year_one_before_in_the_old(client, world):
    # 16:30 UTC on 31 December is 00:30 on New Year's Day in Beijing; 15:30 UTC is 23:30 on New Year's Eve
    for title, closes_at in (("新年加装电梯", utc(2026, 12, 31, 16, 30)), ("年末加装电梯", utc(2026, 12, 31, 15, 30))):
        db.session.add(Vote(compound_id=world.compound_a.id, region_id=world.community_a.id, scope_kind="compound",
                            scope_id=world.compound_a.id, matter="rebuild", title=title, text="", state="closed",
                            closes_at=closes_at, publicity_days=7, remind_days_before=2, publish_details=False,
                            event_count=0, documents=[], created_at=utcnow()))
    db.session.commit()
    county = page_sign_in(client.application.test_client(), "county_a")

    def seen_in(year):
        dashboard = county.get(f"/admin/dashboard?year={year}").get_data(as_text=True)
        listed = county.get(f"/admin/dashboard/votes?year={year}&outcome=rejected").get_data(as_text=True)
        # closed without a count: not approved
        return "未通过：1" in dashboard, "新年加装电梯" in listed, "年末加装电梯" in listed

    assert seen_in(2027) == (True, True, False)
    assert seen_in(2026) == (True, False, True)


def test_a_vote_counts_in_the_year_its_voting_ended_closed_early_by_hand_or_on_time(client, world):
    def vote(title, state, closes_at, closed_at=None):
        db.session.add(Vote(compound_id=world.compound_a.id, region_id=world.community_a.id, scope_kind="compound",
                            scope_id=world.compound_a.id, matter="rebuild", title=title, text="", state=state,
                            opens_at=utc(2026, 11, 1), closes_at=closes_at, closed_at=closed_at, publicity_days=7,
                            remind_days_before=2, publish_details=False, event_count=0, documents=[],
                            created_at=utcnow()))

    # closed by hand on 20 December 2026, planned to end on 10 January 2027
    vote("提前结束加装电梯", "closed", utc(2027, 1, 10, 12), closed_at=utc(2026, 12, 20, 2))
    # closed by hand at 00:30 on New Year's Day in Beijing, planned to end on 20 January 2027
    vote("元旦结束加装电梯", "closed", utc(2027, 1, 20, 12), closed_at=utc(2026, 12, 31, 16, 30))
    # ended on time at 23:59 on New Year's Eve in Beijing; the scheduled close came round a minute later
    vote("按时结束加装电梯", "closed", utc(2026, 12, 31, 15, 59), closed_at=utc(2026, 12, 31, 16, 0, 30))
    # still open, planned to end on 5 January 2027
    vote("仍在表决加装电梯", "open", utc(2027, 1, 5, 12))
    db.session.commit()
    county = page_sign_in(client.application.test_client(), "county_a")

    def seen_in(year):
        dashboard = county.get(f"/admin/dashboard?year={year}").get_data(as_text=True)
        cards = re.search(r"未通过：(\d+)</a><br><a [^>]*>进行中：(\d+)", dashboard).groups()
        listed = {}
        for outcome in ("rejected", "open"):
            page = county.get(f"/admin/dashboard/votes?year={year}&outcome={outcome}").get_data(as_text=True)
            listed[outcome] = re.findall(r'<a href="/admin/votes/\d+">([^<]+)</a>', page)
        return tuple(int(n) for n in cards), listed

    # closed without a count: not approved; the list comes latest first
    assert seen_in(2026) == ((2, 0), {"rejected": ["按时结束加装电梯", "提前结束加装电梯"], "open": []})
    assert seen_in(2027) == ((1, 1), {"rejected": ["元旦结束加装电梯"], "open": ["仍在表决加装电梯"]})
    # the list shows when each ended, in Beijing time
    listed = county.get("/admin/dashboard/votes?year=2026&outcome=rejected").get_data(as_text=True)
    assert "<td>2026-12-20 10:00</td>" in listed and "<td>2026-12-31 23:59</td>" in listed


def test_the_audit_log_of_a_day_is_that_beijing_day(client, world):
    from core.models import AuditLog
    # 15:59 UTC on 31 December is 23:59 on New Year's Eve in Beijing; 16:00 UTC is midnight, New Year's Day
    for target, at in (("eve", utc(2026, 12, 31, 15, 59)), ("new-year", utc(2026, 12, 31, 16, 0)),
                       ("last", utc(2027, 1, 1, 15, 59)), ("next", utc(2027, 1, 1, 16, 0))):
        db.session.add(AuditLog(at=at, staff_id=world.admin.id, actor="admin", action="target.set",
                                target_type="region", target_id=target, region_id=world.province.id))
    db.session.commit()
    admin = page_sign_in(client.application.test_client(), "admin")
    page = admin.get("/admin/audit?action=target.set&day=2027-01-01").get_data(as_text=True)
    assert re.findall(r"<code>region</code> ([\w-]+)", page) == ["last", "new-year"]
    assert "2027-01-01 00:00:00" in page and "2027-01-01 23:59:00" in page
