"""DockerRuntime: the Runtime interface on any Docker-compatible engine, through the docker SDK."""
from __future__ import annotations

import shutil
import threading
from functools import cached_property
from typing import Iterator

from labctl.core import events, image_policy, labels, naming
from labctl.core.errors import EngineUnavailableError, InstanceNotFoundError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.owner import owner_id, owners_of
from labctl.core.settings import Settings
from labctl.runtime.base import (Capability, EngineInfo, ExecResult, InstanceSpec, InstanceSummary, PathFacts,
                                 SandboxSpec, ServiceStatus)
from labctl.runtime.docker import ports as hostports
from labctl.runtime.docker.client import connect, translated
from labctl.runtime.docker.containers import (apply_limits, claimed_ports, create_service_container,
                                              instance_labels)
from labctl.runtime.docker.kept import commit_filesystem, remove_kept_images
from labctl.runtime.docker.removal import remove_volumes_and_networks, stop_containers
from labctl.runtime.docker.summaries import status_of
from labctl.runtime.docker.unix_reader import reader_for

def isolated_network_options() -> dict[str, str]:
    from labctl.runtime.docker.sandbox import ISOLATED

    return ISOLATED


class DockerRuntime:
    name = "docker"
    capabilities = frozenset({Capability.EXEC, Capability.FOLLOW_LOGS, Capability.INTERACTIVE, Capability.SANDBOX,
                              Capability.RESTART, Capability.OBSERVE})

    def __init__(self, settings: Settings):
        self.settings = settings
        self.owner = owner_id(settings.home)
        self.owners = owners_of(settings.home)  # the id, and the label older labctl versions used
        self._reader: object = False  # not chosen yet; None: no fast reader, use the SDK
        self._client = None
        self._candidate = None
        self._lock = threading.RLock()

    @cached_property
    def images(self):
        """The engine's images (runtime/docker/images.py), loaded by the commands that need images."""
        from labctl.runtime.docker.images import DockerImages

        return DockerImages(lambda: self.client)

    # -- engine

    def _environ(self) -> dict[str, str]:
        environ = dict(self.settings.environ)
        if self.settings.docker_host:
            environ["LABCTL_DOCKER_HOST"] = self.settings.docker_host
        return environ

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                self._client, self._candidate = connect(self._environ())
            return self._client

    def available(self) -> EngineInfo:
        client = self.client
        with translated("asking the engine about itself"):
            info = client.info()
            version = client.version()
        name = "Docker Engine"
        operating = str(info.get("OperatingSystem", ""))
        components = " ".join(c.get("Name", "") for c in version.get("Components", []) or [])
        if "Docker Desktop" in operating:
            name = "Docker Desktop"
        elif "podman" in components.lower() or "podman" in operating.lower():
            name = "Podman"
        elif "OrbStack" in operating:
            name = "OrbStack"
        elif "colima" in str(info.get("Name", "")).lower():
            name = "Colima"
        return EngineInfo(
            endpoint=self._candidate.url, how=self._candidate.how, name=name,
            version=str(version.get("Version", "?")), api_version=str(version.get("ApiVersion", "?")),
            os=f"{operating} ({info.get('OSType', '?')})", arch=str(info.get("Architecture", "?")),
            cpus=int(info.get("NCPU", 0) or 0), memory_bytes=int(info.get("MemTotal", 0) or 0),
            storage_driver=str(info.get("Driver", "")), cgroup_version=str(info.get("CgroupVersion", "")),
            root_dir=str(info.get("DockerRootDir", "")),
        )

    def smoke_test(self) -> str:
        """Run a throwaway container and return what it printed. Raises LabctlError."""
        client = self.client
        image = None
        with translated("looking for an image to test with"):
            for ref in ("debian:bookworm-slim",):
                if client.api.images(name=ref):
                    image = ref
                    break
            if image is None:
                local = client.api.images(filters={"label": f"{labels.MANAGED}=true"})
                image = local[0]["RepoTags"][0] if local and local[0].get("RepoTags") else None
        if image is None:
            raise LabctlError("no image to run a test container with",
                              "Run `labctl start <lab>` once (it builds one), or scripts/ensure-engine.")
        with translated(f"running a test container from {image}"):
            output = client.containers.run(
                image, ["echo", "labctl-ok"], remove=True, network_disabled=True,
                labels={labels.MANAGED: "true", labels.EPHEMERAL: "true"},
            )
        return output.decode().strip()

    # -- up

    def up(self, spec: InstanceSpec, service: str, emit: Emit) -> ServiceStatus:
        svc = spec.services[service]
        client = self.client
        with translated(f"creating the network for {spec.instance}"):
            network = self._ensure_network(spec)
        with translated(f"creating the data volume for {service}"):
            mounts = self._ensure_volumes(spec, service)
        name = naming.container(spec.instance, service)
        existing = self._find_container(name)
        if existing is not None:
            self._assert_ours(existing, "container", name)
            _say_substitute(svc, existing["Config"]["Image"], emit)
            with translated(f"applying resource limits to {name}"):
                apply_limits(client.api, existing, svc)
            state = existing["State"]["Status"]
            if state == "running":
                return status_of(client.api.containers(all=True, filters={"name": f"^/{name}$"})[0])
            if state == "paused":
                with translated(f"resuming {name}"):
                    client.api.unpause(existing["Id"])
                return self._status_by_name(name)
            emit(Event(events.CONTAINER_STARTING, f"starting {name}", service))
            try:
                with translated(f"starting {name}"):
                    client.api.start(existing["Id"])
                return self._status_by_name(name)
            except LabctlError as exc:
                if not hostports.is_port_conflict(str(exc)):
                    raise
                # Its port was taken while it was stopped: re-create the container on a free port. The volumes
                # stay; a service whose container's own file system is state (a Linux box's /etc, its users)
                # is committed first and re-created from that image, not from the recipe's.
                emit(Event(events.WARNING, f"{name}'s port is taken now; re-creating it on a free port (data kept)", service))
                if svc.keep_filesystem:
                    commit_filesystem(client.api, spec, service, existing, self.owner, emit)
                with translated(f"removing {name}"):
                    client.api.remove_container(existing["Id"], force=True)
        # A kept file system is used whenever one is there: also when a labctl killed between the commit and
        # the new container comes back, or one whose reset was killed before it removed the image.
        kept = self._kept_image(spec, service) if svc.keep_filesystem else None
        if kept is not None:
            return self._create(spec, service, kept, network, mounts, emit)
        # An image is chosen (pulled, built) only for a new container: an existing one keeps its own.
        with translated(f"preparing the image for {service}"):
            image = self.images.resolve(svc, self.settings.image_source, emit)
        _say_substitute(svc, image, emit)
        return self._create(spec, service, image, network, mounts, emit)

    def _create(self, spec: InstanceSpec, service: str, image: str, network: str, mounts, emit: Emit) -> ServiceStatus:
        client = self.client
        name = naming.container(spec.instance, service)
        last_error: LabctlError | None = None
        for attempt in range(4):
            claimed = claimed_ports(client.api, exclude=name)
            chosen = hostports.for_service(spec, service, claimed, first_try=attempt == 0, emit=emit)
            emit(Event(events.CONTAINER_CREATING, f"creating {name}", service))
            with translated(f"creating {name}"):
                created = create_service_container(client.api, spec, service, image, network, mounts, chosen,
                                                   self.owner)
            try:
                with translated(f"starting {name}"):
                    client.api.start(created["Id"])
            except LabctlError as exc:
                if not hostports.is_port_conflict(str(exc)):
                    raise
                last_error = exc
                with translated(f"removing {name}"):
                    client.api.remove_container(created["Id"], force=True)
                continue
            return self._status_by_name(name)
        raise LabctlError(f"could not find a free port for {service}: {last_error}",
                          "Free some ports on 127.0.0.1 (`labctl list` shows running labs) and try again.")

    def _kept_image(self, spec: InstanceSpec, service: str) -> str | None:
        """The instance's kept file system of `service` (runtime/docker/kept.py), if there is one of ours."""
        ref = naming.kept_image(spec.instance, service)
        found = self.images.inspect(ref)
        if found is None or found.labels.get(labels.INSTANCE) != spec.instance \
                or found.labels.get(labels.KEPT_FILESYSTEM) != service or not self._mine(found.labels):
            return None
        return ref

    def _ensure_network(self, spec: InstanceSpec) -> str:
        name = naming.network(spec.instance)
        with self._lock:
            found = [n for n in self.client.api.networks(names=[name]) if n["Name"] == name]
            if found:
                self._assert_ours(found[0], "network", name)
                return name
            # A throwaway instance (grading, self-tests) may run untrusted code beside its services: its network
            # reaches nothing beyond this machine.
            self.client.api.create_network(
                name, driver="bridge", check_duplicate=True, labels=instance_labels(spec, self.owner),
                options=isolated_network_options() if spec.ephemeral else None,
            )
            return name

    def _ensure_volumes(self, spec: InstanceSpec, service: str) -> list:
        import docker.errors
        import docker.types

        mounts = []
        for mount in spec.services[service].volumes:
            name = naming.volume(spec.instance, service, mount.name)
            try:
                existing = self.client.api.inspect_volume(name)
                self._assert_ours(existing, "volume", name)
            except docker.errors.NotFound:
                self.client.api.create_volume(
                    name, labels={**instance_labels(spec, self.owner), labels.SERVICE: service})
            mounts.append(docker.types.Mount(target=mount.target, source=name, type="volume"))
        return mounts

    def _assert_ours(self, obj: dict, kind: str, name: str) -> None:
        found = (obj.get("Labels") or obj.get("Config", {}).get("Labels") or {})
        if found.get(labels.MANAGED) != "true":
            raise LabctlError(
                f"a {kind} named {name} already exists and was not made by labctl; labctl will not touch it",
                "Remove or rename it yourself, or start the lab under another name (--name).",
            )
        if not self._mine(found):
            raise LabctlError(
                f"the {kind} {name} belongs to another labctl user of this engine (another LABCTL_HOME); "
                "labctl will not touch it",
                "Start the lab under another name: labctl start LAB --name NAME.",
            )

    def _mine(self, found_labels: dict | None) -> bool:
        owner = (found_labels or {}).get(labels.OWNER)
        return owner is None or owner in self.owners

    def _find_container(self, name: str) -> dict | None:
        import docker.errors

        try:
            return self.client.api.inspect_container(name)
        except docker.errors.NotFound:
            return None

    # -- status

    def _read_containers(self, filters: dict, action: str) -> list[dict]:
        """Container summaries: over the unix socket without docker-py when it answers there, else the SDK."""
        reader = self._fast_reader()
        if reader is not None:
            try:
                return reader.containers(filters)
            except EngineUnavailableError:
                self._reader = None  # let the SDK try every endpoint and explain
        with translated(action):
            return self.client.api.containers(all=True, filters=filters)

    def _fast_reader(self):
        with self._lock:
            if self._reader is False:
                # Only before the SDK is loaded: once it is, it costs nothing more to use it.
                self._reader = reader_for(self._environ()) if self._client is None else None
            return self._reader

    def _status_by_name(self, name: str) -> ServiceStatus:
        found = self.client.api.containers(all=True, filters={"name": f"^/{name}$"})
        if not found:
            raise LabctlError(f"{name} disappeared right after it was started")
        return status_of(found[0])

    def status(self, instance: str) -> list[ServiceStatus]:
        found = self._read_containers({"label": [f"{labels.MANAGED}=true", f"{labels.INSTANCE}={instance}"]},
                                      f"reading the state of {instance}")
        return sorted((status_of(s) for s in found if self._mine(s.get("Labels"))), key=lambda s: s.service)

    def list(self) -> list[InstanceSummary]:
        found = self._read_containers({"label": f"{labels.MANAGED}=true"}, "listing labctl's containers")
        found = [s for s in found if self._mine(s.get("Labels"))]
        by_instance: dict[str, list[ServiceStatus]] = {}
        for summary in found:
            status = status_of(summary)
            if status.instance:
                by_instance.setdefault(status.instance, []).append(status)
        return [
            InstanceSummary(name, services[0].lab, tuple(sorted(services, key=lambda s: s.service)), services[0].workspace)
            for name, services in sorted(by_instance.items())
        ]

    def throwaway_holders(self) -> dict[str, frozenset[str]]:
        selector = {"label": [f"{labels.MANAGED}=true", f"{labels.EPHEMERAL}=true"]}
        found: dict[str, set[str]] = {}
        with translated("listing throwaway instances"):
            resources = [*self.client.api.containers(all=True, filters=selector),
                         *self.client.api.networks(filters=selector),
                         *(self.client.api.volumes(filters=selector).get("Volumes") or []),
                         *self.client.api.images(filters=selector)]
        for resource in resources:
            found_labels = resource.get("Labels") or {}
            if self._mine(found_labels) and found_labels.get(labels.INSTANCE):
                found.setdefault(found_labels[labels.INSTANCE], set()).add(found_labels.get(labels.HOLDER, ""))
        return {instance: frozenset(holders) for instance, holders in found.items()}

    # -- down

    def down(self, instance: str, *, remove: bool, emit: Emit) -> list[str]:
        """Stop (or remove) the instance. Another labctl removing it at the same moment (a deadline's watchdog
        and the cleanup that follows it) is no error: what is already gone counts as done."""
        client = self.client
        selector = {"label": [f"{labels.MANAGED}=true", f"{labels.INSTANCE}={instance}"]}
        done: list[str] = []
        with translated(f"finding {instance}'s containers"):
            containers = [c for c in client.api.containers(all=True, filters=selector) if self._mine(c.get("Labels"))]

        with translated(f"stopping {instance}"):
            done.extend(stop_containers(client, containers, remove=remove, emit=emit))
        if remove:
            with translated(f"removing {instance}'s volumes and network"):
                done.extend(remove_volumes_and_networks(client, selector, self._mine, emit))
            with translated(f"removing {instance}'s kept file systems"):
                done.extend(remove_kept_images(client, selector, self._mine, emit))
        return done

    def discard(self, instance: str, service: str, emit: Emit) -> list[str]:
        import docker.errors

        name = naming.container(instance, service)
        found = self._find_container(name)
        done: list[str] = []
        if found is not None:
            self._assert_ours(found, "container", name)
            emit(Event(events.REMOVING, f"removing {name}", service))
            with translated(f"removing {name}"):
                try:
                    self.client.api.remove_container(found["Id"], force=True)
                except docker.errors.NotFound:
                    pass
            done.append(f"removed container {name}")
        selector = {"label": [f"{labels.MANAGED}=true", f"{labels.INSTANCE}={instance}",
                              f"{labels.KEPT_FILESYSTEM}={service}"]}
        with translated(f"removing what was kept of {name}'s file system"):
            done.extend(remove_kept_images(self.client, selector, self._mine, emit))
        return done

    # -- exec, endpoints, logs

    def _running_container(self, instance: str, service: str) -> str:
        name = naming.container(instance, service)
        found = self._find_container(name)
        found_labels = (found or {}).get("Config", {}).get("Labels") or {}
        if found is None or found_labels.get(labels.MANAGED) != "true" or not self._mine(found_labels):
            raise InstanceNotFoundError(f"{service} of {instance} does not exist", "Start it with `labctl start`.")
        if found["State"]["Status"] != "running":
            raise LabctlError(f"{service} of {instance} is not running ({found['State']['Status']})",
                              "Start it again with `labctl start`.")
        return found["Id"]

    def exec(self, instance: str, service: str, argv: list[str], *, user: str | None = None,
             timeout: float | None = None) -> ExecResult:
        container = self._running_container(instance, service)
        what = argv[0]
        if timeout is not None:
            # The exec API has no timeout: coreutils' timeout (in every image here) ends the command,
            # and KILLs it 2 s later if it ignores TERM. It exits 124 when time ran out.
            argv = ["timeout", "-k", "2", f"{timeout:g}", *argv]
        with translated(f"running {what} in {service}"):
            created = self.client.api.exec_create(container, argv, user=user or "", stdout=True, stderr=True)
            output = self.client.api.exec_start(created["Id"])
            code = self.client.api.exec_inspect(created["Id"]).get("ExitCode")
        return ExecResult(int(code if code is not None else -1), output.decode(errors="replace"))

    def logs(self, instance: str, service: str, *, tail: int = 100, follow: bool = False) -> Iterator[str]:
        name = naming.container(instance, service)
        found = self._find_container(name)
        found_labels = (found or {}).get("Config", {}).get("Labels") or {}
        if found is None or found_labels.get(labels.MANAGED) != "true" or not self._mine(found_labels):
            raise InstanceNotFoundError(f"{service} of {instance} does not exist", "Run `labctl status`.")
        with translated(f"reading {name}'s logs"):
            if not follow:
                text = self.client.api.logs(found["Id"], tail=tail, stdout=True, stderr=True).decode(errors="replace")
                yield from text.splitlines()
                return
            buffer = ""
            for chunk in self.client.api.logs(found["Id"], tail=tail, stream=True, follow=True):
                buffer += chunk.decode(errors="replace")
                while "\n" in buffer:
                    line, buffer = buffer.split("\n", 1)
                    yield line
            if buffer:
                yield buffer

    def restart(self, instance: str, service: str, *, grace: float = 10.0) -> None:
        container = self._running_container(instance, service)
        with translated(f"restarting {service}"):
            self.client.api.restart(container, timeout=int(grace))

    def observe(self, instance: str, service: str, argv: list[str], *, timeout: float) -> ExecResult:
        from labctl.runtime.docker import observing

        container = self._running_container(instance, service)
        with translated(f"looking at {service} from outside"):
            found = self.client.api.inspect_container(container)
        return observing.observe(self.client.api, found, service, argv, timeout)

    def read_path(self, instance: str, service: str, path: str, *, max_bytes: int = 0) -> PathFacts | None:
        from labctl.runtime.docker import observing

        name = naming.container(instance, service)
        found = self._find_container(name)
        found_labels = (found or {}).get("Config", {}).get("Labels") or {}
        if found is None or found_labels.get(labels.MANAGED) != "true" or not self._mine(found_labels):
            raise InstanceNotFoundError(f"{service} of {instance} does not exist", "Start it with `labctl start`.")
        with translated(f"reading {path} in {service}"):
            return observing.read_path(self.client.api, found["Id"], path, max_bytes)

    def open_sandbox(self, spec: SandboxSpec):
        from labctl.runtime.docker.sandbox import open_sandbox

        return open_sandbox(self, spec)

    def interactive_command(self, instance: str, service: str, argv: list[str], *, tty: bool) -> list[str] | None:
        docker_cli = shutil.which("docker")
        if docker_cli is None:
            return None
        self._running_container(instance, service)
        _ = self.client  # resolve the endpoint
        # Without a terminal (scripts, CI) -t would fail: stdin is passed through with -i alone.
        flags = ["-it"] if tty else ["-i"]
        return [docker_cli, "-H", self._candidate.url, "exec", *flags, naming.container(instance, service), *argv]


def _say_substitute(service, image: str, emit: Emit) -> None:
    """Say that the container runs a local build that is not the official image's software."""
    note = image_policy.substitute_note(service, image)
    if note is not None:
        emit(note)
