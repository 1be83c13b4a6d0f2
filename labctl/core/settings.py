"""labctl's settings, read from the LABCTL_* environment variables (env_names.py) when asked, never at import time."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from labctl.core.env_names import (ENV_CHECK_TIMEOUT, ENV_DEBUG, ENV_DOCKER_HOST, ENV_HOME, ENV_IMAGE_SOURCE,
                                   ENV_LABS_DIR, ENV_READY_TIMEOUT, ENV_RUNTIME, truthy)
from labctl.core.errors import LabctlError
from labctl.core.exit_codes import ExitCode

IMAGE_SOURCES = ("auto", "pull", "build")


DEFAULT_READY_TIMEOUT = 90.0  # seconds for a service to answer, when neither LABCTL_READY_TIMEOUT nor its catalog says
MAX_SECONDS = 86400.0


def _seconds(environ: Mapping[str, str], name: str, default: float | None) -> float | None:
    """A number of seconds from the environment: finite, more than zero, at most a day."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise LabctlError(f"{name}={raw!r} is not a number of seconds", f"Set {name} to e.g. 60, or unset it.",
                          exit_code=ExitCode.USAGE) from None
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise LabctlError(f"{name}={raw!r} must be a number of seconds above 0 and at most {MAX_SECONDS:g}",
                          f"Set {name} to e.g. 60, or unset it.", exit_code=ExitCode.USAGE)
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    docker_host: str | None = None
    image_source: str = "auto"
    debug: bool = False
    extra_lab_dirs: tuple[Path, ...] = ()
    # LABCTL_READY_TIMEOUT when set (it wins over every service's own); None: each service's, else the default.
    ready_timeout: float | None = None
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
            ready_timeout=_seconds(env, ENV_READY_TIMEOUT, None),
            check_timeout=_seconds(env, ENV_CHECK_TIMEOUT, 10.0),
            runtime=runtime,
            environ=env,
        )

    @property
    def workspaces_dir(self) -> Path:
        return self.home / "workspaces"
