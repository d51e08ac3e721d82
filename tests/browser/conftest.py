"""Browser tests: Debian's Chromium driven by Playwright against the real server on a loopback port."""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests are required)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium():
    """Chromium launched once for the run (each test gets its own context: own cookies)."""
    path = _chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


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


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browser_page(chromium, live_server, request):
    """A fresh browser context on the live server; on failure the page is saved (PNG and HTML) as an artifact."""
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = "failed-" + re.sub(r"[^\w.-]+", "_", request.node.name)
        screenshot(page, name)
        (ARTIFACTS / "screenshots" / f"{name}.html").write_text(page.content(), encoding="utf-8")
    context.close()


def screenshot(page, name):
    """Save a full-page screenshot as a test artifact (test-artifacts/screenshots/NAME.png)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page, username, password, new_password=None):
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
