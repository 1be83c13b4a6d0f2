"""Starting a lab instance: its workspace, its containers (in parallel), readiness, and the seed, once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from labctl.core import events, naming
from labctl.core import workspace as workspaces
from labctl.core.access import ServiceAccess
from labctl.core.errors import EngineUnavailableError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.holder import this_holder
from labctl.core.instance_directory import InstanceDirectory
from labctl.core.instance_records import InstanceRecord
from labctl.core.instance_secrets import applied, settle
from labctl.core.locks import instance_lock
from labctl.core.model import ServiceSpec
from labctl.core.readiness import wait_service_ready
from labctl.core.settings import Settings
from labctl.core.views import InstanceView, access_for, build_view
from labctl.runtime.base import InstanceSpec, Runtime

if TYPE_CHECKING:
    from labctl.services import Drivers


SEEDED, KEPT, FOUND = "seeded", "kept", "found"


@dataclass(frozen=True)
class StartReport:
    view: InstanceView
    seeded: bool
    workspace_files: tuple[Path, ...]


class Starter:
    def __init__(self, settings: Settings, runtime: Runtime, directory: InstanceDirectory, drivers: "Drivers"):
        self.settings = settings
        self.runtime = runtime
        self.directory = directory
        self.drivers = drivers

    def start(self, lab_id: str, *, name: str | None = None, workspace: Path | None = None,
              ephemeral: bool = False, labels: Mapping[str, str] | None = None,
              emit: Emit = events.discard, keep_ports: Mapping[str, Mapping[int, int]] | None = None) -> StartReport:
        """Start (or resume) a lab instance and wait until every service answers. Keeps existing data.
        `keep_ports`: per service, the host ports a container made now takes again if it can (a reset)."""
        lab = self.directory.loader.load(lab_id)  # validated, checks included: a broken lab says so now
        instance = naming.validate_instance(name or lab.id)
        self._sweep(needs_engine=bool(lab.services))
        records = self.directory.records
        with instance_lock(self.settings.home, instance, emit):
            summary = self.directory.summary(instance, lab)
            if summary is not None and summary.lab != lab.id:
                raise LabctlError(f"the instance {instance!r} runs the lab {summary.lab}, not {lab.id}",
                                  f"Pick another name with --name, or `labctl destroy --name {instance}` first.")
            if summary is not None and summary.workspace:
                folder = Path(summary.workspace)
            else:
                folder = (workspace or self.settings.workspaces_dir / instance).expanduser().resolve()
            copied = workspaces.populate(lab, folder)
            record = records.get(instance)
            new_record = record is None or record.lab != lab.id
            if new_record:
                record = InstanceRecord(instance, lab.id, str(folder), containers=bool(lab.services))
            record.workspace = str(folder)
            settle(record, lab, existing={status.service for status in summary.services} if summary else ())
            records.save(record, ephemeral=ephemeral)
            lab = applied(lab, record)  # the instance's own passwords, for its containers and connections
            extra_env = {name: self.drivers.get(svc.kind).prepare(instance, svc, self.settings.home)
                         for name, svc in lab.services.items()}
            spec = InstanceSpec(instance, lab, folder, ephemeral, extra_env, dict(labels or {}),
                                holder=this_holder() if ephemeral else "", keep_ports=dict(keep_ports or {}))
            try:
                outcomes = self._start_services(spec, record, emit)
            except BaseException:
                if new_record and not self.runtime.status(instance):
                    records.delete(instance)  # nothing was made: no instance to remember
                raise
            seeded = [name for name, outcome in outcomes.items() if outcome == SEEDED]
            newly_known = [name for name in outcomes if name not in record.seeded]
            if newly_known:
                record.seeded.extend(newly_known)
                records.save(record, ephemeral=ephemeral)
            if not ephemeral:
                self.directory.set_current(instance)
            found = tuple(self.runtime.status(instance)) if lab.services else ()
            view = build_view(instance, lab, found, records.get(instance), self.settings.home, self.drivers)
            return StartReport(view, bool(seeded), tuple(copied))

    def _sweep(self, *, needs_engine: bool) -> None:
        """Remove the leftovers of killed labctl processes first (a lab without services needs no engine)."""
        try:
            self.directory.sweep()
        except EngineUnavailableError:
            if needs_engine:
                raise

    def wait_ready(self, instance: str, svc: ServiceSpec, access: ServiceAccess, emit: Emit = events.discard) -> None:
        """Wait until the service answers its protocol (the one readiness loop). Raises ServiceNotReadyError."""
        name = svc.name
        emit(Event(events.SERVICE_WAITING, f"waiting for {name} to answer", name))
        waited = wait_service_ready(self.runtime, self.drivers.get(svc.kind), instance, svc, access,
                                    self.settings.ready_timeout)
        emit(Event(events.SERVICE_READY, f"{name} is ready", name, {"seconds": round(waited, 2)}))

    def _start_services(self, spec: InstanceSpec, record: InstanceRecord, emit: Emit) -> dict[str, str]:
        """Start every service at once; per service, SEEDED, KEPT (seeded before) or FOUND (data kept)."""
        names = list(spec.services)
        if not names:
            return {}
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            futures = {n: pool.submit(self._start_service, spec, n, n in record.seeded, emit) for n in names}
            results, first_error = {}, None
            for name, future in futures.items():
                try:
                    results[name] = future.result()
                except BaseException as exc:
                    first_error = first_error or exc
            if first_error:
                raise first_error
            return results

    def _start_service(self, spec: InstanceSpec, name: str, recorded: bool, emit: Emit) -> str:
        """Up, ready, ready for labctl (on_ready), and seeded once: whether it was seeded is in the instance's
        record, where the learner cannot erase it (the driver's own marker counts for instances made before)."""
        svc = spec.services[name]
        status = self.runtime.up(spec, name, emit)
        access = access_for(svc, status, self.settings.home)
        driver = self.drivers.get(svc.kind)
        self.wait_ready(spec.instance, svc, access, emit)
        driver.on_ready(access)
        if recorded or driver.is_seeded(access):
            return KEPT
        if driver.holds_data(access):
            # Data labctl has no record of loading: someone's work. It is never replaced without asking.
            emit(Event(events.WARNING, f"{name} already holds data labctl did not load; it is kept "
                                       f"(`labctl reset` loads the lab's starting data instead)", name))
            return FOUND
        emit(Event(events.SEEDING, f"loading the lab's starting data into {name}", name))
        driver.seed(access, [s for s in spec.lab.seed if s.service == name])
        driver.snapshot(access)
        return SEEDED
