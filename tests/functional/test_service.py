"""The service as a whole: health, config refusal, admin pages, OpenAPI."""
import pytest

from core import create_app
from core.config import Config, ConfigError
from tests.builders import PASSWORD


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"


def test_healthz_reports_an_unreachable_database():
    app = create_app(Config(env={"GONGJIAN_ENV": "test",
                                 "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_production_refuses_default_secrets_and_names_them():
    with pytest.raises(ConfigError) as caught:
        create_app(Config(env={"GONGJIAN_ENV": "production", "SECRET_KEY": "dev-secret-key-change-me"}))
    assert "SECRET_KEY" in str(caught.value) and "PII_KEY" in str(caught.value)


def test_production_starts_with_real_secrets():
    env = {"GONGJIAN_ENV": "production", "SECRET_KEY": "s" * 40, "PII_KEY": "p" * 40, "VOTE_CHAIN_KEY": "v" * 40, "WECHAT_TOKEN": "t" * 20,
           "WECHAT_APPID": "wx1234567890abcdef", "WECHAT_SECRET": "w" * 32, "DATABASE_URL": "sqlite://"}
    assert create_app(Config(env=env)).config["SESSION_COOKIE_SECURE"] is True


def test_openapi_document_lists_the_staff_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/admin/compounds/{compound_id}/roll" in spec["paths"]


def test_admin_pages_require_sign_in_and_keep_csrf(client, world):
    assert client.get("/admin/").status_code == 302
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page and "登录" in page
    no_token = client.post("/admin/login", data={"username": "committee_a", "password": PASSWORD})
    assert no_token.status_code == 400 and "请重新登录" in no_token.get_data(as_text=True)


def _form_login(client, username, password=PASSWORD):
    import re
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def test_admin_login_form_shows_errors_next_to_fields(client, world):
    response = _form_login(client, "", "")
    assert "此项必填" in response.get_data(as_text=True)
    wrong = _form_login(client, "committee_a", "wrong")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)


def test_admin_pages_are_scoped_and_translated(client, world):
    assert _form_login(client, "committee_a").status_code == 302
    home = client.get("/admin/").get_data(as_text=True)
    assert "玉林小区" in home and "和平小区" not in home
    assert client.get(f"/admin/compounds/{world.compound_b.id}").status_code == 404
    english = client.get("/admin/?lang=en").get_data(as_text=True)
    assert "Compounds in" in english and "Sign out" in english


def test_admin_pages_carry_security_headers(client):
    response = client.get("/admin/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
