"""`make prod-check` as a test: the production profile on loopback, two app processes, one smoke test."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_the_production_profile_runs_and_answers_through_both_app_processes(database):
    url = database["url"].rsplit("/", 1)[0] + "/gongjian_prodcheck"
    result = subprocess.run([sys.executable, "deploy/prod_check.py", "--database-url", url], cwd=ROOT,
                            capture_output=True, text=True, timeout=240, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "prod-check passed" in result.stdout and result.stdout.count("ok  ") == 9
