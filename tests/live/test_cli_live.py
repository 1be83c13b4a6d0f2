"""Live, through the real command line: start, check (3 then 0), JSON outputs, env, stop/start, destroy."""
from __future__ import annotations

import json
import re

import psycopg
import pytest

from tests.cli.test_cli import run_main
from tests.conftest import TEST_LABS, new_instance_name

pytestmark = pytest.mark.live


@pytest.fixture
def env(tmp_path):
    return {"LABCTL_LABS_DIR": str(TEST_LABS), "LABCTL_HOME": str(tmp_path / "home")}


def test_learner_journey(env, tmp_path):
    name = new_instance_name("cli")
    try:
        started = run_main("start", "pg-seeded", "--name", name, "--workspace", str(tmp_path / "ws"), env=env)
        assert started.returncode == 0, started.stderr
        assert "is running" in started.stdout
        # A password of the instance's own, made at its first start, shown by start, status and env.
        password = re.search(r"DATABASE_URL=postgresql://learner:([^@\s]+)@127\.0\.0\.1:", started.stdout).group(1)
        assert password != "learner" and len(password) >= 20
        assert "Task 1 of 1: Add a row" in started.stdout

        status = run_main("status", "--json", "--name", name, env=env)
        assert status.returncode == 0
        data = json.loads(status.stdout)
        assert data["ready"] is True and data["services"][0]["state"] == "running"
        assert password in run_main("status", "--name", name, env=env).stdout

        failing = run_main("check", "--name", name, env=env)
        assert failing.returncode == 3, failing.stdout + failing.stderr
        assert "marker has 1 rows; expected 2" in failing.stdout
        assert "labctl hint add-row" in failing.stdout

        exports = run_main("env", "--name", name, env=env).stdout
        url = next(line.split("=", 1)[1] for line in exports.splitlines() if line.startswith("export DATABASE_URL="))
        with psycopg.connect(url.strip("'"), autocommit=True) as conn:
            conn.execute("INSERT INTO marker VALUES (2)")

        passing = run_main("check", "--json", "--name", name, env=env)
        assert passing.returncode == 0, passing.stdout
        result = json.loads(passing.stdout)
        assert result["status"] == "passed" and result["passed"] == result["total"] == 1

        text = run_main("check", "add-row", "--name", name, env=env)
        assert text.returncode == 0 and "Every task of this lab is done" in text.stdout

        hint = run_main("hint", "--name", name, env=env)
        assert "1 of 1 revealed" in hint.stdout
        progress = json.loads(run_main("progress", "--json", env=env).stdout)
        entry = next(lab for lab in progress["labs"] if lab["id"] == "pg-seeded")
        assert entry["tasks_done"] == 1 and entry["hints_used"] == 1

        assert run_main("stop", name, env=env).returncode == 0
        assert run_main("status", name, env=env).returncode == 5
        assert run_main("start", "pg-seeded", "--name", name, env=env).returncode == 0
        assert run_main("check", "--name", name, env=env).returncode == 0, "stop/start lost the learner's row"
        again = run_main("env", "--name", name, env=env).stdout
        assert f"learner:{password}@" in again and url.strip("'") in again, "stop/start changed the password"

        reset = run_main("reset", name, "--yes", env=env)
        assert reset.returncode == 0
        assert run_main("check", "--name", name, env=env).returncode == 3
    finally:
        destroyed = run_main("destroy", name, "--yes", env=env)
    assert destroyed.returncode == 0, destroyed.stderr
    assert run_main("status", name, env=env).returncode == 1
