"""Lab instances end to end: start (images, containers, readiness, seed), stop, destroy, reset, status, check."""
from __future__ import annotations

import string
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping

from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import TaskResult
from labctl.check_engine.runner import run_tasks
from labctl.core import events, instance_config, naming
from labctl.core import workspace as workspaces
from labctl.core.access import ServiceAccess
from labctl.core.errors import (CheckError, EngineUnavailableError, InstanceNotFoundError, LabctlError,
                                ServiceUnavailable)
from labctl.core.events import Emit, Event
from labctl.core.instances import InstanceRecord, InstanceRecords
from labctl.core.loader import LabLoader
from labctl.core.model import Lab, ServiceSpec, Step
from labctl.core.readiness import wait_ready
from labctl.core.settings import Settings
from labctl.runtime.base import Capability, InstanceSpec, InstanceSummary, Runtime, ServiceState, ServiceStatus
from labctl.services import driver_for

if TYPE_CHECKING:
    from labctl.core.apps import AppProcess

CURRENT_FILE = "current"
LOCK_TIMEOUT = 600


@dataclass(frozen=True)
class ServiceView:
    """A service as the learner sees it: state, URLs, credentials, shell."""

    status: ServiceStatus
    spec: ServiceSpec | None
    urls: Mapping[str, str] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict)
    client_hint: str | None = None  # how to connect with the usual client, e.g. psql "postgresql://..."


@dataclass(frozen=True)
class InstanceView:
    instance: str
    lab: Lab
    services: tuple[ServiceView, ...]
    workspace: Path | None
    settings: Mapping[str, str] = field(default_factory=dict)  # every setting with a value (chosen or default)

    @property
    def ready(self) -> bool:
        """Every service answers (a lab without services is always ready)."""
        return all(s.status.state is ServiceState.RUNNING for s in self.services)

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for view in self.services:
            out.update(view.urls)
        if self.workspace:
            out["LABCTL_WORKSPACE"] = str(self.workspace)
        return out


@dataclass(frozen=True)
class StartReport:
    view: InstanceView
    seeded: bool
    workspace_files: tuple[Path, ...]


def render(template: str, spec: ServiceSpec, status: ServiceStatus, home: Path | None = None) -> str:
    values: dict[str, object] = dict(spec.environment)
    values.update(host=status.host, service=spec.name, instance=status.instance, home=str(home or ""))
    main = spec.main_port
    values["port"] = status.ports.get(main, main) if main else ""
    for port in spec.ports:
        values[f"port_{port}"] = status.ports.get(port, port)
    return string.Formatter().vformat(template, (), values)


