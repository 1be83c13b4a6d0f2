"""The overall deadline of grade and lab test, and the memory-limit explanation, on the fake runtime."""
from __future__ import annotations

import time

import pytest

from labctl.check_engine.result import Status
from labctl.core.deadline import Deadline
from labctl.core.errors import ServiceUnavailable
from labctl.runtime.base import ExecResult
from tests.unit.test_manager import World


def test_a_deadline_fires_once_and_only_when_the_block_outlasts_it():
    fired = []
    with Deadline(0.05, lambda: fired.append(1)) as deadline:
        time.sleep(0.3)
    assert deadline.expired and fired == [1]
    with Deadline(5, lambda: fired.append(2)) as quick:
        pass
    time.sleep(0.05)
    assert not quick.expired and fired == [1]


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def test_a_submission_that_hangs_its_service_is_stopped_by_the_deadline(world, tmp_path):
    from labctl.core.grading import grade

    manager = world.manager()

    def hangs(access, step):  # `SET statement_timeout = 0; SELECT pg_sleep(3600)`: returns when the server goes
        while f"labctl-{access.instance}-postgres" in world.engine.containers:
            time.sleep(0.02)
        raise ServiceUnavailable("PostgreSQL at 127.0.0.1:1 did not answer: server closed the connection")

    world.driver("postgres").apply = hangs
    submission = tmp_path / "submission"
    (submission / "sql").mkdir(parents=True)
    (submission / "sql" / "01-sleep.sql").write_text("SET statement_timeout = 0; SELECT pg_sleep(3600);\n")
    started = time.monotonic()
    report = grade(manager, "databases-101", submission, timeout=0.5)
    assert time.monotonic() - started < 10
    assert report.error == ("grading stopped at the deadline: it ran for more than 0.5s (--timeout); "
                            "what was left unchecked counts as an error")
    assert report.status == "error" and report.error_exit_code == 1
    assert {t.status for t in report.tests} == {"error"} and len(report.tests) == 8
    assert report.tests[0].message == "not checked: grading ran out of time"
    assert manager.instances() == [] and not world.engine.containers


def test_a_check_that_met_the_memory_limit_says_so_once(world):
    kills = {"n": 0}

    def cgroup(instance, service, argv, user, timeout):
        return ExecResult(0, f"oom_kill_disable 0\nunder_oom 0\noom_kill {kills['n']}\n")

    manager = world.manager(exec_handler=cgroup)
    manager.start("pg-only")
    manager.stop("pg-only")  # checks of a service that does not answer are errors
    manager.runtime.engine.containers["labctl-pg-only-postgres"].state = world_state("RUNNING")
    manager.runtime.engine.containers["labctl-pg-only-postgres"].ports = {5432: 1}  # nothing listens there
    _, results = manager.check("pg-only")
    assert results[0].status is Status.ERROR and "ran out of memory" not in results[0].checks[0].message
    kills["n"] = 1  # the kernel killed a process of the container for want of memory
    _, results = manager.check("pg-only")
    message = results[0].checks[0].message
    assert message.startswith("postgres ran out of memory: it may use 512 MiB, and the kernel stopped"), message
    _, results = manager.check("pg-only")  # the same old kill is not blamed again
    assert "ran out of memory" not in results[0].checks[0].message


def world_state(name: str):
    from labctl.runtime.base import ServiceState

    return ServiceState[name]
