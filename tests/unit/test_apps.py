"""Apps on the host (reference solutions, learners' apps when grading): started, waited for, stopped."""
from __future__ import annotations

import socket
import sys
import time

import pytest

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.core.app_process import answers, free_port, start_app
from labctl.core.errors import CheckError, LabctlError, ServiceNotReadyError

SERVER = (
    "import json, os\n"
    "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
    "class H(BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        body = json.dumps({'greeting': os.environ.get('GREETING', 'hi')}).encode()\n"
    "        self.send_response(200); self.send_header('Content-Type', 'application/json')\n"
    "        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n"
    "    def log_message(self, *a): pass\n"
    "print('listening on', os.environ['PORT'], flush=True)\n"
    "ThreadingHTTPServer((os.environ['HOST'], int(os.environ['PORT'])), H).serve_forever()\n"
)


@pytest.fixture
def app_dir(tmp_path):
    (tmp_path / "app.py").write_text(SERVER)
    return tmp_path


def test_start_waits_for_the_port_and_stop_frees_it(app_dir):
    url = f"http://127.0.0.1:{free_port()}"
    app = start_app(f"{sys.executable} app.py", app_dir, url, env={"GREETING": "hello"}, timeout=20)
    try:
        assert app.running() and answers(url)
        assert "listening on" in "\n".join(app.log_tail())
        ctx = CheckContext(app_dir, {}, None, 5.0, settings={"app_url": url})
        cls = registry.get("http.json")
        assert cls.model_validate({"setting": "app_url", "path": "/x", "equals": {"greeting": "hello"}}).run(ctx).passed
        wrong = cls.model_validate({"setting": "app_url", "path": "/x", "equals": {"greeting": "hi"}}).run(ctx)
        assert not wrong.passed and "greeting" in wrong.message
    finally:
        app.stop()
    assert not app.running()
    deadline = time.monotonic() + 5
    while answers(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not answers(url)


def test_an_app_that_exits_reports_its_output(app_dir):
    with pytest.raises(LabctlError) as info:
        start_app("echo 'SyntaxError: oops' >&2; exit 3", app_dir, f"http://127.0.0.1:{free_port()}", timeout=10)
    assert "exited with code 3" in info.value.message
    assert "SyntaxError: oops" in info.value.hint


def test_an_app_that_never_listens_times_out_and_is_stopped(app_dir):
    started = time.monotonic()
    with pytest.raises(ServiceNotReadyError) as info:
        start_app("echo waiting; sleep 30", app_dir, f"http://127.0.0.1:{free_port()}", timeout=1)
    assert time.monotonic() - started < 10
    assert "did not answer" in info.value.message and "$PORT" in info.value.hint


def test_a_busy_port_is_refused_before_starting(app_dir):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(LabctlError, match="already answers"):
            start_app(f"{sys.executable} app.py", app_dir, url, timeout=5)


def test_http_check_with_an_unset_setting_is_an_error(tmp_path):
    ctx = CheckContext(tmp_path, {}, None, 5.0, settings={})
    check = registry.get("http.status").model_validate({"setting": "app_url", "path": "/", "status": 200})
    with pytest.raises(CheckError, match="labctl config set app_url"):
        check.run(ctx)


def test_http_check_refuses_a_setting_off_this_machine(tmp_path):
    ctx = CheckContext(tmp_path, {}, None, 5.0, settings={"app_url": "http://192.0.2.1:80"})
    check = registry.get("http.status").model_validate({"setting": "app_url", "path": "/", "status": 200})
    with pytest.raises(CheckError, match="traffic never leaves this machine"):
        check.run(ctx)


def test_nothing_answering_at_the_learners_app_is_a_failure(tmp_path):
    ctx = CheckContext(tmp_path, {}, None, 5.0, settings={"app_url": f"http://127.0.0.1:{free_port()}"})
    outcome = registry.get("http.status").model_validate({"setting": "app_url", "path": "/", "status": 200}).run(ctx)
    assert not outcome.passed and "is your app running?" in outcome.message
