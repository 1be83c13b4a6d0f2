"""Images on a Docker engine: inspect, pull, build, push, export and load (workshop bundles), prune."""
from __future__ import annotations

import io
import re
import threading
from typing import IO, Callable, Iterator

from labctl.core import build_trust, events, image_policy, labels
from labctl.core.errors import LabctlError
from labctl.core.events import Emit, Event
from labctl.core.model import ServiceSpec
from labctl.runtime.base import ImageInfo
from labctl.runtime.docker.client import translated

_build_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(tag: str) -> threading.Lock:
    with _locks_guard:
        return _build_locks.setdefault(tag, threading.Lock())


def _split_ref(ref: str) -> tuple[str, str]:
    """('registry:5000/name', 'tag') of a reference; the tag defaults to latest."""
    if ":" in ref.rsplit("/", 1)[-1]:
        repository, _, tag = ref.rpartition(":")
        return repository, tag
    return ref, "latest"


def _short(exc: BaseException | str) -> str:
    text = exc if isinstance(exc, str) else (getattr(exc, "explanation", None) or str(exc))
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = str(text)
    if "no such host" in text or "dial tcp" in text or "lookup" in text:
        return "no registry is reachable"
    if "toomanyrequests" in text or "rate limit" in text.lower():
        return "the registry's rate limit was reached"
    if "not found" in text or "manifest unknown" in text:
        return "the registry has no such image"
    return (text.strip().splitlines() or [""])[0][:200]


