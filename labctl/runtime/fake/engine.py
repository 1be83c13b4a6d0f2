"""What a fake engine holds, shared by the FakeRuntimes (owners) that use it."""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from labctl.core.model import ResourceLimits
from labctl.runtime.base import ImageInfo, ServiceState

if TYPE_CHECKING:
    from labctl.runtime.fake.sandbox import FakeSandbox

FIRST_FREE_PORT = 41000


@dataclass
class FakeContainer:
    name: str
    image: str
    labels: dict[str, str]
    ports: dict[int, int]
    environment: dict[str, str]
    limits: ResourceLimits = ResourceLimits()
    state: ServiceState = ServiceState.RUNNING
    detail: str = ""
    logs: list[str] = field(default_factory=list)
    restarts: int = 0


@dataclass
class FakeEngine:
    """What a fake engine holds; shared by the FakeRuntimes (owners) that use it."""

    containers: dict[str, FakeContainer] = field(default_factory=dict)
    volumes: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> labels
    networks: dict[str, dict[str, str]] = field(default_factory=dict)
    images: dict[str, ImageInfo] = field(default_factory=dict)  # ref -> image
    pullable: set[str] = field(default_factory=set)  # what "the registry" has
    registries: set[str] = field(default_factory=set)  # registry hosts that answer a push
    registry: dict[str, str] = field(default_factory=dict)  # pushed reference -> image id
    taken_ports: set[int] = field(default_factory=set)  # host ports other programs listen on
    fail_on_start: dict[str, str] = field(default_factory=dict)  # container name -> why it exits
    start_output: dict[str, list[str]] = field(default_factory=dict)  # image -> what it prints at start
    down: bool = False  # the engine does not answer
    sandboxes: list["FakeSandbox"] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.RLock = field(default_factory=threading.RLock)

    def new_id(self) -> str:
        return f"sha256:{next(self._ids):064x}"

    def add_image(self, ref: str, image_labels: dict[str, str] | None = None, size: int = 1000) -> ImageInfo:
        with self.lock:
            existing = self.images.get(ref)
            image = ImageInfo(existing.id if existing else self.new_id(), (ref,), size, dict(image_labels or {}))
            self.images[ref] = image
            return image

    def add_foreign(self, kind: str, name: str, resource_labels: dict[str, str] | None = None) -> None:
        """A container, volume or network somebody else made (no labctl label unless given)."""
        with self.lock:
            if kind == "container":
                self.containers[name] = FakeContainer(name, "someone/else", dict(resource_labels or {}), {}, {})
            elif kind == "volume":
                self.volumes[name] = dict(resource_labels or {})
            else:
                self.networks[name] = dict(resource_labels or {})
