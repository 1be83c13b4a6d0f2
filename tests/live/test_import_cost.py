"""`labctl status` loads only what it uses: no check engine or family, no docker SDK, no service client."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live

# Module names (or prefixes) status has no use for: it reads container state over the engine's unix socket.
NOT_FOR_STATUS = ("labctl.check_families", "labctl.check_engine", "docker", "requests", "psycopg", "redis",
                  "pika", "pymongo", "paramiko", "rich.table.", "testcontainers")


def imported(stderr: str) -> set[str]:
    """Module names from `python -X importtime` output."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_status_imports_nothing_it_does_not_use(tmp_path):
    manager = make_manager(tmp_path / "home")
    name = new_instance_name("imports")
    manager.start("databases-101", name=name, workspace=tmp_path / "ws")  # not ephemeral: status must find it
    try:
        env = dict(os.environ, LABCTL_HOME=str(tmp_path / "home"))
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "labctl", "status", "--name", name],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "running" in done.stdout
        names = imported(done.stderr)
        assert "labctl.core.manager" in names  # the measurement sees labctl's own modules
        loaded = sorted(n for n in names if any(n == p or n.startswith(p + ".") or n.startswith(p)
                                                for p in NOT_FOR_STATUS))
        assert loaded == [], f"status imported {loaded}"
    finally:
        manager.destroy(name)
