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
            self._apps[view.instance] = app
            return app
        if url is None:
            url = self.directory.chosen_settings(view.instance).get(url_setting) or f"http://127.0.0.1:{free_port()}"
        self.directory.set_setting(view.instance, url_setting, url)
        # A reference app in Python may use labctl's own interpreter ("$LABCTL_PYTHON" app.py), whose environment
        # holds the `test` extra: its libraries are never something the learner has to install.
        env = {**view.env(), "LABCTL_PYTHON": sys.executable}
        app = start_app(command, folder, url, env=env, timeout=timeout or self.ready_timeout)
        self._apps[view.instance] = app
        return app

    def stop(self, instance: str) -> None:
        """Stop the instance's app, and everything it started, if this process started one."""
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
