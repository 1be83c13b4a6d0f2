"""Service drivers, one per service kind, registered here: the kinds a compose file may name.

A new kind is a compose file (compose/<name>.yml with `x-labctl: {kind: ...}`), a driver module in this
folder (a ServiceDriver subclass, see base.py), its line in DRIVERS below, and, for its checks, a family
in checks/.
"""
from __future__ import annotations

from typing import Iterable

from labctl.core.errors import LabctlError
from labctl.services.base import ServiceDriver, SshLogin
from labctl.services.linuxbox import LinuxboxDriver
from labctl.services.mariadb import MariaDBDriver
from labctl.services.mongodb import MongoDriver
from labctl.services.postgres import PostgresDriver
from labctl.services.practice_http import PracticeHttpDriver
from labctl.services.rabbitmq import RabbitMQDriver
from labctl.services.redis import RedisDriver

__all__ = ["Drivers", "ServiceDriver", "SshLogin", "DRIVERS", "driver_for", "kinds"]


class Drivers:
    """Drivers by kind. Core takes one of these, so tests can hand it drivers of their own."""

    def __init__(self, drivers: Iterable[ServiceDriver]):
        self._by_kind: dict[str, ServiceDriver] = {}
        for driver in drivers:
            if not driver.kind or driver.kind in self._by_kind:
                raise ValueError(f"driver kind {driver.kind!r} is empty or registered twice")
            self._by_kind[driver.kind] = driver

    def get(self, kind: str) -> ServiceDriver:
        """The driver of a kind. Raises LabctlError for a kind no driver is registered for."""
        try:
            return self._by_kind[kind]
        except KeyError:
            raise LabctlError(f"labctl has no driver for services of kind {kind!r}",
                              f"Known kinds: {', '.join(self.kinds())}.") from None

    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_kind))


DRIVERS = Drivers([
    PostgresDriver(),
    MariaDBDriver(),
    RedisDriver(),
    RabbitMQDriver(),
    MongoDriver(),
    LinuxboxDriver(),
    PracticeHttpDriver(),
])


def driver_for(kind: str) -> ServiceDriver:
    """The registered driver of a kind. Raises LabctlError for an unknown kind."""
    return DRIVERS.get(kind)


def kinds() -> tuple[str, ...]:
    """Every kind a compose file may name."""
    return DRIVERS.kinds()
