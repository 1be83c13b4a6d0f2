"""LabManager's logic on the fake runtime with recording drivers: no engine, no service, every path."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from labctl.check_engine.result import Status
from labctl.core import events
from labctl.core.access import ServiceAccess
from labctl.core.errors import (
    EngineUnavailableError,
    ImageUnavailableError,
    InstanceNotFoundError,
    LabctlError,
    ServiceNotReadyError,
)
from labctl.core.learner_progress import next_task
from labctl.core.loader import LabLoader
from labctl.core.manager import LabManager
from labctl.core.model import Step
from labctl.core.settings import Settings
from labctl.runtime.base import Capability, ServiceState
from labctl.runtime.fake import FakeEngine, FakeRuntime
from labctl.services import Drivers, ServiceDriver, kinds
from tests.conftest import TEST_LABS


class RecordingDriver(ServiceDriver):
    """A driver that remembers what core asked of it; it is seeded once snapshot() ran."""

    step_actions = frozenset({"sql", "run"})

    def __init__(self, kind: str, log: list[tuple], seeded: set[tuple[str, str]]):
        self.kind = kind
        self.title = f"fake {kind}"
        self.log, self.seeded = log, seeded
        self.unanswered = 0  # probes that fail before the service "answers"

    def probe(self, access: ServiceAccess) -> None:
        if self.unanswered:
            self.unanswered -= 1
            raise ConnectionRefusedError("not yet")

    def apply(self, access: ServiceAccess, step: Step) -> None:
        self.log.append(("apply", access.name, step.action, step.source.name if step.source else None))

    def is_seeded(self, access: ServiceAccess) -> bool:
        return (access.instance, access.name) in self.seeded

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        self.log.append(("seed", access.name, [s.source.name for s in steps]))

    def snapshot(self, access: ServiceAccess) -> None:
        self.seeded.add((access.instance, access.name))

    def restore(self, access: ServiceAccess, seed: list[Step]) -> None:
        self.log.append(("restore", access.name, [s.source.name for s in seed]))


class World:
    """A fake engine shared by managers of different homes, and the drivers' record of calls."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.engine = FakeEngine()
        self.log: list[tuple] = []
        self.seeded: set[tuple[str, str]] = set()
        self.drivers = Drivers([RecordingDriver(k, self.log, self.seeded) for k in kinds()])

    def manager(self, home: str = "me", lab_dirs=(TEST_LABS,), **runtime_options) -> LabManager:
        env = dict(os.environ, LABCTL_HOME=str(self.tmp_path / home), LABCTL_READY_TIMEOUT="1")
        settings = Settings.from_environ(env)
        runtime = FakeRuntime(settings, self.engine, **runtime_options)
        return LabManager(settings, runtime, LabLoader(list(lab_dirs)), drivers=self.drivers)

    def driver(self, kind: str) -> RecordingDriver:
        return self.drivers.get(kind)  # type: ignore[return-value]


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


@pytest.fixture
def manager(world) -> LabManager:
    return world.manager()


# ---- start ----------------------------------------------------------------------------------------

def test_first_start_builds_what_cannot_be_pulled_seeds_once_and_becomes_current(world, manager):
    collected = events.Collector()
    report = manager.start("pg-seeded", emit=collected)
    assert report.seeded and report.view.ready
    assert events.IMAGE_PULL_FAILED in collected.kinds() and events.IMAGE_BUILDING in collected.kinds()
    assert world.log == [("seed", "postgres", ["seed.sql"])]
    assert manager.directory.current() == "pg-seeded"
    assert report.view.services[0].urls["DATABASE_URL"].startswith("postgresql://")
    assert report.view.services[0].client_hint is None  # the recording driver gives none

    again = manager.start("pg-seeded")
    assert not again.seeded and world.log == [("seed", "postgres", ["seed.sql"])]


