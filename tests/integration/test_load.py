"""bench/load.py, small and short, as a test: the vote-day mix against gunicorn, PostgreSQL and Redis
answers every request without an error, and the vote's chain and tally verify afterwards."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_a_short_vote_day_load_has_no_errors_and_the_vote_verifies(database):
    if shutil.which("wrk") is None and not os.environ.get("CI"):
        pytest.skip("wrk (Debian package) drives the load; .ci/run installs it")
    url = database["url"].rsplit("/", 1)[0] + "/gongjian_load"
    result = subprocess.run([sys.executable, "bench/load.py", "--database-url", url, "--compounds", "200",
                             "--dwellings", "23000", "--seconds", "15", "--max-rate", "100", "--clients", "16",
                             "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    vote_day = result.stdout.split("vote day (", 1)[1].split("server peak memory", 1)[0]
    rows = re.findall(r"^  (.+?)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+)  ", vote_day, re.MULTILINE)
    assert rows, result.stdout
    assert sum(int(count) for _name, count, _errors in rows) >= 300, result.stdout
    assert all(errors == "0" for _name, _count, errors in rows), result.stdout
    assert "chain and tally verified" in result.stdout
    # where the run's CPU went: the servers' and the database's own time, per request
    used = dict(re.findall(r"(server|database|generator) (\d+\.\d+) ms", vote_day.split("CPU per request:", 1)[1]))
    assert float(used["server"]) > 0 and float(used["database"]) > 0 and float(used["generator"]) > 0, vote_day
