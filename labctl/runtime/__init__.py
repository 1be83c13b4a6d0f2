"""Container backends behind the Runtime contract (runtime/base.py), chosen in one place: runtime_for()."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from labctl.core.errors import LabctlError

if TYPE_CHECKING:
    from labctl.core.settings import Settings
    from labctl.runtime.base import Runtime

# LABCTL_RUNTIME value -> the module and class of the backend, imported only when chosen (docker-py is slow
# to import, and a cluster backend will bring its own client). A new backend is one more line here.
BACKENDS: dict[str, tuple[str, str]] = {
    "docker": ("labctl.runtime.docker", "DockerRuntime"),
}


def runtime_for(settings: "Settings") -> "Runtime":
    """The backend LABCTL_RUNTIME names (default: docker, for Docker Engine, Docker Desktop, Colima,
    OrbStack and Podman). Raises LabctlError for a name no backend has."""
    try:
        module, name = BACKENDS[settings.runtime]
    except KeyError:
        raise LabctlError(f"LABCTL_RUNTIME={settings.runtime!r} is not a container backend labctl has",
                          f"Unset it, or set it to one of: {', '.join(BACKENDS)}.") from None
    return getattr(importlib.import_module(module), name)(settings)
