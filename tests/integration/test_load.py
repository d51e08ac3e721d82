"""bench/load.py, small and short, as a test: the vote-day mix against gunicorn, PostgreSQL and Redis
answers every request without an error, and the vote's chain and tally verify afterwards."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_a_short_vote_day_load_has_no_errors_and_the_vote_verifies(database):
    url = database["url"].rsplit("/", 1)[0] + "/gongjian_load"
    result = subprocess.run([sys.executable, "bench/load.py", "--database-url", url, "--compounds", "200",
                             "--dwellings", "23000", "--seconds", "15", "--requests", "1500", "--clients", "16",
                             "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = re.search(r"(\d+) requests in [\d.]+ s .*: (\d+) req/s, (\d+) errors", result.stdout)
    assert summary and int(summary.group(1)) >= 300 and summary.group(3) == "0", result.stdout
    assert "chain and tally verified" in result.stdout
