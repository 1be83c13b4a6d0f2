"""The service catalog: compose/<name>.yml files (compose-spec subset plus x-labctl) -> ServiceSpec."""
from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Mapping

from pydantic import ValidationError

from labctl.core import resources
from labctl.core.errors import LabFileError
from labctl.core.file_models import ID_RE, ComposeBuild, ComposeFile, ComposeService, ResourceLimitsModel
from labctl.core.model import ResourceLimits, ServiceSpec, VolumeMount
from labctl.core.validation import raise_for
from labctl.core.yamlfile import read_yaml

LOOPBACK = "127.0.0.1"
_PORT_RE = re.compile(r"^(?:(?P<ip>[0-9.]+):)?(?:(?P<host>\d{1,5}):)?(?P<container>\d{1,5})(?:/tcp)?$")
_VOLUME_RE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9_-]*):(?P<target>/[^:]*)(?::(?P<mode>rw|ro))?$")


def catalog_names(compose_dir: Path | None = None) -> list[str]:
    folder = compose_dir or resources.compose_dir()
    return sorted(p.stem for p in folder.glob("*.yml"))


def load_service(catalog: str, *, name: str | None = None, overrides: Mapping[str, str] | None = None,
                 compose_dir: Path | None = None) -> ServiceSpec:
    """The catalog entry `catalog` as a ServiceSpec named `name`. Raises LabFileError."""
    folder = compose_dir or resources.compose_dir()
    if not ID_RE.match(catalog):
        raise LabFileError(folder, None, f"{catalog!r} is not a valid catalog name")
    path = folder / f"{catalog}.yml"
    if not path.is_file():
        raise LabFileError(path, None, f"there is no service called {catalog!r} in the catalog",
                           f"Known services: {', '.join(catalog_names(folder)) or 'none'}.")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise LabFileError(path, None, "a compose file must be a mapping with a services key")
    try:
        compose = ComposeFile.model_validate(data)
    except ValidationError as exc:
        raise_for(path, exc)
    if list(compose.services) != [catalog]:
        raise LabFileError(path, "services", f"a catalog file holds exactly one service, named {catalog!r}")
    service = compose.services[catalog]
    return _resolve(path, catalog, name or catalog, service, compose, overrides or {})


def _environment(path: Path, service: ComposeService) -> dict[str, str]:
    env = service.environment
    if isinstance(env, list):
        out: dict[str, str] = {}
        for i, item in enumerate(env):
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise LabFileError(path, f"services.environment[{i}]", f"{item!r} is not NAME=value")
            out[key] = value
        return out
    return {k: _scalar(v) for k, v in env.items()}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ports(path: Path, catalog: str, service: ComposeService) -> tuple[tuple[int, ...], dict[int, int]]:
    """Container ports in order, and the host port each prefers (the compose file's, else the same)."""
    out = []
    preferred: dict[int, int] = {}
    for i, raw in enumerate(service.ports):
        m = _PORT_RE.match(str(raw))
        field = f"services.{catalog}.ports[{i}]"
        if not m:
            raise LabFileError(path, field, f"{raw!r} is not a port mapping like \"127.0.0.1:5432:5432\"")
        ip = m.group("ip")
        if ip is not None and ip != LOOPBACK:
            raise LabFileError(path, field, f"ports may only be published on {LOOPBACK}, not {ip}")
        port = int(m.group("container"))
        host = int(m.group("host") or port)
        for number in (port, host):
            if not 0 < number < 65536:
                raise LabFileError(path, field, f"{number} is not a port number")
        out.append(port)
        preferred[port] = host
    return tuple(out), preferred


def _volumes(path: Path, catalog: str, service: ComposeService, compose: ComposeFile) -> tuple[VolumeMount, ...]:
    out = []
    for i, raw in enumerate(service.volumes):
        field = f"services.{catalog}.volumes[{i}]"
        m = _VOLUME_RE.match(raw)
        if not m:
            raise LabFileError(path, field, f"{raw!r} must be a named volume like data:/var/lib/data (no host paths)")
        if m.group("name") not in compose.volumes:
            raise LabFileError(path, field, f"volume {m.group('name')!r} is not declared under the top-level volumes key")
        out.append(VolumeMount(m.group("name"), m.group("target")))
    return tuple(out)


def _build(path: Path, catalog: str, build: str | ComposeBuild | None) -> tuple[Path | None, str | None]:
    if build is None:
        return None, None
    context, dockerfile = (build, None) if isinstance(build, str) else (build.context, build.dockerfile)
    field = f"services.{catalog}.build"
    try:
        root = path.parent.resolve()
        resolved = (path.parent / context).resolve()
        recipe = (resolved / (dockerfile or "Dockerfile")).resolve()
        if not resolved.is_relative_to(root):
            raise LabFileError(path, field, f"the build context {context!r} leaves the compose folder")
        if not recipe.is_relative_to(resolved):
            raise LabFileError(path, field, f"the dockerfile {dockerfile!r} leaves the build context")
        if not recipe.is_file():
            raise LabFileError(path, field, f"no {dockerfile or 'Dockerfile'} in {resolved}")
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system, a symlink loop
        raise LabFileError(path, field, f"not a usable path: {getattr(exc, 'strerror', None) or exc}") from None
    return resolved, dockerfile


