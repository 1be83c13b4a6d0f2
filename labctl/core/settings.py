"""labctl's settings, read from the LABCTL_* environment variables (env_names.py) when asked, never at import time."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from labctl.core.env_names import (ENV_CHECK_TIMEOUT, ENV_DEBUG, ENV_DOCKER_HOST, ENV_HOME, ENV_IMAGE_SOURCE,
                                   ENV_LABS_DIR, ENV_READY_TIMEOUT, ENV_RUNTIME, truthy)
from labctl.core.errors import LabctlError

IMAGE_SOURCES = ("auto", "pull", "build")


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise LabctlError(f"{name}={raw!r} is not a number of seconds", f"Set {name} to e.g. 60, or unset it.")
    if value <= 0:
        raise LabctlError(f"{name}={raw!r} must be more than zero", f"Set {name} to e.g. 60, or unset it.")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    docker_host: str | None = None
    image_source: str = "auto"
    debug: bool = False
    extra_lab_dirs: tuple[Path, ...] = ()
    ready_timeout: float = 90.0
    check_timeout: float = 10.0
    runtime: str = "docker"  # the container backend (runtime/__init__.py), LABCTL_RUNTIME
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        home = env.get(ENV_HOME)
        if home:
            home_path = Path(home).expanduser()
        else:
            import platformdirs

            home_path = Path(platformdirs.user_data_dir("labctl", appauthor=False))
        source = (env.get(ENV_IMAGE_SOURCE) or "auto").strip().lower()
        if source not in IMAGE_SOURCES:
            raise LabctlError(
                f"{ENV_IMAGE_SOURCE}={source!r} is not one of {', '.join(IMAGE_SOURCES)}",
                f"Unset {ENV_IMAGE_SOURCE} or set it to auto (pull, build if that fails), pull or build.",
            )
        runtime = (env.get(ENV_RUNTIME) or "docker").strip().lower()
        lab_dirs = tuple(Path(p).expanduser() for p in (env.get(ENV_LABS_DIR) or "").split(os.pathsep) if p)
        return cls(
            home=home_path,
            docker_host=env.get(ENV_DOCKER_HOST) or None,
            image_source=source,
            debug=truthy(env.get(ENV_DEBUG)),
            extra_lab_dirs=lab_dirs,
            ready_timeout=_float(env, ENV_READY_TIMEOUT, 90.0),
            check_timeout=_float(env, ENV_CHECK_TIMEOUT, 10.0),
            runtime=runtime,
            environ=env,
        )

    @property
    def workspaces_dir(self) -> Path:
        return self.home / "workspaces"
