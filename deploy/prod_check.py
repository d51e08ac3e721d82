"""`make prod-check`: the production profile on loopback, and a smoke test through both app processes.

Starts, against PostgreSQL and Redis: the WeChat simulator, two gunicorn app processes (GONGJIAN_ENV=
production, real secrets, 2 workers each), two scheduler processes (one is elected, the other waits) and
one outbox worker. Then it checks through both app processes: health; a staff session signed in on one is
valid on the other (shared secret); a WeChat message sent to one and retried to the other gets one answer
(replay guard in Redis); one access token for the cluster; a notice written on one process is delivered
by the outbox; exactly one scheduler leads; a signed-out session ends on both processes; behind the proxy
(this client, trusted for one hop), sign-in limits count the real client address and the (address, account)
pair. Exit status 0 only if every check passes.
    python deploy/prod_check.py [--database-url URL] [--redis-url URL]
The database named in the URL is dropped and created again.
"""
import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.auth import LOGIN_WINDOW  # noqa: E402 - the repo's root is on the path now
from core.config import sqlalchemy_url  # noqa: E402
BIN = Path(sys.executable).parent


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = create_engine(sqlalchemy_url(urlunsplit(parts._replace(path="/postgres"))), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


class Cluster:
    """The processes of the profile, stopped together."""

    def __init__(self, env, log_dir):
        self.env, self.log_dir, self.procs = env, log_dir, []

    def start(self, name, args, **extra):
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=dict(self.env, **extra), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def flask(self, *args):
        subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def stop(self):
        for _name, proc, _log in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc, log in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def wait_for(check, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class Staff:
    """A staff session over plain HTTP on loopback: the Secure cookie is carried by hand, as a TLS proxy would."""

    def __init__(self, base):
        self.base, self.cookie, self.csrf = base, None, None

    def call(self, method, path, base=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        response = requests.request(method, (base or self.base) + path, headers=headers, timeout=10, **kwargs)
        if response.cookies.get("session"):
            self.cookie = "session=" + response.cookies["session"]
        return response

    def login(self, username, password):
        self.csrf = self.call("GET", "/api/v1/admin/session").json()["csrf_token"]
        response = self.call("POST", "/api/v1/admin/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/gongjian_prodcheck")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    recreate(args.database_url)
    import redis
    redis.Redis.from_url(args.redis_url).flushdb()
    log_dir = ROOT / "test-artifacts" / "prod-check"
    log_dir.mkdir(parents=True, exist_ok=True)
    sim_port, port_a, port_b = free_port(), free_port(), free_port()
    env = dict(os.environ, GONGJIAN_ENV="production", FLASK_APP="wsgi", DATABASE_URL=args.database_url,
               REDIS_URL=args.redis_url, SECRET_KEY=secrets.token_urlsafe(32), PII_KEY=secrets.token_urlsafe(32),
               VOTE_CHAIN_KEY=secrets.token_urlsafe(32),
               WECHAT_TOKEN=secrets.token_hex(8), WECHAT_APPID="wx" + secrets.token_hex(8),
               WECHAT_SECRET=secrets.token_hex(16), WECHAT_API_BASE=f"http://127.0.0.1:{sim_port}",
               UPLOAD_FOLDER=str(log_dir / "uploads"), OUTBOX_INTERVAL="1", SCHEDULER_RETRY="1",
               WEB_CONCURRENCY="2", LOG_LEVEL="INFO")
    cluster = Cluster(env, log_dir)
    checks = []
    try:
        cluster.flask("db", "upgrade")
        cluster.flask("demo", "seed")
        cluster.start("simulator", [str(BIN / "flask"), "wechat", "simulator", "--port", str(sim_port)],
                      GONGJIAN_ENV="development")
        gunicorn = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
        a = f"http://127.0.0.1:{port_a}"
        b = f"http://127.0.0.1:{port_b}"
        cluster.start("app-a", gunicorn, BIND=f"127.0.0.1:{port_a}")
        cluster.start("app-b", gunicorn, BIND=f"127.0.0.1:{port_b}")
        cluster.start("scheduler-1", [str(BIN / "flask"), "scheduler", "run"])
        cluster.start("scheduler-2", [str(BIN / "flask"), "scheduler", "run"])
        cluster.start("outbox-worker", [str(BIN / "flask"), "notices", "work"])
        for base in (a, b, env["WECHAT_API_BASE"] + "/sim"):
            # on a busy machine the app processes take a while to boot: allow a minute and a half
            wait_for(lambda base=base: requests.get(base + ("/calls" if base.endswith("/sim") else "/healthz"),
                                                    timeout=2).status_code == 200, 90, base)
        checks.append("both app processes healthy")

        staff = Staff(a)
        staff.login("yulinbei", "demo-pass-2026")
        me = staff.call("GET", "/api/v1/admin/session", base=b).json()
        assert me.get("staff", {}).get("username") == "yulinbei", me
        checks.append("a staff session from process A is valid on process B")

        from simulator.sender import Envelope, text_xml
        envelope = Envelope(env["WECHAT_TOKEN"], env["WECHAT_APPID"])
        xml = text_xml("demo-owner-1", "帮助", msg_id=987654321)
        params, body = envelope.wrap(xml)
        first = requests.post(a + "/wechat", params=params, data=body, timeout=10)
        again = requests.post(b + "/wechat", params=params, data=body, timeout=10)
        assert first.status_code == again.status_code == 200
        assert envelope.open_reply(params, first.content) == envelope.open_reply(params, again.content)
        checks.append("a WeChat retry to the other process gets the same single answer (Redis replay guard)")

        engine = create_engine(sqlalchemy_url(args.database_url))
        with engine.connect() as conn:
            compound_id = conn.execute(text("SELECT id FROM compounds ORDER BY id LIMIT 1")).scalar()
        created = staff.call("POST", "/api/v1/admin/notices", base=b, json={
            "scope_kind": "compound", "scope_id": compound_id, "title": "停水通知", "body": "明天上午停水。"})
        assert created.status_code == 201, created.text
        recipients = created.json()["recipients"]

        def delivered():
            calls = requests.get(env["WECHAT_API_BASE"] + "/sim/calls", timeout=5).json()
            sent = [c for c in calls if c["path"].startswith("/cgi-bin/message/") and c["errcode"] == 0]
            return len(sent) >= recipients
        wait_for(delivered, 30, "the notice to be delivered")
        calls = requests.get(env["WECHAT_API_BASE"] + "/sim/calls", timeout=5).json()
        tokens = [c for c in calls if c["path"] in ("/cgi-bin/token", "/cgi-bin/stable_token")]
        assert len(tokens) == 1, tokens
        checks.append(f"a notice written on B reached its {recipients} residents through the outbox; "
                      "one access token for the cluster")

        with engine.connect() as conn:
            leaders = conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar()
        engine.dispose()
        assert leaders == 1, leaders
        checks.append("exactly one scheduler leads")
        thief = Staff(b)
        thief.cookie, thief.csrf = staff.cookie, staff.csrf
        assert staff.call("DELETE", "/api/v1/admin/session").status_code == 204
        assert thief.call("GET", "/api/v1/admin/session").json().get("staff") is None
        assert thief.call("GET", "/api/v1/admin/compounds").status_code == 401
        checks.append("a cookie copied before signing out on A opens nothing on B (sessions live in Redis)")

        def attempt(base, username, password, forwarded):
            client = Staff(base)
            client.csrf = client.call("GET", "/api/v1/admin/session").json()["csrf_token"]
            return client.call("POST", "/api/v1/admin/session", json={"username": username, "password": password},
                               headers={"X-Forwarded-For": forwarded}).status_code
        # The sign-in limits count in fixed windows of the clock: begin the guesses in a window with room for
        # all 62 of them, so that a window's turn mid-way does not start the count again.
        left = LOGIN_WINDOW - time.time() % LOGIN_WINDOW
        if left < 120:
            time.sleep(left + 1)
        # The proxy (this loopback client) appends the real address after whatever the client forged.
        guesses = [attempt(a if n % 2 else b, "yulinbei", "guess", f"10.0.{n}.1, 198.51.100.7") for n in range(11)]
        assert guesses == [401] * 10 + [429], guesses
        assert attempt(a, "yulinbei", "demo-pass-2026", "203.0.113.9") == 200
        checks.append("behind the proxy, 11 guesses at a named account from one address lock only that address "
                      "out; its owner signs in from another")
        sweep = [attempt(b if n % 2 else a, f"nobody{n}", "guess", f"10.1.{n}.1, 198.51.100.8") for n in range(51)]
        assert sweep[:50] == [401] * 50 and sweep[50] == 429, sweep
        assert attempt(b, "yulinbei", "demo-pass-2026", "203.0.113.10") == 200
        checks.append("51 failed sign-ins with forged X-Forwarded-For values are one client's, not everyone's")

        health = requests.get(b + "/admin/login", timeout=5)
        cookie = health.headers.get("Set-Cookie", "")
        assert health.headers.get("X-Frame-Options") == "DENY" and "Secure" in cookie and "HttpOnly" in cookie
        checks.append("admin pages carry the security headers; cookies are Secure")
    except Exception as exc:  # noqa: BLE001 - report and fail
        for line in checks:
            print("ok  ", line)
        print("FAIL", exc)
        print(f"logs: {log_dir}")
        cluster.stop()
        return 1
    cluster.stop()
    for line in checks:
        print("ok  ", line)
    print("prod-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
