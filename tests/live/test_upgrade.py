"""Instances made by an earlier labctl keep working after the upgrade: adopted, with their owner, their
password and their data (labctl 0.x had one superuser learner/learner in PostgreSQL, Redis without a
password, one RabbitMQ administrator learner/learner, and an owner id made from LABCTL_HOME's path).

The earlier labctl is the project's own code at EARLIER, taken from git history and run from its source."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from tests.cli.test_cli import run_main
from tests.conftest import TEST_LABS, new_instance_name

pytestmark = pytest.mark.live

ROOT = Path(__file__).parents[2]
EARLIER = "49d8057"  # the last commit before per-instance passwords, roles and the random owner id


@pytest.fixture(scope="module")
def earlier(tmp_path_factory, engine) -> Path:
    """The earlier labctl's source tree; its local images are the current ones under its own tags."""
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{EARLIER}^{{commit}}"], capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"needs the project's git history (commit {EARLIER}); a shallow clone has none")
    folder = tmp_path_factory.mktemp("earlier-labctl")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", EARLIER], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    _share_images(folder)
    return folder


def _share_images(folder: Path) -> None:
    """Tag the current local images with the tags the earlier labctl computes for the same build contexts (their
    Dockerfiles are the same): it then builds nothing."""
    import docker

    from labctl.core import events
    from labctl.core.catalog import load_service
    from labctl.core.image_policy import local_tag
    from labctl.core.settings import Settings
    from labctl.runtime.docker.runtime import DockerRuntime

    runtime = DockerRuntime(Settings.from_environ(os.environ))
    client = docker.from_env()
    for catalog in ("postgres", "redis"):
        spec = load_service(catalog)
        assert (ROOT / "compose" / "images" / catalog / "Dockerfile").read_bytes() == \
            (folder / "compose" / "images" / catalog / "Dockerfile").read_bytes()
        if runtime.images.inspect(local_tag(spec)) is None:
            runtime.images.build(spec, events.discard)
        old_tag = subprocess.run(
            [sys.executable, "-c", "from labctl.core.catalog import load_service;"
             "from labctl.runtime.docker.images import local_tag;"
             f"print(local_tag(load_service({catalog!r})))"],
            cwd=folder, env=dict(os.environ, PYTHONPATH=str(folder)), capture_output=True, text=True, check=True,
        ).stdout.strip()
        repository, tag = old_tag.rsplit(":", 1)
        client.images.get(local_tag(spec)).tag(repository, tag)


def run_earlier(folder: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(folder), LABCTL_HOME=str(home),
               LABCTL_LABS_DIR=str(folder / "tests" / "labs"), LABCTL_IMAGE_SOURCE="build")
    return subprocess.run([sys.executable, "-m", "labctl", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def start_earlier(earlier: Path, tmp_path: Path, lab: str) -> tuple[str, dict[str, str]]:
    """Start `lab` with the earlier labctl: (instance name, the environment for today's labctl on the same home)."""
    home, name = tmp_path / "home", new_instance_name(f"upg-{lab}")
    started = run_earlier(earlier, home, "start", lab, "--name", name, "--workspace", str(tmp_path / "ws"))
    assert started.returncode == 0, started.stdout + started.stderr
    return name, {"LABCTL_LABS_DIR": str(TEST_LABS), "LABCTL_HOME": str(home)}


def env_of(name: str, env: dict) -> dict[str, str]:
    exported = run_main("env", "--name", name, env=env)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return {line.split("=", 1)[0].removeprefix("export "): line.split("=", 1)[1].strip("'")
            for line in exported.stdout.splitlines() if line.startswith("export ")}


def test_a_postgres_instance_made_earlier_keeps_its_password_data_and_reset(earlier, tmp_path):
    name, env = start_earlier(earlier, tmp_path, "pg-seeded")
    try:
        url = env_of(name, env)["DATABASE_URL"]
        assert url.startswith("postgresql://learner:learner@"), url  # the password it was made with
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO marker VALUES (2)")
        assert run_main("check", "--name", name, env=env).returncode == 0
        assert run_main("stop", name, env=env).returncode == 0
        again = run_main("start", "pg-seeded", "--name", name, env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Loaded the lab's starting data" not in again.stdout
        assert env_of(name, env)["DATABASE_URL"] == url
        assert run_main("check", "--name", name, env=env).returncode == 0, "the upgrade lost the learner's row"
        assert run_main("reset", name, "--yes", env=env).returncode == 0
        assert run_main("check", "--name", name, env=env).returncode == 3
    finally:
        destroyed = run_main("destroy", name, "--yes", env=env)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr


def test_a_redis_instance_made_earlier_keeps_its_keys_and_stays_open_to_its_url(earlier, tmp_path):
    name, env = start_earlier(earlier, tmp_path, "redis-only")
    try:
        url = env_of(name, env)["REDIS_URL"]
        with redis.Redis.from_url(url) as client:
            client.set("mine", "kept")
            client.function_flush()  # the earlier labctl's seeded marker: gone
        assert run_main("stop", name, env=env).returncode == 0
        assert run_main("start", "redis-only", "--name", name, env=env).returncode == 0
        with redis.Redis.from_url(env_of(name, env)["REDIS_URL"]) as client:
            assert client.get("mine") == b"kept", "the upgrade re-seeded the learner's Redis"
    finally:
        destroyed = run_main("destroy", name, "--yes", env=env)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
