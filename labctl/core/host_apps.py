"""Apps on the host for an instance: a reference solution in a self-test, a learner's app when grading.

One app per instance, started by this process, told its port in $PORT and the lab's connection
settings in its environment (core/apps.py runs the process). The learner's own launch mode will
live here too.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from labctl.core.errors import LabctlError
from labctl.core.instance_directory import InstanceDirectory
from labctl.core.model import Step
from labctl.core.views import InstanceView

if TYPE_CHECKING:
    from labctl.core.app_process import AppProcess
    from labctl.core.contained import ContainedApp, ContainedCode


class HostApps:
    def __init__(self, directory: InstanceDirectory, ready_timeout: float):
        self.directory = directory
        self.ready_timeout = ready_timeout
        self._apps: dict[str, "AppProcess | ContainedApp"] = {}
        self._url_settings: dict[str, str] = {}  # instance -> the setting its app's URL is kept in
        # Instances whose code runs contained (core/contained.py): their apps start in the sandbox.
        self.contained: dict[str, "ContainedCode"] = {}

    def start(self, view: InstanceView, command: str, folder: Path, *, url_setting: str = "app_url",
              url: str | None = None, timeout: float | None = None) -> "AppProcess":
        """Start an app for the instance (replacing the one started before) and wait until it answers.

        Its URL is `url` if given, else the instance's chosen setting; when the learner chose none, a free
        port on 127.0.0.1, so that several instances never fight over the lab's default port. The URL is
        kept as the instance's setting, where the checks read it. Raises LabctlError with the app's output."""
        from labctl.core.app_process import free_port, start_app

        self.stop(view.instance)
        contained = self.contained.get(view.instance)
        if contained is not None:  # in the instance's sandbox: the URL is where its port is published
            app = contained.serve_app(command, timeout=timeout or self.ready_timeout)
            self.directory.set_setting(view.instance, url_setting, app.url)
            self._apps[view.instance], self._url_settings[view.instance] = app, url_setting
            return app
        if url is None:
            url = self.directory.chosen_settings(view.instance).get(url_setting) or f"http://127.0.0.1:{free_port()}"
        self.directory.set_setting(view.instance, url_setting, url)
        # A reference app in Python may use labctl's own interpreter ("$LABCTL_PYTHON" app.py), whose environment
        # holds the `test` extra: its libraries are never something the learner has to install.
        env = {**view.env(), "LABCTL_PYTHON": sys.executable}
        app = start_app(command, folder, url, env=env, timeout=timeout or self.ready_timeout)
        self._apps[view.instance], self._url_settings[view.instance] = app, url_setting
        return app

    def started(self, instance: str) -> "AppProcess | ContainedApp | None":
        """The app this process started for the instance (a graded submission's, a self-test's), if any."""
        return self._apps.get(instance)

    def restart(self, view: InstanceView) -> None:
        """Stop the instance's app and start it again as it was started (in its sandbox, when contained), and
        wait until it answers. Raises LabctlError (with its output) when it does not come back."""
        from labctl.core.app_process import AppProcess

        app = self._apps.get(view.instance)
        if app is None:
            raise LabctlError("labctl started no app for this instance, so it cannot restart one")
        if isinstance(app, AppProcess):
            self.start(view, app.command, app.folder, url_setting=self._url_settings[view.instance], url=app.url)
        else:
            app.restart(self.ready_timeout)

    def control(self, view: InstanceView) -> "StartedAppControl | None":
        """What a check may do to the app this process started for the instance (restart it), as a check sees
        a launched process; None when it started none, or the lab declares no process it serves."""
        url_setting = self._url_settings.get(view.instance)
        if view.instance not in self._apps or url_setting is None:
            return None
        served = [name for name, spec in view.lab.processes.items() if spec.url_setting == url_setting]
        return StartedAppControl(self, view, served[0]) if served else None

    def stop(self, instance: str) -> None:
        """Stop the instance's app, and everything it started, if this process started one."""
        self._url_settings.pop(instance, None)
        app = self._apps.pop(instance, None)
        if app is not None:
            app.stop()

    def release(self, instance: str) -> None:
        """Stop the app and remove the instance's sandbox, if it has one."""
        self.stop(instance)
        contained = self.contained.pop(instance, None)
        if contained is not None:
            contained.close()

    def folder_of(self, view: InstanceView, step: Step) -> Path:
        """Where an `app:` step runs: inside the lab folder, or inside the learner's workspace."""
        assert step.app is not None
        if not step.app.in_workspace:
            return view.lab.path / step.app.folder
        if view.workspace is None:
            raise LabctlError("this instance has no workspace folder")
        return view.workspace / step.app.folder


class StartedAppControl:
    """The app `labctl grade` (or a self-test's app step) started, seen by a check as launch mode's processes
    are (ctx.launcher): the one process it serves can be restarted, in its sandbox when contained."""

    def __init__(self, apps: HostApps, view: InstanceView, process: str):
        self.apps, self.view, self.process = apps, view, process
        self.lab = view.lab

    def command(self, name: str) -> str | None:
        app = self.apps.started(self.view.instance)
        return app.command if app is not None and name == self.process else None

    def restart(self, name: str, *, by: str | None = None) -> None:
        if name != self.process:
            raise LabctlError(f"labctl runs only the {self.process} process of this app, not {name}")
        self.apps.restart(self.view)
