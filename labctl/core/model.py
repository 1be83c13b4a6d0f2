"""The resolved model: what a lab is once its files have been read and checked."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from labctl.check_engine.base import Check

ROADMAP_STAGES: dict[int, str] = {
    1: "Programming basics",
    2: "How the web works",
    3: "Git",
    4: "Framework basics",
    5: "Databases",
    6: "Authentication and authorization",
    7: "RESTful APIs",
    8: "Deployment",
    9: "Advanced topics",
    10: "Practice projects",
}


@dataclass(frozen=True)
class VolumeMount:
    name: str  # short name in the compose file; the engine name is labctl-<instance>-<service>-<name>
    target: str


@dataclass(frozen=True)
class ResourceLimits:
    """What one container of a lab may use (compose `deploy.resources.limits`, overridable per lab)."""

    cpus: float = 1.0
    memory_bytes: int = 512 * 1024 ** 2
    pids: int = 512

    @property
    def memory_text(self) -> str:
        mib = self.memory_bytes / 1024 ** 2
        return f"{mib / 1024:g} GiB" if mib >= 1024 else f"{mib:g} MiB"


@dataclass(frozen=True)
class ServiceSpec:
    """One service of a lab: a catalog entry with the lab's overrides applied."""

    name: str
    catalog: str
    kind: str
    image: str | None
    build_context: Path | None
    dockerfile: str | None
    image_policy: str  # pull-or-build | build-only | pull-only
    environment: Mapping[str, str]
    ports: tuple[int, ...]  # container ports; the first is the main one
    volumes: tuple[VolumeMount, ...]
    command: tuple[str, ...] | None
    urls: Mapping[str, str]  # env var name -> template
    credentials: Mapping[str, str]  # label shown to the learner -> template
    shell: tuple[str, ...]
    ready_timeout: float | None
    summary: str = ""
    source: Path | None = None  # the compose file it came from
    offline_hint: str = ""  # why there is no local build, when there is none
    local_build_note: str = ""  # what the local build is, when it is not the official image's software
    host_ports: Mapping[int, int] = field(default_factory=dict)  # preferred host port per container port
    limits: ResourceLimits = ResourceLimits()
    secrets: tuple[str, ...] = ()  # environment variables made per instance (core/instance_secrets.py)
    legacy: Mapping[str, str] = field(default_factory=dict)  # their values in instances made before that
    # A command from the service's image that forwards 127.0.0.1:<published port> inside a graded app's sandbox
    # to the service (x-labctl sandbox-loopback); empty: the sandbox reaches the service by name.
    sandbox_loopback: tuple[str, ...] = ()
    # The container's own file system is learner state (x-labctl keep-filesystem): kept across a re-create.
    keep_filesystem: bool = False

    @property
    def main_port(self) -> int | None:
        return self.ports[0] if self.ports else None


@dataclass(frozen=True)
class AppLaunch:
    """How a solution starts an app on the host: a shell command in a folder, told its port through $PORT."""

    command: str
    folder: str  # relative to the lab folder (in_workspace=False) or to the workspace
    in_workspace: bool
    url_setting: str


@dataclass(frozen=True)
class Step:
    """One step of a seed, a solution or a near miss: run SQL on a service, copy a file into the workspace,
    give the instance settings, or start an app."""

    action: str  # "sql" | "run" (driver) | "copy" (into the workspace) | "config" | "app"
    source: Path | None = None
    service: str | None = None
    target: str | None = None  # for copy: path inside the workspace
    values: Mapping[str, str] = field(default_factory=dict)  # for config
    app: AppLaunch | None = None  # for app


@dataclass(frozen=True)
class Setting:
    """A value the learner gives the lab with `labctl config set` (e.g. how to run their program)."""

    name: str
    description: str
    kind: str  # text | command | url | seconds
    default: str | None = None
    example: str | None = None
    env: str | None = None  # the environment variable the learner's app gets it in


