"""Fixed-window rate limits: in-process by default, Redis (shared by every worker) when REDIS_URL is set."""
import threading
import time

from flask import current_app

from core.errors import DomainError
from core.extensions import redis_client


class TooManyRequests(DomainError):
    """Too many attempts in a short time."""

    key = "error.rate_limited"


class MemoryCounter:
    """Counts in this process only (development and single-process deployments)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}

    def hit(self, key, window):
        now = time.time()
        bucket = int(now // window)
        with self.lock:
            if len(self.windows) > 100_000:  # forget old windows rather than grow without end
                self.windows = {k: v for k, v in self.windows.items() if v[0] == bucket}
            current = self.windows.get(key)
            count = 1 if current is None or current[0] != bucket else current[1] + 1
            self.windows[key] = (bucket, count)
            return count


def window_key(key, window):
    """The Redis key counting `key`'s attempts in the current fixed window of `window` seconds."""
    return f"ratelimit:{key}:{int(time.time() // window)}"


class RedisCounter:
    def __init__(self, client):
        self.redis = client

    def hit(self, key, window):
        import redis
        name = window_key(key, window)
        try:
            pipe = self.redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, window + 1)
            return pipe.execute()[0]
        except redis.RedisError:  # Redis away: count in this process until it is back
            self.local = getattr(self, "local", None) or MemoryCounter()
            return self.local.hit(key, window)


def _counter():
    counter = current_app.extensions.get("ratelimit")
    if counter is None:
        client = redis_client()
        counter = RedisCounter(client) if client is not None else MemoryCounter()
        current_app.extensions["ratelimit"] = counter
    return counter


def limit(name, subject, attempts, window):
    """Raise TooManyRequests once `subject` has made more than `attempts` in `window` seconds."""
    if not current_app.config["RATE_LIMITS"]:
        return
    if _counter().hit(f"{name}:{subject}", window) > attempts:
        raise TooManyRequests()


def redis_window(name, subject, window):
    """For a caller that counts in Redis within its own round trip (a script): the key `limit` would
    count `subject` under now, or None when rate limits are off."""
    if not current_app.config["RATE_LIMITS"]:
        return None
    return window_key(f"{name}:{subject}", window)
