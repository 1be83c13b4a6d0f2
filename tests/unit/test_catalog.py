"""Compose files: a known subset of keys, loopback-only ports, named volumes only."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labctl.core.catalog import load_service
from labctl.core.errors import LabFileError

BASE = {
    "services": {"svc": {
        "image": "example:1",
        "build": {"context": "./images/svc"},
        "environment": {"USER": "u", "PASSWORD": "p"},
        "ports": ["127.0.0.1:1234:1234"],
        "volumes": ["data:/data"],
        "x-labctl": {"kind": "postgres", "urls": {"URL": "x://{USER}:{PASSWORD}@{host}:{port}"}},
    }},
    "volumes": {"data": {}},
}


def write(tmp_path: Path, data) -> Path:
    (tmp_path / "images" / "svc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "images" / "svc" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "svc.yml").write_text(yaml.safe_dump(data))
    return tmp_path


def changed(path: str, value):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data["services"]["svc"]
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    return data


def test_real_catalog_postgres_loads():
    spec = load_service("postgres")
    assert spec.ports == (5432,)
    assert spec.environment["POSTGRES_DB"] == "lab"
    assert spec.volumes[0].target == "/var/lib/postgresql/data"
    assert spec.build_context is not None and (spec.build_context / "Dockerfile").is_file()


def test_overrides_apply(tmp_path):
    spec = load_service("svc", overrides={"USER": "other"}, compose_dir=write(tmp_path, BASE))
    assert spec.environment["USER"] == "other"


@pytest.mark.parametrize("path, value, words", [
    ("ports", ["0.0.0.0:1234:1234"], "only be published on 127.0.0.1"),
    ("ports", ["nonsense"], "not a port mapping"),
    ("volumes", ["/var/run/docker.sock:/var/run/docker.sock"], "named volume"),
    ("volumes", ["other:/data"], "not declared"),
    ("privileged", True, "not a known field"),
    ("network_mode", "host", "not a known field"),
    ("x-labctl.urls", {"URL": "{nope}"}, "unknown placeholder {nope}"),
    ("build", {"context": "../../"}, "leaves the compose folder"),
])
def test_bad_compose_is_refused(tmp_path, path, value, words):
    with pytest.raises(LabFileError) as info:
        load_service("svc", compose_dir=write(tmp_path, changed(path, value)))
    assert words in str(info.value)
    assert "svc.yml" in str(info.value)


def test_every_catalog_service_has_limits_and_a_compose_file_may_set_them(tmp_path):
    from labctl.core.catalog import catalog_names

    for name in catalog_names():
        limits = load_service(name).limits
        assert limits.memory_bytes >= 64 * 1024 ** 2 and limits.cpus > 0 and limits.pids >= 64, name
    data = changed("deploy", {"resources": {"limits": {"cpus": "0.25", "memory": "1.5G", "pids": 64}}})
    spec = load_service("svc", compose_dir=write(tmp_path, data))
    assert (spec.limits.cpus, spec.limits.memory_bytes, spec.limits.pids) == (0.25, int(1.5 * 1024 ** 3), 64)
    assert spec.limits.memory_text == "1.5 GiB"
    plain = load_service("svc", compose_dir=write(tmp_path / "plain", BASE))
    assert plain.limits.memory_bytes == 512 * 1024 ** 2  # a compose file without limits still gets some


@pytest.mark.parametrize("limits, field, words", [
    ({"memory": "lots"}, "memory", "is not a size"),
    ({"memory": "16M"}, "memory", "between 32M and 64G"),
    ({"cpus": "0"}, "cpus", "between 0.1 and 64"),
    ({"cpus": "many"}, "cpus", "not a number of CPUs"),
])
def test_bad_limits_name_the_file_and_field(tmp_path, limits, field, words):
    with pytest.raises(LabFileError) as info:
        load_service("svc", compose_dir=write(tmp_path, changed("deploy", {"resources": {"limits": limits}})))
    assert info.value.field == f"services.svc.deploy.resources.limits.{field}" and words in info.value.message


def test_a_command_reads_dollars_as_docker_compose_does(tmp_path):
    spec = load_service("svc", compose_dir=write(tmp_path, changed("command", ["sh", "-c", "echo $$USER costs $$5"])))
    assert spec.command == ("sh", "-c", "echo $USER costs $5")


@pytest.mark.parametrize("command", [["sh", "-c", "echo $HOME"], "run ${TOKEN}", ["x", "$$$Y"]])
def test_a_command_with_a_host_variable_is_refused_naming_the_field(tmp_path, command):
    with pytest.raises(LabFileError) as error:
        load_service("svc", compose_dir=write(tmp_path, changed("command", command)))
    assert error.value.field.startswith("services.svc.command[")
    assert "labctl does not fill those in" in str(error.value)


def test_the_real_redis_command_starts_its_users_from_the_containers_variables():
    spec = load_service("redis")
    script = spec.command[-1]
    assert '">$LABCTL_ADMIN_PASSWORD"' in script and '">$REDISCLI_AUTH"' in script and "$$" not in script
    assert set(spec.secrets) == {"REDISCLI_AUTH", "LABCTL_ADMIN_PASSWORD"}
