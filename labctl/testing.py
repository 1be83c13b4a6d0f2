"""labctl's pytest plugin: real lab instances for tests (registered through the pytest11 entry point).

    def test_orders_need_a_foreign_key(labctl_lab):
        lab = labctl_lab("databases-101")           # a fresh instance: random ports, seeded
        lab.apply_solution("create-customers")
        lab.assert_fails("create-orders", "foreign key")
        lab.apply_solution("create-orders")
        lab.assert_passes("create-orders")

`labctl_lab` starts instances for one test; `labctl_lab_session` for the whole session (or use
`lab_fixture("databases-101", scope="module")` to declare a fixture). Every instance is ephemeral,
uniquely named (pytest-xdist workers never clash) and removed at teardown. A course author's own app
runs against an instance with `start_app`, and `ssh` runs a command on a lab's Linux box as the learner.

Install with `pip install 'labctl[pytest]'`. When testcontainers' Ryuk can run and watches the engine the
labs run on, the instance's resources carry the session's label, so Ryuk removes them even if the test
process is killed; TESTCONTAINERS_RYUK_DISABLED=true is honoured, and teardown removes everything by
labctl's labels either way. The plugin loads (and does nothing) in a pytest run that never asks for it,
with or without the extra.
"""
from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

import pytest

from labctl.check_engine.result import Status, TaskResult
from labctl.core.text_report import render

if TYPE_CHECKING:
    from labctl.core.app_process import AppProcess


class CommandResult(NamedTuple):
    exit_code: int
    output: str  # stdout and stderr together, as a terminal shows them


