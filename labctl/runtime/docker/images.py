"""Images for services: the official image when present or pullable, else a local build (LABCTL_IMAGE_SOURCE)."""
from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

from labctl.core import events, labels
from labctl.core.errors import ImageUnavailableError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.model import ServiceSpec

LOCAL_REPOSITORY = "labctl-local"
_build_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def context_hash(context: Path, dockerfile: str | None = None) -> str:
    """A digest of every file in the build context, so a changed Dockerfile means a new local image."""
    digest = hashlib.sha256((dockerfile or "Dockerfile").encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def local_tag(service: ServiceSpec) -> str:
    assert service.build_context is not None
    return f"{LOCAL_REPOSITORY}/{service.catalog}:{context_hash(service.build_context, service.dockerfile)[:12]}"


def _lock_for(tag: str) -> threading.Lock:
    with _locks_guard:
        return _build_locks.setdefault(tag, threading.Lock())


def _present(client, ref: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_image(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def resolve_image(client, service: ServiceSpec, source: str, emit: Emit) -> str:
    """The image reference to run for `service`, pulling or building it when needed.

    source is LABCTL_IMAGE_SOURCE: auto (official if present or pullable, else the local build),
    pull (official only) or build (local build only). Raises LabctlError saying what to do.
    """
    policy = service.image_policy
    if policy == "build-only" or (source == "build" and policy != "pull-only"):
        return build(client, service, emit)
    assert service.image is not None
    if _present(client, service.image):
        return service.image
    can_build = policy != "pull-only" and service.build_context is not None
    if source == "auto" and can_build:
        tag = local_tag(service)
        if _present(client, tag):
            return tag
    reason = pull(client, service.image, service.name, emit)
    if reason is None:
        return service.image
    if source == "pull" or not can_build:
        if can_build:
            hint = "Set LABCTL_IMAGE_SOURCE=auto to build it locally instead."
        else:
            hint = ((service.offline_hint + " ") if service.offline_hint else "labctl has no local build of it. ") + \
                "Make a registry reachable, or load a workshop bundle: `labctl images load FILE`."
        raise ImageUnavailableError(f"cannot pull {service.image} for {service.name}: {reason}", hint)
    emit(Event(events.IMAGE_PULL_FAILED,
               f"{service.image} can't be pulled ({reason}); building the equivalent from compose/images/{service.catalog}",
               service.name))
    return build(client, service, emit)


def pull(client, image: str, service: str, emit: Emit) -> str | None:
    """Pull an image with per-layer progress events. Returns None on success, else the reason."""
    import docker.errors
    import requests.exceptions

    repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
    emit(Event(events.IMAGE_PULLING, f"pulling {image}", service, {"image": image}))
    try:
        for line in client.api.pull(repository, tag=tag, stream=True, decode=True):
            if "error" in line:
                return _short(str(line["error"]).strip())
            if line.get("id") and line.get("status"):
                detail = line.get("progressDetail") or {}
                emit(Event(events.IMAGE_PROGRESS, line["status"], service,
                           {"layer": line["id"], "current": detail.get("current"), "total": detail.get("total"), "image": image}))
    except docker.errors.APIError as exc:
        return _short(exc)
    except (requests.exceptions.RequestException, OSError) as exc:
        return _short(exc)
    if not _present(client, image):
        return "the engine reported no error but the image is not there"
    emit(Event(events.IMAGE_READY, f"pulled {image}", service, {"image": image}))
    return None


def _short(exc: BaseException) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = str(text)
    if "no such host" in text or "dial tcp" in text or "lookup" in text:
        return "no registry is reachable"
    if "toomanyrequests" in text or "rate limit" in text.lower():
        return "the registry's rate limit was reached"
    if "not found" in text or "manifest unknown" in text:
        return "the registry has no such image"
    return text.splitlines()[0][:200]


def build(client, service: ServiceSpec, emit: Emit) -> str:
    """Build the service's local image (once per context digest). Returns its tag. Raises LabctlError."""
    if service.build_context is None:
        raise LabctlError(f"{service.catalog} has no local build", "Pull its image or load a workshop bundle.")
    tag = local_tag(service)
    with _lock_for(tag):
        if _present(client, tag):
            return tag
        emit(Event(events.IMAGE_BUILDING, f"building {tag} from compose/images/{service.catalog}", service.name, {"image": tag}))
        tail: list[str] = []
        import docker.errors

        try:
            stream = client.api.build(
                path=str(service.build_context), dockerfile=service.dockerfile, tag=tag, rm=True, forcerm=True,
                pull=False, decode=True, network_mode="host",
                labels={labels.MANAGED: "true", labels.IMAGE_FOR: service.catalog,
                        labels.CONTEXT_HASH: tag.rsplit(":", 1)[1]},
            )
            for chunk in stream:
                if "error" in chunk:
                    raise LabctlError(
                        f"building {tag} failed: {str(chunk['error']).strip()}",
                        "The last lines of the build:\n" + "\n".join(tail[-15:]) if tail else None,
                    )
                text = str(chunk.get("stream", "")).rstrip()
                if text:
                    tail.append(text)
                    if re.match(r"^Step \d+/\d+", text):
                        emit(Event(events.IMAGE_PROGRESS, text, service.name, {"image": tag}))
        except docker.errors.APIError as exc:
            raise LabctlError(f"building {tag} failed: {_short(exc)}",
                              "Is debian:bookworm-slim present or pullable? On a machine with no registry, "
                              "run scripts/ensure-engine as root to build it.") from exc
        if not _present(client, tag):
            raise LabctlError(f"building {tag} ended without an image", "\n".join(tail[-15:]) or None)
        emit(Event(events.IMAGE_READY, f"built {tag}", service.name, {"image": tag}))
        return tag
