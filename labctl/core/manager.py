"""LabManager: everything labctl does to lab instances, for the CLI, grading, self-tests and the pytest
plugin. It composes the parts, each in its own module: which instances exist and which is meant
(instance_directory), starting (starting), views (views), the check session (check_session) and apps
on the host (host_apps); stop, destroy and reset are here. Core: no click, no rich."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from labctl.core import events
from labctl.core import workspace as workspaces
from labctl.core.errors import EngineUnavailableError, InstanceNotFoundError, LabctlError, ServiceNotReadyError
from labctl.core.events import Emit, Event
from labctl.core.host_apps import HostApps
from labctl.core.instance_directory import InstanceDirectory
from labctl.core.instance_secrets import adopt
from labctl.core.loader import LabLoader
from labctl.core.locks import forget_lock, instance_lock
from labctl.core.model import Lab, Step
from labctl.core.settings import DEFAULT_READY_TIMEOUT, Settings
from labctl.core.views import InstanceView, ServiceView, access_for, build_view, render
from labctl.runtime.base import InstanceSummary, Runtime, ServiceState

if TYPE_CHECKING:
    from labctl.check_engine.context import CheckContext
    from labctl.check_engine.result import TaskResult
    from labctl.core.app_process import AppProcess
    from labctl.core.check_session import CheckSession
    from labctl.core.contained import ContainedCode, Containment
    from labctl.core.launcher import Launched, Launcher
    from labctl.core.starting import Starter, StartReport
    from labctl.services import Drivers

__all__ = ["LabManager", "InstanceView", "ServiceView", "render"]


class LabManager:
    def __init__(self, settings: Settings, runtime: Runtime, loader: LabLoader | None = None,
                 drivers: "Drivers | None" = None, emit: Emit = events.discard):
        if drivers is None:
            from labctl.services import DRIVERS as drivers
        self.settings = settings
        self.runtime = runtime
        self.loader = loader or LabLoader(settings.extra_lab_dirs)
        self.drivers = drivers
        # emit: what the manager says on its own (e.g. leftovers of killed labctl processes removed)
        self.directory = InstanceDirectory(settings.home, runtime, self.loader, emit)
        self.records = self.directory.records
        self.apps = HostApps(self.directory, settings.ready_timeout or DEFAULT_READY_TIMEOUT)

    @cached_property
    def starter(self) -> "Starter":
        """Starting instances, loaded by the commands that start (not by status or check)."""
        from labctl.core.starting import Starter

        return Starter(self.settings, self.runtime, self.directory, self.drivers)

    @cached_property
    def session(self) -> "CheckSession":
        """The check engine, loaded when something checks or applies steps (not for status or env)."""
        from labctl.core.check_session import CheckSession

        return CheckSession(self.settings, self.runtime, self.directory, self.apps, self.drivers)

    # -- which instance (instance_directory.py)

    def resolve_instance(self, name: str | None) -> str:
        """The instance a command means: the one named, else the only one, else the last started."""
        return self.directory.resolve(name)

    def instances(self) -> list[InstanceSummary]:
        return self.directory.all()

    def local_instances(self) -> list[InstanceSummary]:
        return self.directory.local()

    def lab_of(self, instance: str) -> Lab:
        return self.directory.lab_of(instance)

    def has_services(self, instance: str) -> bool:
        return self.directory.has_services(instance)

    def set_setting(self, instance: str, name: str, value: str | None) -> None:
        self.directory.set_setting(instance, name, value)

    def chosen_settings(self, instance: str) -> dict[str, str]:
        return self.directory.chosen_settings(instance)

    # -- start and look

    def start(self, lab_id: str, *, name: str | None = None, workspace: Path | None = None,
              ephemeral: bool = False, labels: Mapping[str, str] | None = None,
              emit: Emit = events.discard) -> "StartReport":
        """Start (or resume) a lab instance and wait until every service answers. Keeps existing data."""
        from labctl.core.errors import UnknownLabError

        try:
            return self.starter.start(lab_id, name=name, workspace=workspace, ephemeral=ephemeral, labels=labels,
                                      emit=emit)
        except UnknownLabError:
            # `labctl start NAME`, with an instance's name where the lab's id goes: say the right spelling.
            try:
                named = next((s for s in self.directory.all() if s.instance == lab_id), None)
            except LabctlError:
                named = None  # no engine to ask: the unknown lab is the error to show
            if named is None or name is not None:
                raise
            raise LabctlError(f"{lab_id} is an instance of {named.lab}, not a lab",
                              f"Start it with: labctl start {named.lab} --name {lab_id}") from None

    def view(self, instance: str, lab: Lab | None = None) -> InstanceView:
        """What the learner sees of the instance. Raises InstanceNotFoundError when it does not exist."""
        if lab is None:
            summary = self.directory.found(instance)  # one look at the engine gives both the lab and its state
            lab, found = self.loader.load(summary.lab, checks=False), summary.services
        else:
            found = tuple(self.runtime.status(instance)) if lab.services else ()
        record = adopt(self.records, instance, lab, found)  # containers an earlier labctl made keep their values
        return build_view(instance, lab, found, record, self.settings.home, self.drivers)

    def wait_ready(self, instance: str, emit: Emit = events.discard) -> None:
        """Wait until every service of the instance answers again (e.g. PostgreSQL recovering after one of
        its processes was killed). Raises ServiceNotReadyError with the service's last log lines."""
        view = self.view(instance)
        for sv in view.services:
            assert sv.spec is not None
            self.starter.wait_ready(instance, sv.spec, access_for(sv.spec, sv.status, self.settings.home), emit)

    # -- stop, destroy, reset

    def stop(self, instance: str, emit: Emit = events.discard) -> list[str]:
        """Stop the instance's services (and the learner's app, if labctl runs it), keeping all their data.
        Returns what was done."""
        from labctl.core.launcher import LaunchedCopies

        summary = self.directory.summary(instance)
        if summary is None:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}", "Run `labctl list`.")
        self.apps.release(instance)
        apps = [f"{r.process} (copy {r.copy})" for r in LaunchedCopies(self.settings.home, instance).stop()]
        if not summary.services:
            return apps  # nothing else runs: the lab has no services
        with instance_lock(self.settings.home, instance, emit):
            return apps + self.runtime.down(instance, remove=False, emit=emit)

    def destroy(self, instance: str, emit: Emit = events.discard) -> list[str]:
        """Remove the instance's containers, volumes and network (learner data included), and stop the learner's
        app if labctl runs it. The workspace stays."""
        from labctl.core.launcher import LaunchedCopies

        self.apps.release(instance)
        LaunchedCopies(self.settings.home, instance).forget()
        with instance_lock(self.settings.home, instance, emit):
            record = self.records.get(instance)
            if record is not None and not record.containers:
                done = [f"instance {instance}", *self._sandbox_leftovers(instance)]
            else:
                done = self.runtime.down(instance, remove=True, emit=emit)
                if not done and record is not None:
                    # An earlier destroy was interrupted after its containers went: forget the rest now.
                    done = [f"instance {instance} (its containers were already gone)"]
            if done:
                ephemeral = self.records.is_ephemeral(instance)
                self.records.delete(instance)
        if not done:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}", "Run `labctl list`.")
        if ephemeral:
            forget_lock(self.settings.home, instance)  # a unique name: nobody else can be waiting on it
        self.directory.forget_current(instance)
        return done

    def _sandbox_leftovers(self, instance: str) -> list[str]:
        """What a killed `check --contained` or grade of a lab without services left on the engine, if one answers."""
        try:
            return self.runtime.down(instance, remove=True, emit=events.discard)
        except EngineUnavailableError:
            return []  # a lab without services needs no engine: nothing of it can be there

    def reset(self, instance: str, emit: Emit = events.discard, *, workspace_files: bool = False,
              new_secrets: bool = False) -> None:
        """Put every service's data back to the lab's starting state (and the workspace files, and new values
        for the lab's own secrets, if asked). A service whose container's file system is state (keep-filesystem:
        the Linux box) is made afresh from the lab's current image first; its volumes stay."""
        view = self.view(instance)
        if not view.ready:
            raise LabctlError(f"{instance} is not running, so it cannot be reset",
                              f"Start it first: `labctl start {view.lab.id}`.")
        self.apps.stop(instance)
        fresh = [sv.spec.name for sv in view.services if sv.spec is not None and sv.spec.keep_filesystem]
        if fresh:
            with instance_lock(self.settings.home, instance, emit):
                for name in fresh:
                    emit(Event(events.SEEDING, f"making {name} afresh from the lab's current image", name))
                    self.runtime.discard(instance, name, emit)
            # Up, ready and set up for labctl as at every start; seeded already (the record says so), so the
            # seed runs once, below, with the other services'.
            self.starter.start(view.lab.id, name=instance, workspace=view.workspace,
                               ephemeral=self.records.is_ephemeral(instance), emit=emit,
                               keep_ports={sv.status.service: dict(sv.status.ports) for sv in view.services
                                           if sv.status.service in fresh})
            view = self.view(instance)
        with instance_lock(self.settings.home, instance, emit):
            for sv in view.services:
                assert sv.spec is not None
                emit(Event(events.SEEDING, f"restoring {sv.spec.name}'s starting data", sv.spec.name))
                seed = [s for s in view.lab.seed if s.service == sv.spec.name]
                self.drivers.get(sv.spec.kind).restore(access_for(sv.spec, sv.status, self.settings.home), seed)
            record = self.records.get(instance)
            if record is not None and view.services:
                # Every service now holds the lab's starting data, loaded by labctl.
                record.seeded = sorted({*record.seeded, *(sv.spec.name for sv in view.services if sv.spec)})
                self.records.save(record)
            if new_secrets and record is not None and view.lab.secrets:
                from labctl.core.instance_secrets import renew_lab_secrets

                renew_lab_secrets(record, view.lab)
                self.records.save(record)
            if workspace_files and view.workspace:
                workspaces.restore(view.lab, view.workspace)

    # -- checks and steps (check_session.py)

    def context(self, view: InstanceView) -> "CheckContext":
        return self.session.context(view)

    def check(self, instance: str, task_ids: list[str] | None = None) -> tuple[InstanceView, list["TaskResult"]]:
        """Run the instance's checks (of the tasks named, or all): its view, and a result per task.

        In launch mode (the learner gave their app's command) the app is started first if it is not running,
        and what this started is stopped afterwards; what the learner started keeps running."""
        from labctl.core.launcher import BY_CHECK

        view = self.view(instance)
        # A contained instance (grading, check --contained) runs the app in its sandbox, never on this machine.
        launcher = self.launcher(view) if view.lab.processes and instance not in self.apps.contained else None
        if launcher is not None and launcher.configured() and not view.ready:
            # The app would start against stopped services and crash: say what is really wrong.
            down = ", ".join(f"{sv.status.service} {sv.status.state.value}" for sv in view.services
                             if sv.status.state is not ServiceState.RUNNING)
            named = "" if instance == view.lab.id else f" --name {instance}"
            raise ServiceNotReadyError(f"{instance} is not running ({down}), so your app cannot start",
                                       f"Start it: labctl start {view.lab.id}{named}")
        if launcher is not None:
            try:
                launcher.ensure(by=BY_CHECK)
            except LabctlError:
                launcher.stop(by=BY_CHECK)
                raise
        try:
            return view, self.session.check(view, task_ids)
        finally:
            if launcher is not None:
                launcher.stop(by=BY_CHECK)

    def edited_apps(self, view: InstanceView, task_ids: list[str] | None = None) -> list[tuple["Launched", str]]:
        """The app copies the learner started that run older code than their workspace's (each with the source
        file changed since), when the tasks checked call the app: a task that runs the learner's own tests
        against the lab's API does not."""
        served = {p.url_setting for p in view.lab.processes.values() if p.url_setting}
        wanted = {view.lab.task(t).id for t in task_ids if view.lab.task(t)} if task_ids else None
        tasks = [t for t in view.lab.tasks if wanted is None or t.id in wanted]
        if not served or not any(getattr(c.check, "setting", None) in served for t in tasks for c in t.checks):
            return []
        return self.launcher(view).edited_since_started()

    def apply_steps(self, view: InstanceView, steps: tuple[Step, ...]) -> None:
        self.session.apply_steps(view, steps)

    def login_run(self, instance: str, command: str, *, service: str | None = None,
                  timeout: float = 60.0) -> tuple[int, str]:
        """Run a command line on the instance's Linux box as the learner, the way `labctl ssh -- COMMAND` does:
        (exit code, output). Raises LabctlError when the lab has no such box or it is not running."""
        view = self.view(instance)
        boxes = [sv for sv in view.services if sv.spec is not None
                 and self.drivers.get(sv.spec.kind).ssh_login(self.settings.home, instance) is not None
                 and (service is None or sv.status.service == service)]
        if not boxes:
            raise LabctlError(f"{instance} has no Linux box{f' called {service!r}' if service else ''} to log in to")
        if len(boxes) > 1:
            raise LabctlError(f"{instance} has several Linux boxes ({', '.join(b.status.service for b in boxes)}); "
                              "say which")
        box = boxes[0]
        if box.status.state is not ServiceState.RUNNING:
            raise LabctlError(f"{box.status.service} of {instance} is not running",
                              f"Start it: `labctl start {view.lab.id}`.")
        assert box.spec is not None
        access = access_for(box.spec, box.status, self.settings.home)
        return self.drivers.get(box.spec.kind).login_run(access, command, timeout=timeout)

    # -- the learner's app in launch mode (launcher.py)

    def launcher(self, view: InstanceView) -> "Launcher":
        """The learner's app processes of the instance, run by labctl (launch mode)."""
        from labctl.core.launcher import launcher_for

        return launcher_for(self.settings.home, view, self.settings.ready_timeout or DEFAULT_READY_TIMEOUT)

    # -- apps on the host (host_apps.py)

    def start_app(self, view: InstanceView, command: str, folder: Path, *, url_setting: str = "app_url",
                  url: str | None = None, timeout: float | None = None) -> "AppProcess":
        return self.apps.start(view, command, folder, url_setting=url_setting, url=url, timeout=timeout)

    def stop_app(self, instance: str) -> None:
        self.apps.stop(instance)

    def contain(self, instance: str, containment: "Containment", emit: Emit = events.discard) -> "ContainedCode":
        """From now on, the instance's program and app run in a sandbox (core/contained.py), as graded.
        Raises LabctlError when the backend cannot contain code."""
        from labctl.core.contained import ContainedCode

        self.apps.release(instance)
        view = self.view(instance)
        code = ContainedCode(self.runtime, view, containment, ephemeral=self.records.is_ephemeral(instance),
                             image_source=self.settings.image_source, emit=emit)
        self.apps.contained[instance] = code
        return code

    def release(self, instance: str) -> None:
        """Stop the instance's app and remove its sandbox, if this process made them."""
        self.apps.release(instance)
