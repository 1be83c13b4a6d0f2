"""The service-kind contract: one registered driver per kind, asked (not tested by name) by core and the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest

from labctl.core.catalog import catalog_names, load_service
from labctl.core.errors import LabctlError, LabFileError
from labctl.core.loader import load_lab_dir
from labctl.core.model import Step
from labctl.services import DRIVERS, Drivers, ServiceDriver, driver_for, kinds
from tests.unit.test_catalog import changed, write
from tests.unit.test_loader import mutate, write_lab


def test_every_catalog_entry_has_a_registered_driver():
    for name in catalog_names():
        spec = load_service(name)
        driver = driver_for(spec.kind)
        assert isinstance(driver, ServiceDriver) and driver.kind == spec.kind
        assert driver.title, f"{spec.kind} has no title for messages"
        assert "run" in driver.step_actions


def test_kinds_come_from_the_registry():
    assert set(kinds()) == {"postgres", "mariadb", "redis", "rabbitmq", "mongodb", "linuxbox", "practice-http", "oidc",
                            "practice-api"}


def test_a_compose_file_naming_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(LabFileError) as info:
        load_service("svc", compose_dir=write(tmp_path, changed("x-labctl.kind", "oracle")))
    assert info.value.field == "services.svc.x-labctl.kind"
    assert "'oracle' is not a kind of service labctl has a driver for" in info.value.message
    assert "postgres" in info.value.message  # the known kinds are named


def test_unknown_kind_and_duplicate_registration():
    with pytest.raises(LabctlError, match="no driver for services of kind 'oracle'"):
        driver_for("oracle")

    class Twice(ServiceDriver):
        kind = "postgres"

    with pytest.raises(ValueError, match="registered twice"):
        Drivers([Twice(), Twice()])


def test_sql_steps_go_to_a_service_whose_driver_runs_sql(tmp_path):
    data = mutate(services={"postgres": {}, "cache": {"catalog": "redis"}})
    lab = load_lab_dir(write_lab(tmp_path, data))
    assert lab.tasks[0].solution[0].service == "postgres"  # the only service that runs `sql:`

    data = mutate(tasks__0__solution__0={"sql": "one.sql", "service": "cache"},
                  services={"postgres": {}, "cache": {"catalog": "redis"}})
    with pytest.raises(LabFileError) as info:
        load_lab_dir(write_lab(tmp_path / "b", data))
    assert info.value.field == "tasks[0].solution[0].service"
    assert "'cache' (Redis) cannot run `sql:` steps; it runs `run:`" in info.value.message

    data = mutate(services={"one": {"catalog": "postgres"}, "two": {"catalog": "postgres"}})
    data["tasks"][0]["checks"][0]["service"] = "one"
    with pytest.raises(LabFileError) as info:
        load_lab_dir(write_lab(tmp_path / "c", data))
    assert info.value.field == "tasks[0].solution[0].service"
    assert "several services can run it (one, two); say which" in info.value.message


def test_a_driver_refuses_a_step_it_does_not_run_and_says_what_it_runs():
    with pytest.raises(LabctlError) as info:
        driver_for("redis").apply(None, Step("sql", Path("x.sql"), service="cache"))  # type: ignore[arg-type]
    assert info.value.message == "Redis services cannot run sql steps; use `run:` with a file of Redis commands"


def test_client_hints_and_host_clients_come_from_the_driver(monkeypatch):
    urls = {"DATABASE_URL": "postgresql://learner:learner@127.0.0.1:5432/lab"}
    assert driver_for("postgres").client_hint(urls) == 'psql "postgresql://learner:learner@127.0.0.1:5432/lab"'
    assert driver_for("redis").client_hint({"REDIS_URL": "redis://127.0.0.1:6379/0"}) is None
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    assert driver_for("postgres").host_client(urls) == ["psql", urls["DATABASE_URL"]]
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert driver_for("postgres").host_client(urls) is None


def test_only_the_linux_box_takes_ssh_logins(tmp_path):
    login = driver_for("linuxbox").ssh_login(tmp_path, "git-101")
    assert login is not None and login.user == "learner" and login.port == 22
    assert login.key_file == tmp_path / "keys" / "git-101" / "id_ed25519"
    assert login.known_hosts.parent == login.key_file.parent
    assert [k for k in kinds() if DRIVERS.get(k).ssh_login(tmp_path, "x") is not None] == ["linuxbox"]


def test_the_base_driver_has_the_defaults_of_a_kind_without_data(tmp_path):
    class Plain(ServiceDriver):
        kind = "plain"
        title = "Plain"

    driver = Plain()
    assert driver.prepare("i", load_service("redis"), tmp_path) == {}
    assert driver.is_seeded(None) is False and driver.holds_data(None) is False  # type: ignore[arg-type]
    assert driver.on_ready(None) is None  # type: ignore[arg-type]
    assert driver.client_hint({}) is None and driver.host_client({}) is None and driver.ssh_login(tmp_path, "i") is None



def test_a_driver_is_loaded_when_its_kind_is_first_needed():
    import subprocess
    import sys

    code = ("import sys; from labctl.services import driver_for; driver_for('postgres');"
            "print(sorted(m for m in sys.modules if m.startswith('labctl.services.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "labctl.services.postgres" in loaded
    assert "labctl.services.mongodb" not in loaded and "labctl.services.rabbitmq" not in loaded


def test_a_registration_that_names_the_wrong_class_is_loud():
    drivers = Drivers(registered={"redis": ("labctl.services.postgres", "PostgresDriver")})
    with pytest.raises(ValueError, match="serves kind 'postgres', registered as 'redis'"):
        drivers.get("redis")


def test_a_box_run_step_sees_the_published_ports(monkeypatch):
    from labctl.core.access import ServiceAccess
    from labctl.services import linuxbox

    sent = []
    monkeypatch.setattr(linuxbox, "run_remote", lambda access, command, stdin=None, **kw: sent.append(command) or (0, ""))
    access = ServiceAccess("linuxbox", "linuxbox", "127.0.0.1", {22: 2222, 80: 8080, 443: 8443}, {})
    linuxbox.run_script(access, b"echo $LABCTL_PORT_443\n")
    assert sent == ["sudo -n env LABCTL_PORT_22=2222 LABCTL_PORT_80=8080 LABCTL_PORT_443=8443 bash -s"]
    linuxbox.run_script(ServiceAccess("linuxbox", "linuxbox", "127.0.0.1", {}, {}), b"true\n")
    assert sent[-1] == "sudo -n bash -s"
