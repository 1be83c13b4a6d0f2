"""Probe data stays hidden end to end: a query that fails only on the probe rows is graded and checked, and
neither the grading JSON nor `labctl check -v` shows a value only the probes hold."""
from __future__ import annotations

import json

import pytest

from tests.live.test_grade import labctl, submission

pytestmark = pytest.mark.live

# Values only databases-101's probes hold (tests/unit/test_probe_privacy.py keeps them out of the texts).
SECRETS = ("probe.invalid", "Aaron Blanc", "Abel Petit", "Zoe Moreau", "Nina Roux", "2147480101")


def test_a_query_wrong_only_on_probe_data_fails_without_showing_the_probe_rows(tmp_path):
    folder = submission(tmp_path, "databases-101", near_miss="select-order-by-email")
    results = tmp_path / "results.json"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results))
    assert done.returncode == 3, done.stdout + done.stderr
    data = json.loads(results.read_text())
    failing = [t for t in data["tests"] if t["status"] != "pass"]
    assert [t["task_id"] for t in failing] == ["select-filter"]
    assert "a French customer added last whose name sorts first" in failing[0]["message"]
    shown = results.read_text() + done.stdout + done.stderr
    assert not [s for s in SECRETS if s in shown]


def test_check_verbose_shows_the_query_not_the_probe_rows(tmp_path):
    from tests.conftest import make_manager

    home, work = tmp_path / "home", tmp_path / "work"
    manager = make_manager(home, lab_dirs=())
    lab = manager.loader.load("databases-101")
    manager.start("databases-101", name="privacy", workspace=work)
    try:
        view = manager.view("privacy", lab)
        for task in lab.tasks[:3]:
            manager.apply_steps(view, task.solution)
        (work / "queries" / "04_select.sql").write_text(
            "SELECT name, email FROM customers WHERE country = 'FR' ORDER BY email LIMIT 2;\n")
        done = labctl("check", "select-filter", "-v", env={"LABCTL_HOME": str(home)})
        assert done.returncode == 3, done.stdout + done.stderr
        assert "not on other data" in done.stdout
        assert "ORDER BY email" in done.stdout  # the learner's own query, to run again
        assert not [s for s in SECRETS if s in done.stdout + done.stderr]
    finally:
        manager.destroy("privacy")
