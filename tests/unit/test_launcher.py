"""Launch mode (core/launcher.py) with real processes on this machine: the learner's app is found again by a
later command, gets its environment, ends with its whole group, and an unrelated process that got a recorded
pid is never taken for it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.launcher import BY_CHECK, Launcher
from labctl.core.loader import load_lab_dir
from tests.conftest import TEST_LABS

APP = TEST_LABS / "app-only" / "solution" / "app.py"
ENV_DUMP = """import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k: os.environ.get(k) for k in ("PORT", "HOST", "DATABASE_URL", "JWT_SECRET",
                           "LABCTL_PROCESS", "LABCTL_COPY", "LABCTL_PYTHON")}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
print("up", flush=True)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(APP, folder / "app.py")
    (folder / "env_app.py").write_text(ENV_DUMP)
    return folder


@pytest.fixture
def make(tmp_path, workspace):
    lab = load_lab_dir(TEST_LABS / "app-only")
    made = []

    def launcher(**settings: str) -> Launcher:
        chosen = {"app_url": f"http://127.0.0.1:{_free_port()}", **settings}
        one = Launcher(tmp_path / "home", "inst", lab, chosen, {"DATABASE_URL": "postgresql://x", "JWT_SECRET": "s3"},
                       workspace, ready_timeout=10)
        made.append(one)
        return one

    yield launcher
    for one in made:
        one.stop()


def _in_group(process, pgid: int) -> bool:
    try:
        return os.getpgid(process.pid) == pgid
    except (ProcessLookupError, PermissionError):
        return False


def _free_port() -> int:
    from labctl.core.app_process import free_port

    return free_port()


def _get(url: str) -> dict:
    import requests

    return requests.get(url, timeout=5, proxies={"http": None, "https": None}).json()


def test_a_later_command_finds_the_app_and_stops_it_with_its_group(make, tmp_path):
    first = make(app="python3 app.py & sleep 300; wait")  # the app and a child of the shell: one group
    record = first.start("app")
    assert _get(record.url + "/hello") == {"greeting": "hi"}
    later = make(app="python3 app.py & sleep 300; wait")  # what `labctl app status` builds in a new process
    assert [(r.process, r.copy, r.pid) for r in later.running()] == [("app", 0, record.pid)]
    assert later.start("app") == record  # already running: left as it is
    assert [r.pid for r in later.stop()] == [record.pid]
    # Nothing of the group runs any more, the sleeping child included (zombies wait for whoever reaps them).
    assert [p.pid for p in psutil.process_iter() if _in_group(p, record.pid) and p.status() != psutil.STATUS_ZOMBIE] == []
    assert later.running() == [] and not list((tmp_path / "home" / "apps" / "inst").glob("*.json"))


def test_the_app_gets_its_port_the_lab_settings_and_secrets(make):
    launcher = make(app="python3 env_app.py")
    record = launcher.start("app")
    assert _get(record.url) == {"PORT": record.url.rsplit(":", 1)[1], "HOST": "127.0.0.1",
                                "DATABASE_URL": "postgresql://x", "JWT_SECRET": "s3",
                                "LABCTL_PROCESS": "app", "LABCTL_COPY": "0", "LABCTL_PYTHON": sys.executable}
    assert "up" in launcher.log_tail("app")


def test_a_lab_reference_runs_on_labctls_own_interpreter(make, workspace):
    """'"$LABCTL_PYTHON" app.py' starts a lab's Python reference with labctl's libraries, as an app step does."""
    (workspace / "which.py").write_text(ENV_DUMP.replace('body = json.dumps({k', 'body = json.dumps({"exe": sys.executable, **{k')
                                        .replace('"LABCTL_PYTHON")}).encode()', '"LABCTL_PYTHON")}}).encode()'))
    record = make(app='"$LABCTL_PYTHON" which.py').start("app")
    assert _get(record.url)["exe"] == sys.executable


def test_copies_listen_on_other_ports_and_are_counted(make):
    launcher = make(app="python3 app.py")
    first, second = launcher.start("app"), launcher.start("app", copy=1)
    assert first.url != second.url and _get(second.url + "/hello") == {"greeting": "hi"}
    assert launcher.count("app") == 2
    launcher.kill("app", copy=1)
    assert launcher.count("app") == 1 and launcher.running()[0].copy == 0


def test_check_stops_only_what_it_started(make):
    launcher = make(app="python3 app.py", worker="sleep 300")
    mine = launcher.start("app")
    started = launcher.ensure(by=BY_CHECK)
    assert [r.process for r in started] == ["worker"]  # the app was already running
    launcher.stop(by=BY_CHECK)
    assert [r.pid for r in launcher.running()] == [mine.pid]


def test_a_worker_counts_as_started_once_it_stays_up(make):
    launcher = make(worker="sleep 300")
    record = launcher.start("worker")
    assert record.url is None and launcher.count("worker") == 1


def test_an_app_that_exits_says_why_with_its_output(make):
    launcher = make(app="echo 'ImportError: no module named flask'; exit 3")
    with pytest.raises(LabctlError) as info:
        launcher.start("app")
    assert "app (`echo 'ImportError: no module named flask'; exit 3`) exited with code 3" in info.value.message
    assert "ImportError: no module named flask" in info.value.hint
    assert launcher.running() == []


def test_an_app_that_never_listens_is_stopped_after_the_timeout(make):
    launcher = make(app="sleep 300")
    launcher.ready_timeout = 1
    with pytest.raises(ServiceNotReadyError, match=r"did not answer at http://127\.0\.0\.1:\d+ within 1s"):
        launcher.start("app")
    assert launcher.running() == []


def test_a_recorded_pid_now_used_by_another_process_is_never_signalled(make, tmp_path):
    launcher = make(app="python3 app.py")
    folder = tmp_path / "home" / "apps" / "inst"
    folder.mkdir(parents=True)
    record = {"process": "app", "copy": 0, "pid": os.getpid(), "started": time.time() - 3600, "command": "x",
              "url": None, "by": "you", "log": str(folder / "app.0.log")}
    (folder / "app.0.json").write_text(json.dumps(record))
    handler = signal.signal(signal.SIGTERM, lambda *_: pytest.fail("labctl signalled an unrelated process"))
    try:
        assert launcher.stop() == [] and launcher.running() == []
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert not (folder / "app.0.json").exists()


def test_no_command_says_how_to_give_one(make):
    with pytest.raises(LabctlError) as info:
        make().start("app")
    assert info.value.hint == 'Tell it once: labctl config set app "python3 app.py"'
    with pytest.raises(LabctlError, match="has no process 'web'"):
        make().start("web")


def test_a_port_already_taken_is_refused_before_starting(make):
    launcher = make(app="python3 app.py")
    taken = launcher.start("app")
    other = make(app="python3 app.py", app_url=taken.url)
    other.folder = other.copies.folder = other.folder.parent / "other"
    with pytest.raises(LabctlError, match="something already answers at"):
        other.start("app")
