"""Per-instance passwords and "was it seeded", kept in the instance's record (fake runtime, recording drivers):
made once, kept over stop/start and reset, adopted from instances an earlier labctl made, never seeded over."""
from __future__ import annotations

import stat

import pytest

from labctl.core import events
from labctl.core.instance_records import InstanceRecord
from labctl.core.instance_secrets import LEGACY_MARK, adopt, settle
from labctl.runtime.base import ServiceState, ServiceStatus
from tests.unit.test_manager import World


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def password_in(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def test_each_instance_gets_its_own_passwords_kept_over_stop_start_and_reset(world):
    manager = world.manager()
    first = manager.start("pg-seeded").view
    other = manager.start("pg-seeded", name="second").view
    url = first.services[0].urls["DATABASE_URL"]
    password = password_in(url)
    assert len(password) >= 20 and password != "learner"
    assert password_in(other.services[0].urls["DATABASE_URL"]) != password
    env = first.services[0].spec.environment
    assert len({env["POSTGRES_PASSWORD"], env["LABCTL_LEARNER_PASSWORD"], env["LABCTL_CHECKER_PASSWORD"]}) == 3
    manager.stop("pg-seeded")
    assert manager.start("pg-seeded").view.services[0].urls["DATABASE_URL"] == url
    manager.reset("pg-seeded")
    assert world.manager().view("pg-seeded").services[0].urls["DATABASE_URL"] == url  # read back from the file
    record_file = manager.settings.home / "instances" / "pg-seeded.json"
    assert stat.S_IMODE(record_file.stat().st_mode) == 0o600  # only its owner reads the passwords


def test_the_container_gets_the_same_values_as_the_view(world):
    manager = world.manager()
    view = manager.start("pg-seeded").view
    env = next(iter(world.engine.containers.values())).environment
    assert env["LABCTL_LEARNER_PASSWORD"] == view.services[0].spec.environment["LABCTL_LEARNER_PASSWORD"]


def test_a_lab_that_sets_a_password_teaches_that_one(world, tmp_path):
    lab = tmp_path / "labs" / "fixed-pw"
    (lab / "tasks").mkdir(parents=True)
    (lab / "tasks" / "t.md").write_text("# t\n")
    (lab / "lab.yaml").write_text(
        "id: fixed-pw\ntitle: Fixed\nstage: 5\nsummary: s\nminutes: 1\n"
        "services:\n  postgres:\n    environment: {LABCTL_LEARNER_PASSWORD: secret123}\n"
        "tasks:\n  - id: t\n    title: T\n    instructions: tasks/t.md\n    hints: [h]\n"
        "    checks: [{type: sql.table_exists, table: t}]\n    solution: [{sql: tasks/t.sql}]\n")
    (lab / "tasks" / "t.sql").write_text("CREATE TABLE t (id int);\n")
    manager = world.manager(lab_dirs=(tmp_path / "labs",))
    view = manager.start("fixed-pw").view
    assert password_in(view.services[0].urls["DATABASE_URL"]) == "secret123"
    assert view.services[0].spec.environment["POSTGRES_PASSWORD"] != "secret123"


def test_containers_an_earlier_labctl_made_keep_the_values_they_were_made_with(world):
    manager = world.manager()
    lab = manager.loader.load("pg-seeded")
    record = InstanceRecord("old", "pg-seeded")
    assert settle(record, lab, existing={"postgres"})
    values = record.secrets["postgres"]
    assert values[LEGACY_MARK] == "1"
    assert (values["POSTGRES_USER"], values["POSTGRES_PASSWORD"], values["LABCTL_LEARNER_PASSWORD"]) == \
        ("learner", "learner", "learner")
    assert not settle(record, lab, existing={"postgres"})  # once


def test_an_instance_seen_before_any_start_of_this_labctl_is_adopted_once(world):
    manager = world.manager()
    lab = manager.loader.load("pg-seeded")
    found = (ServiceStatus("old", "pg-seeded", "postgres", "postgres", ServiceState.RUNNING, workspace="/w"),)
    record = adopt(manager.records, "old", lab, found)
    assert record is not None and record.workspace == "/w" and record.secrets["postgres"][LEGACY_MARK] == "1"
    assert manager.records.get("old").secrets == record.secrets  # written down
    assert adopt(manager.records, "new", lab, ()) is None  # nothing on the engine: nothing to adopt


def test_whether_a_service_was_seeded_is_the_records_business_not_the_services(world):
    """A learner who erases the service's own marker (Redis FUNCTION FLUSH) must not get a re-seed."""
    manager = world.manager()
    assert manager.start("pg-seeded").seeded
    assert manager.records.get("pg-seeded").seeded == ["postgres"]
    world.seeded.clear()  # the marker inside the service: gone
    manager.stop("pg-seeded")
    again = manager.start("pg-seeded")
    assert not again.seeded
    assert [e for e in world.log if e[0] == "seed"] == [("seed", "postgres", ["seed.sql"])]


def test_data_labctl_did_not_load_is_kept_with_a_warning(world):
    """An instance with no record of seeding and no marker, but data: someone's work. Never seeded over."""
    manager = world.manager()
    lab = manager.loader.load("pg-seeded")
    manager.start("pg-seeded")
    record = manager.records.get("pg-seeded")
    record.seeded = []
    manager.records.save(record)
    world.seeded.clear()
    world.driver("postgres").holds_data = lambda access: True
    seen: list[events.Event] = []
    manager.stop("pg-seeded")
    report = manager.start("pg-seeded", emit=seen.append)
    assert not report.seeded
    assert [e for e in world.log if e[0] == "seed"] == [("seed", "postgres", ["seed.sql"])]  # the first start only
    assert any(e.kind == events.WARNING and "already holds data labctl did not load" in e.message for e in seen)
    assert lab.id == report.view.lab.id
