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
from labctl.core import events, instance_config
from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.events import Emit, Event
from labctl.core.holder import this_holder
from labctl.core.runners import RUNNER_LIMITS, pick_runner
from labctl.core.text import printable
from labctl.core.build_trust import host_certificates, installer_trust
from labctl.core.views import InstanceView, render
from labctl.runtime.base import INSTALL_CA_PATH, Capability, LoopbackForward, Runtime, Sandbox, SandboxSpec

WORK = "/work"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
APP_PORT = 8000  # the port a contained app listens on inside its sandbox ($PORT)
RUNNER_UID = 1000  # the runner images' user: the files it gets are its own
# A command written for labctl's own interpreter ("$LABCTL_PYTHON" app.py: a lab's reference solutions) runs
# on the runner's Python inside a sandbox.
SANDBOX_ENV = {"LABCTL_PYTHON": "python3"}
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
        self.app_port = APP_PORT  # $PORT inside the sandbox

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
        forwards = loopback_forwards(self.view) if network else ()
        if forwards and publish:
            # The app's own URL is then the same string inside and out (an OAuth redirect_uri built from $PORT).
            self.app_port = free_loopback_port({f.listen_port for f in forwards})
        certificates = host_certificates() if self.containment.install else b""
        spec = SandboxSpec(
            instance=self.view.instance, lab=self.view.lab.id, image=image, files=workspace_archive(workspace),
            limits=RUNNER_LIMITS, env=contained_env(self.view), network=network,
            publish=self.app_port if publish else None, install=self.containment.install,
            install_timeout=self.containment.install_timeout, holder=this_holder() if self.ephemeral else "",
            install_ca=certificates, install_env=installer_trust(INSTALL_CA_PATH, certificates),
            forwards=forwards, same_port=bool(forwards),
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
        inside = {**SANDBOX_ENV, **contained_env(self.view), **(pass_env or {}), "LABCTL_WORKSPACE": WORK}
        done = sandbox.run(command, stdin=stdin, time_limit=time_limit, env=inside)
        return ProgramRun(done.exit_code, decoded(done.stdout), decoded(done.stderr), done.seconds)

    def serve_app(self, command: str, *, timeout: float) -> "ContainedApp":
        """Start the app in the sandbox, told its port in $PORT, and wait until it answers on 127.0.0.1."""
        sandbox = self.open(command, publish=True)
        assert sandbox.host_port is not None
        env = {**SANDBOX_ENV, **contained_env(self.view), "PORT": str(self.app_port), "HOST": "0.0.0.0"}
        app = ContainedApp(command, f"http://127.0.0.1:{sandbox.host_port}", sandbox, env, self.app_port)
        app.serve(timeout)
        return app


@dataclass
class ContainedApp:
    """An app in a sandbox, as HostApps keeps apps: its URL on 127.0.0.1, whether it runs, its output."""

    command: str
    url: str
    sandbox: Sandbox
    env: Mapping[str, str]
    port: int = APP_PORT  # $PORT inside the sandbox

    def serve(self, timeout: float) -> None:
        """Start the command in the sandbox and wait until it answers. Raises LabctlError with its output."""
        from labctl.core.app_process import answers

        sandbox, command = self.sandbox, self.command
        sandbox.serve(command, env=self.env)
        deadline = time.monotonic() + timeout
        while not (sandbox.listening(self.port) and answers(self.url, timeout=0.2)):
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

    def restart(self, timeout: float) -> None:
        """Stop the app (SIGTERM, as a deployment would) and start it again in the same sandbox, with the same
        files and database: what it kept only in memory is gone. Raises LabctlError when it does not come back."""
        self.sandbox.stop_serving()
        self.serve(timeout)

    def running(self) -> bool:
        return self.sandbox.serving()

    def log_tail(self, lines: int = 20) -> list[str]:
        return self.sandbox.logs(lines)

    def stop(self) -> None:
        self.sandbox.close()


def contained_env(view: InstanceView) -> dict[str, str]:
    """The connection settings as code inside the instance's network sees them: services by name, on the
    ports they listen on inside (DATABASE_URL=postgresql://...@postgres:5432/lab); a service with a
    sandbox-loopback command as on the host (127.0.0.1 and its published port: loopback_forwards)."""
    out: dict[str, str] = {}
    for sv in view.services:
        if sv.spec is None:
            continue
        inside = sv.status if sv.spec.sandbox_loopback and sv.status.ports else \
            replace(sv.status, host=sv.spec.name, ports={p: p for p in sv.spec.ports})
        for key, template in sv.spec.urls.items():
            out[key] = render(template, sv.spec, inside)
    out.update(view.secrets)
    out.update(instance_config.variables(view.lab, view.settings))
    return out


def loopback_forwards(view: InstanceView) -> tuple[LoopbackForward, ...]:
    """The forwarders a sandbox needs so that 127.0.0.1:<published port> inside reaches each service that asks
    for it (x-labctl sandbox-loopback), from the service's own image."""
    found = []
    for sv in view.services:
        spec, status = sv.spec, sv.status
        main = spec.main_port if spec is not None else None
        if spec is None or not spec.sandbox_loopback or main is None or main not in status.ports or not status.image:
            continue
        found.append(LoopbackForward(status.image, spec.sandbox_loopback, status.ports[main], spec.name, main))
    return tuple(found)


def free_loopback_port(avoid: set[int]) -> int:
    """A port no one listens on at 127.0.0.1 here, outside `avoid`."""
    import socket

    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port
    raise LabctlError("no free port on 127.0.0.1 for the app", "Close some programs and try again.")


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
