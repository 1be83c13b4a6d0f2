"""Service drivers: how to probe, seed, snapshot and restore each kind of service, from the host."""
from __future__ import annotations

from typing import Protocol

from labctl.checks.context import ServiceAccess
from labctl.core.model import Step


class ServiceDriver(Protocol):
    kind: str

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

    def restore(self, access: ServiceAccess) -> None:
        """Put the data back to the pristine copy."""


class NullDriver:
    """For kinds with no data to seed or reset."""

    def __init__(self, kind: str):
        self.kind = kind

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

    def restore(self, access: ServiceAccess) -> None:
        return None


def driver_for(kind: str) -> ServiceDriver:
    if kind == "postgres":
        from labctl.services.postgres import PostgresDriver

        return PostgresDriver()
    return NullDriver(kind)
