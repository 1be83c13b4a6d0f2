"""A fake sandbox: a temporary folder whose commands run on the host (for unit tests of grading's logic)."""
from __future__ import annotations

import subprocess

from labctl.core.errors import LabctlError
from labctl.runtime.base import SandboxRun, SandboxSpec


class FakeSandbox:
    """A sandbox that is only a temporary folder: commands run on the host, in it (for unit tests of grading's
    logic; the isolation itself is tested live, on Docker). PORT is the published port's host side."""

    def __init__(self, spec: SandboxSpec):
        import io
        import tarfile
        import tempfile

        self.spec = spec
        self.folder = tempfile.mkdtemp(prefix="labctl-fake-sandbox-")
        with tarfile.open(fileobj=io.BytesIO(spec.files)) as archive:
            archive.extractall(self.folder, filter="data")
        self.host_port = _free_port() if spec.publish else None
        self.install_output = ""
        self._served: subprocess.Popen | None = None
        self.closed = False
        if spec.install:
            done = self.run(spec.install, time_limit=spec.install_timeout)
            self.install_output = (done.stdout + done.stderr).decode(errors="replace")
            if done.exit_code != 0:
                raise LabctlError(f"the install command `{spec.install}` exited with code {done.exit_code}")

    def _env(self, env) -> dict[str, str]:
        import os

        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **self.spec.env, **env}
        if self.host_port:
            full["PORT"] = str(self.host_port)
        return full

    def run(self, command: str, *, stdin: bytes = b"", time_limit: float, env=None) -> SandboxRun:
        import time

        started = time.monotonic()
        try:
            done = subprocess.run(["/bin/sh", "-c", command], cwd=self.folder, input=stdin, capture_output=True,
                                  timeout=time_limit, env=self._env(env or {}), start_new_session=True)
            return SandboxRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        except subprocess.TimeoutExpired as exc:
            return SandboxRun(None, exc.stdout or b"", exc.stderr or b"", time.monotonic() - started)

    def serve(self, command: str, *, env=None) -> None:
        self._log = open(f"{self.folder}.log", "ab")
        self._served = subprocess.Popen(["/bin/sh", "-c", command], cwd=self.folder, env=self._env(env or {}),
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop_serving(self, grace: float = 5.0) -> None:
        import os
        import signal

        if self._served is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self._served.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self._served.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def serving(self) -> bool:
        return self._served is not None and self._served.poll() is None

    def served_exit_code(self) -> int | None:
        return self._served.poll() if self._served is not None else None

    def listening(self, port: int) -> bool:
        import socket

        try:
            socket.create_connection(("127.0.0.1", self.host_port or port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def logs(self, tail: int = 20) -> list[str]:
        try:
            with open(f"{self.folder}.log", encoding="utf-8", errors="replace") as handle:
                return handle.read().splitlines()[-tail:]
        except OSError:
            return []

    def close(self) -> None:
        import os
        import shutil
        import signal

        if self._served is not None:
            try:
                os.killpg(self._served.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._served.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.closed = True


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
