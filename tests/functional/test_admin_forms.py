"""Every admin form through the Flask test client: field errors next to the field, in the user's language,
what was typed kept, nothing saved; out-of-scope actions 404; stale forms ask to sign in again."""
import re

from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditLog, Dwelling, Person, Staff, Unit
from projects.models import Project
from tests.builders import PASSWORD, csv_bytes, error_of, id_number, wish_counts_hold
from tests.builders import form_token as token
from tests.builders import page_sign_in as sign_in
from tests.builders import panel_post as post
from votes.models import Vote

def test_login_form_errors(client, world):
    response = post(client, "/admin/login", "/admin/login", username="", password="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "username") == "此项必填。" and error_of(html, "password") == "此项必填。"
    wrong = post(client, "/admin/login", "/admin/login", username="committee_a", password="nope")
    assert wrong.status_code == 401 and 'value="committee_a"' in wrong.get_data(as_text=True)
    english = client.post("/admin/login?lang=en", data={"csrf_token": token(client, "/admin/login"), "username": ""})
    assert error_of(english.get_data(as_text=True), "username") == "This field is required."


def test_vote_forms_keep_what_was_typed_and_save_nothing(committee, world):
    unit_id = db.session.scalar(select(Unit.id))
    response = post(committee, "/admin/votes", "/admin/votes", scope=f"unit:{unit_id}",
                    matter="renovation_willingness", title="", text="意愿征询说明", threshold="七成")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "title") == "此项必填。"
    assert "意愿征询说明" in html and 'value="七成"' in html
    response = post(committee, "/admin/votes", "/admin/votes", scope=f"unit:{unit_id}",
                    matter="renovation_willingness", title="改造意愿", threshold="七成")
    assert error_of(response.get_data(as_text=True), "threshold") == "请以分数形式填写通过比例，例如 2/3。"
    assert post(committee, "/admin/votes", "/admin/votes", scope="unit:x", matter="rebuild",
                title="t").status_code == 422
    assert db.session.scalar(select(func.count(Vote.id))) == 0
    created = post(committee, "/admin/votes", "/admin/votes", scope=f"unit:{unit_id}", matter="rebuild",
                   title="加装电梯")
    assert created.status_code == 302
    vote_id = db.session.scalar(select(Vote.id))
    page = f"/admin/votes/{vote_id}"
    backwards = post(committee, f"{page}/open", page, opens_at="2030-01-02T10:00", closes_at="2030-01-01T10:00")
    assert backwards.status_code == 422 and error_of(backwards.get_data(as_text=True), "closes_at")
    past = post(committee, f"{page}/open", page, opens_at="2020-01-01T10:00", closes_at="2020-01-02T10:00")
    assert error_of(past.get_data(as_text=True), "closes_at") == "截止时间已过。"
    empty = post(committee, f"{page}/open", page, opens_at="", closes_at="")
    assert error_of(empty.get_data(as_text=True), "opens_at") == "请输入日期和时间。"
    asked = post(committee, f"{page}/open", page, opens_at="2026-01-01T10:00", closes_at="2099-01-01T10:00")
    assert asked.status_code == 200 and "名册即刻冻结" in asked.get_data(as_text=True)
    assert db.session.get(Vote, vote_id).state == "draft"  # nothing happens before it is confirmed
    assert post(committee, f"{page}/open", page, opens_at="2026-01-01T10:00", closes_at="2099-01-01T10:00",
                confirmed="1").status_code == 302
    bad_code = post(committee, f"{page}/paper", page, code="V1-2-XXXX", choice="agree")
    html = bad_code.get_data(as_text=True)
    assert error_of(html, "code") == "表决票编码无效。" and 'value="V1-2-XXXX"' in html
    no_choice = post(committee, f"{page}/paper", page, code="V1-2-XXXX")
    assert "此项必填。" in no_choice.get_data(as_text=True)
    extend = post(committee, f"{page}/extend", page, closes_at="2099-01-02T10:00", reason="")
    assert error_of(extend.get_data(as_text=True), "reason") == "此项必填。"
    publish_early = post(committee, f"{page}/publish", page)
    assert publish_early.status_code == 422 and "表决" in publish_early.get_data(as_text=True)
    assert db.session.get(Vote, vote_id).state == "open"


