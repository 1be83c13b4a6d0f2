"""What a running check may use: the lab's services (by endpoint), the learner's workspace, connections."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from labctl.checks.result import CheckError


@dataclass(frozen=True)
class ServiceAccess:
    """How to reach one running service from the host."""

    name: str
    kind: str
    host: str
    ports: Mapping[int, int]  # container port -> host port on 127.0.0.1
    environment: Mapping[str, str]
    main_port: int | None = None

    @property
    def port(self) -> int:
        if self.main_port is None or self.main_port not in self.ports:
            raise CheckError(f"service {self.name} publishes no port")
        return self.ports[self.main_port]


@dataclass
class CheckContext:
    lab_path: Path
    services: Mapping[str, ServiceAccess]
    workspace: Path | None
    timeout: float = 10.0
    # exec(service, argv, user) -> (exit_code, output): runs a command inside a service's container.
    exec: Callable[[str, list[str], str | None], tuple[int, str]] | None = None
    _connections: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def service(self, name: str) -> ServiceAccess:
        try:
            return self.services[name]
        except KeyError:
            raise CheckError(f"the lab has no running service called {name!r}") from None

    def workspace_file(self, relative: str) -> Path:
        if self.workspace is None:
            raise CheckError("this lab instance has no workspace folder")
        return self.workspace / relative

    def postgres(self, name: str):
        """A cached autocommit psycopg connection to the service (statement timeout = check timeout)."""
        from labctl.services import postgres

        with self._lock:
            conn = self._connections.get(name)
            if conn is not None and not conn.closed:
                return conn
        conn = postgres.connect(self.service(name), timeout=self.timeout)
        with self._lock:
            self._connections[name] = conn
        return conn

    def discard(self, name: str | None) -> None:
        """Forget a connection that may be stuck (after a timeout); closing it could block, so don't wait."""
        with self._lock:
            conn = self._connections.pop(name, None) if name else None
        if conn is not None:
            threading.Thread(target=_quiet_close, args=(conn,), daemon=True).start()

    def close(self) -> None:
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for conn in connections:
            _quiet_close(conn)


def _quiet_close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:
        pass
