"""The ImageStore of a FakeEngine: images as records, builds and pulls that only say they happened."""
from __future__ import annotations

import json
from typing import IO, Iterator

from labctl.core import events, image_policy, labels
from labctl.core.errors import LabctlError
from labctl.core.events import Emit, Event
from labctl.core.model import ServiceSpec
from labctl.runtime.base import ImageInfo

from .engine import FakeEngine


class FakeImages:
    """The ImageStore of a FakeEngine."""

    def __init__(self, engine: FakeEngine, *, can_build: bool = True):
        self.engine = engine
        self.can_build = can_build

    def resolve(self, service: ServiceSpec, source: str, emit: Emit) -> str:
        return image_policy.resolve(self, service, source, emit)

    def local_tag(self, service: ServiceSpec) -> str | None:
        return image_policy.local_tag(service)

    def inspect(self, ref: str) -> ImageInfo | None:
        with self.engine.lock:
            return self.engine.images.get(ref) or next(
                (i for i in self.engine.images.values() if i.id == ref), None)

    def pull(self, ref: str, service: str, emit: Emit) -> str | None:
        emit(Event(events.IMAGE_PULLING, f"pulling {ref}", service, {"image": ref}))
        if ref not in self.engine.pullable:
            return "no registry is reachable"
        self.engine.add_image(ref)
        emit(Event(events.IMAGE_READY, f"pulled {ref}", service, {"image": ref}))
        return None

    def build(self, service: ServiceSpec, emit: Emit) -> str:
        tag = self.local_tag(service)
        if tag is None:
            raise LabctlError(f"{service.catalog} has no local build", "Pull its image or load a workshop bundle.")
        if not self.can_build:
            raise LabctlError(f"this engine cannot build {tag}")
        if self.inspect(tag) is None:
            emit(Event(events.IMAGE_BUILDING, f"building {tag}", service.name, {"image": tag}))
            self.engine.add_image(tag, {labels.MANAGED: "true", labels.IMAGE_FOR: service.catalog})
            emit(Event(events.IMAGE_READY, f"built {tag}", service.name, {"image": tag}))
        return tag

    def push(self, ref: str, target: str, emit: Emit) -> None:
        image = self.inspect(ref)
        if image is None:
            raise LabctlError(f"pushing {target} failed: {ref} is not here")
        if target.split("/", 1)[0] not in self.engine.registries:
            raise LabctlError(f"pushing {target} failed: no registry is reachable",
                              "Is the registry running and reachable from the engine?")
        emit(Event(events.IMAGE_PUSHING, f"pushing {target}", None, {"image": target}))
        with self.engine.lock:
            self.engine.registry[target] = image.id
            self.engine.pullable.add(target)
        emit(Event(events.IMAGE_READY, f"pushed {target}", None, {"image": target}))

    def export(self, ref: str) -> Iterator[bytes]:
        image = self.inspect(ref)
        if image is None:
            raise LabctlError(f"exporting {ref}: no such image")
        yield json.dumps({"id": image.id, "tags": list(image.tags), "size": image.size,
                          "labels": dict(image.labels)}).encode()

    def load(self, stream: IO[bytes]) -> list[str]:
        try:
            data = json.loads(stream.read())
        except ValueError as exc:
            raise LabctlError(f"the engine refused an image: {exc}") from exc
        with self.engine.lock:
            for ref in data["tags"]:
                self.engine.images[ref] = ImageInfo(data["id"], tuple(data["tags"]), data["size"], data["labels"])
        return [f"Loaded image: {ref}" for ref in data["tags"]]

    def tag(self, image_id: str, ref: str) -> None:
        image = self.inspect(image_id)
        if image is None:
            raise LabctlError(f"tagging {ref}: no such image {image_id}")
        with self.engine.lock:
            self.engine.images[ref] = ImageInfo(image.id, (*image.tags, ref), image.size, dict(image.labels))

    def list(self) -> list[ImageInfo]:
        with self.engine.lock:
            by_id: dict[str, ImageInfo] = {}
            for ref, image in self.engine.images.items():
                if image.labels.get(labels.MANAGED) == "true":
                    known = by_id.get(image.id)
                    tags = tuple(dict.fromkeys((*(known.tags if known else ()), ref)))
                    by_id[image.id] = ImageInfo(image.id, tags, image.size, dict(image.labels))
            return list(by_id.values())

    def remove(self, image_id: str) -> None:
        """Remove the image with all its tags, or nothing when a container (running or not) uses it."""
        with self.engine.lock:
            refs = [ref for ref, image in self.engine.images.items() if image.id == image_id]
            if not refs:
                raise LabctlError(f"removing image {image_id[:19]}: no such image")
            users = [c.name for c in self.engine.containers.values() if c.image in refs]
            if users:
                raise LabctlError(f"removing image {image_id[:19]}: the container {', '.join(users[:3])} uses it")
            for ref in refs:
                del self.engine.images[ref]
