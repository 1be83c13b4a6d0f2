"""Container backends behind the Runtime interface (runtime/base.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.core.settings import Settings
    from labctl.runtime.base import Runtime


def default_runtime(settings: "Settings") -> "Runtime":
    """The Docker-compatible backend (Docker Engine, Docker Desktop, Colima, OrbStack, Podman)."""
    from labctl.runtime.docker import DockerRuntime

    return DockerRuntime(settings)
