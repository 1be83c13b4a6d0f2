"""An in-memory Runtime for unit tests of core: no engine, the same contract as Docker (tests/contract/).

Containers, volumes, networks and images are records in a FakeEngine, which several FakeRuntimes (several
labctl homes, so several owners) may share, as people share a workshop engine. exec() runs the command
on the host with a timeout: tests use it for stateless commands (echo, exit codes, sleep). Tests can
make a service fail on start, take host ports, and add resources labctl did not make.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator

from labctl.core import events, image_policy, labels, naming
from labctl.core.errors import EngineUnavailableError, InstanceNotFoundError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.model import ResourceLimits, ServiceSpec
from labctl.core.owner import owner_id, owners_of
from labctl.core.settings import Settings
from labctl.runtime.base import (Capability, EngineInfo, ExecResult, ImageInfo, InstanceSpec, InstanceSummary,
                                 ServiceState, ServiceStatus)

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


class FakeRuntime:
    """The Runtime contract over a FakeEngine, as one labctl home (owner) sees it."""

    name = "fake"

    def __init__(self, settings: Settings, engine: FakeEngine | None = None, *,
                 capabilities: frozenset[Capability] = frozenset(Capability), can_build: bool = True,
                 exec_handler: Callable[[str, str, list[str], str | None, float | None], ExecResult] | None = None):
        self.settings = settings
        self.engine = engine if engine is not None else FakeEngine()
        self.owner = owner_id(settings.home)
        self.owners = owners_of(settings.home)
        self.capabilities = capabilities
        self.images = FakeImages(self.engine, can_build=can_build)
        self._exec_handler = exec_handler or _run_on_host

    # -- engine

    def _answering(self) -> None:
        if self.engine.down:
            raise EngineUnavailableError("no container engine answers (the fake engine is down)",
                                         "Start it again (engine.down = False).")

    def available(self) -> EngineInfo:
        self._answering()
        return EngineInfo(endpoint="fake://", how="an in-memory engine for tests", name="Fake engine",
                          version="1", api_version="1", os="memory", arch="any", cpus=2, memory_bytes=2 ** 31)

    def smoke_test(self) -> str:
        self._answering()
        return "labctl-ok"

    # -- up

    def up(self, spec: InstanceSpec, service: str, emit: Emit) -> ServiceStatus:
        self._answering()
        svc = spec.services[service]
        image = self.images.resolve(svc, self.settings.image_source, emit)
        name = naming.container(spec.instance, service)
        with self.engine.lock:
            network = naming.network(spec.instance)
            self._claim(self.engine.networks, network, "network", self._labels(spec))
            for mount in svc.volumes:
                volume = naming.volume(spec.instance, service, mount.name)
                self._claim(self.engine.volumes, volume, "volume", {**self._labels(spec), labels.SERVICE: service})
            existing = self.engine.containers.get(name)
            if existing is not None:
                self._assert_ours(existing.labels, "container", name)
                existing.limits = svc.limits
                if existing.state is not ServiceState.RUNNING:
                    emit(Event(events.CONTAINER_STARTING, f"starting {name}", service))
                    self._start(existing)
                return self._status(existing)
            chosen = self._ports(spec, service, emit)
            emit(Event(events.CONTAINER_CREATING, f"creating {name}", service))
            container_labels = {**self._labels(spec), labels.SERVICE: service, labels.CATALOG: svc.catalog}
            if spec.workspace is not None:
                container_labels[labels.WORKSPACE] = str(spec.workspace)
            container = FakeContainer(name, image, container_labels, chosen,
                                      {**svc.environment, **spec.extra_env.get(service, {})}, svc.limits)
            self.engine.containers[name] = container
            self._start(container)
            return self._status(container)

    def _start(self, container: FakeContainer) -> None:
        why = self.engine.fail_on_start.get(container.name)
        container.logs.extend(self.engine.start_output.get(container.image, []))
        if why:
            container.state, container.detail = ServiceState.FAILED, why
        else:
            container.state, container.detail = ServiceState.RUNNING, ""

    def _ports(self, spec: InstanceSpec, service: str, emit: Emit) -> dict[int, int]:
        claimed = self.engine.taken_ports | {h for c in self.engine.containers.values() for h in c.ports.values()}
        chosen: dict[int, int] = {}
        for port in spec.services[service].ports:
            wanted = spec.services[service].host_ports.get(port, port)
            host = wanted
            if spec.ephemeral or host in claimed or host in chosen.values():
                host = next(p for p in itertools.count(FIRST_FREE_PORT) if p not in claimed and p not in chosen.values())
                if not spec.ephemeral:
                    emit(Event(events.PORT_MOVED, f"port {wanted} is in use on 127.0.0.1; {service} gets {host} instead",
                               service, {"container_port": port, "host_port": host}))
            chosen[port] = host
        return chosen

    def _labels(self, spec: InstanceSpec) -> dict[str, str]:
        out = {k: v for k, v in spec.labels.items() if not k.startswith(labels.PREFIX + ".")}
        out.update(labels.base(spec.instance, spec.lab.id))
        out[labels.OWNER] = self.owner
        if spec.ephemeral:
            out[labels.EPHEMERAL] = "true"
            if spec.holder:
                out[labels.HOLDER] = spec.holder
        return out

    def _claim(self, table: dict[str, dict[str, str]], name: str, kind: str, wanted: dict[str, str]) -> None:
        if name in table:
            self._assert_ours(table[name], kind, name)
        else:
            table[name] = wanted

    def _assert_ours(self, found: dict[str, str], kind: str, name: str) -> None:
        if found.get(labels.MANAGED) != "true":
            raise LabctlError(f"a {kind} named {name} already exists and was not made by labctl; labctl will not touch it",
                              "Remove or rename it yourself, or start the lab under another name (--name).")
        if not self._mine(found):
            raise LabctlError(f"the {kind} {name} belongs to another labctl user of this engine (another LABCTL_HOME); "
                              "labctl will not touch it", "Start the lab under another name: labctl start LAB --name NAME.")

    def _mine(self, found: dict[str, str]) -> bool:
        return found.get(labels.MANAGED) == "true" and found.get(labels.OWNER) in (None, *self.owners)

    # -- status

    def _status(self, container: FakeContainer) -> ServiceStatus:
        found = container.labels
        return ServiceStatus(instance=found.get(labels.INSTANCE, ""), lab=found.get(labels.LAB, ""),
                             service=found.get(labels.SERVICE, ""), catalog=found.get(labels.CATALOG, ""),
                             state=container.state, ports=dict(container.ports), container=container.name,
                             image=container.image, detail=container.detail, workspace=found.get(labels.WORKSPACE, ""),
                             ephemeral=found.get(labels.EPHEMERAL) == "true", holder=found.get(labels.HOLDER, ""))

    def _containers(self, instance: str | None = None) -> list[FakeContainer]:
        with self.engine.lock:
            return [c for c in self.engine.containers.values() if self._mine(c.labels)
                    and (instance is None or c.labels.get(labels.INSTANCE) == instance)]

    def status(self, instance: str) -> list[ServiceStatus]:
        self._answering()
        return sorted((self._status(c) for c in self._containers(instance)), key=lambda s: s.service)

    def list(self) -> list[InstanceSummary]:
        self._answering()
        by_instance: dict[str, list[ServiceStatus]] = {}
        for container in self._containers():
            status = self._status(container)
            by_instance.setdefault(status.instance, []).append(status)
        return [InstanceSummary(name, found[0].lab, tuple(sorted(found, key=lambda s: s.service)), found[0].workspace)
                for name, found in sorted(by_instance.items())]

    # -- down

    def down(self, instance: str, *, remove: bool, emit: Emit) -> list[str]:
        self._answering()
        done = []
        with self.engine.lock:
            for container in self._containers(instance):
                service = container.labels.get(labels.SERVICE)
                if container.state in (ServiceState.RUNNING, ServiceState.PAUSED, ServiceState.STARTING):
                    emit(Event(events.STOPPING, f"stopping {container.name}", service))
                    container.state, container.detail = ServiceState.STOPPED, "stopped"
                if remove:
                    emit(Event(events.REMOVING, f"removing {container.name}", service))
                    del self.engine.containers[container.name]
                    done.append(f"removed container {container.name}")
                else:
                    done.append(f"stopped container {container.name}")
            if remove:
                for kind, table in (("volume", self.engine.volumes), ("network", self.engine.networks)):
                    for name, found in list(table.items()):
                        if found.get(labels.INSTANCE) == instance and self._mine(found):
                            emit(Event(events.REMOVING, f"removing {kind} {name}"))
                            del table[name]
                            done.append(f"removed {kind} {name}")
        return done

    # -- exec, logs, shells

    def _container(self, instance: str, service: str, *, running: bool) -> FakeContainer:
        name = naming.container(instance, service)
        with self.engine.lock:
            found = self.engine.containers.get(name)
        if found is None or not self._mine(found.labels):
            raise InstanceNotFoundError(f"{service} of {instance} does not exist", "Start it with `labctl start`.")
        if running and found.state is not ServiceState.RUNNING:
            raise LabctlError(f"{service} of {instance} is not running ({found.state.value})",
                              "Start it again with `labctl start`.")
        return found

    def exec(self, instance: str, service: str, argv: list[str], *, user: str | None = None,
             timeout: float | None = None) -> ExecResult:
        self._answering()
        self._container(instance, service, running=True)
        return self._exec_handler(instance, service, argv, user, timeout)

    def logs(self, instance: str, service: str, *, tail: int = 100, follow: bool = False) -> Iterator[str]:
        self._answering()
        lines = list(self._container(instance, service, running=False).logs)
        yield from lines[-tail:] if tail else []

    def interactive_command(self, instance: str, service: str, argv: list[str], *, tty: bool) -> list[str] | None:
        container = self._container(instance, service, running=True)
        return ["fake-exec", "-it" if tty else "-i", container.name, *argv]

    # -- for tests: what happens to containers behind labctl's back

    def crash(self, instance: str, service: str, why: str = "exited with code 1") -> None:
        container = self._container(instance, service, running=False)
        container.state, container.detail = ServiceState.FAILED, why

    def pause(self, instance: str, service: str) -> None:
        container = self._container(instance, service, running=True)
        container.state, container.detail = ServiceState.PAUSED, "paused"


def _run_on_host(instance: str, service: str, argv: list[str], user: str | None, timeout: float | None) -> ExecResult:
    """The fake's exec: the command runs on the host (tests use stateless ones); 124 when the timeout stops it."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ExecResult(124, "")
    except OSError as exc:
        return ExecResult(127, f"{argv[0]}: {exc.strerror}\n")
    return ExecResult(done.returncode, (done.stdout + done.stderr).decode(errors="replace"))