def test_stop_keeps_the_instance_and_start_resumes_it_on_the_same_ports(world, manager):
    first = manager.start("pg-only").view.services[0].status
    manager.stop("pg-only")
    stopped = manager.view("pg-only")
    assert not stopped.ready and stopped.services[0].status.state is ServiceState.STOPPED
    resumed = manager.start("pg-only").view.services[0].status
    assert resumed.state is ServiceState.RUNNING and resumed.ports == first.ports
    assert [e for e in world.log if e[0] == "seed"] == [("seed", "postgres", [])]  # seeded once only


def test_a_service_that_never_answers_is_reported_with_what_to_do(world, manager):
    world.driver("redis").unanswered = 10 ** 6
    with pytest.raises(ServiceNotReadyError) as info:
        manager.start("redis-only")
    assert "redis did not answer within 1s" in info.value.message
    assert "LABCTL_READY_TIMEOUT" in info.value.hint


def test_a_service_that_dies_on_start_says_so_at_once(world, manager):
    world.engine.fail_on_start["labctl-redis-only-redis"] = "exited with code 1"
    world.driver("redis").unanswered = 10 ** 6  # nothing listens in a dead container
    with pytest.raises(ServiceNotReadyError, match=r"redis stopped before it was ready \(exited with code 1\)"):
        manager.start("redis-only")


def test_a_first_start_that_makes_nothing_leaves_no_instance_behind(world, manager):
    world.engine.down = True
    with pytest.raises(EngineUnavailableError):
        manager.start("pg-only")
    world.engine.down = False
    assert manager.records.get("pg-only") is None and manager.instances() == []


def test_an_image_nobody_can_provide_is_an_image_error(world):
    manager = world.manager(can_build=False)
    with pytest.raises(ImageUnavailableError) as info:
        manager.start("mongodb-only")
    assert "cannot pull mongo:7.0.14" in info.value.message
    assert "This backend cannot build images" in info.value.hint


def test_a_substitute_build_is_said_at_every_start(world, manager):
    """MongoDB's local build is another server: a start says so each time, a pulled official image never."""
    first = events.Collector()
    manager.start("mongodb-only", emit=first)
    said = [e.message for e in first.events if e.kind == events.WARNING]
    assert said == ["mongodb: runs on a MongoDB-compatible server (SecantusDB), not MongoDB: mongo:7.0.14 could not "
                    "be had here. labctl uses the official image wherever it can be pulled or is loaded "
                    "(`labctl images load`)."]
    manager.stop("mongodb-only")
    again = events.Collector()
    manager.start("mongodb-only", emit=again)
    assert [e.message for e in again.events if e.kind == events.WARNING] == said
    manager.destroy("mongodb-only")
    world.engine.pullable.add("mongo:7.0.14")
    official = events.Collector()
    manager.start("mongodb-only", emit=official)
    assert not [e for e in official.events if e.kind == events.WARNING]


def test_an_instance_name_keeps_its_lab(manager):
    manager.start("pg-only", name="mine")
    with pytest.raises(LabctlError, match="the instance 'mine' runs the lab pg-only, not redis-only"):
        manager.start("redis-only", name="mine")


def test_a_taken_usual_port_moves_and_an_ephemeral_instance_never_takes_it(world, manager):
    world.engine.taken_ports.add(5432)
    collected = events.Collector()
    status = manager.start("pg-only", emit=collected).view.services[0].status
    assert status.ports[5432] != 5432 and events.PORT_MOVED in collected.kinds()
    world.engine.taken_ports.clear()
    ephemeral = manager.start("pg-only", name="grading", ephemeral=True).view.services[0].status
    assert ephemeral.ports[5432] != 5432
    assert manager.directory.current() == "pg-only"  # ephemeral instances never become current


def test_a_lab_without_services_needs_no_engine(world, manager):
    world.engine.down = True
    report = manager.start("program-only")
    assert report.view.ready and report.view.services == () and report.workspace_files
    assert manager.resolve_instance(None) == "program-only"
    view, results = manager.check("program-only", ["shout"])
    assert results[0].status is Status.FAILED  # no `run` setting yet: the learner's program is not there
    assert manager.destroy("program-only") == ["instance program-only"]


