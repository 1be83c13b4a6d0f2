"""`labctl lab mutate`: mutants of the references, run live; survivors named, equivalents honoured."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from labctl.cli import cli
from tests.conftest import TEST_LABS

pytestmark = pytest.mark.live
pytest.importorskip("sqlglot")


def _mutate(monkeypatch, *args):
    monkeypatch.setenv("LABCTL_LABS_DIR", str(TEST_LABS))
    return CliRunner().invoke(cli, ["lab", "mutate", "mutants-demo", *args])


def test_a_weak_check_lets_mutants_survive_and_the_run_says_which(monkeypatch):
    result = _mutate(monkeypatch, "--task", "adults", "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)[0]
    outcomes = {m["id"]: m["outcome"] for m in report["mutants"]}
    assert outcomes["adults:adults.sql:drop-order-by-1"] == "survived"  # the check ignores the order
    assert outcomes["adults:adults.sql:reverse-sort-key-1"] == "survived"
    assert outcomes["adults:adults.sql:flip-comparison-1"] == "survived"  # age > 18: no one is 18 in the data
    assert outcomes["adults:adults.sql:number-minus-one-1"] == "killed"  # age >= 17 lets bob in
    assert outcomes["adults:adults.sql:drop-where-1"] == "killed"
    assert outcomes["adults:adults.sql:number-plus-one-1"] == "equivalent"
    assert report["problems"] == ["lab.yaml marks adults:adults.sql:no-such-mutant as equivalent, but no such mutant "
                                  "is made any more: remove the mark"]


def test_the_text_report_lists_survivors_and_counts(monkeypatch):
    result = _mutate(monkeypatch, "--task", "adults")
    assert result.exit_code == 3
    assert "✘ adults:adults.sql:drop-order-by-1" in result.output
    assert "passes its task: a wrong answer the checks accept" in result.output
    assert "mutants-demo: problems (" in result.output


def test_sql_step_mutants_of_a_task_that_changes_the_database_each_start_from_a_reset(monkeypatch):
    result = _mutate(monkeypatch, "--task", "people", "--json")
    report = json.loads(result.output)[0]
    outcomes = {m["id"]: m["outcome"] for m in report["mutants"]}
    assert outcomes["people:people.sql:drop-statement-2"] == "killed"  # no rows
    assert outcomes["people:people.sql:s2-drop-values-row-1"] == "killed"
    assert outcomes["people:people.sql:s2-number-plus-one-1"] == "killed"
    # NOT NULL dropped: the rows_equal check cannot see it; a real lab would check the columns.
    assert outcomes["people:people.sql:s1-drop-constraint-1"] == "survived"
    assert not report["problems"][:-1]


def test_an_unknown_task_is_a_usage_error_before_anything_starts(monkeypatch):
    from labctl.core.errors import LabctlError

    result = _mutate(monkeypatch, "--task", "nope")
    assert isinstance(result.exception, LabctlError)  # main() renders it; the runner sees it raised
    assert result.exception.exit_code == 2
    assert str(result.exception) == "mutants-demo has no task 'nope'"
    assert result.exception.hint == "Its tasks: people, adults."
    assert "Mutating" not in result.output


def test_lab_test_with_mutants_counts_a_survivor_as_a_problem(monkeypatch):
    monkeypatch.setenv("LABCTL_LABS_DIR", str(TEST_LABS))
    result = CliRunner().invoke(cli, ["lab", "test", "mutants-demo", "--mutants", "--json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)[0]
    case = report["cases"][-1]
    assert case["name"] == "mutants: each fails its task" and not case["ok"]
    assert "adults:adults.sql:drop-order-by-1 passes its task" in case["message"]
    assert all(c["ok"] for c in report["cases"][:-1])  # the self-test itself is fine
