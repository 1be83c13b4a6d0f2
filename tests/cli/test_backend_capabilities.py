"""The CLI on the fake runtime: it asks the backend's capabilities and the drivers, never a kind name."""
from __future__ import annotations

import os

import pytest

from labctl.cli import main
from labctl.cli.app import App
from labctl.core.settings import Settings
from labctl.runtime.base import Capability
from labctl.runtime.fake import FakeEngine, FakeRuntime
from labctl.services import Drivers, driver_for, kinds
from tests.conftest import TEST_LABS
from tests.unit.test_manager import RecordingDriver


class HintingDriver(RecordingDriver):
    def client_hint(self, urls):
        return driver_for(self.kind).client_hint(urls)  # the real driver's hint, with a fake service


@pytest.fixture
def app_for(tmp_path):
    engine = FakeEngine()
    log, seeded = [], set()
    drivers = Drivers([HintingDriver(k, log, seeded) for k in kinds()])

    def make(**runtime_options) -> App:
        env = dict(os.environ, LABCTL_HOME=str(tmp_path / "home"), LABCTL_LABS_DIR=str(TEST_LABS))
        settings = Settings.from_environ(env)
        return App(settings=settings, runtime=FakeRuntime(settings, engine, **runtime_options), drivers=drivers)

    return make


class Ran:
    def __init__(self, exit_code: int, output: str):
        self.exit_code, self.output = exit_code, output


@pytest.fixture
def run(capsys):
    """Run labctl in this process on the App given, as a learner would (errors rendered, exit code kept)."""

    def invoke(app: App, *args: str) -> Ran:
        with pytest.raises(SystemExit) as done:
            main(list(args), obj=app)
        captured = capsys.readouterr()
        return Ran(done.value.code, captured.out + captured.err)

    return invoke


def test_start_shows_the_drivers_connect_hint(app_for, run):
    result = run(app_for(), "start", "pg-only")
    assert result.exit_code == 0, result.output
    import re

    found = re.search(r'Connect with: psql "postgresql://learner:([^@"]+)@127.0.0.1:5432/lab"  or  labctl shell',
                      result.output)
    assert found and found.group(1) != "learner", result.output  # the instance's own password, shown
    result = run(app_for(), "start", "redis-only")
    assert "Connect with:" not in result.output.split("redis-only")[-1]  # Redis gives no hint


def test_logs_follow_needs_the_capability(app_for, run):
    run(app_for(), "start", "pg-only")
    result = run(app_for(capabilities=frozenset({Capability.EXEC})), "logs", "-f")
    assert result.exit_code == 1
    assert "the fake backend cannot follow logs" in result.output and "Leave out -f" in result.output
    assert run(app_for(), "logs", "--tail", "5").exit_code == 0


def test_shell_needs_the_capability(app_for, run):
    run(app_for(), "start", "redis-only")  # Redis has no client on the host to fall back on
    result = run(app_for(capabilities=frozenset({Capability.EXEC})), "shell")
    assert result.exit_code == 1
    assert "cannot open an interactive shell: the fake backend has no client for it here" in result.output


def test_images_build_needs_a_backend_that_builds(app_for, run):
    result = run(app_for(can_build=False), "images", "build", "postgres")
    assert result.exit_code == 1 and "the fake backend cannot build images" in result.output
    assert "labctl images push REGISTRY" in result.output


def test_images_push_refuses_what_is_not_a_registry_address(app_for, run):
    result = run(app_for(), "images", "push", "http://registry.test")
    assert result.exit_code == 2 and "is not a registry address" in result.output


def test_images_push_copies_what_is_here_and_names_what_is_missing(app_for, run):
    app = app_for()
    app.runtime.engine.registries.add("registry.test:5000")
    assert run(app, "images", "build", "redis").exit_code == 0
    result = run(app, "images", "push", "registry.test:5000/labs", "--lab", "redis-only")
    assert result.exit_code == 0, result.output
    pushed = [ref for ref in app.runtime.engine.registry if ref.startswith("registry.test:5000/labs/redis:")]
    assert pushed and f"redis: {pushed[0]}" in result.output
    result = run(app, "images", "push", "registry.test:5000/labs", "--lab", "pg-only")
    assert result.exit_code == 1 and "not on this machine, so they were not pushed: postgres" in result.output


def test_an_unknown_backend_is_named(tmp_path):
    from labctl.core.errors import LabctlError
    from labctl.runtime import runtime_for

    settings = Settings.from_environ({"LABCTL_HOME": str(tmp_path), "LABCTL_RUNTIME": "kubernetes"})
    with pytest.raises(LabctlError, match="LABCTL_RUNTIME='kubernetes' is not a container backend labctl has") as info:
        runtime_for(settings)
    assert "docker" in info.value.hint
