"""A submission's own code, contained: its program or app runs in a sandbox (runtime/base.py SandboxSpec)
from a runner image (core/runners.py), never on the grader's machine. `labctl grade` does this by default,
and `labctl check --contained` does it the same way, so a learner can preview their grade."""
from __future__ import annotations

import io
import re
import tarfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from labctl.check_engine.programs import ProgramRun, decoded
from labctl.core import events
from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.events import Emit, Event
from labctl.core.holder import this_holder
from labctl.core.runners import RUNNER_LIMITS, pick_runner
from labctl.core.text import printable
from labctl.core.views import InstanceView, render
from labctl.runtime.base import Capability, Runtime, Sandbox, SandboxSpec

WORK = "/work"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
APP_PORT = 8000  # the port a contained app listens on inside its sandbox ($PORT)
RUNNER_UID = 1000  # the runner images' user: the files it gets are its own
SKIPPED = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
MAX_FILES_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Containment:
    """How graded code runs: `runner` (a language of compose/runners) or a course's own `image`, and an
    install command run first with network access (`pip install -r requirements.txt`, `npm ci`)."""

    runner: str | None = None
    image: str | None = None
    install: str | None = None
    install_timeout: float = 600.0


class ContainedCode:
    """The sandbox of one instance, opened when first needed (the command decides the runner)."""

    def __init__(self, runtime: Runtime, view: InstanceView, containment: Containment, *, ephemeral: bool,
                 image_source: str = "auto", emit: Emit = events.discard):
        if Capability.SANDBOX not in runtime.capabilities:
            raise LabctlError(f"the {runtime.name} backend cannot contain code",
                              "Run it on the host with --host (not isolated), or use the docker backend.")
        if view.workspace is None:
            raise LabctlError("this instance has no workspace folder to run code from")
        self.runtime, self.view, self.containment = runtime, view, containment
        self.ephemeral, self.image_source, self.emit = ephemeral, image_source, emit
        self.sandbox: Sandbox | None = None
        self._lock = threading.Lock()  # checks run in threads: one sandbox, made once
        self.versions = ""
        self.image = ""
        self.language = ""

    # -- the sandbox

    def open(self, command: str | None, *, publish: bool) -> Sandbox:
        """The sandbox (made on the first call; call it before the checks, so that building a runner image
        never counts against a check's time). Raises LabctlError saying what to do."""
        with self._lock:
            if self.sandbox is None:
                self.sandbox = self._make(command, publish=publish)
            return self.sandbox

    def _make(self, command: str | None, *, publish: bool) -> Sandbox:
        workspace = self.view.workspace
        assert workspace is not None
        image = self.containment.image
        if image is None:
            runner = pick_runner(command, workspace, asked=self.containment.runner)
            self.language = runner.language
            self.emit(Event(events.INFO, f"preparing the {runner.language} runner ({runner.summary})"))
            image = self.runtime.images.resolve(runner.image_spec, "build", self.emit)
            versions_command = runner.versions
        else:
            self.language = "custom"
            if self.runtime.images.inspect(image) is None and self.runtime.images.pull(image, "runner", self.emit):
                raise LabctlError(f"the image {image} is not here and cannot be pulled",
                                  "Build or load it first (docker build / labctl images load).")
            versions_command = None
        self.image = image
        network = bool(self.view.lab.services) or publish
        spec = SandboxSpec(
            instance=self.view.instance, lab=self.view.lab.id, image=image, files=workspace_archive(workspace),
            limits=RUNNER_LIMITS, env=contained_env(self.view), network=network,
            publish=APP_PORT if publish else None, install=self.containment.install,
            install_timeout=self.containment.install_timeout, holder=this_holder() if self.ephemeral else "",
        )
        if self.containment.install:
            self.emit(Event(events.INFO, f"installing: {self.containment.install}"))
        sandbox = self.runtime.open_sandbox(spec)
        if versions_command:
            found = sandbox.run(versions_command, time_limit=30)
            plain = printable(ANSI.sub("", decoded(found.stdout)))  # some tools colour their --version
            self.versions = "; ".join(line.strip() for line in plain.splitlines() if line.strip())
            self.emit(Event(events.INFO, f"the {self.language} runner carries {self.versions}"))
        return sandbox

    def close(self) -> None:
        with self._lock:
            if self.sandbox is not None:
                self.sandbox.close()
                self.sandbox = None

    # -- what the checks and the app use

    def run_program(self, command: str, stdin: bytes, *, time_limit: float, env: Mapping[str, str],
                    pass_env: Mapping[str, str] | None = None) -> ProgramRun:
        """The program checks' runner (check_engine/programs.py): the command in the sandbox, in /work.
        `env` is the host's view and is not passed in (its URLs point at the host); `pass_env` are variables a
        check made for the inside (API_URL at a service's name), passed as they are."""
        sandbox = self.open(command, publish=False)
        inside = {**contained_env(self.view), **(pass_env or {}), "LABCTL_WORKSPACE": WORK}
        done = sandbox.run(command, stdin=stdin, time_limit=time_limit, env=inside)
        return ProgramRun(done.exit_code, decoded(done.stdout), decoded(done.stderr), done.seconds)

    def serve_app(self, command: str, *, timeout: float) -> "ContainedApp":
        """Start the app in the sandbox, told its port in $PORT, and wait until it answers on 127.0.0.1."""
        from labctl.core.app_process import answers

        sandbox = self.open(command, publish=True)
        assert sandbox.host_port is not None
        url = f"http://127.0.0.1:{sandbox.host_port}"
        sandbox.serve(command, env={**contained_env(self.view), "PORT": str(APP_PORT), "HOST": "0.0.0.0"})
        app = ContainedApp(command, url, sandbox)
        deadline = time.monotonic() + timeout
        while not (sandbox.listening(APP_PORT) and answers(url, timeout=0.2)):
            if not sandbox.serving():
                tail = sandbox.logs()
                code = sandbox.served_exit_code()
                ended = f"exited with code {code}" if code is not None else "stopped"
                raise LabctlError(f"`{command}` {ended} before answering (in its sandbox)",
                                  "Its last output:\n" + "\n".join(tail) if tail else "It printed nothing.")
            if time.monotonic() > deadline:
                tail = sandbox.logs()
                raise ServiceNotReadyError(f"`{command}` did not answer within {timeout:g}s (in its sandbox)",
                                           "Does it listen on the port in $PORT, on every interface (0.0.0.0)? "
                                           + ("Its last output:\n" + "\n".join(tail) if tail else "It printed nothing."))
            time.sleep(0.05)
        return app