def test_roll_import_reports_each_fault_by_row_and_column(committee, world):
    page = f"/admin/compounds/{world.compound_a.id}"
    rows = [["1", "1", "201", "abc", "", "", "王五", id_number(5), "13800000005", "否", "是"],
            ["1", "1", "202", "80", "", "", "赵六", id_number(6), "12345", "否", "是"]]
    from io import BytesIO
    response = committee.post(page, data={"csrf_token": token(committee, page),
                                          "file": (BytesIO(csv_bytes(rows)), "roll.csv")},
                              content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    faults = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert [(row, column) for row, column, _m in faults] == [("2", "登记面积"), ("3", "手机号")]
    assert db.session.scalar(select(func.count(Dwelling.id))) == 2  # nothing of the bad roll was saved
    empty = committee.post(page, data={"csrf_token": token(committee, page)}, content_type="multipart/form-data")
    assert error_of(empty.get_data(as_text=True), "file") == "此项必填。"


def test_dwelling_and_owner_edits(committee, world):
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))
    page = f"/admin/dwellings/{dwelling_id}"
    bad = post(committee, page, page, registered_area="八十", surveyed_area="", contract_area="")
    assert bad.status_code == 422 and "八十" in error_of(bad.get_data(as_text=True), "registered_area")
    assert post(committee, page, page, registered_area="81.5", surveyed_area="", contract_area="").status_code == 302
    assert db.session.get(Dwelling, dwelling_id).registered_area == 8150
    person_id = db.session.scalar(select(Person.id).where(Person.name == "张三"))
    owner_page = f"/admin/owners/{person_id}"
    bad_phone = post(committee, owner_page, owner_page, name="张三", phone="12")
    assert error_of(bad_phone.get_data(as_text=True), "phone") == "手机号 12 不是以 1 开头的 11 位数字。"
    assert post(committee, owner_page, owner_page, name="张三丰", phone="13900000009").status_code == 302
    person = db.session.get(Person, person_id)
    assert person.name == "张三丰" and person.phone_masked == "139****0009"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"dwelling.update", "person.update"} <= actions


def test_survey_definition_errors_name_their_place(committee, world):
    made = post(committee, "/admin/surveys", "/admin/surveys", compound_id=str(world.compound_a.id))
    assert made.status_code == 302
    page = made.headers["Location"]
    bad_json = post(committee, f"{page}/definition", page, definition="{not json")
    assert bad_json.status_code == 422 and "第 1 行" in error_of(bad_json.get_data(as_text=True), "definition")
    bad = post(committee, f"{page}/definition", page, definition='{"version": 1, "sections": [{"id": "s", '
               '"questions": [{"id": "q", "type": "single", "title": "?"}]}]}')
    assert "sections[0].questions[0]" in bad.get_data(as_text=True)


def test_project_forms(committee, world):
    bad = post(committee, "/admin/projects", "/admin/projects", name="", compounds=str(world.compound_a.id),
               reserve_level="county", plan_year="20x6")
    html = bad.get_data(as_text=True)
    assert error_of(html, "name") == "此项必填。" and error_of(html, "plan_year")
    made = post(committee, "/admin/projects", "/admin/projects", name="玉林小区改造",
                compounds=str(world.compound_a.id), reserve_level="county", plan_year="2026")
    assert made.status_code == 302
    project_id = db.session.scalar(select(Project.id))
    page = f"/admin/projects/{project_id}"
    money = post(committee, f"{page}?action=funding", page, source="central_subsidy", amount="-5", note="")
    assert money.status_code == 422 and error_of(money.get_data(as_text=True), "amount")
    skip = post(committee, f"{page}?action=stage", page, stage="construction", reason="")
    assert skip.status_code == 422 and "跳过" in skip.get_data(as_text=True) or "planned" in skip.get_data(as_text=True)
    assert db.session.get(Project, project_id).stage == "reserve"
    accept = post(committee, f"{page}?action=accept", page, note="验收")
    assert accept.status_code == 422
    assert post(committee, f"{page}?action=nothing", page).status_code == 404


