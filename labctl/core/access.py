"""How the host reaches one running service, and what it sees of one from outside: passed from core to
service drivers and to checks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from labctl.core.errors import CheckError


@dataclass(frozen=True)
class ServiceAccess:
    """How to reach one running service from the host."""

    name: str
    kind: str
    host: str
    ports: Mapping[int, int]  # container port -> host port on 127.0.0.1
    environment: Mapping[str, str]
    main_port: int | None = None
    instance: str = ""
    home: Path | None = None  # LABCTL_HOME: per-instance files (e.g. SSH keys) live under it

    @property
    def port(self) -> int:
        """The host port of the service's main port. Raises CheckError when it publishes none."""
        if self.main_port is None or self.main_port not in self.ports:
            raise CheckError(f"service {self.name} publishes no port")
        return self.ports[self.main_port]


@dataclass(frozen=True)
class PathFacts:
    """One path of a service's file system as the engine sees it (read_path), not as a command inside answers."""

    kind: str  # "file", "directory", "symlink", "other"
    mode: int  # permission bits with setuid/setgid/sticky, e.g. 0o2775
    uid: int
    gid: int
    size: int = 0
    target: str = ""  # a symlink's target, as written
    content: bytes | None = None  # a regular file's bytes, when asked for and not larger than asked
