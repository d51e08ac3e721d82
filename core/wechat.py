"""The WeChat API client: one shared access token per app, bounded retries, timeouts, quiet URLs."""
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from sqlalchemy import text
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from core.extensions import db, redis_client

OFFICIAL = "https://api.weixin.qq.com"
TOKEN_ERRORS = {40001, 40014, 42001}
TRANSIENT_ERRORS = {-1, 45009}
REFRESH_MARGIN = 300  # seconds before expiry at which a token is renewed
log = logging.getLogger(__name__)
# Request URLs carry access_token and secret: never let the HTTP stack log them.
logging.getLogger("urllib3").setLevel(logging.WARNING)


class WeChatError(Exception):
    """A WeChat API call failed; errcode None means no answer (timeout or connection)."""

    def __init__(self, errcode, errmsg=""):
        self.errcode, self.errmsg = errcode, errmsg
        super().__init__(f"WeChat error {errcode}: {errmsg}")

    @property
    def transient(self):
        """Worth retrying later (timeouts, system busy, quota)."""
        return self.errcode is None or self.errcode in TRANSIENT_ERRORS


class MediaTooLarge(Exception):
    """A file a user sent is larger than we keep."""


class RewriteHostAdapter(HTTPAdapter):
    """Sends requests meant for api.weixin.qq.com to another base URL (the local simulator)."""

    def __init__(self, base):
        super().__init__()
        self.base = base.rstrip("/")

    def send(self, request, **kwargs):
        if request.url.startswith(OFFICIAL):
            request.url = self.base + request.url[len(OFFICIAL):]
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: float


class DatabaseTokenStore:
    """The token in the database; refreshes serialised by a row lock (PostgreSQL) or a process lock."""

    _local_lock = threading.Lock()

    def get(self, appid):
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT token, expires_at FROM wechat_tokens WHERE appid = :a"),
                               {"a": appid}).first()
        return CachedToken(row.token, row.expires_at) if row else None

    @contextmanager
    def lock(self, appid):
        with self._local_lock:
            if db.engine.dialect.name != "postgresql":
                yield self
                return
            with db.engine.begin() as conn:
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "wechat-token:" + appid})
                yield self

    def set(self, appid, token, expires_at):
        with db.engine.begin() as conn:
            updated = conn.execute(text("UPDATE wechat_tokens SET token = :t, expires_at = :e WHERE appid = :a"),
                                   {"a": appid, "t": token, "e": expires_at}).rowcount
            if not updated:
                conn.execute(text("INSERT INTO wechat_tokens (appid, token, expires_at) VALUES (:a, :t, :e)"),
                             {"a": appid, "t": token, "e": expires_at})


class RedisTokenStore:
    """The token in Redis, shared by every worker; refreshes serialised by a Redis lock."""

    def __init__(self, client):
        self.redis = client

    def get(self, appid):
        values = self.redis.hmget(f"wechat:token:{appid}", "token", "expires_at")
        return CachedToken(values[0].decode(), float(values[1])) if values[0] else None

    @contextmanager
    def lock(self, appid):
        with self.redis.lock(f"wechat:token-lock:{appid}", timeout=15, blocking_timeout=15):
            yield self

    def set(self, appid, token, expires_at):
        self.redis.hset(f"wechat:token:{appid}", mapping={"token": token, "expires_at": expires_at})


class ResilientTokenStore:
    """Redis while it answers, the database when it does not: losing Redis costs speed, not WeChat."""

    def __init__(self, primary, fallback=None):
        self.primary, self.fallback = primary, fallback or DatabaseTokenStore()

    def _either(self, method, *args):
        import redis
        try:
            return getattr(self.primary, method)(*args)
        except redis.RedisError:
            log.warning("redis unavailable: access token kept in the database")
            return getattr(self.fallback, method)(*args)

    def get(self, appid):
        return self._either("get", appid)

    def set(self, appid, token, expires_at):
        self._either("set", appid, token, expires_at)
        if self.primary is not self.fallback:  # keep the database copy current for the day Redis is away
            self.fallback.set(appid, token, expires_at)

    @contextmanager
    def lock(self, appid):
        import redis
        try:
            held = self.primary.lock(appid)
            held.__enter__()
        except redis.RedisError:
            log.warning("redis unavailable: token refresh serialised by the database")
            with self.fallback.lock(appid):
                yield self
            return
        try:
            yield self
        finally:
            try:
                held.__exit__(None, None, None)
            except redis.RedisError:
                pass


class _Client(WeChatClient):
    """wechatpy's client, taking its token from the shared store instead of fetching its own."""

    def __init__(self, appid, secret, timeout, token_source):
        super().__init__(appid, secret, session=MemoryStorage(), timeout=timeout, auto_retry=False)
        self._token_source = token_source

    @property
    def access_token(self):
        return self._token_source()


