"""Which image a service runs from, whatever the backend: the official image when present or pullable,
else the local build (LABCTL_IMAGE_SOURCE); and the tag of a local build, a digest of its context."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from labctl.core import events
from labctl.core.errors import ImageUnavailableError
from labctl.core.events import Emit, Event
from labctl.core.model import ServiceSpec

if TYPE_CHECKING:
    from labctl.runtime.base import ImageStore

LOCAL_REPOSITORY = "labctl-local"


def context_hash(context: Path, dockerfile: str | None = None) -> str:
    """A digest of every file in the build context, so a changed Dockerfile means a new local image."""
    digest = hashlib.sha256((dockerfile or "Dockerfile").encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def local_tag(service: ServiceSpec) -> str | None:
    """labctl-local/<catalog>:<digest of the build context>, or None for a service without a local build."""
    if service.build_context is None:
        return None
    return f"{LOCAL_REPOSITORY}/{service.catalog}:{context_hash(service.build_context, service.dockerfile)[:12]}"


def resolve(store: "ImageStore", service: ServiceSpec, source: str, emit: Emit) -> str:
    """The image reference to run `service` from, pulling or building it when needed.

    source is LABCTL_IMAGE_SOURCE: auto (official if present or pullable, else the local build),
    pull (official only) or build (local build only). Raises ImageUnavailableError saying what to do,
    or LabctlError when a build fails.
    """
    policy = service.image_policy
    if policy == "build-only" or (source == "build" and policy != "pull-only"):
        return store.build(service, emit)
    assert service.image is not None
    if store.inspect(service.image) is not None:
        return service.image
    can_build = policy != "pull-only" and service.build_context is not None
    if source == "auto" and can_build:
        tag = store.local_tag(service)
        if tag and store.inspect(tag) is not None:
            return tag
    reason = store.pull(service.image, service.name, emit)
    if reason is None:
        return service.image
    if source == "pull" or not can_build:
        if can_build:
            hint = "Set LABCTL_IMAGE_SOURCE=auto to build it locally instead."
        else:
            hint = ((service.offline_hint + " ") if service.offline_hint else "labctl has no local build of it. ") + \
                "Make a registry reachable, or load a workshop bundle: `labctl images load FILE`."
        raise ImageUnavailableError(f"cannot pull {service.image} for {service.name}: {reason}", hint)
    if not store.can_build:
        raise ImageUnavailableError(f"cannot pull {service.image} for {service.name}: {reason}",
                                    "This backend cannot build images: build it where one can, then push it "
                                    "(`labctl images push REGISTRY`) or load a workshop bundle.")
    emit(Event(events.IMAGE_PULL_FAILED,
               f"{service.image} can't be pulled ({reason}); building the equivalent from compose/images/{service.catalog}",
               service.name))
    return store.build(service, emit)
