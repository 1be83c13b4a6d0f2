"""Live: what labctl asks the engine for, read back from the engine's own inspect data.

Every service that builds here (four-services: postgres, redis, rabbitmq, linuxbox; http-101: practice-http;
api-tests-only: practice-api)
runs at once; each labctl container must publish only on 127.0.0.1, run unprivileged, on its own network,
without the engine's socket, extra capabilities, or the host's PID/IPC/user namespaces.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live

LABS = ("four-services", "http-101", "api-tests-only")
EXPECTED_SERVICES = {"postgres", "redis", "rabbitmq", "linuxbox", "practice-http", "practice-api"}
# Capabilities a service may add beyond the engine's default set; labctl adds none today.
ALLOWED_CAP_ADD: set[str] = set()


@pytest.fixture(scope="module")
def inspected(engine, tmp_path_factory):
    """{service: inspect data} of every container of the labs, started at once; removed afterwards."""
    manager = make_manager(tmp_path_factory.mktemp("security-home"))
    names = {lab: new_instance_name(f"sec-{lab[:4]}") for lab in LABS}
    client = docker.from_env(timeout=120)

    def start(lab: str) -> None:
        manager.start(lab, name=names[lab], workspace=tmp_path_factory.mktemp(f"ws-{lab}"), ephemeral=True)

    try:
        with ThreadPoolExecutor(max_workers=len(LABS)) as pool:
            list(pool.map(start, LABS))
        found = {}
        for instance in names.values():
            for summary in client.api.containers(all=True, filters={
                    "label": ["io.labctl.managed=true", f"io.labctl.instance={instance}"]}):
                data = client.api.inspect_container(summary["Id"])
                found[data["Config"]["Labels"]["io.labctl.service"]] = data
        yield found
    finally:
        for instance in names.values():
            try:
                manager.destroy(instance)
            except Exception:  # not started, or half started: the session teardown removes the rest by label
                pass


def test_every_buildable_service_ran(inspected):
    assert set(inspected) == EXPECTED_SERVICES
    for data in inspected.values():
        assert data["State"]["Running"], data["Name"]


def test_ports_are_published_on_loopback_only(inspected):
    for service, data in inspected.items():
        bindings = data["NetworkSettings"]["Ports"] or {}
        published = [b for found in bindings.values() if found for b in found]
        assert published, f"{service} publishes nothing"
        for binding in published:
            assert binding["HostIp"] == "127.0.0.1", (service, binding)
        for requested in (data["HostConfig"]["PortBindings"] or {}).values():
            for binding in requested:
                assert binding["HostIp"] == "127.0.0.1", (service, binding)
        assert not data["HostConfig"].get("PublishAllPorts"), service


def test_containers_are_not_privileged(inspected):
    for service, data in inspected.items():
        host = data["HostConfig"]
        assert host["Privileged"] is False, service
        assert set(host.get("CapAdd") or []) <= ALLOWED_CAP_ADD, (service, host.get("CapAdd"))
        assert not host.get("Devices"), (service, host.get("Devices"))
        assert not any("unconfined" in opt for opt in host.get("SecurityOpt") or []), (service, host.get("SecurityOpt"))


def test_no_host_namespaces(inspected):
    for service, data in inspected.items():
        host = data["HostConfig"]
        assert host["NetworkMode"] not in ("host", "bridge", "default"), (service, host["NetworkMode"])
        assert host["NetworkMode"].startswith("labctl-"), (service, host["NetworkMode"])
        assert host.get("PidMode", "") != "host", service
        assert host.get("IpcMode", "") != "host", service
        assert host.get("UTSMode", "") != "host", service
        assert host.get("UsernsMode", "") != "host", service
        assert list(data["NetworkSettings"]["Networks"]) == [host["NetworkMode"]], service


def test_no_engine_socket_and_no_host_folders(inspected):
    for service, data in inspected.items():
        for mount in data["Mounts"]:
            source = mount.get("Source", "")
            assert not source.endswith("docker.sock"), (service, mount)
            assert not source.endswith(".sock"), (service, mount)
            # Data lives in labctl's own named volumes; nothing from the host file system is mounted.
            assert mount["Type"] == "volume", (service, mount)
            assert mount["Name"].startswith("labctl-"), (service, mount)
        assert not data["HostConfig"].get("Binds"), (service, data["HostConfig"].get("Binds"))
        assert not data["HostConfig"].get("VolumesFrom"), service


def test_every_container_carries_labctl_labels(inspected):
    for service, data in inspected.items():
        found = data["Config"]["Labels"]
        assert found["io.labctl.managed"] == "true"
        assert found["io.labctl.instance"] and found["io.labctl.lab"] in LABS
        assert data["Name"] == f"/labctl-{found['io.labctl.instance']}-{service}"


def test_every_container_has_memory_cpu_and_process_limits(inspected):
    from labctl.core.catalog import load_service

    for service, data in inspected.items():
        host = data["HostConfig"]
        limits = load_service(service).limits
        assert host["Memory"] == limits.memory_bytes and host["MemorySwap"] == limits.memory_bytes, service
        assert host["NanoCpus"] == int(limits.cpus * 1e9), service
        assert host["PidsLimit"] == limits.pids, service
        assert 0 < host["Memory"] <= 1024 ** 3 and 0 < host["PidsLimit"] <= 1024, service
