"""A lab without services (the learner's own program or app) works end to end with no container engine."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from labctl.cli import cli
from labctl.core.errors import EngineUnavailableError, LabctlError
from tests.conftest import TEST_LABS


@pytest.fixture
def run(monkeypatch, tmp_path):
    monkeypatch.setenv("LABCTL_LABS_DIR", str(TEST_LABS))
    # No engine: every call to it would fail, and none may be needed.
    monkeypatch.setenv("LABCTL_DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")

    def invoke(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, list(args))
        error = result.exception
        if isinstance(error, LabctlError):  # main() renders these; the runner sees them raised
            assert error.exit_code == code, f"{error.message} {error.hint}"
            return error.message + "\n" + (error.hint or "")
        if error is not None and not isinstance(error, SystemExit):
            raise error
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_program_lab_from_start_to_done_without_an_engine(run, tmp_path):
    workspace = tmp_path / "ws"
    out = run("start", "program-only", "--workspace", str(workspace))
    assert "It needs no services" in out
    assert 'labctl config set run "python3 main.py"' in out
    assert "Task 1 of 2: Shout every line" in out
    assert (workspace / "main.py").read_text() == "# write your program here\n"

    out = run("check", code=3)
    assert 'labctl config set run "python3 main.py"' in out

    run("config", "set", "run", "python3 main.py")
    assert run("config", "get", "run").strip() == "python3 main.py"
    out = run("check", code=3)
    assert "your program printed nothing" in out and "EXPECTED: HELLO" in out

    (workspace / "main.py").write_text("import sys\nfor line in sys.stdin:\n    print(line.strip().upper())\n")
    out = run("check", "shout")
    assert "✔ Shout every line" in out and "Refuse a bad line" in out  # names the next task

    status = json.loads(run("status", "--json"))
    assert status["ready"] is True and status["services"] == []
    assert status["settings"] == {"run": "python3 main.py"}
    assert "program-only" in run("list") and "ready" in run("list")

    out = run("stop")
    assert "nothing to stop" in out
    assert run("config", "get", "run").strip() == "python3 main.py"  # kept

    listed = json.loads(run("config", "list", "--json"))
    assert listed == [{"setting": "run", "value": "python3 main.py", "default": None, "chosen": True,
                       "description": "The command that runs your program", "example": "python3 main.py"}]
    run("config", "unset", "run")
    run("config", "get", "run", code=1)

    run("destroy", "--yes")
    assert (workspace / "main.py").exists()  # the learner's files stay
    run("status", code=4)  # no instance left, and no engine to ask about others


def test_config_refuses_unknown_settings_and_bad_values(run):
    run("start", "app-only")
    assert "Its settings: app_url, app, worker" in run("config", "set", "port", "8000", code=1)
    assert "never leaves this machine" in run("config", "set", "app_url", "http://192.0.2.7:8000", code=1)
    assert run("config", "get", "app_url").strip() == "http://127.0.0.1:8000"  # the default
    run("config", "set", "app_url", "http://localhost:3000")
    assert run("config", "get", "app_url").strip() == "http://localhost:3000"
    out = run("check", code=3)
    assert "nothing is answering at http://localhost:3000/hello: is your app running?" in out


def test_a_container_lab_still_says_the_engine_is_down(run):
    run("start", "program-only")
    with pytest.raises(EngineUnavailableError) as info:
        CliRunner().invoke(cli, ["start", "pg-only"], catch_exceptions=False)
    assert info.value.exit_code == 4


@pytest.mark.parametrize("lab", ["program-only", "app-only"])
def test_self_test_of_labs_without_services(run, lab):
    out = run("lab", "test", lab)
    assert f"{lab}: ok" in out
