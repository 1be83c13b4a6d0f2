"""The Runtime contract over a FakeEngine, as one labctl home (owner) sees it."""
from __future__ import annotations

import itertools
import os
import stat
import subprocess
from typing import Callable, Iterator

from labctl.core import events, image_policy, labels, naming
from labctl.core.errors import EngineUnavailableError, InstanceNotFoundError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.owner import owner_id, owners_of
from labctl.core.settings import Settings
from labctl.runtime.base import (
    Capability,
    EngineInfo,
    ExecResult,
    InstanceSpec,
    InstanceSummary,
    PathFacts,
    SandboxSpec,
    ServiceState,
    ServiceStatus,
)

from .engine import FIRST_FREE_PORT, FakeContainer, FakeEngine
from .images import FakeImages
from .sandbox import FakeSandbox


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
        name = naming.container(spec.instance, service)
        with self.engine.lock:
            existing = self.engine.containers.get(name)
        # An image is chosen (pulled, built) only for a new container: an existing one keeps its own.
        image = existing.image if existing is not None else self.images.resolve(svc, self.settings.image_source, emit)
        note = image_policy.substitute_note(svc, image)
        if note is not None:
            emit(note)
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
        kept = spec.keep_ports.get(service, {})
        for port in spec.services[service].ports:
            if kept.get(port) and kept[port] not in claimed and kept[port] not in chosen.values():
                chosen[port] = kept[port]
                continue
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
                             image=container.image, origin=found.get(labels.KEPT_FROM, ""), detail=container.detail,
                             workspace=found.get(labels.WORKSPACE, ""),
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

    def throwaway_holders(self) -> dict[str, frozenset[str]]:
        self._answering()
        found: dict[str, set[str]] = {}
        with self.engine.lock:
            tables = [c.labels for c in self.engine.containers.values()]
            tables += [*self.engine.networks.values(), *self.engine.volumes.values()]
        for resource in tables:
            if self._mine(resource) and resource.get(labels.EPHEMERAL) == "true" and resource.get(labels.INSTANCE):
                found.setdefault(resource[labels.INSTANCE], set()).add(resource.get(labels.HOLDER, ""))
        return {instance: frozenset(holders) for instance, holders in found.items()}

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

    def discard(self, instance: str, service: str, emit: Emit) -> list[str]:
        self._answering()
        name = naming.container(instance, service)
        with self.engine.lock:
            found = self.engine.containers.get(name)
            if found is None:
                return []
            self._assert_ours(found.labels, "container", name)
            emit(Event(events.REMOVING, f"removing {name}", service))
            del self.engine.containers[name]
            return [f"removed container {name}"]

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

    def restart(self, instance: str, service: str, *, grace: float = 10.0) -> None:
        self._answering()
        container = self._container(instance, service, running=True)
        container.restarts += 1
        container.logs.append(f"restarted ({container.restarts})")

    def observe(self, instance: str, service: str, argv: list[str], *, timeout: float) -> ExecResult:
        """Like exec on the fake: the command runs on the host."""
        self._answering()
        self._container(instance, service, running=True)
        return self._exec_handler(instance, service, argv, None, timeout)

    def read_path(self, instance: str, service: str, path: str, *, max_bytes: int = 0) -> PathFacts | None:
        """The fake's containers share the host's file system (as its exec runs on the host)."""
        self._answering()
        self._container(instance, service, running=False)
        return host_path_facts(path, max_bytes)

    def open_sandbox(self, spec: SandboxSpec) -> "FakeSandbox":
        self._answering()
        box = FakeSandbox(spec)
        self.engine.sandboxes.append(box)
        return box

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


def host_path_facts(path: str, max_bytes: int) -> PathFacts | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    kind = ("symlink" if stat.S_ISLNK(info.st_mode) else "directory" if stat.S_ISDIR(info.st_mode)
            else "file" if stat.S_ISREG(info.st_mode) else "other")
    content = None
    if kind == "file" and 0 < max_bytes and info.st_size <= max_bytes:
        with open(path, "rb") as f:
            content = f.read()
    return PathFacts(kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, info.st_size,
                     os.readlink(path) if kind == "symlink" else "", content)


def _run_on_host(instance: str, service: str, argv: list[str], user: str | None, timeout: float | None) -> ExecResult:
    """The fake's exec: the command runs on the host (tests use stateless ones); 124 when the timeout stops it."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ExecResult(124, "")
    except OSError as exc:
        return ExecResult(127, f"{argv[0]}: {exc.strerror}\n")
    return ExecResult(done.returncode, (done.stdout + done.stderr).decode(errors="replace"))
