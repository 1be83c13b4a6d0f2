"""An http.sequence step that restarts the learner's app (launch mode): sessions kept in a store survive,
sessions kept in the app's memory do not; without launch mode the check says what to do."""
from __future__ import annotations

import pytest

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.check_engine.runner import run_check as run_one
from labctl.core.app_process import free_port
from labctl.core.launcher import Launcher
from labctl.core.loader import load_lab_dir
from labctl.core.model import CheckSpec, Task
from tests.conftest import TEST_LABS

SESSIONS_APP = """import json, os, secrets, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
STORE = "sessions.json"
keep = sys.argv[1] == "file"
sessions = json.load(open(STORE)) if keep and os.path.exists(STORE) else {}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def sid(self):
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "sid": return v
    def answer(self, code, cookie=None):
        self.send_response(code)
        if cookie: self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", "0"); self.end_headers()
    def do_POST(self):
        sid = secrets.token_hex(8); sessions[sid] = "ann"
        if keep: json.dump(sessions, open(STORE, "w"))
        self.answer(200, f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")
    def do_GET(self):
        self.answer(200 if self.sid() in sessions else 401)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""
SCENARIO = {"type": "http.sequence", "setting": "app_url", "steps": [
    {"method": "POST", "path": "/login", "status": 200},
    {"path": "/me", "status": 200},
    {"path": "/me", "restart": "app", "status": 200, "what": "the session cookie after a restart of the app"}]}


@pytest.fixture
def checked(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "app.py").write_text(SESSIONS_APP)
    lab = load_lab_dir(TEST_LABS / "app-only")
    launchers = []

    def run(command: str, *, launch_mode: bool = True, contained: bool = False):
        settings = {"app_url": f"http://127.0.0.1:{free_port()}", "app": command}
        launcher = Launcher(tmp_path / "home", "i", lab, settings, {}, tmp_path / "ws", ready_timeout=10)
        launchers.append(launcher)
        launcher.start("app")
        if not launch_mode:  # the learner runs it by hand: labctl knows no command
            settings = {"app_url": settings["app_url"]}
            launcher = Launcher(tmp_path / "home", "i", lab, settings, {}, tmp_path / "ws", ready_timeout=10)
        cls = registry.get(SCENARIO["type"])
        check = cls.model_validate({k: v for k, v in SCENARIO.items() if k != "type"})
        ctx = CheckContext(lab_path=tmp_path, services={}, workspace=tmp_path / "ws", timeout=20,
                           settings=settings, launcher=None if contained else launcher)
        try:
            return run_one(Task("t", "t", tmp_path, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
        finally:
            ctx.close()

    yield run
    for launcher in launchers:
        launcher.stop()


def test_sessions_in_a_store_survive_a_restart(checked):
    result = checked("python3 app.py file")
    assert result.status.value == "passed", result.message


def test_sessions_in_memory_are_lost_by_a_restart(checked):
    result = checked("python3 app.py memory")
    assert result.status.value == "failed"
    assert "step 3 (GET " in result.message and "the session cookie after a restart of the app): it answered 401; " \
        "expected 200" in result.message


def test_without_launch_mode_the_check_says_how_to_give_it(checked):
    result = checked("python3 app.py file", launch_mode=False)
    assert result.status.value == "error"
    assert "labctl must run it (launch mode): `labctl config set app" in result.message


def test_an_app_labctl_does_not_run_says_where_the_task_can_be_checked(checked):
    """No launcher at all (labctl neither launched nor started the app): the check says what to do."""
    result = checked("python3 app.py file", contained=True)
    assert result.status.value == "error"
    assert "labctl does not run your app here: check this task with `labctl check`, in launch mode" in result.message
    assert "does not declare" not in result.message


def test_an_app_labctl_started_itself_is_restarted_by_the_check(tmp_path):
    """A self-test's (or `grade --host`'s) app step: the check restarts the app labctl started, as it was
    started; sessions in a file survive, sessions in memory do not (the near miss)."""
    from labctl.core.selftest import run_self_test
    from tests.conftest import make_manager

    manager = make_manager(tmp_path / "home", lab_dirs=[TEST_LABS])
    report = run_self_test(manager, "restart-only")
    assert report.error is None, report.error
    assert [(c.name, c.ok) for c in report.cases if not c.ok] == []
    assert len(report.cases) == 3
