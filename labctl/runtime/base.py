"""The Runtime interface: what labctl needs from a container backend, addressed by instance id.

A backend keeps no state of its own: it finds everything again by the io.labctl.* labels (or, for a
Kubernetes backend, by the same keys as labels on pods, services and PVCs). Anything a backend cannot
do is declared in `capabilities`, never raised as "not supported".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable, Iterator, Mapping, Protocol

from labctl.core.events import Event
from labctl.core.model import Lab, ServiceSpec

Emit = Callable[[Event], None]

# Capabilities a backend may declare.
CAN_BUILD = "build"  # can build images from compose/images/<service>
CAN_EXEC = "exec"
CAN_FOLLOW_LOGS = "follow-logs"
CAN_INTERACTIVE = "interactive"  # interactive_command() returns something runnable


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
    ports: Mapping[int, int] = field(default_factory=dict)  # container port -> host port
    container: str = ""
    image: str = ""
    detail: str = ""  # e.g. "exited with code 1"
    workspace: str = ""


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
    exit_code: int
    output: str


class Runtime(Protocol):
    capabilities: frozenset[str]
    # Image operations (inspect, pull, build, export, load, tag, remove): see runtime/docker/image_store.py.
    images: object

    def available(self) -> EngineInfo:
        """The engine's identity. Raises EngineUnavailableError with what to do."""

    def up(self, spec: InstanceSpec, service: str, emit: Emit) -> ServiceStatus:
        """Make the service's container exist and run (image, network, volumes included); keeps data."""

    def down(self, instance: str, *, remove: bool, emit: Emit) -> list[str]:
        """Stop the instance (remove=False keeps everything) or remove it with its data. Returns what it did."""

    def status(self, instance: str) -> list[ServiceStatus]:
        """Each service's state; empty when the instance does not exist."""

    def list(self) -> list[InstanceSummary]:
        """Every labctl instance the engine knows."""

    def exec(self, instance: str, service: str, argv: list[str], *, user: str | None = None,
             timeout: float | None = None) -> ExecResult:
        """Run a command inside a running service; with a timeout it is killed then (exit code 124)."""

    def endpoint(self, instance: str, service: str, port: int) -> tuple[str, int]:
        """Where the host reaches the service's port: (127.0.0.1, host port)."""

    def logs(self, instance: str, service: str, *, tail: int = 100, follow: bool = False) -> Iterator[str]:
        """The service's log lines."""

    def interactive_command(self, instance: str, service: str, argv: list[str]) -> list[str] | None:
        """A host command line that runs argv interactively inside the service, or None."""
