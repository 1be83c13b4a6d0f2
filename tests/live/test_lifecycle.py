"""Live: start, stop, start keeps data; reset; destroy touches only labelled resources; ports; crashes."""
from __future__ import annotations

import socket
import time

import docker
import pytest

from labctl.core import events
from labctl.core.errors import ServiceNotReadyError
from labctl.runtime.base import ServiceState
from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live


@pytest.fixture
def manager(tmp_path):
    return make_manager(tmp_path / "home")


@pytest.fixture
def instance(manager, tmp_path):
    name = new_instance_name("life")
    yield name
    manager.runtime.down(name, remove=True, emit=events.discard)


def query(view, sql):
    import psycopg

    url = view.env()["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_stop_start_keeps_data_and_reset_restores_seed(manager, instance, tmp_path):
    report = manager.start("pg-seeded", name=instance, workspace=tmp_path / "ws")
    assert report.seeded
    view = report.view
    assert view.ready
    assert query(view, "SELECT count(*) FROM marker") == [(1,)]
    query(view, "INSERT INTO marker VALUES (2); CREATE TABLE mine (x int)")

    manager.stop(instance)
    assert {s.status.state for s in manager.view(instance).services} == {ServiceState.STOPPED}

    again = manager.start("pg-seeded", name=instance)
    assert not again.seeded, "a second start must not re-seed (it would wipe the learner's work)"
    assert query(again.view, "SELECT count(*) FROM marker") == [(2,)]
    assert query(again.view, "SELECT count(*) FROM mine") == [(0,)]

    manager.reset(instance)
    view = manager.view(instance)
    assert query(view, "SELECT count(*) FROM marker") == [(1,)]
    assert query(view, "SELECT count(*) FROM pg_tables WHERE tablename = 'mine'") == [(0,)]


def test_checks_fail_then_pass_and_error_when_stopped(manager, instance, tmp_path):
    view = manager.start("pg-seeded", name=instance, workspace=tmp_path / "ws").view
    _, results = manager.check(instance)
    assert results[0].status.value == "failed"
    assert "marker has 1 rows; expected 2" in results[0].checks[0].message
    query(view, "INSERT INTO marker VALUES (2)")
    assert manager.check(instance)[1][0].status.value == "passed"
    manager.stop(instance)
    stopped = manager.check(instance)[1][0]
    assert stopped.status.value == "error"
    assert "postgres service is stopped" in stopped.checks[0].message


def test_destroy_removes_labelled_resources_and_spares_a_decoy(manager, instance, tmp_path):
    client = docker.from_env()
    decoy_name = f"{instance}-decoy"
    # An unlabelled container and volume named like labctl's must survive.
    decoy = client.containers.create("debian:bookworm-slim", ["sleep", "60"], name=decoy_name)
    decoy_volume = client.volumes.create(f"labctl-{instance}-decoy-data")
    try:
        manager.start("pg-seeded", name=instance, workspace=tmp_path / "ws")
        selector = {"label": f"io.labctl.instance={instance}"}
        assert client.containers.list(all=True, filters=selector)
        assert client.volumes.list(filters=selector)
        done = manager.destroy(instance)
        assert any("volume" in d for d in done)
        assert not client.containers.list(all=True, filters=selector)
        assert not client.volumes.list(filters=selector)
        assert not client.networks.list(filters=selector)
        assert client.containers.get(decoy_name).id == decoy.id
        assert client.volumes.get(decoy_volume.name)
    finally:
        decoy.remove(force=True)
        decoy_volume.remove(force=True)


def test_taken_port_moves_the_service_and_says_so(manager, instance, tmp_path):
    """5432 is held by a plain socket (or already taken by something else): the lab moves and says so."""
    blocker = socket.socket()
    try:
        blocker.bind(("127.0.0.1", 5432))
        blocker.listen()
    except OSError:
        pass  # already taken by another program: the situation under test all the same
    collector = events.Collector()
    try:
        view = manager.start("pg-seeded", name=instance, workspace=tmp_path / "ws", emit=collector).view
    finally:
        blocker.close()
    port = view.services[0].status.ports[5432]
    assert port != 5432
    moved = [e for e in collector.events if e.kind == events.PORT_MOVED]
    assert moved and moved[0].message == f"port 5432 is in use on 127.0.0.1; postgres gets {port} instead"
    assert f":{port}/" in view.env()["DATABASE_URL"]
    assert query(view, "SELECT 1") == [(1,)]


def test_container_that_exits_fails_fast_with_its_logs(manager, tmp_path):
    name = new_instance_name("broken")
    started = time.monotonic()
    try:
        with pytest.raises(ServiceNotReadyError) as info:
            manager.start("pg-broken", name=name, workspace=tmp_path / "ws")
        assert time.monotonic() - started < 30
        assert "stopped before it was ready" in info.value.message
        assert "POSTGRES_PASSWORD" in (info.value.hint or "")
    finally:
        manager.runtime.down(name, remove=True, emit=events.discard)


def test_security_defaults_from_inspect(manager, instance, tmp_path):
    manager.start("pg-seeded", name=instance, workspace=tmp_path / "ws")
    client = docker.from_env()
    for container in client.containers.list(filters={"label": f"io.labctl.instance={instance}"}):
        host = container.attrs["HostConfig"]
        assert host["Privileged"] is False
        assert host["NetworkMode"] != "host"
        for bindings in host["PortBindings"].values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings)
        for bindings in (container.attrs["NetworkSettings"]["Ports"] or {}).values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings or [])
        assert not any("docker.sock" in (m.get("Source") or "") for m in container.attrs["Mounts"])
        assert container.labels["io.labctl.managed"] == "true"


def test_two_users_of_one_engine_see_and_touch_only_their_own(tmp_path):
    """A workshop server: one engine, a LABCTL_HOME per learner. Nobody's destroy reaches a neighbour's lab."""
    from labctl.core.errors import InstanceNotFoundError, LabctlError

    alice, bob = make_manager(tmp_path / "alice"), make_manager(tmp_path / "bob")
    name = new_instance_name("shared")
    try:
        alice.start("redis-only", name=name, workspace=tmp_path / "ws-alice")
        assert name not in [i.instance for i in bob.instances()]
        with pytest.raises(InstanceNotFoundError):
            bob.destroy(name)
        with pytest.raises(LabctlError, match="belongs to another labctl user of this engine"):
            bob.start("redis-only", name=name, workspace=tmp_path / "ws-bob")
        assert alice.view(name).ready
    finally:
        alice.destroy(name)


def test_the_fast_reader_and_the_sdk_see_the_same_instances(manager, instance, tmp_path):
    """status and list read containers over the unix socket without docker-py; the SDK must agree."""
    manager.start("redis-only", name=instance, workspace=tmp_path / "ws")
    runtime = manager.runtime
    assert runtime._fast_reader() is not None  # this engine is reached through a unix socket
    fast = runtime.status(instance)
    runtime._reader = None  # force the SDK
    assert runtime.status(instance) == fast
    assert [s.state.value for s in fast] == ["running"]
