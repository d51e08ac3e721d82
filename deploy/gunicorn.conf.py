"""gunicorn settings of the production profile: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be set from the environment; the scheduler and the outbox workers run as their own
processes (`flask scheduler run`, `flask notices work`), never inside web workers."""
import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "deploy.workers.StoppingThreadWorker"  # gthread, listening only while it accepts
timeout = int(os.environ.get("WEB_TIMEOUT", 30))  # the bot answers within 5 s; nothing should take 30
graceful_timeout = 20
keepalive = 5
# Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new connections over them.
# On one shared socket, the gthread worker that happens to be awake takes every connection as it arrives: the
# proxy's few kept-alive connections all landed on one worker, which ran on one core while the others idled
# (owners casting into one vote on 2 cores: 159 ballots/s with one of two workers busy, 315/s with both).
# A worker listens once its app is loaded and closes its socket as soon as it stops (max_requests, a restart:
# deploy/workers.py); the connections still waiting in its queue then are reset unless the kernel hands them to
# another worker: set net.ipv4.tcp_migrate_req=1 (Linux 5.14+). With reuse_port a second server started on the
# same port shares it silently, and USR2 (gunicorn's binary upgrade) does not work: docs/deploy.md.
reuse_port = os.environ.get("WEB_REUSE_PORT", "1") == "1"
# Workers are recycled now and then (a guard against slow leaks), not every minute of a vote night: a worker
# loads the app again in about 2 s of CPU, and at a few hundred requests a second 5,000 requests came round
# for each of four workers within a minute.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", 50000))
max_requests_jitter = max_requests // 10
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # request lines carry tokens in their query strings: the app logs requests without them
errorlog = "-"
# One TLS proxy (nginx or the load balancer) stands in front of every web machine: the app reads the
# client's address from the last X-Forwarded-For entry it appends (werkzeug ProxyFix, see docs/deploy.md).
raw_env = ["SCHEDULER_ENABLED=0", f"TRUSTED_PROXY_HOPS={os.environ.get('TRUSTED_PROXY_HOPS', '1')}"]


def post_worker_init(worker):
    """Once a worker has loaded the app, its objects (the app, its models, catalogues and templates: some
    230,000) are kept out of the collector's full passes: otherwise every few requests that build thousands of
    rows (an official's dashboard) pay a full pass over all of them, over 100 ms."""
    gc.freeze()
