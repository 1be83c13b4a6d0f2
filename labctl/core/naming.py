"""Names of engine resources, and the validation of instance names."""
from __future__ import annotations

import re

from labctl.core.errors import LabctlError

# \Z, not $: $ also matches before a final newline, which would let "alice\n" through.
INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}\Z")


def validate_instance(name: str) -> str:
    """The name, if it may name an instance. Raises LabctlError otherwise."""
    if not isinstance(name, str) or not INSTANCE_RE.match(name):
        raise LabctlError(
            f"{name!r} is not a valid instance name",
            "Use 1 to 48 lowercase letters, digits and dashes, starting with a letter or digit (e.g. alice).",
        )
    return name


def container(instance: str, service: str) -> str:
    return f"labctl-{instance}-{service}"


def network(instance: str) -> str:
    return f"labctl-{instance}"


def volume(instance: str, service: str, volume_name: str) -> str:
    suffix = "data" if volume_name == "data" else f"{volume_name}-data"
    return f"labctl-{instance}-{service}-{suffix}"


def kept_image(instance: str, service: str) -> str:
    """The image a container's file system is committed to before labctl re-creates it (keep-filesystem)."""
    return f"labctl-{instance}-{service}-kept:latest"
