"""What a learner sees of an instance: each service's state, URLs, credentials and connect hint, the
workspace and the settings; and the one way templates from the catalog (urls, shell) are filled in."""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from labctl.core import instance_config
from labctl.core.access import ServiceAccess
from labctl.core.instance_records import InstanceRecord
from labctl.core.instance_secrets import applied
from labctl.core.model import Lab, ServiceSpec
from labctl.runtime.base import ServiceState, ServiceStatus

if TYPE_CHECKING:
    from labctl.services import Drivers


@dataclass(frozen=True)
class ServiceView:
    """A service as the learner sees it: state, URLs, credentials, shell."""

    status: ServiceStatus
    spec: ServiceSpec | None
    urls: Mapping[str, str] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict)
    client_hint: str | None = None  # how to connect with the usual client, e.g. psql "postgresql://..."

    @property
    def made_from(self) -> str:
        """The image the service's file system started from."""
        return self.status.origin or self.status.image

    def newer_image(self) -> str | None:
        """The image the lab's recipe gives the service now, when the container keeps its own file system
        (keep-filesystem) and started from another one: it keeps its own until reset or destroy. Else None."""
        from labctl.core import image_policy

        if self.spec is None or not self.spec.keep_filesystem or not self.made_from:
            return None
        current = [ref for ref in (image_policy.local_tag(self.spec), self.spec.image) if ref]
        return current[0] if current and self.made_from not in current else None


@dataclass(frozen=True)
class InstanceView:
    instance: str
    lab: Lab
    services: tuple[ServiceView, ...]
    workspace: Path | None
    settings: Mapping[str, str] = field(default_factory=dict)  # every setting with a value (chosen or default)
    secrets: Mapping[str, str] = field(default_factory=dict)  # the lab's own secrets, made for this instance

    @property
    def ready(self) -> bool:
        """Every service answers (a lab without services is always ready)."""
        return all(s.status.state is ServiceState.RUNNING for s in self.services)

    def env(self) -> dict[str, str]:
        """What `labctl env` exports (and the learner's app and the checks get): every service's URLs, the lab's
        own secrets, and the workspace folder."""
        out: dict[str, str] = {}
        for view in self.services:
            out.update(view.urls)
        out.update(self.secrets)
        out.update(instance_config.variables(self.lab, self.settings))
        if self.workspace:
            out["LABCTL_WORKSPACE"] = str(self.workspace)
        # Where the learner's app listens, as a launched app is told (PORT, HOST), so an app run by hand
        # (URL mode) can read the same variables.
        served = next((p for p in self.lab.processes.values() if p.url_setting and self.settings.get(p.url_setting)), None)
        if served is not None:
            from labctl.core.loopback import port_of

            out.update(PORT=str(port_of(self.settings[served.url_setting])), HOST="127.0.0.1")
        return out


def render(template: str, spec: ServiceSpec, status: ServiceStatus, home: Path | None = None) -> str:
    """A catalog template ({host}, {port}, {port_N}, the service's environment ...) for this service."""
    values: dict[str, object] = dict(spec.environment)
    values.update(host=status.host, service=spec.name, instance=status.instance, home=str(home or ""))
    main = spec.main_port
    values["port"] = status.ports.get(main, main) if main else ""
    for port in spec.ports:
        values[f"port_{port}"] = status.ports.get(port, port)
    return string.Formatter().vformat(template, (), values)


def access_for(spec: ServiceSpec, status: ServiceStatus, home: Path) -> ServiceAccess:
    """How drivers and checks reach the service from the host."""
    return ServiceAccess(spec.name, spec.kind, status.host, dict(status.ports), dict(spec.environment),
                         spec.main_port, status.instance, home)


def build_view(instance: str, lab: Lab, found: tuple[ServiceStatus, ...], record: InstanceRecord | None,
               home: Path, drivers: "Drivers") -> InstanceView:
    """The view of an instance from what the engine reports (`found`) and what labctl remembers (`record`)."""
    lab = applied(lab, record)  # the instance's own passwords in its URLs and connections
    statuses = {s.service: s for s in found}
    views = []
    for name, spec in lab.services.items():
        status = statuses.get(name) or ServiceStatus(instance, lab.id, name, spec.catalog, ServiceState.MISSING,
                                                      detail="no container")
        urls = {k: render(t, spec, status, home) for k, t in spec.urls.items()}
        creds = {k: render(t, spec, status, home) for k, t in spec.credentials.items()}
        views.append(ServiceView(status, spec, urls, creds, drivers.get(spec.kind).client_hint(urls)))
    workspace = next((Path(s.workspace) for s in statuses.values() if s.workspace), None)
    if workspace is None and record is not None and record.workspace:
        workspace = Path(record.workspace)
    chosen = record.settings if record is not None and record.lab == lab.id else {}
    made = {k: v for k, v in record.lab_secrets.items() if k in lab.secrets} if record is not None and record.lab == lab.id else {}
    return InstanceView(instance, lab, tuple(views), workspace, instance_config.effective(lab, chosen), made)