def test_notice_staff_and_target_forms(client, committee, world):
    empty = post(committee, "/admin/notices", "/admin/notices", scope=f"compound:{world.compound_a.id}",
                 title="停水通知", body="")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and error_of(html, "body") and 'value="停水通知"' in html
    nobody = post(committee, "/admin/notices", "/admin/notices", scope=f"compound:{world.compound_a.id}",
                  title="停水通知", body="明天停水")
    assert nobody.status_code == 422 and error_of(nobody.get_data(as_text=True), "scope")
    admin = client.application.test_client()
    sign_in(admin, "admin")
    short = post(admin, "/admin/staff", "/admin/staff", username="newone", name="新人", role="committee",
                 region_id=str(world.county_a.id), password="short")
    html = short.get_data(as_text=True)
    assert short.status_code == 422 and error_of(html, "password") and 'value="newone"' in html
    level = post(admin, "/admin/staff", "/admin/staff", username="newone", name="新人", role="committee",
                 region_id=str(world.county_a.id), password="long enough password")
    assert error_of(level.get_data(as_text=True), "role")
    assert db.session.scalar(select(func.count(Staff.id)).where(Staff.username == "newone")) == 0
    county = client.application.test_client()
    sign_in(county, "county_a")
    negative = post(county, "/admin/dashboard", "/admin/dashboard", year="2026", compounds="-1", households="10")
    assert negative.status_code == 422 and error_of(negative.get_data(as_text=True), "compounds")
    assert post(county, "/admin/dashboard", "/admin/dashboard", year="2026", compounds="12",
                households="3000").status_code == 302
    assert "12" in county.get("/admin/dashboard?year=2026").get_data(as_text=True)


def test_out_of_scope_pages_and_actions_are_404(client, committee, world):
    other = client.application.test_client()
    sign_in(other, "committee_b")
    dwelling_id = db.session.scalar(select(Dwelling.id))
    person_id = db.session.scalar(select(Person.id))
    for path in (f"/admin/compounds/{world.compound_a.id}", f"/admin/dwellings/{dwelling_id}",
                 f"/admin/owners/{person_id}", "/admin/votes/999", "/admin/projects/999"):
        assert other.get(path).status_code == 404, path
    page = "/admin/votes"
    response = post(other, f"/admin/dwellings/{dwelling_id}", page, registered_area="1", surveyed_area="",
                    contract_area="")
    assert response.status_code == 404
    assert db.session.get(Dwelling, dwelling_id).registered_area == 8000
    county = client.application.test_client()
    sign_in(county, "county_b")
    assert county.get(f"/admin/dashboard?region={world.county_a.id}").status_code == 404
    assert county.get("/admin/staff").status_code == 403


