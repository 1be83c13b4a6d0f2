"""A check session on one instance: the context checks run in, running a lab's checks, and applying
solution, near-miss and grading steps the way a learner would do the work."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Mapping

from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Status, TaskResult
from labctl.check_engine.runner import run_tasks
from labctl.core import workspace as workspaces
from labctl.core.access import ServiceAccess
from labctl.core.errors import CheckError, LabctlError, ServiceUnavailable
from labctl.core.host_apps import HostApps
from labctl.core.instance_directory import InstanceDirectory
from labctl.core.memory_limit import explanation, oom_kills
from labctl.core.model import Step
from labctl.core.readiness import wait_service_ready
from labctl.core.settings import Settings
from labctl.core.views import InstanceView, access_for
from labctl.runtime.base import Capability, Runtime, ServiceState, ServiceStatus

if TYPE_CHECKING:
    from labctl.services import Drivers


class CheckSession:
    def __init__(self, settings: Settings, runtime: Runtime, directory: InstanceDirectory, apps: HostApps,
                 drivers: "Drivers"):
        self.settings = settings
        self.runtime = runtime
        self.directory = directory
        self.apps = apps
        self.drivers = drivers

    def context(self, view: InstanceView) -> CheckContext:
        """What checks of this instance may use. The caller closes it."""
        services = {}
        for sv in view.services:
            assert sv.spec is not None
            services[sv.spec.name] = access_for(sv.spec, sv.status, self.settings.home)
        down = {sv.spec.name: sv.status for sv in view.services if sv.status.state is not ServiceState.RUNNING}

        def exec_in(service: str, argv: list[str], user: str | None) -> tuple[int, str]:
            limit = self.settings.check_timeout
            result = self.runtime.exec(view.instance, service, argv, user=user, timeout=limit)
            if result.exit_code == 124:  # coreutils' timeout: the command was stopped
                raise CheckError(f"`{' '.join(argv)[:80]}` did not finish within {limit:g}s inside {service}")
            return result.exit_code, result.output

        can_exec = Capability.EXEC in self.runtime.capabilities
        contained = self.apps.contained.get(view.instance)
        ctx = GuardedContext(view.lab.path, services, view.workspace, self.settings.check_timeout,
                             exec_in if can_exec else None, settings=dict(view.settings), env=view.env(),
                             program_runner=contained.run_program if contained is not None else None)
        ctx.down = down
        if Capability.OBSERVE in self.runtime.capabilities:
            ctx.observe = lambda service, argv: self._observe(view.instance, service, argv)
            ctx.read_path = lambda service, path, max_bytes: self.runtime.read_path(
                view.instance, service, path, max_bytes=max_bytes)
        if Capability.RESTART in self.runtime.capabilities:
            ctx.restart = lambda service: self._restart(view, service)
        started = self.apps.control(view) if view.lab.processes else None
        if started is not None:  # an app labctl started itself (grading, contained or not; a self-test's app step)
            ctx.launcher = started
        elif view.lab.processes and contained is None:
            from labctl.core.launcher import launcher_for
            from labctl.core.settings import DEFAULT_READY_TIMEOUT

            ctx.launcher = launcher_for(self.settings.home, view, self.settings.ready_timeout or DEFAULT_READY_TIMEOUT)
        return ctx

    def _observe(self, instance: str, service: str, argv: list[str]) -> tuple[int, str]:
        limit = self.settings.check_timeout
        result = self.runtime.observe(instance, service, argv, timeout=limit)
        if result.exit_code == 124:
            raise CheckError(f"`{' '.join(argv)[:80]}` did not finish within {limit:g}s beside {service}")
        return result.exit_code, result.output

    def _restart(self, view: InstanceView, service: str) -> float:
        """Restart the service like a reboot, then wait as a start does until it answers; seconds it took."""
        started = time.monotonic()
        svc = view.lab.services[service]
        self.runtime.restart(view.instance, service)
        status = next((s for s in self.runtime.status(view.instance) if s.service == service), None)
        if status is None:
            raise ServiceUnavailable(f"{service} did not come back after its restart")
        access = access_for(svc, status, self.settings.home)
        driver = self.drivers.get(svc.kind)
        wait_service_ready(self.runtime, driver, view.instance, svc, access, self.settings.ready_timeout)
        driver.on_ready(access)
        return time.monotonic() - started

    def check(self, view: InstanceView, task_ids: list[str] | None = None) -> list[TaskResult]:
        """Run the checks of the tasks named (all by default). Raises LabctlError for an unknown task,
        LabFileError for a check the lab wrote wrong; a failing check is a result, never raised."""
        if task_ids:
            unknown = [t for t in task_ids if view.lab.task(t) is None]
            if unknown:
                raise LabctlError(f"{view.lab.id} has no task {unknown[0]!r}", "Run `labctl tasks` to see its tasks.")
            task_ids = [view.lab.task(t).id for t in task_ids]  # numbers as ids
        view.lab.validate_checks()
        ctx = self.context(view)
        try:
            results = run_tasks(view.lab, ctx, task_ids)
        finally:
            ctx.close()
        return self._blame_memory_limits(view, results)

    def _blame_memory_limits(self, view: InstanceView, results: list[TaskResult]) -> list[TaskResult]:
        """When a service a check could not reach has just had a process killed for want of memory, say so:
        "lost the connection" alone sends a learner looking in the wrong place. Costs nothing when all ran."""
        failing = {c.service for r in results for c in r.checks if c.status is Status.ERROR and c.service}
        record = self.directory.records.get(view.instance)
        if not failing or record is None:
            return results
        blamed = {}
        for service in sorted(failing):
            kills = oom_kills(self.runtime, view.instance, service)
            if kills is not None and kills > record.oom_kills.get(service, 0):
                record.oom_kills[service] = kills
                blamed[service] = explanation(view.lab.services[service])
        if not blamed:
            return results
        self.directory.records.save(record, ephemeral=self.directory.records.is_ephemeral(view.instance))
        return [replace(r, checks=tuple(
            replace(c, message=f"{blamed[c.service]} ({c.message})") if c.status is Status.ERROR and c.service in blamed
            else c for c in r.checks)) for r in results]

    def apply_steps(self, view: InstanceView, steps: tuple[Step, ...]) -> None:
        """Run solution or near-miss steps as a learner would: files into the workspace, settings, an app,
        or a file run by its service's driver (SQL, Redis commands ...). Raises LabctlError."""
        ctx = self.context(view)
        try:
            for step in steps:
                if step.action == "copy":
                    if view.workspace is None:
                        raise LabctlError("this instance has no workspace folder")
                    workspaces.copy_step(step, view.workspace)
                elif step.action == "config":
                    for name, value in step.values.items():
                        self.directory.set_setting(view.instance, name, value)
                elif step.action == "app":
                    assert step.app is not None
                    self.apps.start(view, step.app.command, self.apps.folder_of(view, step),
                                    url_setting=step.app.url_setting)
                else:
                    assert step.service is not None
                    spec = view.lab.services[step.service]
                    self.drivers.get(spec.kind).apply(ctx.service(step.service), step)
        finally:
            ctx.close()


class GuardedContext(CheckContext):
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