_MEMORY_RE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kKmMgG]?)[iI]?[bB]?$")
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def resource_limits(path: Path, field: str, given: ResourceLimitsModel, base: ResourceLimits) -> ResourceLimits:
    """`given` over `base`; every value checked (memory 32M to 64G, 0.1 to 64 CPUs). Raises LabFileError."""
    cpus, memory = base.cpus, base.memory_bytes
    if given.cpus is not None:
        try:
            cpus = float(given.cpus)
        except ValueError:
            raise LabFileError(path, f"{field}.cpus", f"{given.cpus!r} is not a number of CPUs") from None
        if not 0.1 <= cpus <= 64:
            raise LabFileError(path, f"{field}.cpus", f"{given.cpus!r} must be between 0.1 and 64")
    if given.memory is not None:
        match = _MEMORY_RE.match(str(given.memory).strip())
        if not match:
            raise LabFileError(path, f"{field}.memory", f"{given.memory!r} is not a size like 512M or 1G")
        memory = int(float(match.group("number")) * _UNITS[match.group("unit").lower()])
        if not 32 * 1024 ** 2 <= memory <= 64 * 1024 ** 3:
            raise LabFileError(path, f"{field}.memory", f"{given.memory!r} must be between 32M and 64G")
    return ResourceLimits(cpus, memory, given.pids if given.pids is not None else base.pids)


_LONE_DOLLAR = re.compile(r"\$(?!\$)")


def _compose_unescaped(path: Path, field: str, text: str) -> str:
    """A command word as the container gets it: `docker compose` reads `$$` as a literal `$` (so a shell in the
    container expands the container's own variables) and `$VAR` as a variable of the host's. labctl reads the
    first the same way and refuses the second: a lab must not depend on the shell that starts it."""
    rest = text.replace("$$", "")
    if _LONE_DOLLAR.search(rest):
        raise LabFileError(path, field, f"{text!r} uses a host variable ($NAME); labctl does not fill those in. "
                           "Write $$NAME for the container's own variable")
    return text.replace("$$", "$")


def template_fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def _check_templates(path: Path, catalog: str, env: Mapping[str, str], ports: tuple[int, ...],
                     templates: Mapping[str, str], key: str) -> None:
    known = set(env) | {"host", "port", "service", "instance", "home"} | {f"port_{p}" for p in ports}
    for name, template in templates.items():
        try:
            fields = template_fields(template)
        except ValueError as exc:
            raise LabFileError(path, f"services.{catalog}.x-labctl.{key}.{name}", f"bad template: {exc}") from None
        for field in fields:
            if field not in known:
                raise LabFileError(path, f"services.{catalog}.x-labctl.{key}.{name}",
                                   f"unknown placeholder {{{field}}}; known: {', '.join(sorted(known))}")


def _resolve(path: Path, catalog: str, name: str, service: ComposeService, compose: ComposeFile,
             overrides: Mapping[str, str]) -> ServiceSpec:
    meta = service.x_labctl
    from labctl import services

    if meta.kind not in services.kinds():
        raise LabFileError(path, f"services.{catalog}.x-labctl.kind", f"{meta.kind!r} is not a kind of service labctl "
                           f"has a driver for (known kinds: {', '.join(services.kinds())})")
    env = _environment(path, service)
    env.update({k: _scalar(v) for k, v in overrides.items()})
    ports, host_ports = _ports(path, catalog, service)
    context, dockerfile = _build(path, catalog, service.build)
    if meta.image_policy != "build-only" and not service.image:
        raise LabFileError(path, f"services.{catalog}.image", f"is required with image-policy {meta.image_policy}")
    if meta.image_policy != "pull-only" and context is None:
        raise LabFileError(path, f"services.{catalog}.build", f"is required with image-policy {meta.image_policy}")
    for i, secret in enumerate(meta.secrets):
        if secret not in env:
            raise LabFileError(path, f"services.{catalog}.x-labctl.secrets[{i}]",
                               f"{secret!r} is not in the service's environment")
    secrets = tuple(s for s in meta.secrets if s not in overrides)  # a lab that sets one teaches that value
    _check_templates(path, catalog, env, ports, meta.urls, "urls")
    _check_templates(path, catalog, env, ports, meta.credentials, "credentials")
    _check_templates(path, catalog, env, ports, {str(i): a for i, a in enumerate(meta.shell)}, "shell")
    limits = ResourceLimits()  # every container gets limits, even from a compose file that gives none
    if service.deploy is not None:
        limits = resource_limits(path, f"services.{catalog}.deploy.resources.limits",
                                 service.deploy.resources.limits, limits)
    command = service.command
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)
    command = [_compose_unescaped(path, f"services.{catalog}.command[{i}]", str(part))
               for i, part in enumerate(command or ())]
    return ServiceSpec(
        name=name,
        catalog=catalog,
        kind=meta.kind,
        image=service.image,
        build_context=context,
        dockerfile=dockerfile,
        image_policy=meta.image_policy,
        environment=env,
        ports=ports,
        volumes=_volumes(path, catalog, service, compose),
        command=tuple(command) if command else None,
        urls=dict(meta.urls),
        credentials=dict(meta.credentials),
        shell=tuple(meta.shell),
        ready_timeout=meta.ready.timeout,
        summary=meta.summary,
        source=path,
        offline_hint=meta.offline_hint,
        local_build_note=meta.local_build_note,
        host_ports=host_ports,
        limits=limits,
        secrets=secrets,
        legacy=dict(meta.legacy),
        sandbox_loopback=tuple(meta.sandbox_loopback),
        keep_filesystem=meta.keep_filesystem,
    )
