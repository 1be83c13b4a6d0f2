"""Test tiers: unit (no engine), cli (CliRunner), live (real containers; required when CI=true)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

TEST_LABS = Path(__file__).parent / "labs"
INSTANCE_PREFIX = f"pytest-{os.getpid()}"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path_factory):
    """Every test gets its own LABCTL_HOME, no colour, a fixed width, and no stray LABCTL_* settings."""
    for key in list(os.environ):
        if key.startswith("LABCTL_") and key not in ("LABCTL_DEBUG", "LABCTL_IMAGE_SOURCE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LABCTL_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")


def _engine_problem() -> str | None:
    from labctl.core.errors import EngineUnavailableError
    from labctl.core.settings import Settings
    from labctl.runtime.docker import DockerRuntime

    try:
        DockerRuntime(Settings.from_environ()).available()
    except EngineUnavailableError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def engine():
    """Skip live tests without an engine; with CI=true a missing engine fails them instead."""
    problem = _engine_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and no container engine answers: {problem}")
        pytest.skip(f"no container engine answers: {problem}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "live" in item.keywords:
            item.fixturenames.insert(0, "engine")


def new_instance_name(label: str) -> str:
    return f"{INSTANCE_PREFIX}-{label}-{secrets.token_hex(2)}"[:48]


def make_manager(tmp_home: Path, lab_dirs=(TEST_LABS,)):
    from labctl.core.manager import LabManager
    from labctl.core.loader import LabLoader
    from labctl.core.settings import Settings
    from labctl.runtime.docker import DockerRuntime

    env = dict(os.environ, LABCTL_HOME=str(tmp_home))
    settings = Settings.from_environ(env)
    return LabManager(settings, DockerRuntime(settings), LabLoader(list(lab_dirs)))


def pytest_sessionfinish(session, exitstatus):
    """Remove anything this test session left behind, by label (never touching other resources)."""
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception:
        return
    for container in client.containers.list(all=True, filters={"label": "io.labctl.managed=true"}):
        if container.labels.get("io.labctl.instance", "").startswith(INSTANCE_PREFIX):
            container.remove(force=True)
    for volume in client.volumes.list(filters={"label": "io.labctl.managed=true"}):
        if (volume.attrs.get("Labels") or {}).get("io.labctl.instance", "").startswith(INSTANCE_PREFIX):
            volume.remove(force=True)
    for network in client.networks.list(filters={"label": "io.labctl.managed=true"}):
        if (network.attrs.get("Labels") or {}).get("io.labctl.instance", "").startswith(INSTANCE_PREFIX):
            network.remove()


def unobtainable_image_reason(lab) -> str | None:
    """Why a lab can't start here: a service whose image is absent and has no local build, else None."""
    import docker

    client = docker.from_env()
    for spec in lab.services.values():
        if spec.image_policy != "pull-only":
            continue
        try:
            client.images.get(spec.image)
        except docker.errors.ImageNotFound:
            return f"no {spec.catalog} image is present ({spec.image}) and it has no local build"
    return None
