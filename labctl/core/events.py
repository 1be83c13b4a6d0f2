"""Events from core to whoever shows them: the CLI draws them, tests collect them, JSON mode drops them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

# Kinds of event (the CLI may show each differently).
IMAGE_PULLING = "image.pulling"
IMAGE_PULL_FAILED = "image.pull-failed"
IMAGE_BUILDING = "image.building"
IMAGE_PROGRESS = "image.progress"
IMAGE_READY = "image.ready"
IMAGE_PUSHING = "image.pushing"
CONTAINER_CREATING = "container.creating"
CONTAINER_STARTING = "container.starting"
CONTAINER_RUNNING = "container.running"
PORT_MOVED = "port.moved"
SERVICE_WAITING = "service.waiting"
SERVICE_READY = "service.ready"
SEEDING = "seed.applying"
STOPPING = "stopping"
REMOVING = "removing"
WAITING_FOR_LOCK = "lock.waiting"
INFO = "info"
WARNING = "warning"


@dataclass(frozen=True)
class Event:
    kind: str
    message: str
    service: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def discard(_: Event) -> None:
    return None


class Collector:
    """Keeps events in a list (for tests and for JSON output)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


Emit = Callable[[Event], None]
