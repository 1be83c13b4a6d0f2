"""Every LABCTL_* environment variable's name, in one place (settings.py reads them; click shows some in --help).

Imports nothing, so the command line can name them without loading anything.
"""
from __future__ import annotations

from typing import Mapping

ENV_HOME = "LABCTL_HOME"
ENV_DOCKER_HOST = "LABCTL_DOCKER_HOST"
ENV_IMAGE_SOURCE = "LABCTL_IMAGE_SOURCE"
ENV_DEBUG = "LABCTL_DEBUG"
ENV_LABS_DIR = "LABCTL_LABS_DIR"
ENV_READY_TIMEOUT = "LABCTL_READY_TIMEOUT"
ENV_CHECK_TIMEOUT = "LABCTL_CHECK_TIMEOUT"
ENV_RUNTIME = "LABCTL_RUNTIME"
# A PEM file of certificate authorities for local image builds that fetch over HTTPS (core/build_trust.py).
ENV_BUILD_CA = "LABCTL_BUILD_CA"
# Read by click for the options they fill (shown in --help as [env var: ...]), not by Settings.
ENV_QUIET = "LABCTL_QUIET"
ENV_INSTANCE = "LABCTL_INSTANCE"


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def debug_from(environ: Mapping[str, str]) -> bool:
    """LABCTL_DEBUG alone, for the exit path, which must know it even when other settings are broken."""
    return truthy(environ.get(ENV_DEBUG))
