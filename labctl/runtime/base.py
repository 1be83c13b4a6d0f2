"""The Runtime contract: everything core and the CLI need from a container backend, addressed by instance id.

A backend keeps no state of its own: it finds everything again by the io.labctl.* labels (or, for a
Kubernetes backend, by the same keys as labels on pods, services and PVCs; docs/design/cluster.md).
Anything a backend cannot do is declared in `capabilities` (and `images.can_build`), and callers check
it before asking; nothing raises "not supported". tests/contract/ holds the suite every backend passes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, Callable, Iterator, Mapping, Protocol

from labctl.core.access import PathFacts
from labctl.core.events import Event
from labctl.core.model import Lab, ResourceLimits, ServiceSpec

Emit = Callable[[Event], None]



class Capability(str, Enum):
    """What a backend may be unable to do; each is checked by the code that needs it."""

    EXEC = "exec"  # exec(): commands inside a service (linux.* checks, coreutils timeout)
    FOLLOW_LOGS = "follow-logs"  # logs(follow=True) (`labctl logs -f`)
    INTERACTIVE = "interactive"  # interactive_command() gives a host command line (`labctl shell`)
    SANDBOX = "sandbox"  # open_sandbox(): untrusted code in a container of its own (grading)
    RESTART = "restart"  # restart(): a service's container restarted in place, like a reboot (linux.reboot)
    # observe() and read_path(): a service seen from outside, where nothing inside it can change the answer
    OBSERVE = "observe"


class ServiceState(str, Enum):
    RUNNING = "running"
    STOPPED = "stopped"
    PAUSED = "paused"
    STARTING = "starting"
    MISSING = "missing"  # no container (never started, or removed)
    FAILED = "failed"  # exited with an error, or dead


@dataclass(frozen=True)
class EngineInfo:
    endpoint: str
    how: str  # why this endpoint was chosen
    name: str  # "Docker Engine", "Docker Desktop", "Podman", ...
    version: str
    api_version: str
    os: str
    arch: str
    cpus: int
    memory_bytes: int
    storage_driver: str = ""
    cgroup_version: str = ""
    root_dir: str = ""


@dataclass(frozen=True)
class InstanceSpec:
    """What to run: a lab's services under an instance id."""

    instance: str
    lab: Lab
    workspace: Path | None
    ephemeral: bool = False  # torn down by tests and graders; eligible for cleanup by label
    # Per service: environment the drivers add at creation (e.g. the instance's SSH public key).
    extra_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Extra labels on every resource (never io.labctl.*), e.g. testcontainers' session id for Ryuk.
    labels: Mapping[str, str] = field(default_factory=dict)
    holder: str = ""  # for an ephemeral instance: the process it belongs to (core/holder.py), as a label
    # Per service: the host ports a container made now takes again if it can (container port -> host port):
    # a reset's fresh Linux box keeps the port the learner's SSH and a test's view already use.
    keep_ports: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    @property
    def services(self) -> Mapping[str, ServiceSpec]:
        return self.lab.services


@dataclass(frozen=True)
class ServiceStatus:
    instance: str
    lab: str
    service: str
    catalog: str
    state: ServiceState
    host: str = "127.0.0.1"
    # container port -> where the host reaches it on `host` (published on 127.0.0.1; forwarded by a cluster backend)
    ports: Mapping[int, int] = field(default_factory=dict)
    container: str = ""
    image: str = ""
    # The recipe's image its file system started from, when it runs a kept copy of it (keep-filesystem).
    origin: str = ""
    detail: str = ""  # e.g. "exited with code 1"
    workspace: str = ""
    ephemeral: bool = False
    holder: str = ""


@dataclass(frozen=True)
class InstanceSummary:
    instance: str
    lab: str
    services: tuple[ServiceStatus, ...]
    workspace: str = ""

    @property
    def state(self) -> str:
        if not self.services:
            return "ready"  # a lab without services: nothing to run
        states = {s.state for s in self.services}
        if states == {ServiceState.RUNNING}:
            return "running"
        if states <= {ServiceState.STOPPED, ServiceState.MISSING}:
            return "stopped"
        return "degraded"


