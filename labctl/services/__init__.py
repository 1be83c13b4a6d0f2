"""Service drivers, one per service kind, registered here: the kinds a compose file may name.

A new kind is a compose file (compose/<name>.yml with `x-labctl: {kind: ...}`), a driver module in this
folder (a ServiceDriver subclass, see base.py), its line in REGISTERED below, and, for its checks, a family
in checks/.
"""
from __future__ import annotations

import importlib
from typing import Iterable, Mapping

from labctl.core.errors import LabctlError
from labctl.services.base import ServiceDriver, SshLogin

__all__ = ["Drivers", "ServiceDriver", "SshLogin", "DRIVERS", "REGISTERED", "driver_for", "kinds"]

# Every kind, and the driver class that serves it (module, class). A driver's module is imported when a lab
# first needs that kind: `labctl check` on a PostgreSQL lab loads no MongoDB or RabbitMQ client.
REGISTERED: dict[str, tuple[str, str]] = {
    "postgres": ("labctl.services.postgres", "PostgresDriver"),
    "mariadb": ("labctl.services.mariadb", "MariaDBDriver"),
    "redis": ("labctl.services.redis", "RedisDriver"),
    "rabbitmq": ("labctl.services.rabbitmq", "RabbitMQDriver"),
    "mongodb": ("labctl.services.mongodb", "MongoDriver"),
    "linuxbox": ("labctl.services.linuxbox", "LinuxboxDriver"),
    "practice-http": ("labctl.services.practice_http", "PracticeHttpDriver"),
    "oidc": ("labctl.services.oidc", "OidcDriver"),
    "practice-api": ("labctl.services.practice_api", "PracticeApiDriver"),
}


class Drivers:
    """Drivers by kind: given (tests hand core drivers of their own), or registered and made on first use."""

    def __init__(self, drivers: Iterable[ServiceDriver] = (), *, registered: Mapping[str, tuple[str, str]] = {}):
        self._by_kind: dict[str, ServiceDriver] = {}
        self._registered = dict(registered)
        for driver in drivers:
            if not driver.kind or driver.kind in self._by_kind or driver.kind in self._registered:
                raise ValueError(f"driver kind {driver.kind!r} is empty or registered twice")
            self._by_kind[driver.kind] = driver

    def get(self, kind: str) -> ServiceDriver:
        """The driver of a kind. Raises LabctlError for a kind no driver is registered for."""
        driver = self._by_kind.get(kind)
        if driver is not None:
            return driver
        if kind not in self._registered:
            raise LabctlError(f"labctl has no driver for services of kind {kind!r}",
                              f"Known kinds: {', '.join(self.kinds())}.")
        module, name = self._registered[kind]
        driver = getattr(importlib.import_module(module), name)()
        if driver.kind != kind:
            raise ValueError(f"{module}.{name} serves kind {driver.kind!r}, registered as {kind!r}")
        return self._by_kind.setdefault(kind, driver)

    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({*self._by_kind, *self._registered}))


DRIVERS = Drivers(registered=REGISTERED)


def driver_for(kind: str) -> ServiceDriver:
    """The registered driver of a kind. Raises LabctlError for an unknown kind."""
    return DRIVERS.get(kind)


def kinds() -> tuple[str, ...]:
    """Every kind a compose file may name."""
    return DRIVERS.kinds()