def test_stale_forms_ask_to_sign_in_again_and_show_what_was_typed(client, committee, world):
    stale = committee.post("/admin/votes", data={"csrf_token": "expired", "title": "加装电梯表决", "text": "说明"},
                           headers={"Referer": "http://localhost/admin/votes"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "请重新登录" in html and "加装电梯表决" in html
    assert "next=/admin/votes" in html
    signed_out = client.application.test_client()
    gone = signed_out.post("/admin/votes", data={"title": "我写的标题", "password": "secret"})
    html = gone.get_data(as_text=True)
    assert gone.status_code == 400 and "请重新登录" in html and "我写的标题" in html and "secret" not in html
    assert signed_out.get("/admin/votes").status_code == 302


def test_an_administrator_changes_and_deactivates_accounts(client, world):
    admin = sign_in(client.application.test_client(), "admin")
    member = world.committee_a.id
    page = f"/admin/staff/{member}"
    wrong = post(admin, page, page, role="county", region_id=str(world.community_a.id), active="y")
    assert wrong.status_code == 422 and error_of(wrong.get_data(as_text=True), "role")
    assert post(admin, page, page, role="committee", region_id=str(world.community_a.id)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, member).active is False
    gone = client.application.test_client()
    refused = gone.post("/admin/login", data={"csrf_token": token(gone, "/admin/login"), "username": "committee_a",
                                              "password": PASSWORD})
    assert refused.status_code == 401
    own = f"/admin/staff/{world.admin.id}"
    itself = post(admin, own, own, role="admin", region_id=str(world.province.id))
    assert itself.status_code == 422 and "不能" in itself.get_data(as_text=True)
    assert {"staff.update"} <= set(db.session.scalars(select(AuditLog.action)))


def test_wish_forms(committee, world):
    from core.models import WechatAccount
    from wishes import services as wishes
    from wishes.models import Wish
    dwelling = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))
    account = WechatAccount(openid="w-owner", dwelling_id=dwelling, kind="owner", locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    first = wishes.file_wish(account, "bot", text="楼道灯坏了")
    second = wishes.file_wish(account, "bot", text="楼道的灯不亮")
    db.session.commit()
    assert wish_counts_hold() == {(world.compound_a.id, ""): 2}
    page = "/admin/wishes"
    html = committee.get(page).get_data(as_text=True)
    assert first.reference in html and "101" in html
    empty = post(committee, f"{page}?action=answer&wish={first.id}", page, text="")
    assert empty.status_code == 422 and "此项必填。" in empty.get_data(as_text=True)
    unknown = post(committee, f"{page}?action=classify&wish={first.id}", page, catalogue_code="ZZZ")
    assert unknown.status_code == 422
    itself = post(committee, f"{page}?action=merge&wish={first.id}", page, into=str(first.id))
    assert itself.status_code == 422
    assert post(committee, f"{page}?action=classify&wish={second.id}", page, catalogue_code="I03").status_code == 302
    assert wish_counts_hold() == {(world.compound_a.id, ""): 1, (world.compound_a.id, "I03"): 1}
    # merged into a wish not yet classified, the duplicate's item goes with it
    assert post(committee, f"{page}?action=merge&wish={second.id}", page, into=str(first.id)).status_code == 302
    assert wish_counts_hold() == {(world.compound_a.id, "I03"): 1}
    assert post(committee, f"{page}?action=answer&wish={first.id}", page, text="下周修").status_code == 302
    assert wish_counts_hold() == {(world.compound_a.id, "I03"): 1}
    db.session.expire_all()
    assert db.session.get(Wish, second.id).status == "merged" and db.session.get(Wish, first.id).answer == "下周修"
    assert post(committee, f"{page}?action=nothing&wish={first.id}", page).status_code == 404
    # the officials' figures count the wish once, the merged duplicate not at all, under its own county
    from oversight import services as oversight
    _region, total, breakdown = oversight.dashboard(world.city_staff)
    assert total.wishes == 1 and {r.id: f.wishes for r, f in breakdown} == {world.county_a.id: 1, world.county_b.id: 0}
    assert total.demand == [("I03", 1)] == oversight.demand(world.city_staff)
    assert [row["wishes"] for row in oversight.compounds_in(world.city_staff, world.community_a.id)[1]] == [1]


def test_survey_questions_are_edited_one_at_a_time(committee, world):
    from surveys import services as surveys
    from surveys.models import Survey
    made = post(committee, "/admin/surveys", "/admin/surveys", compound_id=str(world.compound_a.id))
    page = made.headers["Location"]
    survey_id = int(page.rstrip("/").rsplit("/", 1)[1])
    added = post(committee, f"{page}/questions/new", f"{page}/questions/new", section="management",
                 title="您家有几口人？", kind="single", required_answer="y", options="1-2人\n3-4人\nbig = 5人以上",
                 show_question="", show_op="equals", show_value="")
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    definition = surveys.definition_of(db.session.get(Survey, survey_id))
    question = [q for s in definition["sections"] for q in s["questions"] if q["title"] == "您家有几口人？"][0]
    assert [o["id"] for o in question["options"]] == ["a", "b", "big"] and question["required"] is True
    edit = f"{page}/questions/{question['id']}"
    unknown = post(committee, edit, edit, title="您家有几口人？", kind="single", options="a = 1-2人\nb = 3人以上",
                 show_question="nope", show_op="answered", show_value="")
    assert unknown.status_code == 422 and "show_if" in unknown.get_data(as_text=True)  # no such question
    empty = post(committee, edit, edit, title="", kind="single", options="a = 1", show_question="")
    assert error_of(empty.get_data(as_text=True), "title") == "此项必填。"
    assert post(committee, edit, edit, title="家庭人口", kind="single", options="a = 1-2人\nb = 3人以上",
                show_question="", show_op="equals").status_code == 302
    db.session.expire_all()
    definition = surveys.definition_of(db.session.get(Survey, survey_id))
    assert any(q["title"] == "家庭人口" and len(q["options"]) == 2 for s in definition["sections"]
               for q in s["questions"])
    asked = post(committee, f"{edit}/remove", page)
    assert asked.status_code == 200 and "确定，删除问题" in asked.get_data(as_text=True)
    removed = post(committee, f"{edit}/remove", page, confirmed="1")
    assert removed.status_code == 302
    db.session.expire_all()
    assert editing_ids(surveys.definition_of(db.session.get(Survey, survey_id))).isdisjoint({question["id"]})
    assert committee.get(f"{page}/questions/nope").status_code == 404


def editing_ids(definition):
    return {q["id"] for s in definition["sections"] for q in s["questions"]}


def test_the_wishes_inbox_shows_a_region_its_own_wishes_only(committee, world):
    """Another community's committee sees none of compound A's wishes, even asking for compound A by name in the
    address, and cannot act on one; the county above sees them."""
    from core.models import WechatAccount
    from wishes import services as wishes
    from wishes.models import Wish
    dwelling = db.session.scalar(select(Dwelling.id).where(Dwelling.room == "101"))
    account = WechatAccount(openid="w-scope", dwelling_id=dwelling, kind="owner", locale="zh_Hans_CN")
    db.session.add(account)
    db.session.flush()
    wish = wishes.file_wish(account, "bot", text="单元门禁坏了")
    db.session.commit()
    assert wish.reference in committee.get("/admin/wishes").get_data(as_text=True)
    other = sign_in(committee.application.test_client(), "committee_b")
    for page in ("/admin/wishes", "/admin/wishes?status=submitted"):
        shown = other.get(page)
        assert shown.status_code == 200 and wish.reference not in shown.get_data(as_text=True), page
    asked = other.get(f"/admin/wishes?compound={world.compound_a.id}")  # a compound outside their community
    assert asked.status_code == 404 and wish.reference not in asked.get_data(as_text=True)
    page = "/admin/wishes"
    assert post(other, f"{page}?action=answer&wish={wish.id}", page, text="不归我们管").status_code == 404
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).answer is None and wish_counts_hold() == {(world.compound_a.id, ""): 1}
    county = sign_in(committee.application.test_client(), "county_a")
    assert wish.reference in county.get("/admin/wishes").get_data(as_text=True)
    elsewhere = sign_in(committee.application.test_client(), "county_b")
    assert wish.reference not in elsewhere.get("/admin/wishes").get_data(as_text=True)