# ---- which instance -------------------------------------------------------------------------------

def test_which_instance_a_command_means(manager):
    with pytest.raises(InstanceNotFoundError, match="no lab is running"):
        manager.resolve_instance(None)
    manager.start("pg-only")
    assert manager.resolve_instance(None) == "pg-only"
    manager.start("redis-only")
    assert manager.resolve_instance(None) == "redis-only"  # the last started
    manager.destroy("redis-only")
    manager.start("redis-only", name="other", ephemeral=True)
    with pytest.raises(LabctlError, match=r"several labs exist \(other, pg-only\); say which"):
        manager.resolve_instance(None)  # the current one was destroyed: none is meant
    assert manager.resolve_instance("other") == "other"
    with pytest.raises(LabctlError, match="not a valid instance name"):
        manager.resolve_instance("Not Valid")


def test_another_home_on_the_same_engine_sees_nothing_of_mine(world, manager):
    manager.start("pg-only")
    neighbour = world.manager("neighbour")
    assert neighbour.instances() == []
    with pytest.raises(InstanceNotFoundError):
        neighbour.view("pg-only")
    with pytest.raises(LabctlError, match="belongs to another labctl user"):
        neighbour.start("pg-only")
    assert manager.view("pg-only").ready


# ---- stop, destroy, reset -------------------------------------------------------------------------

def test_reset_restores_every_service_from_its_seed_and_the_workspace_if_asked(world, manager, tmp_path):
    manager.start("program-only")
    manager.start("pg-seeded")
    world.log.clear()
    manager.reset("pg-seeded")
    assert world.log == [("restore", "postgres", ["seed.sql"])]
    view = manager.view("program-only")
    original = (view.workspace / "main.py").read_text()
    (view.workspace / "main.py").write_text("changed\n")
    manager.reset("program-only")
    assert (view.workspace / "main.py").read_text() == "changed\n"  # the learner's files stay unless asked
    manager.reset("program-only", workspace_files=True)
    assert (view.workspace / "main.py").read_text() == original


def test_reset_of_a_stopped_instance_says_to_start_it(manager):
    manager.start("pg-only")
    manager.stop("pg-only")
    with pytest.raises(LabctlError, match="is not running, so it cannot be reset") as info:
        manager.reset("pg-only")
    assert info.value.hint == "Start it first: `labctl start pg-only`."


def test_destroy_removes_everything_and_forgets_the_instance(world, manager):
    manager.start("pg-only")
    done = manager.destroy("pg-only")
    assert "removed container labctl-pg-only-postgres" in done and "removed network labctl-pg-only" in done
    assert manager.instances() == [] and manager.directory.current() is None
    assert not world.engine.volumes and not world.engine.networks
    with pytest.raises(InstanceNotFoundError):
        manager.destroy("pg-only")
    with pytest.raises(InstanceNotFoundError):
        manager.stop("pg-only")


# ---- checks and steps -----------------------------------------------------------------------------

def test_checks_of_a_stopped_service_are_errors_that_say_so(manager):
    manager.start("pg-only")
    manager.stop("pg-only")
    _, results = manager.check("pg-only")
    check = results[0].checks[0]
    assert check.status is Status.ERROR and check.message.startswith("the postgres service is stopped")


def test_checking_an_unknown_task_is_refused(manager):
    manager.start("pg-only")
    with pytest.raises(LabctlError, match="pg-only has no task 'nope'"):
        manager.check("pg-only", ["nope"])


def test_steps_go_to_their_driver_the_workspace_and_the_settings(world, manager):
    manager.start("pg-only")
    view = manager.view("pg-only")
    world.log.clear()
    manager.apply_steps(view, view.lab.tasks[0].solution)
    assert world.log == [("apply", "postgres", "sql", "anything.sql")]
    manager.start("program-only")
    program = manager.view("program-only")
    manager.apply_steps(program, program.lab.task("shout").solution)
    assert (program.workspace / "main.py").is_file()
    assert manager.chosen_settings("program-only") == {"run": "python3 main.py"}