class LabInstance:
    """A running ephemeral lab instance, for a test to use and assert on."""

    def __init__(self, manager, lab_id: str, *, labels: dict[str, str] | None = None):
        self.manager = manager
        self.lab = manager.loader.load(lab_id)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.instance = f"pytest-{worker + '-' if worker else ''}{self.lab.id[:24]}-{secrets.token_hex(3)}"[:48]
        self.workspace = Path(tempfile.mkdtemp(prefix=f"labctl-pytest-{self.lab.id}-"))
        self._started = False
        manager.start(self.lab.id, name=self.instance, workspace=self.workspace, ephemeral=True, labels=labels)
        self._started = True

    # -- where things are

    @property
    def view(self):
        return self.manager.view(self.instance, self.lab)

    @property
    def urls(self) -> dict[str, dict[str, str]]:
        """Per service, its connection URLs by name, e.g. {"postgres": {"DATABASE_URL": "postgresql://..."}}."""
        return {sv.status.service: dict(sv.urls) for sv in self.view.services}

    def url(self, service: str | None = None) -> str:
        """The first URL of the service (the lab's only service when none is named)."""
        urls = self.urls
        if service is None:
            if len(urls) != 1:
                raise ValueError(f"{self.lab.id} has {len(urls)} services ({', '.join(urls)}); name one")
            service = next(iter(urls))
        if service not in urls or not urls[service]:
            raise KeyError(f"{self.lab.id} has no service {service!r} with a URL (it has {', '.join(urls)})")
        return next(iter(urls[service].values()))

    @property
    def env(self) -> dict[str, str]:
        """What `labctl env` would export for this instance."""
        return self.view.env()

    # -- doing and checking

    def run_checks(self, task: str | list[str] | None = None) -> list[TaskResult]:
        """Run the checks of one task, of several, or of all; structured results, nothing raised for a failure."""
        tasks = [task] if isinstance(task, str) else task
        return self.manager.check(self.instance, tasks or None)[1]

    def apply_solution(self, task: str) -> None:
        """Apply the task's reference solution, as a learner would do the task."""
        found = self.lab.task(task)
        if found is None:
            raise KeyError(f"{self.lab.id} has no task {task!r}")
        self.manager.apply_steps(self.view, found.solution)

    def apply_solutions(self, through: str | None = None, *, before: str | None = None) -> None:
        """Apply the solutions of the tasks, in order: all of them, those up to and including `through`, or
        those before `before` (to leave the instance as a learner who is on that task)."""
        if through is not None and before is not None:
            raise ValueError("give through or before, not both")
        stop = through or before
        if stop is not None and self.lab.task(stop) is None:
            raise KeyError(f"{self.lab.id} has no task {stop!r}")
        for found in self.lab.tasks:
            if found.id == before:
                return
            self.manager.apply_steps(self.view, found.solution)
            if found.id == through:
                return

    def apply_near_miss(self, near_miss: str) -> None:
        found = next((n for n in self.lab.near_misses if n.id == near_miss), None)
        if found is None:
            raise KeyError(f"{self.lab.id} has no near miss {near_miss!r}")
        self.manager.apply_steps(self.view, found.steps)

    def start_app(self, command: str, folder: str | Path | None = None, *, setting: str = "app_url",
                  timeout: float | None = None) -> "AppProcess":
        """Start an app (yours, or a learner's) against this instance and wait until it answers.

        It runs `command` with /bin/sh in `folder` (default: the instance's workspace), in its own process
        group, told its port in $PORT and the lab's connection settings (DATABASE_URL ...) in its environment.
        Its URL (`app.url`, a free port on 127.0.0.1) becomes the instance's `setting`, where the lab's
        checks look for the app. It replaces the app started before and is stopped at teardown.
        Raises LabctlError with the app's last output when it exits or never answers."""
        where = Path(folder) if folder is not None else self.workspace
        return self.manager.start_app(self.view, command, where, url_setting=setting, timeout=timeout)

    def stop_app(self) -> None:
        """Stop the app start_app started (and everything it started)."""
        self.manager.stop_app(self.instance)

    def ssh(self, command: str, *, service: str | None = None, timeout: float = 60.0) -> CommandResult:
        """Run a command line on the lab's Linux box as the learner, the way `labctl ssh -- COMMAND` does."""
        return CommandResult(*self.manager.login_run(self.instance, command, service=service, timeout=timeout))

    def set(self, setting: str, value: str) -> None:
        """Give the instance a setting, as `labctl config set` does."""
        self.manager.set_setting(self.instance, setting, value)

    def reset(self) -> None:
        """Every service's data, and the workspace files, back to the lab's starting state."""
        self.manager.reset(self.instance, workspace_files=True)

    # -- assertions that read like `labctl check`

    def assert_passes(self, task: str | list[str] | None = None) -> list[TaskResult]:
        results = self.run_checks(task)
        bad = [r for r in results if r.status is not Status.PASSED]
        if bad:
            raise AssertionError(f"{len(bad)} of {len(results)} task(s) of {self.lab.id} do not pass:\n{render(bad)}")
        return results

    def assert_fails(self, task: str, message_contains: str | None = None) -> TaskResult:
        """The task fails (not errors); with message_contains, some failing check's message says it (any case)."""
        result = self.run_checks(task)[0]
        if result.status is Status.PASSED:
            raise AssertionError(f"{self.lab.id}: {task} passes, but it should fail:\n{render([result], all_checks=True)}")
        if result.status is Status.ERROR:
            raise AssertionError(f"{self.lab.id}: {task} could not be checked (an error, not a failure):\n"
                                 f"{render([result])}")
        if message_contains is not None:
            messages = [c.message for c in result.checks if c.status is Status.FAILED]
            if not any(message_contains.lower() in m.lower() for m in messages):
                raise AssertionError(f"{self.lab.id}: {task} fails, but no message mentions {message_contains!r}:\n"
                                     f"{render([result])}")
        return result

    # -- the end

    def destroy(self) -> None:
        import shutil

        from labctl.core.errors import LabctlError

        if self._started:
            try:
                self.manager.destroy(self.instance)
            except LabctlError:
                pass
            self._started = False
        shutil.rmtree(self.workspace, ignore_errors=True)

    def __repr__(self) -> str:
        return f"<LabInstance {self.instance} of {self.lab.id}>"


# ---- Ryuk ---------------------------------------------------------------------------------------

_ryuk_labels: dict[str, str] | None = None
_UNSAFE_TEARDOWN = "labctl removes its instances at teardown, but not if the test process is killed"


def _same_endpoint(a: str, b: str) -> bool:
    """Whether two engine addresses name the same engine (unix sockets by their real path)."""
    def norm(url: str) -> str:
        url = url.replace("http+unix://", "unix://").rstrip("/")
        if url.startswith("unix://"):
            return "unix://" + os.path.realpath(url[len("unix://"):])
        return url
    return norm(a) == norm(b)


def _testcontainers_endpoint() -> str:
    """The engine testcontainers (and so Ryuk) would use, by its own rules."""
    from testcontainers.core.docker_client import get_docker_host

    host = get_docker_host()
    if host:
        return host
    import docker.constants

    return docker.constants.DEFAULT_UNIX_SOCKET


