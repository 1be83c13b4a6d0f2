"""The engine restarts under a running lab: the learner's data survives (a database's, and a Linux box's /etc
and users), `status` reports the outage while it lasts, and `start` brings the lab back.

Restarting dockerd stops every container on the engine, so this runs only where that is acceptable: as
root on a machine whose dockerd labctl can restart, and with CI=true or LABCTL_TEST_EXCLUSIVE=1 (a shared
engine in the middle of other work is skipped, with the reason).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live

ROOT = Path(__file__).parents[2]
EXCLUSIVE = os.environ.get("CI", "").lower() == "true" or os.environ.get("LABCTL_TEST_EXCLUSIVE") == "1"


def dockerd_pid() -> int | None:
    found = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True)
    pids = found.stdout.split()
    return int(pids[0]) if len(pids) == 1 else None


def systemd_manages_docker() -> bool:
    if not shutil.which("systemctl") or not Path("/run/systemd/system").is_dir():
        return False
    return subprocess.run(["systemctl", "is-active", "--quiet", "docker"]).returncode == 0


def restartable_reason() -> str | None:
    if not EXCLUSIVE:
        return "restarting dockerd stops every container on the engine; runs with CI=true or LABCTL_TEST_EXCLUSIVE=1"
    if os.geteuid() != 0:
        return "restarting dockerd needs root"
    if dockerd_pid() is None:
        return "no single local dockerd process to restart (a remote engine, Docker Desktop or Podman)"
    return None


def stop_engine() -> None:
    if systemd_manages_docker():
        subprocess.run(["systemctl", "stop", "docker", "docker.socket"], check=True, timeout=120)
        return
    pid = dockerd_pid()
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while dockerd_pid() is not None:
        assert time.monotonic() < deadline, "dockerd did not stop within 60 s"
        time.sleep(0.2)


def start_engine() -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-engine")], check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def labctl(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, LABCTL_HOME=str(home), LABCTL_LABS_DIR=str(TEST_LABS))
    return subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True, text=True, env=env,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_engine_restart_keeps_data_reports_the_outage_and_start_heals(tmp_path):
    reason = restartable_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    home = tmp_path / "home"
    manager = make_manager(home)
    name = new_instance_name("restart")
    box = new_instance_name("restart-box")  # the Linux box: its state is its container's whole file system
    box_state = ["bash", "-c", "cat /etc/labctl-restart.conf && id -u deployer"]
    try:
        manager.start("pg-seeded", name=name, workspace=tmp_path / "ws")
        manager.start("linuxbox-only", name=box, workspace=tmp_path / "box-ws")
        make_state = "echo kept > /etc/labctl-restart.conf && useradd deployer"
        made = manager.runtime.exec(box, "linuxbox", ["bash", "-c", make_state], user="root", timeout=30)
        assert made.exit_code == 0, made.output
        url = manager.view(name).env()["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE learner_notes (note text)")
            conn.execute("INSERT INTO learner_notes VALUES ('written before the restart')")

        stop_engine()
        try:
            during = labctl("status", "--name", name, home=home)
            assert during.returncode == 4, during.stdout + during.stderr
            assert "no container engine answers" in during.stderr
            assert "Traceback" not in during.stderr
        finally:
            start_engine()

        after = labctl("status", "--name", name, home=home)
        assert after.returncode == 5, after.stdout + after.stderr  # the containers stopped with the engine
        assert "labctl start" in after.stdout
        healed = labctl("start", "pg-seeded", "--name", name, home=home)
        assert healed.returncode == 0, healed.stdout + healed.stderr
        assert labctl("status", "--name", name, home=home).returncode == 0
        url = manager.view(name).env()["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            notes = conn.execute("SELECT note FROM learner_notes").fetchall()
        assert notes == [("written before the restart",)]
        healed = labctl("start", "linuxbox-only", "--name", box, home=home)
        assert healed.returncode == 0, healed.stdout + healed.stderr
        found = manager.runtime.exec(box, "linuxbox", box_state, user="root", timeout=30)
        assert found.exit_code == 0 and found.output.startswith("kept\n"), found.output
    finally:
        if dockerd_pid() is None and not systemd_manages_docker():
            start_engine()
        for instance in (name, box):
            try:
                manager.destroy(instance)
            except Exception:
                pass
