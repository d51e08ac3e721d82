"""Staff sessions live on the server: signing out, deactivation, a new role, region or password end them;
staff change their own password, first of all one an administrator chose; one password policy; sign-in
limits lock the pair (client address, account), never the account for everyone."""
import os

import pytest

from core.extensions import db
from core.models import AuditLog, Staff
from core.staff import create_staff
from tests.builders import PASSWORD, build_world, login
from tests.conftest import own_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Every attempt of a test falls in one rate-limit window, however slowly the machine runs them (the
    limits count in fixed windows: a test straddling a window's end would see its count start again)."""
    from types import SimpleNamespace
    monkeypatch.setattr("core.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_000.0))
NEW_PASSWORD = "seven stairwells, one lift"


def captured(client):
    """A second browser holding a copy of the client's session cookie (as a thief would)."""
    thief = client.application.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def api_ok(client):
    return client.get("/api/v1/admin/compounds").status_code == 200


def page_ok(client):
    response = client.get("/admin/")
    return response.status_code == 200 or (response.status_code == 302 and "/admin/login" not in
                                           response.headers["Location"])


def admin_login(client, username, password=PASSWORD, follow=False, **kwargs):
    """Sign in through the admin page's form."""
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    return client.post("/admin/login" + kwargs.pop("query", ""),
                       data={"csrf_token": token, "username": username, "password": password},
                       follow_redirects=follow, **kwargs)


def test_a_cookie_copied_before_signing_out_opens_nothing_afterwards(client, world):
    token = login(client, "committee_a")
    thief = captured(client)
    assert api_ok(thief) and page_ok(thief)
    assert client.delete("/api/v1/admin/session", headers={"X-CSRFToken": token}).status_code == 204
    assert not api_ok(thief) and not page_ok(thief)
    assert not api_ok(client)


def test_signing_out_of_the_admin_pages_ends_the_session_on_the_server(client, world):
    assert admin_login(client, "committee_a").status_code == 302
    thief = captured(client)
    assert page_ok(thief)
    page = client.get("/admin/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert not page_ok(thief) and not api_ok(thief)


@pytest.mark.parametrize("change", ["deactivate", "role", "region"])
def test_deactivation_or_a_new_role_or_region_ends_every_session_of_that_member(client, world, change):
    member = create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    one, two = client.application.test_client(), client.application.test_client()
    login(one, "street_a")
    login(two, "street_a")
    assert api_ok(one) and api_ok(two)
    admin = client.application.test_client()
    assert admin_login(admin, "admin").status_code == 302
    page = admin.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": token, "role": "street", "region_id": str(world.street_a.id), "active": "y"}
    if change == "deactivate":
        form.pop("active")
    elif change == "role":
        form.update(role="committee", region_id=str(world.community_a.id))
    else:
        form.update(region_id=str(world.street_b.id))
    assert admin.post(f"/admin/staff/{member.id}", data=form).status_code == 302
    assert not api_ok(one) and not api_ok(two) and not page_ok(one)
    assert api_ok(admin)  # the administrator's own session goes on


def test_saving_a_member_unchanged_keeps_their_sessions(client, world):
    member = create_staff(None, "street_a", "街道a", "street", world.street_a.id, PASSWORD)
    db.session.commit()
    login(client, "street_a")
    admin = client.application.test_client()
    admin_login(admin, "admin")
    page = admin.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert admin.post(f"/admin/staff/{member.id}", data={
        "csrf_token": token, "role": "street", "region_id": str(world.street_a.id), "active": "y"}).status_code == 302
    assert api_ok(client)


def test_changing_my_password_through_the_api_ends_my_other_sessions(client, world):
    token = login(client, "committee_a")
    other = client.application.test_client()
    login(other, "committee_a")
    thief = captured(client)
    response = client.post("/api/v1/admin/session/password", headers={"X-CSRFToken": token},
                           json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["staff"]["must_change_password"] is False
    assert api_ok(client)  # this client goes on, in a new session
    assert not api_ok(other) and not api_ok(thief)
    fresh = client.application.test_client()
    csrf = fresh.get("/api/v1/admin/session").get_json()["csrf_token"]
    old = fresh.post("/api/v1/admin/session", json={"username": "committee_a", "password": PASSWORD},
                     headers={"X-CSRFToken": csrf})
    assert old.status_code == 401
    login(fresh, "committee_a", NEW_PASSWORD)
    actions = [row.action for row in db.session.query(AuditLog)]
    assert "staff.password_change" in actions


@pytest.mark.parametrize("new, message", [
    ("short1", "at least 10 characters"),
    ("password123", "too common"),
    ("QWERTYUIOP", "too common"),
    ("my-committee_a-pass", "must not contain the user name"),
    (PASSWORD, "must differ from the current one"),
])
def test_the_password_policy_is_one_and_says_what_is_wrong(client, world, new, message):
    token = login(client, "committee_a")
    response = client.post("/api/v1/admin/session/password?lang=en", headers={"X-CSRFToken": token},
                           json={"current_password": PASSWORD, "new_password": new})
    assert response.status_code == 422
    assert message in response.get_json()["error"]["details"][0]["message"]
    login(client.application.test_client(), "committee_a")  # the old password still works


def test_a_wrong_current_password_changes_nothing(client, world):
    token = login(client, "committee_a")
    response = client.post("/api/v1/admin/session/password?lang=en", headers={"X-CSRFToken": token},
                           json={"current_password": "not it at all", "new_password": NEW_PASSWORD})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "current_password"
    assert api_ok(client)
    login(client.application.test_client(), "committee_a")


def create_through_the_form(admin, world, username, password):
    page = admin.get("/admin/staff?lang=en").get_data(as_text=True)
    assert "At least 10 characters; not a common password" in page  # the policy is shown in the form
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    return admin.post("/admin/staff?lang=en", data={"csrf_token": token, "username": username, "name": "新委员",
                                                   "role": "committee", "region_id": str(world.community_a.id),
                                                   "password": password})


def test_an_account_an_administrator_created_must_change_its_password_first(client, world):
    admin = client.application.test_client()
    admin_login(admin, "admin")
    refused = create_through_the_form(admin, world, "new_member", "1234567890")
    assert refused.status_code == 422 and "too common" in refused.get_data(as_text=True)
    assert create_through_the_form(admin, world, "new_member", "given by the administrator").status_code == 302

    # Through the API: everything but the password change and signing out is closed.
    login(client, "new_member", "given by the administrator")
    assert client.get("/api/v1/admin/session").get_json()["staff"]["must_change_password"] is True
    closed = client.get("/api/v1/admin/compounds?lang=en")
    assert closed.status_code == 403 and "Change the password" in closed.get_json()["error"]["message"]
    # Through the pages: every page leads to the password form.
    browser = client.application.test_client()
    first = admin_login(browser, "new_member", "given by the administrator")
    assert first.status_code == 302 and first.headers["Location"].endswith("/admin/password")
    assert browser.get("/admin/votes").headers["Location"].endswith("/admin/password")
    form = browser.get("/admin/password?lang=en").get_data(as_text=True)
    assert "set by an administrator" in form
    csrf = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    mismatch = browser.post("/admin/password?lang=en", data={
        "csrf_token": csrf, "current_password": "given by the administrator", "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 422 and "The two new passwords differ." in mismatch.get_data(as_text=True)
    done = browser.post("/admin/password?lang=en", data={
        "csrf_token": csrf, "current_password": "given by the administrator", "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert browser.get("/admin/").status_code == 200
    assert not api_ok(client)  # the API session started with the given password has ended
    assert db.session.scalar(db.select(Staff.must_change_password).filter_by(username="new_member")) is False


def test_an_administrator_resets_a_password_and_the_member_must_change_it(client, world):
    login(client, "committee_a")
    admin = client.application.test_client()
    admin_login(admin, "admin")
    page = admin.get(f"/admin/staff/{world.committee_a.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    short = admin.post(f"/admin/staff/{world.committee_a.id}/password?lang=en",
                       data={"csrf_token": token, "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert api_ok(client)
    assert admin.post(f"/admin/staff/{world.committee_a.id}/password",
                      data={"csrf_token": token, "password": "a fresh start 2027"}).status_code == 302
    assert not api_ok(client)
    login(client, "committee_a", "a fresh start 2027")
    assert client.get("/api/v1/admin/compounds").status_code == 403


def test_a_stranger_guessing_at_a_named_account_locks_out_only_themselves(app, world):
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    csrf = stranger.get("/api/v1/admin/session").get_json()["csrf_token"]
    statuses = [stranger.post("/api/v1/admin/session", json={"username": "committee_a", "password": "guess"},
                              headers={"X-CSRFToken": csrf}).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.20"
    login(owner, "committee_a")


def test_one_address_guessing_across_many_accounts_is_stopped(app, world):
    for n in range(6):
        create_staff(None, f"member{n}", "委员", "committee", world.community_a.id, PASSWORD)
    db.session.commit()
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    csrf = guesser.get("/api/v1/admin/session").get_json()["csrf_token"]
    statuses = [guesser.post("/api/v1/admin/session", json={"username": f"member{n % 6}", "password": "guess"},
                             headers={"X-CSRFToken": csrf}).status_code for n in range(51)]
    assert statuses[:50] == [401] * 50 and statuses[50] == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.21"
    login(other, "member0")


@pytest.fixture
def proxied_app(database_url, simulator, tmp_path):
    """The app as the production profile runs it: one trusted proxy in front."""
    with own_app(database_url, WECHAT_API_BASE=simulator.url, TRUSTED_PROXY_HOPS=1,
                 UPLOAD_FOLDER=str(tmp_path / "uploads")) as application:
        yield application


def test_behind_the_proxy_limits_count_the_real_client_not_the_proxy(proxied_app):
    build_world()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = proxied_app.test_client()
    attacker.environ_base.update(proxy)
    csrf = attacker.get("/api/v1/admin/session").get_json()["csrf_token"]
    statuses = []
    for n in range(60):  # forged X-Forwarded-For values: the proxy appends the attacker's real address
        statuses.append(attacker.post("/api/v1/admin/session", json={"username": f"nobody{n}", "password": "x"},
                                      headers={"X-CSRFToken": csrf,
                                               "X-Forwarded-For": f"10.9.{n}.1, 198.51.100.9"}).status_code)
    assert statuses[:50] == [401] * 50 and set(statuses[50:]) == {429}
    colleague = proxied_app.test_client()
    colleague.environ_base.update(proxy)
    token = colleague.get("/api/v1/admin/session", headers={"X-Forwarded-For": "203.0.113.5"}).get_json()
    response = colleague.post("/api/v1/admin/session", json={"username": "committee_a", "password": PASSWORD},
                              headers={"X-CSRFToken": token["csrf_token"], "X-Forwarded-For": "203.0.113.5"})
    assert response.status_code == 200


def test_without_a_trusted_proxy_a_forwarded_header_changes_nothing(app, world):
    client = app.test_client()
    csrf = client.get("/api/v1/admin/session").get_json()["csrf_token"]
    statuses = [client.post("/api/v1/admin/session", json={"username": "committee_a", "password": "guess"},
                            headers={"X-CSRFToken": csrf, "X-Forwarded-For": f"10.0.0.{n}"}).status_code
                for n in range(11)]
    assert statuses[-1] == 429


def test_next_holding_a_line_break_after_signing_in_goes_to_the_start_page(client, world):
    for target in ("/admin/%0d%0aSet-Cookie:%20x=1", "/admin/votes%0a", "//evil.example/", "/admin/\\evil"):
        response = admin_login(client, "committee_a", query=f"?next={target}")
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/admin/", target
        assert "x=1" not in response.headers.get("Set-Cookie", "")
    good = admin_login(client.application.test_client(), "committee_a", query="?next=/admin/votes")
    assert good.headers["Location"] == "/admin/votes"


@pytest.fixture
def redis_sessions_app(database_url, simulator, tmp_path, redis_client):
    with own_app(database_url, WECHAT_API_BASE=simulator.url, REDIS_URL=REDIS_URL,
                 UPLOAD_FOLDER=str(tmp_path / "uploads")) as application:
        yield application, redis_client


def test_with_redis_sessions_live_there_and_end_the_same_way(redis_sessions_app):
    app, redis_client = redis_sessions_app
    world = build_world()
    one, two = app.test_client(), app.test_client()
    token = login(one, "committee_a")
    login(two, "committee_a")
    assert len(redis_client.keys("staffsession:*")) == 2
    assert db.session.scalar(db.text("SELECT count(*) FROM staff_sessions")) == 0
    thief = captured(one)
    assert one.delete("/api/v1/admin/session", headers={"X-CSRFToken": token}).status_code == 204
    assert not api_ok(thief) and api_ok(two)
    admin = app.test_client()
    admin_login(admin, "admin")
    page = admin.get(f"/admin/staff/{world.committee_a.id}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert admin.post(f"/admin/staff/{world.committee_a.id}", data={
        "csrf_token": csrf, "role": "committee", "region_id": str(world.community_a.id)}).status_code == 302
    assert not api_ok(two)
    assert redis_client.keys("staffsession:*") != []  # the administrator's own


def test_a_session_ended_while_redis_was_away_stays_ended(redis_sessions_app):
    app, redis_client = redis_sessions_app
    world = build_world()
    login(app.test_client(), "committee_a")
    victim = app.test_client()
    login(victim, "committee_a")
    stored = {key: redis_client.get(key) for key in redis_client.keys("staffsession:*")}
    # Redis loses the deletion (it was away, or a replica took over with the old data): put the keys back.
    from core.staff_sessions import end_all_sessions
    end_all_sessions(db.session.get(Staff, world.committee_a.id))
    db.session.commit()
    for key, value in stored.items():
        redis_client.set(key, value)
    assert not api_ok(victim)


def test_behind_the_proxy_mini_program_sign_in_is_limited_per_resident_address(proxied_app, simulator):
    import requests

    def wx_login(forwarded):
        code = requests.post(f"{simulator.url}/sim/login-code", json={"openid": "o-" + forwarded},
                             timeout=5).json()["code"]
        return proxied_app.test_client().post("/api/v1/auth/login", json={"code": code},
                                              headers={"X-Forwarded-For": forwarded}).status_code

    busy = [wx_login("198.51.100.30") for _ in range(61)]
    assert busy[:60] == [200] * 60 and busy[60] == 429
    assert wx_login("203.0.113.31") == 200  # the rest of the province signs in as before
