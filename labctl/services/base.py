"""The contract of a service kind: everything labctl knows about one kind lives in its driver class.

A driver is stateless: it reaches its service through the ServiceAccess core hands it. Core calls
prepare() before the container exists, probe() until the service answers, then (once) seed() and
snapshot(); restore() on `labctl reset`; apply() for the steps of solutions and grading. The CLI asks it
how a learner connects (client_hint, host_client) and whether the service takes an SSH login.
Drivers import their client libraries inside methods, so registering every kind costs no start-up time.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Mapping

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.core.model import ServiceSpec, Step


@dataclass(frozen=True)
class SshLogin:
    """How a learner logs in to a service over SSH with the instance's own key."""

    user: str
    port: int  # the container port; the host port is in the service's status
    key_file: Path  # the private key labctl made for the instance
    host_public_key: Path  # the service's own host key, to pin in known_hosts
    known_hosts: Path


class ServiceDriver:
    """One subclass per service kind, listed in labctl/services/__init__.py.

    Class attributes say what the kind is; methods have the defaults of a service with no data
    (nothing to seed, snapshot or restore).
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""  # how learners call it: "PostgreSQL"
    # The lab.yaml steps it runs: `run: FILE` for every kind that takes files; PostgreSQL also `sql: FILE`.
    step_actions: ClassVar[frozenset[str]] = frozenset({"run"})
    # What a `run:` file holds for this kind, said when a step is refused.
    run_file: ClassVar[str] = "a file"
    # The SQL dialect its `sql:`/`run:` files are written in ("postgres", "mysql"); None: not SQL.
    sql_dialect: ClassVar[str | None] = None
    # Keys of its structured `run:` files that only assert what the step saw (a status it expects), not what it
    # does: `labctl lab mutate` never mutates them (a step without its own assertion does the same thing).
    assertion_keys: ClassVar[frozenset[str]] = frozenset()

    def statements(self, text: str) -> list[str]:
        """The statements of one of its step files as the service reads them (comments removed); for a kind
        whose files are not SQL, the text whole."""
        return [text]

    def prepare(self, instance: str, service: ServiceSpec, home: Path) -> dict[str, str]:
        """Before the container is created: extra environment for it (e.g. an SSH public key)."""
        return {}

    def probe(self, access: ServiceAccess) -> None:
        """Return when the service answers its protocol; raise anything while it does not."""
        raise NotImplementedError

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """Run a seed, solution or grading step on the service. Raises LabctlError with the service's message."""
        raise LabctlError(f"{self.title or self.kind} services cannot run {step.action} steps")

    def on_ready(self, access: ServiceAccess) -> None:
        """After every start, once the service answers: what labctl needs set up each time (e.g. its own
        user, where a restart forgets it)."""
        return None

    def is_seeded(self, access: ServiceAccess) -> bool:
        """For instances made before labctl recorded it: whether a start seeded the service (its own marker)."""
        return False

    def holds_data(self, access: ServiceAccess) -> bool:
        """Whether the service holds data of its own (then it is never seeded over without asking)."""
        return False

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Load the lab's starting data (on an empty service)."""
        for step in steps:
            self.apply(access, step)

    def snapshot(self, access: ServiceAccess) -> None:
        """Keep a pristine copy of the seeded data, for reset."""
        return None

    def restore(self, access: ServiceAccess, seed: list[Step]) -> None:
        """Put the data back to the starting state (the pristine copy, or an empty service plus `seed`)."""
        return None

    def client_hint(self, urls: Mapping[str, str]) -> str | None:
        """The command a learner types to connect with the usual client, shown after `labctl start`."""
        return None

    def host_client(self, urls: Mapping[str, str]) -> list[str] | None:
        """A client on the host that `labctl shell` may run when the service's own one cannot be reached."""
        return None

    def ssh_login(self, home: Path, instance: str) -> SshLogin | None:
        """How `labctl ssh` logs in, for a kind that takes SSH logins."""
        return None

    def login_run(self, access: ServiceAccess, command: str, *, timeout: float = 60.0) -> tuple[int, str]:
        """Run a command line as the learner logged in (`labctl ssh -- COMMAND`): (exit code, output)."""
        raise LabctlError(f"{self.title or self.kind} services take no login", "Only a Linux box does.")

    def refuse_step(self, step: Step) -> LabctlError:
        """The error for a step this kind does not run."""
        actions = " or ".join(f"`{a}:`" for a in sorted(self.step_actions))
        return LabctlError(f"{self.title or self.kind} services cannot run {step.action} steps; "
                           f"use {actions} with {self.run_file}")