class WeChat:
    """Calls to the WeChat API with the shared token and a bounded retry of our own."""

    def __init__(self, appid, secret, base=OFFICIAL, store=None, timeout=(3, 5), retries=2, backoff=0.2):
        self.appid, self.secret, self.base = appid, secret, base.rstrip("/")
        self.store = store or DatabaseTokenStore()
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self._local = threading.local()
        self.client = _Client(appid, secret, timeout, self._token_for_call)
        if self.base != OFFICIAL:
            self.client._http.mount(OFFICIAL + "/", RewriteHostAdapter(self.base))

    # tokens -----------------------------------------------------------------------------
    def _fetch(self, force):
        response = self.client._http.post(
            f"{OFFICIAL}/cgi-bin/stable_token", timeout=self.timeout,
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": force})
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatError(result["errcode"], result.get("errmsg", ""))
        return result["access_token"], int(result.get("expires_in", 7200))

    def token(self, rejected=None):
        """A valid token; `rejected` is one WeChat just refused, so a different one is needed."""
        now = time.time()
        cached = self.store.get(self.appid)
        if cached and cached.token != rejected and cached.expires_at - now > REFRESH_MARGIN:
            return cached.token
        with self.store.lock(self.appid):
            cached = self.store.get(self.appid)  # another worker may have refreshed meanwhile
            if cached and cached.token != rejected and cached.expires_at - now > REFRESH_MARGIN:
                return cached.token
            try:
                token, expires_in = self._fetch(force=rejected is not None)
            except requests.RequestException as exc:
                raise WeChatError(None, type(exc).__name__) from None
            self.store.set(self.appid, token, now + expires_in)
            log.info("wechat token refreshed", extra={"fields": {"appid": self.appid}})
            return token

    def _token_for_call(self):
        token = self.token(getattr(self._local, "rejected", None))
        self._local.used = token
        return token

    # calls ------------------------------------------------------------------------------
    def call(self, function, *args, **kwargs):
        """Run a wechatpy call; renew a refused token once, retry timeouts with backoff."""
        self._local.rejected = None
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                return function(*args, **kwargs)
            except WeChatClientException as exc:
                code = exc.errcode
                if code in TOKEN_ERRORS and not last:
                    self._local.rejected = getattr(self._local, "used", None)
                    continue
                raise WeChatError(code, str(exc.errmsg or "")) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                if last:
                    raise WeChatError(None, type(exc).__name__) from None
                time.sleep(self.backoff * (2 ** attempt))
        raise WeChatError(None, "retries exhausted")

    def code_to_session(self, appid, secret, code):
        """jscode2session: no access token needed, so none is fetched (params as a list skip wechatpy's)."""
        params = [("appid", appid), ("secret", secret), ("js_code", code), ("grant_type", "authorization_code")]
        return self.call(self.client.get, f"{OFFICIAL}/sns/jscode2session", params=params)

    def download_media(self, media_id, limit):
        """The bytes of a file a user sent (cgi-bin/media/get through wechatpy's session and the shared token),
        read at most `limit` bytes: MediaTooLarge beyond, WeChatError when WeChat refuses (e.g. 40007)."""
        def fetch():
            response = self.client._http.get(f"{OFFICIAL}/cgi-bin/media/get", timeout=self.timeout, stream=True,
                                             params={"access_token": self.client.access_token, "media_id": media_id})
            try:
                response.raise_for_status()
                if "json" in response.headers.get("Content-Type", "") or "text" in response.headers.get(
                        "Content-Type", ""):
                    result = self.client._decode_result(response)
                    if isinstance(result, dict) and result.get("errcode"):
                        raise WeChatClientException(int(result["errcode"]), result.get("errmsg", ""),
                                                    client=self.client)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise MediaTooLarge(int(declared))
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise MediaTooLarge(len(data))
                return bytes(data)
            finally:
                response.close()
        return self.call(fetch)

    def post(self, path, data):
        """POST JSON to an API path with the shared token (for calls wechatpy 1.8 lacks)."""
        return self.call(self.client.post, f"{OFFICIAL}{path}", data=data)


def wechat():
    """The app's WeChat client (one per app, created on first use)."""
    client = current_app.extensions.get("wechat")
    if client is None:
        config = current_app.config
        shared = redis_client()
        store = ResilientTokenStore(RedisTokenStore(shared)) if shared is not None else None
        client = WeChat(config["WECHAT_APPID"], config["WECHAT_SECRET"], config["WECHAT_API_BASE"], store)
        current_app.extensions["wechat"] = client
    return client