class DockerImages:
    """The ImageStore of a Docker engine (runtime/base.py)."""

    can_build = True

    def __init__(self, client_factory: Callable[[], object]):
        self._client_factory = client_factory

    @property
    def client(self):
        return self._client_factory()

    def resolve(self, service: ServiceSpec, source: str, emit: Emit) -> str:
        return image_policy.resolve(self, service, source, emit)

    def local_tag(self, service: ServiceSpec) -> str | None:
        return image_policy.local_tag(service)

    def inspect(self, ref: str) -> ImageInfo | None:
        import docker.errors

        try:
            with translated(f"inspecting {ref}"):
                data = self.client.api.inspect_image(ref)
        except LabctlError as exc:
            if isinstance(exc.__cause__, docker.errors.NotFound):
                return None
            raise
        return ImageInfo(data["Id"], tuple(data.get("RepoTags") or ()), data.get("Size", 0),
                         (data.get("Config") or {}).get("Labels") or {})

    def pull(self, ref: str, service: str, emit: Emit) -> str | None:
        import docker.errors
        import requests.exceptions

        repository, tag = _split_ref(ref)
        emit(Event(events.IMAGE_PULLING, f"pulling {ref}", service, {"image": ref}))
        try:
            for line in self.client.api.pull(repository, tag=tag, stream=True, decode=True):
                if "error" in line:
                    return _short(str(line["error"]).strip())
                if line.get("id") and line.get("status"):
                    detail = line.get("progressDetail") or {}
                    emit(Event(events.IMAGE_PROGRESS, line["status"], service,
                               {"layer": line["id"], "current": detail.get("current"), "total": detail.get("total"),
                                "image": ref}))
        except docker.errors.APIError as exc:
            return _short(exc)
        except (requests.exceptions.RequestException, OSError) as exc:
            return _short(exc)
        if self.inspect(ref) is None:
            return "the engine reported no error but the image is not there"
        emit(Event(events.IMAGE_READY, f"pulled {ref}", service, {"image": ref}))
        return None

    def build(self, service: ServiceSpec, emit: Emit) -> str:
        tag = image_policy.local_tag(service)
        if tag is None:
            raise LabctlError(f"{service.catalog} has no local build", "Pull its image or load a workshop bundle.")
        with _lock_for(tag):
            if self.inspect(tag) is not None:
                return tag
            emit(Event(events.IMAGE_BUILDING, f"building {tag} from compose/images/{service.catalog}", service.name,
                       {"image": tag}))
            self._build(service, tag, emit)
            if self.inspect(tag) is None:
                raise LabctlError(f"building {tag} ended without an image")
            emit(Event(events.IMAGE_READY, f"built {tag}", service.name, {"image": tag}))
            return tag

    def _build(self, service: ServiceSpec, tag: str, emit: Emit) -> None:
        import docker.errors

        tail: list[str] = []
        try:
            with translated(f"building {service.catalog}"):
                # Exactly the files the tag's digest covers (core/image_policy.py), whatever else lies there.
                # The host's certificate authorities go where the context asks for them (core/build_trust.py).
                context = io.BytesIO(image_policy.context_archive(
                    service.build_context, {build_trust.BUILD_CA_FILE: build_trust.host_certificates()}))
                stream = self.client.api.build(
                    fileobj=context, custom_context=True, dockerfile=service.dockerfile, tag=tag, rm=True,
                    forcerm=True, pull=False, decode=True, network_mode="host",
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
        except LabctlError as exc:
            if isinstance(exc.__cause__, docker.errors.APIError):
                raise LabctlError(f"building {tag} failed: {_short(exc.__cause__)}",
                                  "Is debian:bookworm-slim present or pullable? On a machine with no registry, "
                                  "run scripts/ensure-engine as root to build it.") from exc
            raise

    def push(self, ref: str, target: str, emit: Emit) -> None:
        repository, tag = _split_ref(target)
        tagged_here = self.inspect(target) is None
        with translated(f"tagging {ref} as {target}"):
            self.client.api.tag(ref, repository, tag)
        try:
            self._push(repository, tag, target, emit)
        finally:
            if tagged_here:  # the tag was only the push's address: leave the engine's images as they were
                with translated(f"untagging {target}"):
                    self.client.api.remove_image(target)

    def _push(self, repository: str, tag: str, target: str, emit: Emit) -> None:
        emit(Event(events.IMAGE_PUSHING, f"pushing {target}", None, {"image": target}))
        with translated(f"pushing {target}"):
            for line in self.client.api.push(repository, tag=tag, stream=True, decode=True):
                if "error" in line:
                    raise LabctlError(f"pushing {target} failed: {_short(str(line['error']))}",
                                      "Is the registry running and reachable from the engine? "
                                      "Does it need `docker login`?")
                if line.get("id") and line.get("status"):
                    detail = line.get("progressDetail") or {}
                    emit(Event(events.IMAGE_PROGRESS, line["status"], None,
                               {"layer": line["id"], "current": detail.get("current"), "total": detail.get("total"),
                                "image": target}))
        emit(Event(events.IMAGE_READY, f"pushed {target}", None, {"image": target}))

    def export(self, ref: str) -> Iterator[bytes]:
        with translated(f"exporting {ref}"):
            yield from self.client.api.get_image(ref, chunk_size=1024 * 1024)

    def load(self, stream: IO[bytes]) -> list[str]:
        with translated("loading an image"):
            result = self.client.api.load_image(stream)
        loaded = []
        for line in result or []:
            if "error" in line:
                raise LabctlError(f"the engine refused an image: {line['error']}")
            if "stream" in line and line["stream"].strip():
                loaded.append(line["stream"].strip())
        return loaded

    def tag(self, image_id: str, ref: str) -> None:
        repository, tag = _split_ref(ref)
        with translated(f"tagging {ref}"):
            self.client.api.tag(image_id, repository, tag)

    def list(self) -> list[ImageInfo]:
        with translated("listing labctl's images"):
            found = self.client.api.images(filters={"label": f"{labels.MANAGED}=true"})
        return [ImageInfo(i["Id"], tuple(i.get("RepoTags") or ()), i.get("Size", 0), i.get("Labels") or {})
                for i in found]

    def remove(self, image_id: str) -> None:
        """Remove the image with all its tags, or nothing when a container (running or not) uses it."""
        image = self.inspect(image_id)
        if image is None:
            raise LabctlError(f"removing image {image_id[:19]}: there is no such image")
        with translated(f"removing image {image_id[:19]}"):
            users = self.client.api.containers(all=True, filters={"ancestor": image.id})
            if users:
                names = ", ".join(c["Names"][0].lstrip("/") for c in users[:3])
                raise LabctlError(f"removing image {image_id[:19]}: the container {names} uses it")
            for ref in image.tags or (image.id,):
                self.client.api.remove_image(ref)