def test_without_exec_a_check_that_runs_commands_says_the_runtime_cannot(world):
    manager = world.manager(capabilities=frozenset({Capability.FOLLOW_LOGS}))
    manager.start("linuxbox-only")
    _, results = manager.check("linuxbox-only")
    check = results[0].checks[0]
    assert check.status is Status.ERROR and "the container runtime cannot" in check.message


def test_views_do_not_validate_checks_and_checking_reports_a_broken_one(world, tmp_path):
    import shutil

    from labctl.core.errors import LabFileError

    labs = tmp_path / "labs"
    shutil.copytree(TEST_LABS / "pg-only", labs / "pg-only")
    lab_file = labs / "pg-only" / "lab.yaml"
    lab_file.write_text(lab_file.read_text().replace("table: anything}", "table: anything, colour: blue}"))
    manager = world.manager(lab_dirs=[labs])
    with pytest.raises(LabFileError, match="colour"):
        manager.start("pg-only")  # a learner meets a broken lab at start, before anything is made
    assert manager.instances() == [] and not world.engine.containers
    lab = manager.loader.load("pg-only", checks=False)  # what status and env load
    assert lab.tasks[0].checks[0]._check is None
    with pytest.raises(LabFileError) as info:
        lab.validate_checks()
    assert info.value.field == "tasks[0].checks[0].colour"


# ---- the next task --------------------------------------------------------------------------------

def test_the_next_task_is_the_first_never_passed_in_lab_order(manager):
    lab = manager.loader.load("program-only", checks=False)
    assert next_task(lab, {}).id == "shout"
    assert next_task(lab, {"shout": {"first_passed": "2026-01-01T00:00:00+00:00"}}).id == "reject"
    assert next_task(lab, {"reject": {"first_passed": "x"}}).id == "shout"  # order, not the last one passed
    assert next_task(lab, {t.id: {"first_passed": "x"} for t in lab.tasks}) is None


# ---- the lab's own secrets ------------------------------------------------------------------------

def _lab_with_secrets(tmp_path):
    import shutil

    labs = tmp_path / "labs"
    if (labs / "pg-only").exists():
        return labs
    shutil.copytree(TEST_LABS / "pg-only", labs / "pg-only")
    lab_file = labs / "pg-only" / "lab.yaml"
    lab_file.write_text(lab_file.read_text() + "secrets:\n  JWT_SECRET: {description: signs the app's tokens}\n"
                        "  OAUTH_CLIENT_SECRET: {description: the app's client secret, bytes: 48}\n")
    return labs


def test_a_labs_secrets_are_made_per_instance_and_reach_env_the_checks_and_the_app(world, tmp_path):
    manager = world.manager(lab_dirs=[_lab_with_secrets(tmp_path)])
    manager.start("pg-only", name="one")
    manager.start("pg-only", name="two")
    one, two = manager.view("one"), manager.view("two")
    assert set(one.secrets) == {"JWT_SECRET", "OAUTH_CLIENT_SECRET"}
    assert one.secrets["JWT_SECRET"] != two.secrets["JWT_SECRET"]  # made per instance
    assert len(one.secrets["JWT_SECRET"]) >= 40 and len(one.secrets["OAUTH_CLIENT_SECRET"]) >= 60
    assert one.env()["JWT_SECRET"] == one.secrets["JWT_SECRET"]  # labctl env, the learner's app, the checks
    from labctl.core.contained import contained_env

    assert contained_env(one)["OAUTH_CLIENT_SECRET"] == one.secrets["OAUTH_CLIENT_SECRET"]  # a graded app too


