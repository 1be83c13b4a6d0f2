"""Throwaway instances of a killed labctl are found and removed by the next listing; nothing else is."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labctl.core import events, holder
from labctl.core.holder import holder_gone, this_holder
from tests.unit.test_manager import World


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_holder_is_gone_only_when_surely_gone(monkeypatch):
    me = this_holder()
    assert not holder_gone(me)
    host, boot, pid, started = me.split("|")
    assert host == socket.gethostname() and int(pid) == os.getpid()
    assert holder_gone(f"{host}|{boot}|{dead_pid()}|1")  # the process ended
    assert holder_gone(f"{host}|{boot}|{os.getpid()}|{int(started or 0) + 1}")  # the pid was reused since
    assert not holder_gone(f"another-machine|{boot}|{dead_pid()}|1")  # never judged from here
    assert not holder_gone("not a holder label")
    if boot:
        assert holder_gone(f"{host}|not-this-boot|{os.getpid()}|{started}")  # this machine rebooted


def test_the_next_listing_removes_a_killed_graders_instance_its_temporary_copy_and_lock(world, monkeypatch):
    manager = world.manager()
    manager.start("pg-only", name="grade-pg-only-bbbbbb", workspace=world.tmp_path / "alive", ephemeral=True)
    temporary = Path(tempfile.mkdtemp(prefix="labctl-grade-pg-only-"))
    corpse = f"{socket.gethostname()}|{holder._boot_id()}|{dead_pid()}|1"
    monkeypatch.setattr("labctl.core.starting.this_holder", lambda: corpse)
    manager.start("pg-only", name="grade-pg-only-aaaaaa", workspace=temporary, ephemeral=True)
    monkeypatch.undo()
    said = events.Collector()
    later = world.manager()  # the next labctl command, a new process
    later.directory.emit = said
    assert [i.instance for i in later.instances()] == ["grade-pg-only-bbbbbb"]  # ours, alive, stays
    assert world.engine.containers.keys() == {"labctl-grade-pg-only-bbbbbb-postgres"}
    assert not temporary.exists()
    assert not (manager.settings.home / "locks" / "grade-pg-only-aaaaaa.lock").exists()
    assert [e.message for e in said.events] == [
        "removed 1 leftover throwaway instance whose labctl had been killed: grade-pg-only-aaaaaa"]
    assert (world.tmp_path / "alive").is_dir()


def test_a_learners_instance_and_a_workspace_outside_the_temporary_folder_are_never_touched(world, monkeypatch):
    manager = world.manager()
    mine = world.tmp_path / "labctl-grade-my-own-folder"
    corpse = f"{socket.gethostname()}|{holder._boot_id()}|{dead_pid()}|1"
    monkeypatch.setattr("labctl.core.starting.this_holder", lambda: corpse)
    manager.start("pg-only", name="graded", workspace=mine, ephemeral=True)
    manager.start("redis-only")  # a learner's: not ephemeral, no holder
    monkeypatch.undo()
    assert [i.instance for i in world.manager().instances()] == ["redis-only"]
    assert mine.is_dir()  # not in the temporary folder: a learner's, whatever its name


def test_an_interrupted_destroy_is_finished_by_the_next_one(world):
    manager = world.manager()
    manager.start("pg-only")
    world.engine.containers.clear()  # the containers went, then the destroy was killed
    world.engine.volumes.clear()
    world.engine.networks.clear()
    assert manager.records.get("pg-only") is not None
    assert manager.destroy("pg-only") == ["instance pg-only (its containers were already gone)"]
    assert manager.records.get("pg-only") is None


def test_destroying_a_throwaway_instance_leaves_no_lock_file(world, tmp_path):
    manager = world.manager()
    for n in range(3):
        manager.start("pg-only", name=f"grade-{n}", workspace=tmp_path / f"ws{n}", ephemeral=True)
        manager.destroy(f"grade-{n}")
    assert list((manager.settings.home / "locks").iterdir()) == []
    manager.start("pg-only")
    manager.destroy("pg-only")
    assert (manager.settings.home / "locks" / "pg-only.lock").exists()  # a learner's name may be waited on


def test_a_submission_file_that_blocks_its_service_is_a_note_and_the_grade_completes(world, tmp_path):
    from labctl.core.errors import ServiceUnavailable
    from labctl.core.grading import grade

    manager = world.manager()
    driver = world.driver("redis")

    def blocked(access, step):
        world.engine.containers[f"labctl-{access.instance}-redis"].state = world_state("STOPPED")
        raise ServiceUnavailable("Redis at 127.0.0.1:1 did not answer: Timeout reading from socket")

    driver.apply = blocked  # what `BLPOP k 0` in a submission does to the driver's client
    submission = tmp_path / "submission"
    (submission / "redis").mkdir(parents=True)
    (submission / "redis" / "01-counter.redis").write_text("BLPOP k 0\n")
    report = grade(manager, "redis-101", submission)
    assert report.error is None and report.tests, report.error
    assert [(n.file, n.message) for n in report.notes] == [
        ("redis/01-counter.redis", "failed: Redis at 127.0.0.1:1 did not answer: Timeout reading from socket")]
    assert report.status == "error"  # its checks could not run on a stopped service: an error, not a score of 0
    assert manager.instances() == []  # and the throwaway instance is gone


def world_state(name: str):
    from labctl.runtime.base import ServiceState

    return ServiceState[name]


def test_a_network_a_killed_grader_left_alone_is_removed_at_the_next_start(world):
    from labctl.core import labels

    corpse = f"{socket.gethostname()}|{holder._boot_id()}|{dead_pid()}|1"
    alive = this_holder()
    manager = world.manager()
    owner = manager.runtime.owner
    for instance, holder_label in (("grade-gone", corpse), ("grade-alive", alive)):
        world.engine.networks[f"labctl-{instance}"] = {labels.MANAGED: "true", labels.INSTANCE: instance,
                                                       labels.OWNER: owner, labels.EPHEMERAL: "true",
                                                       labels.HOLDER: holder_label}
    said = events.Collector()
    manager.directory.emit = said
    manager.start("pg-only")
    assert set(world.engine.networks) == {"labctl-grade-alive", "labctl-pg-only"}
    assert said.events[0].message == "removed what 1 killed labctl run left behind: grade-gone"
