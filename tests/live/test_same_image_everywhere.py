"""Every install of one version computes the same image tags, so a workshop bundle saved on the instructor's
machine starts the labs on a learner's with nothing built or pulled."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import new_instance_name

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]
TAGS = ("import json; from labctl.core.catalog import catalog_names, load_service; "
        "from labctl.core.image_policy import local_tag; "
        "print(json.dumps({n: local_tag(load_service(n)) for n in catalog_names()}))")


@pytest.fixture(scope="module")
def installs(tmp_path_factory) -> dict[str, Path]:
    """Two fresh installs of the wheel of this checkout (pip compiles byte-code into each, as it does for users)."""
    base = tmp_path_factory.mktemp("installs")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next((base / "dist").glob("labctl-*.whl"))
    made = {}
    for name in ("instructor", "learner"):
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(base / name),
                        str(wheel)], check=True, capture_output=True, timeout=300)
        made[name] = base / name
    return made


def run(install: Path, *args: str, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """A command of that install (its own labctl first on the path, the test's environment's dependencies)."""
    env = dict(os.environ, PYTHONPATH=str(install), LABCTL_HOME=str(home))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd="/",
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_two_installs_compute_the_same_tags_as_the_checkout(installs, tmp_path):
    bundled = installs["instructor"] / "labctl" / "_bundled" / "compose" / "images"
    assert list(bundled.rglob("__pycache__")), "pip wrote no byte-code into the install: the test proves nothing"
    tags = {name: json.loads(run(path, "-c", TAGS, home=tmp_path).stdout) for name, path in installs.items()}
    here = json.loads(subprocess.run([sys.executable, "-c", TAGS], capture_output=True, text=True,
                                     check=True, cwd=ROOT).stdout)
    assert tags["instructor"] == tags["learner"] == here
    assert tags["learner"]["linuxbox"] and tags["learner"]["practice-http"]


def test_a_bundle_from_one_install_starts_labs_in_the_other_with_nothing_built_or_pulled(installs, tmp_path):
    import docker

    client = docker.from_env(timeout=120)
    bundle = tmp_path / "workshop.tar"
    made = run(installs["instructor"], "-m", "labctl", "images", "pull", "http-101", home=tmp_path / "instructor")
    assert made.returncode == 0, made.stderr
    saved = run(installs["instructor"], "-m", "labctl", "images", "save", str(bundle), "--lab", "http-101",
                home=tmp_path / "instructor")
    assert saved.returncode == 0, saved.stderr
    tag = json.loads(run(installs["learner"], "-c", TAGS, home=tmp_path).stdout)["practice-http"]
    try:
        client.images.remove(tag)  # the learner's engine has never seen it ...
    except docker.errors.APIError:
        pass  # ... unless a container of another test still uses it: the load is then a no-op, still checked below
    loaded = run(installs["learner"], "-m", "labctl", "images", "load", str(bundle), home=tmp_path / "learner")
    assert loaded.returncode == 0, loaded.stderr
    name = new_instance_name("bundle")
    since = int(time.time()) - 1
    started = run(installs["learner"], "-m", "labctl", "start", "http-101", "--name", name, home=tmp_path / "learner")
    try:
        assert started.returncode == 0, started.stderr
        until = int(time.time()) + 1
        actions = [(e.get("Action"), e.get("Actor", {}).get("Attributes", {}).get("name", ""))
                   for e in client.events(since=since, until=until, decode=True, filters={"type": "image"})]
        assert not [a for a in actions if a[0] in ("pull", "tag", "build", "import")], actions
        assert "building" not in started.stderr and "pulling" not in started.stderr
    finally:
        run(installs["learner"], "-m", "labctl", "destroy", "--name", name, "--yes", home=tmp_path / "learner")
