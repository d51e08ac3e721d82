"""Test data builders that go through the real services."""
import csv
import io
import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select
from werkzeug.serving import make_server

from core import registry
from core.extensions import db
from core.models import Dwelling, utcnow
from core.staff import create_staff

PASSWORD = "correct horse battery"
ROLL_HEADER = ["楼栋", "单元", "房号", "登记面积", "实测面积", "合同面积", "业主姓名", "证件号码", "手机号",
               "开发商持有", "已交付"]


def id_number(serial, birth="19600101"):
    """A well-formed mainland ID number for a serial."""
    body = f"510107{birth}{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def csv_bytes(rows, header=ROLL_HEADER, encoding="utf-8"):
    """A roll as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def build_world():
    """Province › city › two counties › street › community › compound, and staff for each."""
    province = registry.add_region(None, "province", "四川省")
    city = registry.add_region(province, "city", "成都市")
    ns = SimpleNamespace(province=province, city=city)
    for key, county_name, street_name, community_name, compound_name in (
            ("a", "武侯区", "玉林街道", "玉林北路社区", "玉林小区"),
            ("b", "锦江区", "春熙路街道", "和平社区", "和平小区")):
        county = registry.add_region(city, "county", county_name)
        street = registry.add_region(county, "street", street_name)
        community = registry.add_region(street, "community", community_name)
        compound = registry.add_compound(community, None, name=compound_name, built_year=1995)
        setattr(ns, f"county_{key}", county)
        setattr(ns, f"street_{key}", street)
        setattr(ns, f"community_{key}", community)
        setattr(ns, f"compound_{key}", compound)
        setattr(ns, f"committee_{key}", create_staff(None, f"committee_{key}", f"委员{key}", "committee",
                                                     community.id, PASSWORD))
        setattr(ns, f"county_staff_{key}", create_staff(None, f"county_{key}", f"县{key}", "county",
                                                        county.id, PASSWORD))
    ns.city_staff = create_staff(None, "city", "市", "city", city.id, PASSWORD)
    ns.admin = create_staff(None, "admin", "管理员", "admin", province.id, PASSWORD)
    db.session.commit()
    return ns


def login(client, username, password=PASSWORD):
    """Sign in through the JSON API; return the CSRF token for writes."""
    token = client.get("/api/v1/admin/session").get_json()["csrf_token"]
    response = client.post("/api/v1/admin/session", json={"username": username, "password": password},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["csrf_token"]


def staff_api(client, username="committee_a"):
    """A client of its own signed in to the staff API as `username`, and the headers its writes need."""
    http = client.application.test_client()
    return http, {"X-CSRFToken": login(http, username)}


def rooms_on_record():
    """{room: dwelling id} of every dwelling on record (the tests' rolls name each room once)."""
    return dict(db.session.execute(select(Dwelling.room, Dwelling.id)).all())


def roll_with_owner(compound_id, rows):
    """Import roll rows into a compound as the system (CLI) would."""
    registry.import_roll(None, compound_id, csv_bytes(rows), "roll.csv")
    db.session.commit()


class Bot:
    """Talks to /wechat exactly as WeChat does, through the test client."""

    def __init__(self, client, mode="plain"):
        from simulator.sender import Envelope
        config = client.application.config
        aes = config["WECHAT_AES_KEY"] if mode in ("safe", "compatible") else None
        self.client = client
        self.envelope = Envelope(config["WECHAT_TOKEN"], config["WECHAT_APPID"], aes, compatible=mode == "compatible")

    def post(self, xml, **wrap):
        params, body = self.envelope.wrap(xml, **wrap)
        return params, self.client.post("/wechat", query_string=params, data=body, content_type="text/xml")

    def say(self, xml, **wrap):
        params, response = self.post(xml, **wrap)
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.envelope.open_reply(params, response.data)


def bind_accounts(compound_id, count, prefix="acct", follows=True, window=False):
    """`count` WeChat accounts bound to the compound's dwellings (one each, cycling if fewer dwellings)."""
    from datetime import timedelta

    from sqlalchemy import func, insert, select

    from core.models import Building, Dwelling, Ownership, Unit, WechatAccount, utcnow
    dwellings = db.session.scalars(select(Dwelling.id).join(Unit).join(Building)
                                   .where(Building.compound_id == compound_id).order_by(Dwelling.id)).all()
    recent = utcnow() - timedelta(hours=1) if window else None
    owners = dict(db.session.execute(select(Ownership.dwelling_id, func.min(Ownership.person_id))
                                     .group_by(Ownership.dwelling_id)).all())
    rows = [{"openid": f"{prefix}-{i}", "dwelling_id": dwellings[i % len(dwellings)], "kind": "owner",
             "person_id": owners.get(dwellings[i % len(dwellings)]),
             "follows": follows, "locale": "zh_Hans_CN", "last_inbound_at": recent, "created_at": utcnow(),
             "privacy_consented_at": utcnow()}
            for i in range(count)]
    db.session.execute(insert(WechatAccount.__table__), rows)
    db.session.commit()
    return [r["openid"] for r in rows]


def roll_rows(count, building="1", unit="1"):
    """Roll rows for `count` dwellings in one stairwell."""
    return [[building, unit, f"{100 + i}", "85.6", "", "", f"业主{i}", id_number(i % 1000, "1970%02d01" % (1 + i // 1000 % 12)),
             "", "否", "是"] for i in range(count)]


def sign_in(client, simulator, openid, consent=True):
    """A resident signed in to the mini-program (and, unless told otherwise, agreed to the privacy notice)."""
    import requests
    code = requests.post(f"{simulator.url}/sim/login-code", json={"openid": openid}, timeout=5).json()["code"]
    response = client.post("/api/v1/auth/login", json={"code": code})
    assert response.status_code == 200, response.get_data(as_text=True)
    headers = {"Authorization": "Bearer " + response.get_json()["token"]}
    if consent:
        version = client.get("/api/v1/privacy").get_json()["version"]
        agreed = client.post("/api/v1/me/privacy-consent", headers=headers, json={"version": version})
        assert agreed.status_code == 200, agreed.get_data(as_text=True)
    return headers


def page_sign_in(client, username, password=PASSWORD):
    """Sign a staff member in through the admin panel's login form; returns the client."""
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/admin/login", data={"csrf_token": csrf, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def override_gate(client, project_id, username="county_a"):
    """A county official lets a project's works start without consent and publicity (for tests about later
    stages); returns the gate as the API answers it."""
    http = client.application.test_client()
    token = login(http, username)
    response = http.post(f"/api/v1/admin/projects/{project_id}/gate/override", headers={"X-CSRFToken": token},
                         json={"reason": "示范项目，已按县政府会议纪要先行实施"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def wait_until(condition, seconds=10, interval=0.05):
    """Poll until the condition holds or the deadline passes; whether it held (for an assert)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


# One stairwell of 8 dwellings (a lift vote): room 101 and 102 belong to one buyer (one head, two areas),
# room 108 is the developer's unsold flat; room 107 has only a contract area.
STAIRWELL_ROWS = [["1", "1", "101", "80", "", "", "张三", id_number(1), "13800000001", "否", "是"],
        ["1", "1", "102", "80", "", "", "张三", id_number(1), "13800000001", "否", "是"],
        ["1", "1", "103", "80", "", "", "李四", id_number(3), "13800000003", "否", "是"],
        ["1", "1", "104", "80", "", "", "王五", id_number(4), "13800000004", "否", "是"],
        ["1", "1", "105", "80", "", "", "赵六", id_number(5), "13800000005", "否", "是"],
        ["1", "1", "106", "80", "", "", "孙七", id_number(6), "13800000006", "否", "是"],
        ["1", "1", "107", "", "", "80", "周八", id_number(7), "13800000007", "否", "是"],
        ["1", "1", "108", "80", "", "", "某开发公司", "", "", "是", "否"]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # enough of a PNG for an upload
CERT_HEADER = ROLL_HEADER + ["不动产权证号"]  # a roll with the property certificate column
CERT = "川(2019)成都市不动产权第{:07d}号"
# Four owners in one stairwell, rooms 101-104 (the survey tests' compound).
SURVEY_ROWS = [["1", "1", f"{100 + i}", "80", "", "", f"业主{i}", id_number(i), "", "否", "是"] for i in range(1, 5)]
# Two owners, rooms 101 and 102 (the admin form tests' compound).
FORM_ROWS = [["1", "1", "101", "80", "", "", "张三", id_number(1), "13800000001", "否", "是"],
        ["1", "1", "102", "90", "", "", "李四", id_number(2), "13800000002", "否", "是"]]


def owner(client, simulator, staff, headers, dwelling_id, openid):
    """A resident signed in to the mini-program and bound to the dwelling with a code the staff member issued."""
    me = sign_in(client, simulator, openid)
    code = staff.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={}, headers=headers).get_json()["code"]
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code}).status_code == 200
    return me


def open_lift_vote(staff, headers, unit_id, **extra):
    """A lift vote over the unit, opened a minute ago for a week, through the staff API; its id."""
    body = dict({"scope_kind": "unit", "scope_id": unit_id, "matter": "rebuild", "title": "1栋1单元加装电梯",
                 "text": "加装电梯方案及费用分摊见附件。"}, **extra)
    vote = staff.post("/api/v1/admin/votes", json=body, headers=headers)
    assert vote.status_code == 201, vote.get_data(as_text=True)
    vote_id = vote.get_json()["id"]
    now = utcnow()
    opened = staff.post(f"/api/v1/admin/votes/{vote_id}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    return vote_id


def resident(client, simulator, http, headers, room, openid):
    """A resident signed in to the mini-program and bound to the room with a code the staff member issued."""
    me = sign_in(client, simulator, openid)
    dwelling_id = db.session.scalar(select(Dwelling.id).where(Dwelling.room == room))
    code = http.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={}, headers=headers).get_json()
    client.post("/api/v1/me/binding/code", headers=me, json={"code": code["code"]})
    return me


def open_survey(http, headers, survey_id):
    """Open the survey a minute ago for a week through the staff API."""
    now = utcnow()
    response = http.post(f"/api/v1/admin/surveys/{survey_id}/open", headers=headers, json={
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)


def form_token(client, path):
    """The CSRF token of the admin panel's form at path."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)


def error_of(html, field):
    """The error shown under a form field, or None."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def panel_post(client, path, page, **data):
    """Submit an admin panel form to path with the CSRF token of the page it is on."""
    return client.post(path, data=dict(data, csrf_token=form_token(client, page)))


def simulator_calls(simulator, path):
    """What the service called on the WeChat simulator at path."""
    import requests
    return requests.get(f"{simulator.url}/sim/calls", params={"path": path}, timeout=5).json()


class LiveServer:
    """The app served by werkzeug's threaded server on 127.0.0.1 and a free port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Panel:
    """A staff member in the admin panel: pages and forms, with the CSRF token read from the page."""

    def __init__(self, client, username):
        self.client = client
        page = client.get("/admin/login").get_data(as_text=True)
        response = client.post("/admin/login", data={"csrf_token": CSRF.search(page).group(1), "username": username,
                                                      "password": PASSWORD})
        assert response.status_code == 302

    def get(self, path):
        response = self.client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:400]
        return response.get_data(as_text=True)

    def post(self, path, page, files=None, **data):
        token = CSRF.search(self.get(page)).group(1)
        data = dict(data, csrf_token=token)
        if files:
            data["photos"] = [(io.BytesIO(PNG), name) for name in files]
        return self.client.post(path, data=data, content_type="multipart/form-data" if files else None)


def deactivate(client, *usernames):
    """The administrator deactivates these staff accounts, each on its page in the panel."""
    from core.models import Staff
    admin = Panel(client.application.test_client(), "admin")
    for username in usernames:
        member = db.session.scalar(select(Staff).where(Staff.username == username))
        page = f"/admin/staff/{member.id}"
        assert admin.post(page, page, role=member.role, region_id=str(member.region_id)).status_code == 302
    db.session.expire_all()


def open_gate(client, pid):
    """A county official lets the works start without the consent vote and the plan's publicity (recorded)."""
    county = client.application.test_client()
    token = login(county, "county_a")
    opened = county.post(f"/api/v1/admin/projects/{pid}/gate/override", headers={"X-CSRFToken": token},
                         json={"reason": "示范项目，业主同意书已另行收集"})
    assert opened.status_code == 200, opened.get_data(as_text=True)


# The code a staff member's panel page shows for linking their WeChat account.
LINK_CODE = re.compile(r'<p class="code"><strong>([A-Z0-9]{8})</strong>')

# One stairwell, six floors, two flats a floor; twelve owners; the county's lift coefficients by floor.
LIFT_ROOMS = [f"{floor}0{door}" for floor in range(1, 7) for door in (1, 2)]
LIFT_ROWS = [["1", "1", room, "85.6", "", "", f"业主{room}", id_number(n + 1), "", "否", "是"]
             for n, room in enumerate(LIFT_ROOMS)]
LIFT_COEFFICIENTS = {"1": "0", "2": "0.5", "3": "0.8", "4": "1", "5": "1.2", "6": "1.5"}
# Four owned flats, rooms 101, 102, 201 and 202 (the gate and ledger compound).
LEDGER_ROWS = [["1", "1", room, "85.6", "", "", f"业主{room}", id_number(n + 1), "", "否", "是"]
               for n, room in enumerate(("101", "102", "201", "202"))]


def bound_resident(client, simulator, http, headers, dwelling_id, openid, kind=None):
    """A resident signed in to the mini-program and bound to the dwelling by a code; `kind` recorded as given."""
    from core.models import WechatAccount
    me = sign_in(client, simulator, openid)
    code = http.post(f"/api/v1/admin/dwellings/{dwelling_id}/binding-codes", json={}, headers=headers)
    assert client.post("/api/v1/me/binding/code", headers=me, json={"code": code.get_json()["code"]}).status_code == 200
    if kind:
        db.session.execute(WechatAccount.__table__.update().where(WechatAccount.openid == openid).values(kind=kind))
        db.session.commit()
    return me


def window(days=7):
    """A voting window opened a minute ago for `days` days, as the staff API takes it."""
    now = utcnow()
    return {"opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=days)).isoformat()}


def vote_all(client, owners, vote_id, choices):
    """Each owner (by room) casts their choice in the mini-program."""
    for room, choice in choices.items():
        response = client.put(f"/api/v1/votes/{vote_id}/ballot", headers=owners[room], json={"choice": choice})
        assert response.status_code == 200, response.get_data(as_text=True)


def close_and_publish(committee, headers, vote_id):
    """The committee closes the vote and publishes its result through the staff API."""
    assert committee.post(f"/api/v1/admin/votes/{vote_id}/close", headers=headers).status_code == 200
    assert committee.post(f"/api/v1/admin/votes/{vote_id}/publish", headers=headers, json={}).status_code == 200


def fund_vote(client, world, http, headers, owners, choices):
    """A vote on using the maintenance fund over the compound, cast by `owners` and published."""
    vote = http.post("/api/v1/admin/votes", headers=headers, json={
        "scope_kind": "compound", "scope_id": world.compound_a.id, "matter": "use_maintenance_fund",
        "title": "动用维修资金改造楼道"}).get_json()
    assert http.post(f"/api/v1/admin/votes/{vote['id']}/open", headers=headers, json=window()).status_code == 200
    vote_all(client, owners, vote["id"], choices)
    close_and_publish(http, headers, vote["id"])
    return vote["id"]


def create_survey(http, headers, world, definition, **extra):
    """A survey over compound A made and opened through the staff API; its id."""
    made = http.post("/api/v1/admin/surveys", headers=headers, json=dict({
        "scope_kind": "compound", "scope_id": world.compound_a.id, "title": "改造意见", "definition": definition},
        **extra))
    assert made.status_code == 201, made.get_data(as_text=True)
    open_survey(http, headers, made.get_json()["id"])
    return made.get_json()["id"]


# Browser tests: artifacts, screenshots and the panel's login form.
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


def screenshot(page, name):
    """Save a full-page screenshot as a test artifact (test-artifacts/screenshots/NAME.png)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def browser_sign_in(page, username, password, new_password=None):
    """Sign in through the login form; an account whose password an administrator chose first changes it
    to `new_password`."""
    page.goto("/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if new_password is not None:
        page.wait_for_url(re.compile(r"/admin/password"))
        page.get_by_label("当前密码").fill(password)
        page.get_by_label("新密码", exact=True).fill(new_password)
        page.get_by_label("再次输入新密码").fill(new_password)
        page.get_by_role("button", name="修改密码").click()
        page.wait_for_load_state()


def held_at(conn, gate, what):
    """Poll (with a deadline) until a transaction waits for the advisory lock `gate` the test holds on `conn`
    (PostgreSQL)."""
    from sqlalchemy import text
    deadline = time.monotonic() + 30
    while not conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                               "AND objid = :g"), {"g": gate}):
        assert time.monotonic() < deadline, f"{what} never got as far as the test holds it"
        time.sleep(0.02)


RACE_GATE = 0x7261  # the advisory lock a test holds to stop one side of a race midway (PostgreSQL)


@contextmanager
def gate(database_url, trigger):
    """A trigger (`trigger`: "BEFORE … ON table FOR EACH ROW [WHEN …]") that makes whatever fires it wait for the
    advisory lock RACE_GATE, held by the test on the connection yielded (let_through opens it; leaving the
    block lets them through too). The trigger is dropped whatever happened. PostgreSQL."""
    from sqlalchemy import create_engine, text
    from core.config import sqlalchemy_url
    table = re.search(r"\bON (\w+)", trigger).group(1)
    db.session.execute(text(f"""
        CREATE FUNCTION race_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock({RACE_GATE}); RETURN NEW; END $$;
        CREATE TRIGGER race_gate {trigger} EXECUTE FUNCTION race_gate();
    """))
    db.session.commit()
    other = create_engine(sqlalchemy_url(database_url))
    try:
        with other.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:g)"), {"g": RACE_GATE})
            holder.commit()
            yield holder
    finally:
        other.dispose()
        db.session.rollback()
        db.session.execute(text(f"DROP TRIGGER IF EXISTS race_gate ON {table}; DROP FUNCTION IF EXISTS race_gate()"))
        db.session.commit()


def let_through(holder):
    """Open the gate (RACE_GATE) the test holds on `holder`."""
    from sqlalchemy import text
    holder.execute(text("SELECT pg_advisory_unlock(:g)"), {"g": RACE_GATE})
    holder.commit()


def race_at_a_gate(database_url, trigger, sides, first, what):
    """Two doors at once, in a chosen order (PostgreSQL): `sides` is {name: callable}; the `first` starts and is
    held by the gate (`trigger`, put in its way only), then the other starts, and once it waits for a row (`what`:
    named if nothing ever does) the gate opens and both finish. Returns whether the later side waited for a row
    (False when it ended without waiting)."""
    threads = {name: threading.Thread(target=side) for name, side in sides.items()}
    (later,) = [thread for name, thread in threads.items() if name != first]
    with gate(database_url, trigger) as holder:
        threads[first].start()
        held_at(holder, RACE_GATE, first)
        later.start()
        waited = waiting_for_a_row(holder, later, what)
        let_through(holder)
        for thread in threads.values():
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads.values())
    return waited


def waiting_for_a_row(conn, thread, what="a row"):
    """Poll (with a deadline) until a transaction waits for a row another one locked (PostgreSQL); False when
    `thread` ended first without ever waiting."""
    from sqlalchemy import text
    deadline = time.monotonic() + 30
    while not conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted "
                               "AND locktype IN ('transactionid', 'tuple')")):
        if not thread.is_alive():
            return False
        assert time.monotonic() < deadline, f"no transaction waited for a row lock ({what})"
        time.sleep(0.02)
    return True


def wish_counts_hold():
    """The wishes' counts as kept (what officials' dashboards read) equal the wishes counted afresh; returns them."""
    from wishes.counts import fresh_counts, kept_counts
    db.session.expire_all()
    kept, fresh = kept_counts(), fresh_counts()
    assert kept == fresh, f"kept {kept} but the wishes say {fresh}"
    return fresh