@dataclass
class ContainedApp:
    """An app in a sandbox, as HostApps keeps apps: its URL on 127.0.0.1, whether it runs, its output."""

    command: str
    url: str
    sandbox: Sandbox

    def running(self) -> bool:
        return self.sandbox.serving()

    def log_tail(self, lines: int = 20) -> list[str]:
        return self.sandbox.logs(lines)

    def stop(self) -> None:
        self.sandbox.close()


def contained_env(view: InstanceView) -> dict[str, str]:
    """The connection settings as code inside the instance's network sees them: services by name, on the
    ports they listen on inside (DATABASE_URL=postgresql://...@postgres:5432/lab)."""
    out: dict[str, str] = {}
    for sv in view.services:
        if sv.spec is None:
            continue
        inside = replace(sv.status, host=sv.spec.name, ports={p: p for p in sv.spec.ports})
        for key, template in sv.spec.urls.items():
            out[key] = render(template, sv.spec, inside)
    out.update(view.secrets)
    return out


def workspace_archive(folder: Path) -> bytes:
    """The submission's files as the tar a sandbox unpacks in /work, owned by the runner's user; no
    version-control folders, dependencies or caches, no symlinks; at most 200 MiB."""
    buffer = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part in SKIPPED for part in relative.parts) or path.is_symlink():
                continue
            member = tarfile.TarInfo(relative.as_posix())
            member.uid = member.gid = RUNNER_UID
            member.uname = member.gname = "runner"
            member.mtime = int(path.stat().st_mtime)
            if path.is_dir():
                member.type, member.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(member)
            elif path.is_file():
                data = path.read_bytes()
                total += len(data)
                if total > MAX_FILES_BYTES:
                    raise LabctlError("the submission is larger than 200 MiB", "Leave build output and dependencies out.")
                member.size, member.mode = len(data), 0o755 if path.stat().st_mode & 0o111 else 0o644
                archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()