class LabManager:
    """Everything labctl does to lab instances, for the CLI and for tests. Core: no click, no rich."""

    def __init__(self, settings: Settings, runtime: Runtime, loader: LabLoader | None = None):
        self.settings = settings
        self.runtime = runtime
        self.loader = loader or LabLoader(settings.extra_lab_dirs)
        self.records = InstanceRecords(settings.home)
        self._apps: dict[str, "AppProcess"] = {}  # apps this process started (self-tests, grading)

    # -- which instance

    def resolve_instance(self, name: str | None) -> str:
        """The instance a command means: the one named, else the only one, else the last started."""
        if name:
            return naming.validate_instance(name)
        existing = self._instances_for_resolving()
        if len(existing) == 1:
            return existing[0].instance
        current = self._current()
        if current and any(i.instance == current for i in existing):
            return current
        if not existing:
            raise InstanceNotFoundError("no lab is running", "Start one with `labctl start <lab>` (`labctl list` shows them).")
        names = ", ".join(i.instance for i in existing)
        raise LabctlError(f"several labs exist ({names}); say which", "Add the lab's name, e.g. `labctl check --name NAME`.")

    def _current(self) -> str | None:
        try:
            return (self.settings.home / CURRENT_FILE).read_text().strip() or None
        except OSError:
            return None

    def _set_current(self, instance: str) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        (self.settings.home / CURRENT_FILE).write_text(instance + "\n")

    def _instances_for_resolving(self) -> list[InstanceSummary]:
        """Every instance; without an engine, those that need none (unless the current one needs it)."""
        try:
            return self.instances()
        except EngineUnavailableError:
            local = self.local_instances()
            current = self.records.get(self._current() or "") if self._current() else None
            if not local or (current is not None and current.containers):
                raise
            return local

    def local_instances(self) -> list[InstanceSummary]:
        return [InstanceSummary(r.instance, r.lab, (), r.workspace) for r in self.records.all() if not r.containers]

    def _summary(self, instance: str, lab: Lab | None = None) -> InstanceSummary | None:
        record = self.records.get(instance)
        if record is not None and not record.containers:
            return InstanceSummary(instance, record.lab, (), record.workspace)
        if lab is not None and not lab.services:
            return None  # a lab without services needs no engine, even to learn that the instance is new
        statuses = self.runtime.status(instance)
        if not statuses:
            return None
        workspace = statuses[0].workspace or (record.workspace if record else "")
        return InstanceSummary(instance, statuses[0].lab, tuple(statuses), workspace)

    def _found(self, instance: str) -> InstanceSummary:
        summary = self._summary(instance)
        if summary is None:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}",
                                        "Run `labctl list` to see the labs, and `labctl start <lab>` to start one.")
        return summary

    def lab_of(self, instance: str) -> Lab:
        return self.loader.load(self._found(instance).lab)

    def has_services(self, instance: str) -> bool:
        """Whether the instance runs containers, known without asking the engine (unknown: assume it does)."""
        record = self.records.get(instance)
        return record is None or record.containers

    # -- locking

    @contextmanager
    def _locked(self, instance: str, emit: Emit) -> Iterator[None]:
        import filelock

        folder = self.settings.home / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(folder / f"{instance}.lock"))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            emit(Event(events.WAITING_FOR_LOCK, f"another labctl is working on {instance}; waiting for it to finish"))
            try:
                lock.acquire(timeout=LOCK_TIMEOUT)
            except filelock.Timeout:
                raise LabctlError(f"another labctl has been working on {instance} for {LOCK_TIMEOUT}s",
                                  "If no other labctl runs, try again.") from None
        try:
            yield
        finally:
            lock.release()

    # -- start

    def start(self, lab_id: str, *, name: str | None = None, workspace: Path | None = None,
              ephemeral: bool = False, labels: Mapping[str, str] | None = None,
              emit: Emit = events.discard) -> StartReport:
        """Start (or resume) a lab instance and wait until every service answers. Keeps existing data."""
        lab = self.loader.load(lab_id)
        instance = naming.validate_instance(name or lab.id)
        with self._locked(instance, emit):
            summary = self._summary(instance, lab)
            if summary is not None and summary.lab != lab.id:
                raise LabctlError(f"the instance {instance!r} runs the lab {summary.lab}, not {lab.id}",
                                  f"Pick another name with --name, or `labctl destroy --name {instance}` first.")
            if summary is not None and summary.workspace:
                folder = Path(summary.workspace)
            else:
                folder = (workspace or self.settings.workspaces_dir / instance).expanduser().resolve()
            copied = workspaces.populate(lab, folder)
            extra_env = {name: driver_for(svc.kind).prepare(instance, svc, self.settings.home)
                         for name, svc in lab.services.items()}
            record = self.records.get(instance)
            new_record = record is None or record.lab != lab.id
            if new_record:
                record = InstanceRecord(instance, lab.id, str(folder), containers=bool(lab.services))
            record.workspace = str(folder)
            self.records.save(record, ephemeral=ephemeral)
            spec = InstanceSpec(instance, lab, folder, ephemeral, extra_env, dict(labels or {}))
            try:
                seeded_flags = self._start_services(spec, emit)
            except BaseException:
                if new_record and not self.runtime.status(instance):
                    self.records.delete(instance)  # nothing was made: no instance to remember
                raise
            if not ephemeral:
                self._set_current(instance)
            return StartReport(self.view(instance, lab), any(seeded_flags), tuple(copied))

    def _start_services(self, spec: InstanceSpec, emit: Emit) -> list[bool]:
        names = list(spec.services)
        if not names:
            return []
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            futures = [pool.submit(self._start_service, spec, n, emit) for n in names]
            results, first_error = [], None
            for future in futures:
                try:
                    results.append(future.result())
                except BaseException as exc:
                    first_error = first_error or exc
            if first_error:
                raise first_error
            return results

    def _start_service(self, spec: InstanceSpec, name: str, emit: Emit) -> bool:
        svc = spec.services[name]
        status = self.runtime.up(spec, name, emit)
        access = self._access(svc, status)
        driver = driver_for(svc.kind)
        emit(Event(events.SERVICE_WAITING, f"waiting for {name} to answer", name))
        waited = wait_ready(
            name,
            probe=lambda: driver.probe(access),
            state=lambda: next((s for s in self.runtime.status(spec.instance) if s.service == name), None),
            log_tail=lambda n: list(self.runtime.logs(spec.instance, name, tail=n)),
            timeout=svc.ready_timeout or self.settings.ready_timeout,
        )
        emit(Event(events.SERVICE_READY, f"{name} is ready", name, {"seconds": round(waited, 2)}))
        seed = [s for s in spec.lab.seed if s.service == name]
        if not driver.is_seeded(access):
            # No pristine copy means no start ever finished: the data holds nothing of the learner's.
            emit(Event(events.SEEDING, f"loading the lab's starting data into {name}", name))
            driver.seed(access, seed)
            driver.snapshot(access)
            return True
        return False

    # -- views

    def _access(self, spec: ServiceSpec, status: ServiceStatus) -> ServiceAccess:
        return ServiceAccess(spec.name, spec.kind, status.host, dict(status.ports), dict(spec.environment),
                             spec.main_port, status.instance, self.settings.home)

    def view(self, instance: str, lab: Lab | None = None) -> InstanceView:
        if lab is None:
            summary = self._found(instance)  # one look at the engine gives both the lab and its services' state
            lab, found = self.loader.load(summary.lab), summary.services
        else:
            found = tuple(self.runtime.status(instance)) if lab.services else ()
        statuses = {s.service: s for s in found}
        views = []
        for name, spec in lab.services.items():
            status = statuses.get(name) or ServiceStatus(instance, lab.id, name, spec.catalog, ServiceState.MISSING,
                                                          detail="no container")
            urls = {k: render(t, spec, status, self.settings.home) for k, t in spec.urls.items()}
            creds = {k: render(t, spec, status, self.settings.home) for k, t in spec.credentials.items()}
            views.append(ServiceView(status, spec, urls, creds, driver_for(spec.kind).client_hint(urls)))
        record = self.records.get(instance)
        workspace = next((Path(s.workspace) for s in statuses.values() if s.workspace), None)
        if workspace is None and record is not None and record.workspace:
            workspace = Path(record.workspace)
        chosen = record.settings if record is not None and record.lab == lab.id else {}
        return InstanceView(instance, lab, tuple(views), workspace, instance_config.effective(lab, chosen))

    def instances(self) -> list[InstanceSummary]:
        """Every instance: those with containers (found by label) and those of labs without services."""
        local = self.local_instances()
        names = {i.instance for i in local}
        return sorted(local + [i for i in self.runtime.list() if i.instance not in names], key=lambda i: i.instance)

    # -- settings (`labctl config`)

    def set_setting(self, instance: str, name: str, value: str | None) -> None:
        """Give the instance a setting's value (None: back to the lab's default)."""
        lab = self.lab_of(instance)
        if value is None:
            instance_config.lookup(lab, name)
        else:
            instance_config.validated(lab, name, value)
        with self._locked(instance, events.discard):
            record = self.records.get(instance) or InstanceRecord(instance, lab.id, containers=bool(lab.services))
            if value is None:
                record.settings.pop(name, None)
            else:
                record.settings[name] = value
            self.records.save(record)

    def chosen_settings(self, instance: str) -> dict[str, str]:
        record = self.records.get(instance)
        return dict(record.settings) if record else {}

    # -- stop, destroy, reset

    def stop(self, instance: str, emit: Emit = events.discard) -> list[str]:
        summary = self._summary(instance)
        if summary is None:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}", "Run `labctl list`.")
        self._stop_app(instance)
        if not summary.services:
            return []  # nothing runs: the lab has no services
        with self._locked(instance, emit):
            return self.runtime.down(instance, remove=False, emit=emit)

    def destroy(self, instance: str, emit: Emit = events.discard) -> list[str]:
        """Remove the instance's containers, volumes and network (learner data included). The workspace stays."""
        self._stop_app(instance)
        with self._locked(instance, emit):
            record = self.records.get(instance)
            if record is not None and not record.containers:
                done = [f"instance {instance}"]
            else:
                done = self.runtime.down(instance, remove=True, emit=emit)
            if done:
                self.records.delete(instance)
        if not done:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}", "Run `labctl list`.")
        if self._current() == instance:
            (self.settings.home / CURRENT_FILE).unlink(missing_ok=True)
        return done

    def reset(self, instance: str, emit: Emit = events.discard, *, workspace_files: bool = False) -> None:
        """Put every service's data back to the lab's starting state (and the workspace files, if asked)."""
        view = self.view(instance)
        if not view.ready:
            raise LabctlError(f"{instance} is not running, so it cannot be reset", f"Start it first: `labctl start {view.lab.id}`.")
        self._stop_app(instance)
        with self._locked(instance, emit):
            for sv in view.services:
                assert sv.spec is not None
                driver = driver_for(sv.spec.kind)
                emit(Event(events.SEEDING, f"restoring {sv.spec.name}'s starting data", sv.spec.name))
                driver.restore(self._access(sv.spec, sv.status), [s for s in view.lab.seed if s.service == sv.spec.name])
            if workspace_files and view.workspace:
                workspaces.restore(view.lab, view.workspace)

    # -- checks and steps

    def context(self, view: InstanceView) -> CheckContext:
        services = {}
        for sv in view.services:
            assert sv.spec is not None
            services[sv.spec.name] = self._access(sv.spec, sv.status)
        down = {sv.spec.name: sv.status for sv in view.services if sv.status.state is not ServiceState.RUNNING}

        def exec_in(service: str, argv: list[str], user: str | None) -> tuple[int, str]:
            limit = self.settings.check_timeout
            result = self.runtime.exec(view.instance, service, argv, user=user, timeout=limit)
            if result.exit_code == 124:  # coreutils' timeout: the command was stopped
                raise CheckError(f"`{' '.join(argv)[:80]}` did not finish within {limit:g}s inside {service}")
            return result.exit_code, result.output

        can_exec = Capability.EXEC in self.runtime.capabilities
        ctx = _GuardedContext(view.lab.path, services, view.workspace, self.settings.check_timeout,
                              exec_in if can_exec else None,
                              settings=dict(view.settings), env=view.env())
        ctx.down = down
        return ctx

    def check(self, instance: str, task_ids: list[str] | None = None) -> tuple[InstanceView, list[TaskResult]]:
        view = self.view(instance)
        if task_ids:
            unknown = [t for t in task_ids if view.lab.task(t) is None]
            if unknown:
                raise LabctlError(f"{view.lab.id} has no task {unknown[0]!r}", "Run `labctl tasks` to see its tasks.")
        ctx = self.context(view)
        try:
            return view, run_tasks(view.lab, ctx, task_ids)
        finally:
            ctx.close()

    def apply_steps(self, view: InstanceView, steps: tuple[Step, ...]) -> None:
        """Run solution or near-miss steps as a learner would: SQL on the service, files into the workspace."""
        ctx = self.context(view)
        try:
            for step in steps:
                if step.action == "copy":
                    if view.workspace is None:
                        raise LabctlError("this instance has no workspace folder")
                    workspaces.copy_step(step, view.workspace)
                elif step.action == "config":
                    for name, value in step.values.items():
                        self.set_setting(view.instance, name, value)
                elif step.action == "app":
                    assert step.app is not None
                    self.start_app(view, step.app.command, self._app_folder(view, step),
                                   url_setting=step.app.url_setting)
                else:
                    assert step.service is not None
                    spec = view.lab.services[step.service]
                    driver_for(spec.kind).apply(ctx.service(step.service), step)
        finally:
            ctx.close()

    # -- apps on the host (reference solutions in self-tests, the learner's app when grading)

    def _app_folder(self, view: InstanceView, step: Step) -> Path:
        assert step.app is not None
        if not step.app.in_workspace:
            return view.lab.path / step.app.folder
        if view.workspace is None:
            raise LabctlError("this instance has no workspace folder")
        return view.workspace / step.app.folder

    def start_app(self, view: InstanceView, command: str, folder: Path, *, url_setting: str = "app_url",
                  url: str | None = None, timeout: float | None = None) -> "AppProcess":
        """Start an app for the instance (replacing the one this process started before) and wait for it.

        Its URL is `url` if given, else the instance's chosen setting; when the learner chose none, a free
        port on 127.0.0.1, so that several instances never fight over the lab's default port."""
        from labctl.core.apps import free_port, start_app

        self._stop_app(view.instance)
        if url is None:
            url = self.chosen_settings(view.instance).get(url_setting) or f"http://127.0.0.1:{free_port()}"
        self.set_setting(view.instance, url_setting, url)
        env = view.env()
        app = start_app(command, folder, url, env=env, timeout=timeout or self.settings.ready_timeout)
        self._apps[view.instance] = app
        return app

    def _stop_app(self, instance: str) -> None:
        app = self._apps.pop(instance, None)
        if app is not None:
            app.stop()


class _GuardedContext(CheckContext):
    """A CheckContext that reports a stopped service as an error instead of connecting to nothing."""

    down: Mapping[str, ServiceStatus] = {}

    def service(self, name: str) -> ServiceAccess:
        status = self.down.get(name)
        if status is not None:
            raise ServiceUnavailable(f"the {name} service is {status.detail or status.state.value}")
        return super().service(name)

    def connection(self, name: str, opener):
        self.service(name)
        return super().connection(name, opener)
