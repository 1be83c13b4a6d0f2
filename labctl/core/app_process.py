"""Apps on the host: a reference solution or a learner's app, started the way a learner starts theirs.

The app runs under /bin/sh in its own process group, is told its port through $PORT (and $HOST =
127.0.0.1), and counts as started once that port accepts a connection. Stopping ends the whole group.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.loopback import port_of

POLL = 0.05
STOP_GRACE = 5.0
LOG_TAIL = 20


@dataclass
class AppProcess:
    command: str
    folder: Path
    url: str
    process: subprocess.Popen
    log_path: Path

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL) -> list[str]:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def stop(self) -> None:
        """End the app and everything it started, and return once the whole process group is gone."""
        _signal_group(self.process, signal.SIGTERM)
        if not _group_gone(self.process, STOP_GRACE):
            _signal_group(self.process, signal.SIGKILL)
            _group_gone(self.process, STOP_GRACE)
        self.log_path.unlink(missing_ok=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts connections at the URL's host and port."""
    host = urlsplit(url).hostname or "127.0.0.1"
    try:
        with socket.create_connection((host, port_of(url)), timeout=timeout):
            return True
    except OSError:
        return False


def start_app(command: str, folder: Path, url: str, *, env: Mapping[str, str] | None = None,
              timeout: float = 30.0) -> AppProcess:
    """Start the app and wait until its port answers. Raises LabctlError (with its output) if it does not."""
    if not folder.is_dir():
        raise LabctlError(f"cannot start the app: the folder {folder} does not exist")
    if answers(url):
        raise LabctlError(f"something already answers at {url}, so the app cannot listen there",
                          "Stop whatever uses that port, or give the app another address (`labctl config set app_url URL`, or --app-url when grading).")
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.update(PORT=str(port_of(url)), HOST="127.0.0.1")
    fd, log_name = tempfile.mkstemp(prefix="labctl-app-", suffix=".log")
    try:
        process = subprocess.Popen(["/bin/sh", "-c", command], cwd=folder, env=full_env, stdin=subprocess.DEVNULL,
                                   stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        os.close(fd)
        Path(log_name).unlink(missing_ok=True)
        raise LabctlError(f"cannot start `{command}`: {exc.strerror or exc}") from exc
    os.close(fd)
    app = AppProcess(command, folder, url, process, Path(log_name))
    deadline = time.monotonic() + timeout
    while not answers(url, timeout=0.2):
        if not app.running():
            tail = app.log_tail()
            app.stop()
            raise LabctlError(f"`{command}` exited with code {process.returncode} before answering at {url}",
                              "Its last output:\n" + "\n".join(tail) if tail else "It printed nothing.")
        if time.monotonic() > deadline:
            tail = app.log_tail()
            app.stop()
            raise ServiceNotReadyError(f"`{command}` did not answer at {url} within {timeout:g}s",
                                       ("Does it listen on the port in $PORT? Its last output:\n" + "\n".join(tail))
                                       if tail else "Does it listen on the port in $PORT? It printed nothing.")
        time.sleep(POLL)
    return app


def _group_gone(process: subprocess.Popen, timeout: float) -> bool:
    """Wait until no live process of the app's group is left (the shell may exit before its children; a child
    left a zombie is gone, whenever the system's init gets round to reaping it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reap the shell, or it lingers as a zombie in the group
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if not group_has_live_member(process.pid):
            return True
        time.sleep(POLL / 5)
    return False


def group_has_live_member(pgid: int) -> bool:
    """Whether a process of the group other than a zombie remains."""
    import psutil

    for found in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(found.pid) == pgid and found.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return False


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
