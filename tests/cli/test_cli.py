"""The command line: help everywhere, exit codes, and clean errors (no tracebacks)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from labctl.cli import COMMANDS, cli

LAB_GROUP = ["test", "validate", "schema", "check-types", "submission"]


def run_main(*args: str, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    """Run `python -m labctl` as a user would: the real exit path, real stderr."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=120)


def test_root_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output
    assert "3 checks ran and some failed" in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(name):
    result = CliRunner().invoke(cli, [name, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 3


@pytest.mark.parametrize("group, name", [("lab", n) for n in LAB_GROUP] +
                         [("images", n) for n in ("list", "pull", "build", "save", "load", "prune")] +
                         [("config", n) for n in ("set", "get", "list", "unset")])
def test_group_subcommands_have_help(group, name):
    result = CliRunner().invoke(cli, [group, name, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.output.startswith("labctl ")


def test_unknown_command_is_usage_error():
    completed = run_main("frobnicate")
    assert completed.returncode == 2
    assert "No such command" in completed.stderr


def test_unknown_lab_is_a_clean_error():
    completed = run_main("start", "no-such-lab")
    assert completed.returncode == 1
    assert "error: there is no lab called 'no-such-lab'" in completed.stderr
    assert "labctl list" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_engine_unreachable_exits_4(tmp_path):
    completed = run_main("status", env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert completed.returncode == 4
    assert "no container engine answers" in completed.stderr
    assert "labctl doctor" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_doctor_without_engine_exits_4(tmp_path):
    completed = run_main("doctor", env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert completed.returncode == 4
    assert "engine" in completed.stdout + completed.stderr


def test_malformed_lab_names_file_and_field(tmp_path):
    folder = tmp_path / "broken-lab"
    folder.mkdir()
    (folder / "lab.yaml").write_text("id: broken-lab\ntitle: Broken\nstage: twelve\nsummary: s\nminutes: 5\ntasks: []\n")
    completed = run_main("start", "broken-lab", env={"LABCTL_LABS_DIR": str(tmp_path)})
    assert completed.returncode == 1
    assert f"{folder / 'lab.yaml'}: stage:" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_bad_setting_is_a_clean_error():
    completed = run_main("list", env={"LABCTL_IMAGE_SOURCE": "magic"})
    assert completed.returncode == 1
    assert "LABCTL_IMAGE_SOURCE='magic'" in completed.stderr


def test_list_works_without_an_engine(tmp_path):
    completed = run_main("list", env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert completed.returncode == 0, completed.stderr
    assert "Stage 5: Databases" in completed.stdout and "databases-101" in completed.stdout


def test_list_json(tmp_path):
    completed = run_main("list", "--json", env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    import json

    labs = json.loads(completed.stdout)
    assert any(lab["id"] == "databases-101" and lab["stage"] == 5 for lab in labs)


def test_progress_shows_ten_stages():
    result = CliRunner().invoke(cli, ["progress"], catch_exceptions=False)
    assert result.exit_code == 0
    for topic in ("Programming basics", "Git", "Deployment", "Practice projects"):
        assert topic in result.output


def test_task_of_a_lab_that_is_not_running():
    result = CliRunner().invoke(cli, ["task", "--lab", "databases-101"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Task 1 of" in result.output


def test_lab_schema_is_json_schema_with_check_types(tmp_path):
    import json

    out = tmp_path / "schema.json"
    result = CliRunner().invoke(cli, ["lab", "schema", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    schema = json.loads(out.read_text())
    assert "check:sql.columns" in schema["$defs"]
    assert schema["properties"]["stage"]["maximum"] == 10


def test_committed_schema_is_current():
    import json

    from labctl.core.json_schema import lab_json_schema

    committed = Path(__file__).resolve().parents[2] / "docs" / "lab.schema.json"
    assert json.loads(committed.read_text()) == lab_json_schema(), "run: labctl lab schema -o docs/lab.schema.json"


def test_destroy_without_terminal_needs_yes(tmp_path):
    completed = run_main("destroy", "some-lab", env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert completed.returncode == 1
    assert "--yes" in completed.stderr


def test_committed_check_types_page_is_current():
    from labctl.core.json_schema import check_types_markdown

    committed = Path(__file__).resolve().parents[2] / "docs" / "check-types.md"
    assert committed.read_text() == check_types_markdown(), "run: labctl lab check-types > docs/check-types.md"


@pytest.mark.parametrize("option, value, words", [
    ("--json", "/nonexistent/folder/results.json", "the folder /nonexistent/folder does not exist"),
    ("--junit", "/nonexistent/junit.xml", "the folder /nonexistent does not exist"),
])
def test_grade_refuses_an_output_it_could_not_write_before_grading(tmp_path, option, value, words):
    completed = run_main("grade", "databases-101", "--workspace", str(tmp_path), option, value,
                         env={"LABCTL_DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert completed.returncode == 2, completed.stderr
    assert words in completed.stderr
    assert "Grading" not in completed.stderr  # nothing started