def ryuk_labels(runtime=None) -> dict[str, str]:
    """testcontainers' session label when its Ryuk runs (started once per process) on the engine the labs
    run on (`runtime`), else nothing, with a warning that says why."""
    global _ryuk_labels
    if _ryuk_labels is not None:
        return _ryuk_labels
    _ryuk_labels = {}
    try:
        from testcontainers.core.config import testcontainers_config
    except ImportError:
        warnings.warn(f"testcontainers is not installed (pip install 'labctl[pytest]'), so Ryuk cannot watch the "
                      f"labs; {_UNSAFE_TEARDOWN}.", stacklevel=2)
        return _ryuk_labels
    if testcontainers_config.ryuk_disabled:
        return _ryuk_labels
    try:
        if runtime is not None:
            labs_engine = runtime.available().endpoint if getattr(runtime, "name", "") == "docker" else None
            ryuks_engine = _testcontainers_endpoint()
            if labs_engine is None or not _same_endpoint(labs_engine, ryuks_engine):
                warnings.warn(f"testcontainers' Ryuk would watch {ryuks_engine}, but the labs run on "
                              f"{labs_engine or 'a ' + str(getattr(runtime, 'name', 'other')) + ' backend'}; "
                              f"Ryuk is not started, and {_UNSAFE_TEARDOWN}. Point both at one engine "
                              "(DOCKER_HOST and LABCTL_DOCKER_HOST) to have it.", stacklevel=2)
                return _ryuk_labels
        from testcontainers.core.container import Reaper
        from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

        Reaper.get_instance()
        _ryuk_labels = {LABEL_SESSION_ID: SESSION_ID}
    except Exception as exc:  # no Ryuk image and no registry, rootless Podman...: teardown by label still runs
        warnings.warn(f"testcontainers' Ryuk could not start ({str(exc).splitlines()[0][:160]}); {_UNSAFE_TEARDOWN}. "
                      "Set TESTCONTAINERS_RYUK_DISABLED=true to silence this.", stacklevel=2)
    return _ryuk_labels


# ---- fixtures -----------------------------------------------------------------------------------

def pytest_addoption(parser) -> None:
    parser.addini("labctl_lab_dirs", "Folders of labs (besides labctl's own), relative to the rootdir.", type="paths",
                  default=[])


@pytest.fixture(scope="session")
def labctl_manager(request, tmp_path_factory):
    """A LabManager with its own LABCTL_HOME: tests never touch the learner's state or instances."""
    from labctl.core.loader import LabLoader
    from labctl.core.manager import LabManager
    from labctl.core.settings import Settings
    from labctl.runtime import runtime_for

    home = tmp_path_factory.mktemp("labctl-home")
    settings = Settings.from_environ(dict(os.environ, LABCTL_HOME=str(home)))
    dirs = [Path(p) for p in request.config.getini("labctl_lab_dirs")] + list(settings.extra_lab_dirs)
    return LabManager(settings, runtime_for(settings), LabLoader(dirs))


def _factory(manager) -> tuple[Callable[[str], LabInstance], Callable[[], None]]:
    made: list[LabInstance] = []

    def start(lab_id: str) -> LabInstance:
        instance = LabInstance(manager, lab_id, labels=ryuk_labels(manager.runtime))
        made.append(instance)
        return instance

    def teardown() -> None:
        while made:
            made.pop().destroy()

    return start, teardown


@pytest.fixture
def labctl_lab(labctl_manager) -> Iterator[Callable[[str], LabInstance]]:
    """labctl_lab("databases-101") starts a fresh instance, removed at the end of the test."""
    start, teardown = _factory(labctl_manager)
    try:
        yield start
    finally:
        teardown()


@pytest.fixture(scope="session")
def labctl_lab_session(labctl_manager) -> Iterator[Callable[[str], LabInstance]]:
    """Like labctl_lab, but the instances live until the end of the session."""
    start, teardown = _factory(labctl_manager)
    try:
        yield start
    finally:
        teardown()


def lab_fixture(lab_id: str, *, scope: str = "function"):
    """Declare a fixture that yields one instance of the lab:  db = lab_fixture("databases-101", scope="module")."""

    @pytest.fixture(scope=scope)
    def _instance(labctl_manager) -> Iterator[LabInstance]:
        instance = LabInstance(labctl_manager, lab_id, labels=ryuk_labels(labctl_manager.runtime))
        try:
            yield instance
        finally:
            instance.destroy()

    return _instance