@dataclass(frozen=True, eq=False)
class CheckSpec:
    """One check of a task. The loader validates its parameters into a Check when it is first needed
    (`resolve`), so a command that only shows a lab (status, env, tasks) never imports check families."""

    type: str
    _check: "Check | None"
    index: int
    resolve: Callable[[], "Check"] | None = field(default=None, repr=False)

    @property
    def check(self) -> "Check":
        """The validated check. Raises LabFileError (file and field) when its parameters are wrong."""
        if self._check is None:
            assert self.resolve is not None
            object.__setattr__(self, "_check", self.resolve())
        assert self._check is not None
        return self._check

    @property
    def service(self) -> str | None:
        return self.check.service


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    instructions: Path
    hints: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    needs: tuple[str, ...]
    solution: tuple[Step, ...]
    weight: int = 1


@dataclass(frozen=True)
class NearMiss:
    id: str
    task: str
    description: str
    steps: tuple[Step, ...]
    expect: str  # text the failing check's message must contain


@dataclass(frozen=True)
class Variant:
    """Another correct answer to a task (another spelling a teacher accepts): it must pass."""

    id: str
    task: str
    description: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class LabSecret:
    """A value labctl makes for each instance of a lab (a JWT signing key): its app and its checks share it."""

    name: str  # the environment variable: JWT_SECRET
    description: str
    random_bytes: int = 32


@dataclass(frozen=True)
class BugSwitch:
    """A mistake the reference can make on purpose (`--bug NAME`): a mutant that must fail its task."""

    task: str
    bug: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class EquivalentMutant:
    """A mutant of the reference that is still a right answer, and why (`labctl lab mutate` skips it)."""

    task: str
    mutant: str
    reason: str


@dataclass(frozen=True)
class GradeStep:
    """Apply the submission's files matching a glob, in name order, to a service (sql or run)."""

    action: str  # "sql" | "run"
    pattern: str  # relative to the submission
    service: str


@dataclass(frozen=True)
class Grading:
    summary: str
    steps: tuple[GradeStep, ...]


@dataclass(frozen=True)
class LabProcess:
    """A process of the learner's app that labctl can run (launch mode): its command comes from a setting,
    and, when it serves HTTP, where it listens from another."""

    name: str
    command_setting: str
    url_setting: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    stage: int
    summary: str
    minutes: int
    path: Path
    services: Mapping[str, ServiceSpec]
    seed: tuple[Step, ...]
    workspace: Path | None
    tasks: tuple[Task, ...]
    near_misses: tuple[NearMiss, ...] = field(default=())
    variants: tuple[Variant, ...] = field(default=())
    bug_switches: tuple[BugSwitch, ...] = field(default=())
    equivalent_mutants: tuple[EquivalentMutant, ...] = field(default=())
    plumbing_lines: tuple[str, ...] = ()  # globs of step-file lines `lab mutate` leaves alone
    settings: Mapping[str, Setting] = field(default_factory=dict)
    secrets: Mapping[str, LabSecret] = field(default_factory=dict)
    processes: Mapping[str, LabProcess] = field(default_factory=dict)  # launch mode (core/launcher.py)
    grading: Grading | None = None  # None: a lab with services cannot grade a submission

    def task(self, task_id: str) -> Task | None:
        """A task by its id, or by its number as `labctl tasks` shows it (1 for the first)."""
        found = next((t for t in self.tasks if t.id == task_id), None)
        if found is None and task_id.isdigit() and 1 <= int(task_id) <= len(self.tasks):
            return self.tasks[int(task_id) - 1]
        return found

    def validate_checks(self) -> "Lab":
        """Validate every check's parameters now. Raises LabFileError naming the file and field."""
        for task in self.tasks:
            for spec in task.checks:
                _ = spec.check
        return self

    @property
    def stage_name(self) -> str:
        return ROADMAP_STAGES.get(self.stage, "")