def test_a_seconds_setting_reaches_env_the_checks_and_a_contained_app_as_the_learner_sets_it(world, tmp_path):
    labs = _lab_with_secrets(tmp_path)
    lab_file = labs / "pg-only" / "lab.yaml"
    if "COOL_DOWN" not in lab_file.read_text():
        lab_file.write_text(lab_file.read_text() + "settings:\n  cool_down: {description: a wait, kind: seconds, "
                            "default: '5', env: COOL_DOWN_SECONDS}\n")
    manager = world.manager(lab_dirs=[labs])
    manager.start("pg-only")
    from labctl.core.contained import contained_env

    view = manager.view("pg-only")
    assert view.env()["COOL_DOWN_SECONDS"] == contained_env(view)["COOL_DOWN_SECONDS"] == "5"
    manager.set_setting("pg-only", "cool_down", "9")
    assert manager.view("pg-only").env()["COOL_DOWN_SECONDS"] == "9"


def test_a_labs_secrets_survive_stop_start_and_reset_and_change_only_when_asked(world, tmp_path):
    manager = world.manager(lab_dirs=[_lab_with_secrets(tmp_path)])
    manager.start("pg-only")
    made = dict(manager.view("pg-only").secrets)
    manager.stop("pg-only")
    manager.start("pg-only")
    assert manager.view("pg-only").secrets == made
    manager.reset("pg-only")
    assert manager.view("pg-only").secrets == made
    manager.reset("pg-only", new_secrets=True)
    renewed = manager.view("pg-only").secrets
    assert set(renewed) == set(made) and all(renewed[k] != made[k] for k in made)
    assert world.manager(lab_dirs=[_lab_with_secrets(tmp_path)]).view("pg-only").secrets == renewed  # on disk


@pytest.mark.parametrize("name", ["jwt_secret", "LABCTL_KEY", "1KEY", "K"])
def test_a_secret_name_must_be_an_environment_variable_of_the_lab(tmp_path, name):
    from labctl.core.errors import LabFileError
    from labctl.core.loader import load_lab_dir

    labs = _lab_with_secrets(tmp_path)
    lab_file = labs / "pg-only" / "lab.yaml"
    lab_file.write_text(lab_file.read_text().replace("JWT_SECRET:", f"{name}:"))
    with pytest.raises(LabFileError, match="secret name"):
        load_lab_dir(labs / "pg-only")


def test_starting_an_instance_by_its_name_says_the_right_spelling(world):
    manager = world.manager()
    manager.start("pg-only", name="mine")
    with pytest.raises(LabctlError) as info:
        manager.start("mine")
    assert info.value.message == "mine is an instance of pg-only, not a lab"
    assert info.value.hint == "Start it with: labctl start pg-only --name mine"


def test_check_in_launch_mode_on_a_stopped_lab_says_the_lab_is_stopped(world, tmp_path):
    """The app would start against stopped services and crash: the error is the stopped lab, not the crash."""
    import shutil

    labs = tmp_path / "labs"
    shutil.copytree(TEST_LABS / "pg-only", labs / "pg-only")
    lab_file = labs / "pg-only" / "lab.yaml"
    lab_file.write_text(lab_file.read_text() + "settings:\n  app_url: {description: where, kind: url, default: "
                        "'http://127.0.0.1:8000'}\n  app: {description: how, kind: command}\n"
                        "processes:\n  app: {command: app, url: app_url}\n")
    manager = world.manager(lab_dirs=[labs])
    manager.start("pg-only", name="mine")
    manager.set_setting("mine", "app", "python3 app.py")
    manager.stop("mine")
    with pytest.raises(ServiceNotReadyError) as info:
        manager.check("mine")
    assert info.value.message.startswith("mine is not running (postgres ")
    assert info.value.hint == "Start it: labctl start pg-only --name mine"


def test_with_two_instances_a_command_means_the_one_whose_workspace_it_runs_in(world, tmp_path):
    manager = world.manager()
    manager.start("pg-only", name="first", workspace=tmp_path / "a")
    manager.start("pg-only", name="second", workspace=tmp_path / "b")
    (tmp_path / "a" / "src").mkdir(parents=True)
    assert manager.directory.resolve(None, cwd=tmp_path / "a" / "src") == "first"
    assert manager.directory.resolve(None, cwd=tmp_path / "b") == "second"
    assert manager.directory.resolve(None, cwd=tmp_path) == "second"  # elsewhere: the last started
