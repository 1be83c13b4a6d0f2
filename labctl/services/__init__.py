"""Service drivers: how to probe, seed, snapshot and restore each kind of service, from the host."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

from labctl.core.access import ServiceAccess
from labctl.core.model import ServiceSpec, Step


class ServiceDriver(Protocol):
    """One per service kind, in labctl/services/<kind>.py as the class `Driver`."""

    kind: str

    def prepare(self, instance: str, service: ServiceSpec, home: Path) -> dict[str, str]:
        """Before the container is created: extra environment for it (e.g. an SSH public key)."""

    def probe(self, access: ServiceAccess) -> None:
        """Return when the service answers its protocol; raise anything while it does not."""

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """Run a seed or solution step on the service. Raises LabctlError with the service's message."""

    def is_seeded(self, access: ServiceAccess) -> bool:
        """True once a start has seeded the service and kept its pristine copy."""

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Load the lab's starting data (on an empty service)."""

    def snapshot(self, access: ServiceAccess) -> None:
        """Keep a pristine copy of the seeded data, for reset."""

    def restore(self, access: ServiceAccess, seed: list[Step]) -> None:
        """Put the data back to the starting state (the pristine copy, or an empty service plus `seed`)."""


class NullDriver:
    """For kinds with no data to seed or reset."""

    def __init__(self, kind: str):
        self.kind = kind

    def prepare(self, instance: str, service: ServiceSpec, home: Path) -> dict[str, str]:
        return {}

    def probe(self, access: ServiceAccess) -> None:
        return None

    def apply(self, access: ServiceAccess, step: Step) -> None:
        from labctl.core.errors import LabctlError

        raise LabctlError(f"{self.kind} services cannot run {step.action} steps")

    def is_seeded(self, access: ServiceAccess) -> bool:
        return True

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        return None

    def snapshot(self, access: ServiceAccess) -> None:
        return None

    def restore(self, access: ServiceAccess, seed: list[Step]) -> None:
        return None


def driver_for(kind: str) -> ServiceDriver:
    """The driver of a service kind: labctl.services.<kind>.Driver, or a NullDriver when there is none."""
    try:
        module = importlib.import_module(f"labctl.services.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"labctl.services.{kind}":
            raise
        return NullDriver(kind)
    return module.Driver()