@dataclass(frozen=True)
class ExecResult:
    exit_code: int  # 124 when the timeout stopped it
    output: str


@dataclass(frozen=True)
class ImageInfo:
    """A local image."""

    id: str
    tags: tuple[str, ...] = ()
    size: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)


class ImageStore(Protocol):
    """The images a backend runs services from. Every method raises LabctlError with what to do."""

    can_build: bool  # False: build() cannot work here; a local build must be pushed or loaded instead

    def resolve(self, service: ServiceSpec, source: str, emit: Emit) -> str:
        """The reference to run `service` from, pulled or built as LABCTL_IMAGE_SOURCE (`source`) says
        (core/image_policy.py). Raises ImageUnavailableError when it cannot be had."""

    def local_tag(self, service: ServiceSpec) -> str | None:
        """The tag of the service's local build (from its build context), or None when it has none."""

    def inspect(self, ref: str) -> ImageInfo | None:
        """The local image, or None when it is not here."""

    def pull(self, ref: str, service: str, emit: Emit) -> str | None:
        """Pull with progress events; None when pulled, else why not (one line)."""

    def build(self, service: ServiceSpec, emit: Emit) -> str:
        """Build the service's local image (once per build-context digest); its tag."""

    def push(self, ref: str, target: str, emit: Emit) -> None:
        """Copy a local image to a registry as `target` (a cluster pulls from there)."""

    def export(self, ref: str) -> Iterator[bytes]:
        """The image as one archive (`docker save`), for workshop bundles."""

    def load(self, stream: IO[bytes]) -> list[str]:
        """Load an archive made by export(); what the backend reported loading."""

    def tag(self, image_id: str, ref: str) -> None:
        """Give a local image another reference."""

    def list(self) -> list[ImageInfo]:
        """The images labctl built (they carry its label)."""

    def remove(self, image_id: str) -> None:
        """Remove a local image (prune); refuses one a container uses."""


INSTALL_CA_PATH = "/tmp/labctl-install-ca.pem"  # outside /work: never part of what the submission runs from


@dataclass(frozen=True)
class SandboxSpec:
    """Untrusted code (a submission being graded) in a container of its own: only a copy of its files in /work,
    a user without privileges, limits, no engine socket and no host path; on the instance's network (its
    services by name, and no route out) or on none. Removed by close(), or with the instance."""

    instance: str
    lab: str
    image: str
    files: bytes  # a tar, unpacked in /work
    limits: ResourceLimits = ResourceLimits()
    env: Mapping[str, str] = field(default_factory=dict)
    network: bool = False  # True: the instance's network (made for it if the lab has no services)
    publish: int | None = None  # a port inside to publish on 127.0.0.1 (an app)
    install: str | None = None  # a shell command run first in /work, with a network that reaches out
    install_timeout: float = 600.0
    # The host's certificate authorities (PEM), put at INSTALL_CA_PATH for the install command alone, with
    # install_env naming them to pip, npm and the rest: an install works behind a TLS-inspecting proxy.
    install_ca: bytes = b""
    install_env: Mapping[str, str] = field(default_factory=dict)
    holder: str = ""  # the process it belongs to (core/holder.py)
    forwards: tuple["LoopbackForward", ...] = ()  # services reached on 127.0.0.1 inside, as on the host
    same_port: bool = False  # publish `publish` on the same port number of 127.0.0.1 (the app's URL is one string)


@dataclass(frozen=True)
class LoopbackForward:
    """A helper beside a sandbox, sharing its network: it listens on 127.0.0.1:listen_port there and forwards to a
    service of the instance (target_host:target_port on the instance's network). Run from the service's own
    image (`image`, with `command`; LISTEN_PORT, TARGET_HOST and TARGET_PORT in its environment)."""

    image: str
    command: tuple[str, ...]
    listen_port: int
    target_host: str
    target_port: int


@dataclass(frozen=True)
class SandboxRun:
    exit_code: int | None  # None: stopped at the time limit
    stdout: bytes
    stderr: bytes
    seconds: float


