"""A web worker of the production profile that stops (recycled, restarted) while it still has a request in hand:
each worker listens on a socket of its own (reuse_port), the stopping one closes it at once, and the one that
replaces it listens once its app is loaded, so every new request is answered meanwhile, none waits in a queue that
no worker reads."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sockets(port, state):
    """The inodes of the TCP sockets on 127.0.0.1:port in a state (0A listening, 01 established)."""
    local = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return {row[9] for row in rows if row[1] == local and row[3] == state}


def holders(inodes, pids):
    """{pid: its sockets among `inodes`} of the processes that are still there."""
    found = {}
    for pid in pids:
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except FileNotFoundError:
            continue
        found[pid] = {inode for inode in inodes if f"socket:[{inode}]" in links}
    return found


def workers(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in out]


def until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_stopping_worker_stops_listening_at_once_and_new_requests_are_answered(database_url, simulator):
    port = free_port()
    env = dict(os.environ, GONGJIAN_ENV="test", DATABASE_URL=database_url, WECHAT_API_BASE=simulator.url,
               LOG_LEVEL="WARNING", BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", WEB_THREADS="2")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    held = socket.socket()
    try:
        base = f"http://127.0.0.1:{port}"
        until(lambda: len([p for p, mine in holders(sockets(port, "0A"), workers(server.pid)).items() if mine]) == 2,
              60, "two workers listening, each on its own socket")
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        # A request in hand: its body never comes, so its worker stays busy with it while it stops.
        held.connect(("127.0.0.1", port))
        held.sendall(b"POST /wechat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                     b"Content-Length: 100\r\n\r\n")
        busy = until(lambda: [p for p, mine in holders(sockets(port, "01"), workers(server.pid)).items() if mine],
                     30, "a worker took the request in hand")[0]
        os.kill(busy, signal.SIGTERM)  # as when it is recycled after max_requests: it finishes what it has
        until(lambda: not holders(sockets(port, "0A"), [busy]).get(busy, {None}), 5,
              "the stopping worker still listens")
        assert os.path.exists(f"/proc/{busy}"), "the worker should still be finishing its request"
        for _ in range(12):  # every new request is answered by a worker still accepting
            assert requests.get(base + "/healthz", timeout=5).status_code == 200
        assert os.path.exists(f"/proc/{busy}")
        held.close()  # its request ends: the worker exits, and the master starts another in its place
        until(lambda: busy not in workers(server.pid) and len(workers(server.pid)) == 2, 30,
              "a new worker in place of the one that stopped")
        for _ in range(12):  # answered also while the new worker loads the app
            assert requests.get(base + "/healthz", timeout=5).status_code == 200
    finally:
        held.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
