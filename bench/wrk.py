"""wrk replaying a pre-signed request corpus: what the bot, casting and vote-day benchmarks drive servers with.

The corpus is written before the run (every request once: unique nonces and MsgIds, timestamps inside
WeChat's five-minute window); bench/replay.lua shares it out between wrk's threads and prints counts,
statuses and latency percentiles from wrk's own summary."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "replay.lua"
BIN = Path(sys.executable).parent


def line(method, path, headers=None, body=b""):
    """One corpus line; bodies and header values are single-line (XML and JSON as the benchmarks build them)."""
    body = body.decode() if isinstance(body, bytes) else (body or "")
    heads = "\x1f".join(f"{k}: {v}" for k, v in (headers or {}).items())
    if "\n" in body or "\t" in body:
        raise ValueError("a corpus body must be one line without tabs")
    return f"{method}\t{path}\t{heads}\t{body}\n"


def wechat_line(envelope, xml, path="/wechat"):
    params, body = envelope.wrap(xml)
    return line("POST", f"{path}?{urlencode(params)}", {"Content-Type": "text/xml"}, body)


def run(base, lines, seconds, connections, threads=2, pace_ms=0, keep_bodies=False, timeout=10):
    """Replay `lines` against `base` with wrk; returns the summary (rps, p50/p99 ms, errors, statuses) and,
    with keep_bodies, the response bodies."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        corpus, result = Path(tmp) / "corpus.txt", Path(tmp) / "result.txt"
        corpus.write_text("".join(lines), encoding="utf-8")
        env = dict(os.environ, WRK_CORPUS=str(corpus), WRK_RESULT=str(result), WRK_THREADS=str(threads),
                   WRK_DELAY_MS=str(int(pace_ms)), WRK_KEEP_BODIES="1" if keep_bodies else "0")
        process = subprocess.Popen([wrk, "-t", str(threads), "-c", str(max(connections, threads)), "-d",
                                    f"{max(1, round(seconds))}s", "--timeout", f"{timeout}s", "-s", str(SCRIPT), base],
                                   env=env, stdout=subprocess.DEVNULL)
        # wrk waits out its duration even when every thread has used up its share: end it then (SIGINT
        # makes wrk stop its timer and print its summary).
        while process.poll() is None:
            if len(list(Path(tmp).glob("result.txt.done.*"))) >= threads:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        if process.wait() != 0:
            raise RuntimeError("wrk failed")
        summary, bodies = None, []
        for row in result.read_text(encoding="utf-8").splitlines():
            kind, _, rest = row.partition("\t")
            if kind == "J":
                summary = json.loads(rest)
            elif kind == "B":
                bodies.append(rest)
    seconds_run = summary["duration_us"] / 1e6
    # Answers to the corpus's requests only (not to a filler sent on a connection reopened at the end).
    ok = sum(n for status, n in summary["statuses"].items() if status.startswith(("2", "3")))
    errors = (summary["connect_errors"] + summary["read_errors"] + summary["write_errors"] + summary["timeouts"]
              + summary["received"] - ok)
    summary.update(rps=summary["received"] / seconds_run, seconds=seconds_run, errors=errors,
                   p50_ms=summary["p50_us"] / 1000, p90_ms=summary["p90_us"] / 1000,
                   p99_ms=summary["p99_us"] / 1000, exhausted=summary["exhausted_threads"] > 0)
    return (summary, bodies) if keep_bodies else summary


def describe(summary):
    return (f"{summary['rps']:7.1f} req/s, p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, "
            f"{summary['requests']} requests, errors {summary['errors']}"
            + (" (corpus used up before the time)" if summary["exhausted"] else ""))


# What each kind of process on the machine is, by its command line (read from /proc).
KINDS = (("server", ("gunicorn",)), ("database", ("postgres",)), ("cache", ("redis-server",)))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot():
    """CPU seconds used so far by the servers, the database and the cache, by kind: each process's own time
    with that of its children it has waited for (a recycled gunicorn worker's, an ended PostgreSQL backend's),
    so that the sum only grows while the parents live; and by the load generator: the wrk runs this process
    has waited for (run() waits for each). {} where there is no /proc."""
    if not Path("/proc/self/stat").exists():
        return {}
    times = os.times()
    totals = {"generator": times.children_user + times.children_system}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")[:2]
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # the program itself (postgres, redis-server), or the script a Python runs (gunicorn); not a program
        # that merely names one in its arguments (a benchmark given a postgresql:// URL)
        programs = {os.path.basename(a.split(":")[0].split()[0]) for a in argv if a.strip()}
        kind = next((k for k, names in KINDS if programs & set(names)), None)
        if kind is not None:  # utime, stime, cutime, cstime
            totals[kind] = totals.get(kind, 0) + sum(int(f) for f in fields[11:15]) / CLOCK_TICKS
    return totals


def cpu_per_request(before, after, requests, cores=None):
    """'CPU per request: server 2.61 ms, database 0.84 ms, …; at most N req/s on C cores' between two
    snapshots: where the time of a run went, and what the machine's cores allow at that cost."""
    if not requests or not after:
        return "CPU per request: not measured"
    used = {kind: (after.get(kind, 0) - before.get(kind, 0)) * 1000 / requests
            for kind in ("server", "database", "cache", "generator")}
    cores = cores or os.cpu_count() or 1
    total = sum(used.values())
    ceiling = f"; at most {cores * 1000 / total:.0f} req/s on {cores} cores at that cost" if total else ""
    return "CPU per request: " + ", ".join(f"{kind} {ms:.2f} ms" for kind, ms in used.items()) + ceiling


def start_gunicorn(app_spec, port, env, workers=2, worker_class="sync", threads=1, health="/"):
    """gunicorn serving `app_spec` on 127.0.0.1:port; returns the process once it answers."""
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", worker_class, "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048", "--keep-alive", "120",
         # each worker its own socket, as in production (deploy/gunicorn.conf.py): wrk's connections spread
         "--reuse-port", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}{health}", timeout=1)
            return process
        except requests.RequestException:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn for {app_spec} did not start")


def stop(process):
    process.terminate()
    process.wait(20)