class Sandbox(Protocol):
    host_port: int | None  # where the published port is reached on 127.0.0.1
    install_output: str  # what the install command printed

    def run(self, command: str, *, stdin: bytes = b"", time_limit: float, env: Mapping[str, str] = {}) -> SandboxRun:
        """Run a shell command in /work with stdin; everything it started ends at the time limit."""

    def serve(self, command: str, *, env: Mapping[str, str] = {}) -> None:
        """Start a long-running shell command in /work (an app), in the background."""

    def serving(self) -> bool:
        """Whether what serve() started still runs."""

    def served_exit_code(self) -> int | None:
        """The exit code of what serve() started, once it has ended (None while it runs, or when unknown)."""

    def stop_serving(self, grace: float = 5.0) -> None:
        """End what serve() started and everything it started (SIGTERM, then SIGKILL after grace seconds); the
        sandbox stays, so serve() can start the app again (a check that restarts the app)."""

    def listening(self, port: int) -> bool:
        """Whether something in the sandbox listens on the port (on the host side, the published port accepts
        connections even before that: the engine's proxy does)."""

    def logs(self, tail: int = 20) -> list[str]:
        """The last lines of what serve() started printed."""

    def close(self) -> None:
        """Remove the sandbox and everything in it."""


class Runtime(Protocol):
    name: str  # "docker"
    capabilities: frozenset[Capability]
    images: ImageStore

    def available(self) -> EngineInfo:
        """The engine's identity. Raises EngineUnavailableError with what to do."""

    def smoke_test(self) -> str:
        """Run a throwaway container and return what it printed (`labctl doctor`). Raises LabctlError."""

    def up(self, spec: InstanceSpec, service: str, emit: Emit) -> ServiceStatus:
        """Make the service's container exist and run (image, network, volumes included); keeps data."""

    def down(self, instance: str, *, remove: bool, emit: Emit) -> list[str]:
        """Stop the instance (remove=False keeps everything) or remove it with its data. Returns what it did."""

    def discard(self, instance: str, service: str, emit: Emit) -> list[str]:
        """Remove one service's container and what was kept of its own file system (keep-filesystem), never its
        volumes: the next `up` makes it afresh from the current image. Returns what it did."""

    def status(self, instance: str) -> list[ServiceStatus]:
        """Each service's state; empty when the instance does not exist."""

    def list(self) -> list[InstanceSummary]:
        """Every labctl instance the engine knows."""

    def throwaway_holders(self) -> dict[str, frozenset[str]]:
        """Per ephemeral instance of this owner, the holders its resources name (containers, networks and
        volumes alike: a network may outlive its containers when its labctl is killed)."""

    def exec(self, instance: str, service: str, argv: list[str], *, user: str | None = None,
             timeout: float | None = None) -> ExecResult:
        """Run a command inside a running service; with a timeout it is killed then (exit code 124)."""

    def logs(self, instance: str, service: str, *, tail: int = 100, follow: bool = False) -> Iterator[str]:
        """The service's log lines."""

    def restart(self, instance: str, service: str, *, grace: float = 10.0) -> None:
        """Restart a running service's container in place, as a reboot would: every process ends (killed after
        `grace` seconds), its file system and ports stay. Capability RESTART. Raises LabctlError."""

    def observe(self, instance: str, service: str, argv: list[str], *, timeout: float) -> ExecResult:
        """Run argv beside a running service, in a clean short-lived container from the image the service was
        made from, sharing its process and network namespaces (so `ps`, `ss`, `kill` see the service's own) but
        none of its files: nothing done inside the service can change what it answers. Capability OBSERVE."""

    def read_path(self, instance: str, service: str, path: str, *, max_bytes: int = 0) -> PathFacts | None:
        """A path of the service's file system through the engine (the link itself for a symlink), with a
        regular file's content when it is at most max_bytes; None when nothing is there. Capability OBSERVE."""

    def open_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """Make the sandbox, unpack the files, run the install command if any, and return it ready.
        Raises LabctlError (with the install's output when that failed)."""

    def interactive_command(self, instance: str, service: str, argv: list[str], *, tty: bool) -> list[str] | None:
        """A host command line that runs argv inside the service with stdin attached (and a terminal when
        tty), or None when this machine has no way to (e.g. no docker CLI)."""
