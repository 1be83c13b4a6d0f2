"""Launch mode from the command line, with no container engine: `labctl config set app`, `labctl app ...`,
and `labctl check` starting the app it needs and stopping only what it started."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.cli.test_serviceless import run  # noqa: F401 (the fixture)
from tests.conftest import TEST_LABS


def test_launch_mode_from_config_to_check(run, tmp_path):  # noqa: F811
    from labctl.core.app_process import free_port

    workspace = tmp_path / "ws"
    run("start", "app-only", "--workspace", str(workspace))
    shutil.copy(TEST_LABS / "app-only" / "solution" / "app.py", workspace / "app.py")
    url = f"http://127.0.0.1:{free_port()}"
    run("config", "set", "app_url", url)

    out = run("app", "start", code=1)
    assert "labctl does not know how to start your app yet" in out
    assert 'labctl config set app "python3 app.py"' in out

    run("config", "set", "app", "python3 app.py")
    # Not running: check starts it, checks, and stops it again.
    assert "✔ Answer GET /hello" in run("check")
    assert json.loads(run("app", "status", "--json"))[0]["running"] == []

    assert "your app is not running: labctl app start" in run("status")
    out = run("app", "start")
    assert f"app runs at {url}" in out
    assert f"your app runs at {url}" in run("status")
    assert json.loads(run("status", "--json"))["app"][0]["url"] == url
    status = json.loads(run("app", "status", "--json"))
    assert status[0]["command"] == "python3 app.py" and status[0]["running"][0]["started_by"] == "you"
    assert "✔ Answer GET /hello" in run("check")
    assert json.loads(run("app", "status", "--json"))[0]["running"], "check stopped the learner's own app"
    assert "labctl starts app (copy 0, by you): python3 app.py" in run("app", "logs")

    out = run("app", "restart")
    assert f"app runs again at {url}" in out
    assert "Stopped" in run("stop")  # stopping the lab stops the app labctl runs
    assert json.loads(run("app", "status", "--json"))[0]["running"] == []
    apps = Path(os.environ["LABCTL_HOME"]) / "apps" / "app-only"
    assert (apps / "app.0.log").is_file()
    run("destroy", "--yes")
    assert not apps.exists()  # its records and logs go with the instance


def test_an_app_that_fails_to_start_fails_the_check_with_its_output(run, tmp_path):  # noqa: F811
    from labctl.core.app_process import free_port

    workspace = tmp_path / "ws"
    run("start", "app-only", "--workspace", str(workspace))
    run("config", "set", "app_url", f"http://127.0.0.1:{free_port()}")  # never the lab's 8000, which may be taken
    (workspace / "app.py").write_text("raise SystemExit('no module named flask')\n")
    run("config", "set", "app", "python3 app.py")
    out = run("check", code=1)
    assert "app (`python3 app.py`) exited with code 1" in out and "no module named flask" in out


def test_env_gives_an_app_run_by_hand_the_port_a_launched_one_gets(run, tmp_path):  # noqa: F811
    run("start", "app-only", "--workspace", str(tmp_path / "ws"))
    run("config", "set", "app_url", "http://localhost:3000")
    out = run("env")
    assert "export PORT=3000" in out and "export HOST=127.0.0.1" in out


def test_a_task_that_needs_launch_mode_says_so_and_names_the_next_step(run, tmp_path):  # noqa: F811
    """URL mode (the learner runs the app): a check that must restart the app cannot run. That is no service
    down (exit 3, not 5), and the closing lines still say which task is next."""
    import subprocess
    import sys

    from labctl.core.app_process import answers, free_port

    workspace = tmp_path / "ws"
    run("start", "restart-only", "--workspace", str(workspace))
    port = free_port()
    app = subprocess.Popen([sys.executable, str(TEST_LABS / "restart-only" / "solution" / "app.py"), "file"],
                           env={**os.environ, "PORT": str(port), "LABCTL_WORKSPACE": str(workspace)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time

        deadline = time.monotonic() + 10
        while not answers(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.05)
        run("config", "set", "app_url", f"http://127.0.0.1:{port}")
        out = run("check", code=3)
    finally:
        app.terminate()
        app.wait(timeout=10)
    assert "labctl must run it (launch mode): `labctl config set app" in out
    assert "Some checks could not run here; their messages above say how to run them." in out
    assert "If a service is down" not in out
    assert "Next: Sessions survive a restart." in out


def test_the_command_to_try_is_a_line_of_its_own_never_wrapped(run, tmp_path):  # noqa: F811
    """A failing request's curl line is printed whole on its own line, however long (the output is 80 columns
    here), so it pastes as it is."""
    from labctl.core.app_process import free_port

    run("start", "app-only", "--workspace", str(tmp_path / "ws"))
    base = f"http://127.0.0.1:{free_port()}/" + "a" * 120
    run("config", "set", "app_url", base)
    lines = run("check", code=3).splitlines()
    said = next(i for i, line in enumerate(lines) if line.rstrip().endswith("Try it:"))
    command = lines[said + 1]
    assert command.startswith("      curl ") and f"{base}/hello" in command and len(command) > 130


def test_check_says_when_the_app_the_learner_started_runs_older_code(run, tmp_path):  # noqa: F811
    from labctl.core.app_process import free_port

    workspace = tmp_path / "ws"
    run("start", "app-only", "--workspace", str(workspace))
    shutil.copy(TEST_LABS / "app-only" / "solution" / "app.py", workspace / "app.py")
    run("config", "set", "app_url", f"http://127.0.0.1:{free_port()}")
    run("config", "set", "app", "python3 app.py")
    run("app", "start")
    try:
        assert "changed after that" not in run("check")
        import time

        later = time.time() + 30  # an edit after the app started
        (workspace / "notes.json").write_text("{}")  # what an app writes as it runs is no edit
        os.utime(workspace / "notes.json", (later + 5, later + 5))
        os.utime(workspace / "app.py", (later, later))
        out = run("check")
        assert "Your app has run since" in out and "app.py changed after that" in out
        assert "labctl app restart runs the new one" in " ".join(out.split())
    finally:
        run("app", "stop")
