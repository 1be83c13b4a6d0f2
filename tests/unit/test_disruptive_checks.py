"""A disruptive check (a reboot, a kill of the learner's server) runs only once the checks before it in its task
passed and the tasks it needs passed in the same run: a `labctl check` at task 1 never reboots the box."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, Status, failed, passed
from labctl.check_engine.runner import run_tasks
from labctl.core.model import CheckSpec, Lab, Task


class Answer(Check):
    """Passes when its name is in the context's memo under "done"."""

    type_name: ClassVar[str] = "test.answer"
    name: str

    def run(self, ctx: CheckContext) -> Outcome:
        return passed("done") if self.name in ctx.memo["done"] else failed(f"{self.name} is not done")


class Reboot(Check):
    type_name: ClassVar[str] = "test.reboot"
    disruptive: ClassVar[bool] = True

    def run(self, ctx: CheckContext) -> Outcome:
        ctx.memo["reboots"] += 1
        return passed("rebooted")


def lab(tmp_path: Path) -> Lab:
    def task(task_id: str, needs: tuple[str, ...], *checks: Check) -> Task:
        specs = tuple(CheckSpec(c.type_name, c, i) for i, c in enumerate(checks))
        return Task(task_id, task_id, tmp_path / "t.md", ("h",), specs, needs, ())

    return Lab("l", "l", 8, "s", 1, tmp_path, {}, (), None, (
        task("setup", (), Answer(name="setup")),
        task("survive", ("setup",), Answer(name="unit"), Reboot(), Answer(name="after")),
    ))


def run(tmp_path: Path, done: set[str], task_ids=None):
    ctx = CheckContext(tmp_path, {}, None, memo={"done": done, "reboots": 0})
    results = run_tasks(lab(tmp_path), ctx, task_ids)
    return {r.task: r for r in results}, ctx.memo["reboots"]


def test_a_disruptive_check_waits_for_the_checks_before_it(tmp_path):
    results, reboots = run(tmp_path, {"setup"})
    assert reboots == 0
    held = results["survive"].checks[1]
    assert held.status is Status.FAILED and "not run yet" in held.message and "checks above it" in held.message
    assert results["survive"].first_problem.message == "unit is not done"


def test_a_disruptive_check_waits_for_the_tasks_it_needs_in_the_same_run(tmp_path):
    results, reboots = run(tmp_path, {"unit", "after"})
    assert reboots == 0
    assert "task setup first" in results["survive"].checks[1].message


def test_a_disruptive_check_runs_when_all_before_it_passed(tmp_path):
    results, reboots = run(tmp_path, {"setup", "unit", "after"})
    assert reboots == 1 and results["survive"].status is Status.PASSED


def test_a_task_checked_alone_does_not_wait_for_tasks_not_run(tmp_path):
    results, reboots = run(tmp_path, {"unit", "after"}, ["survive"])
    assert reboots == 1 and results["survive"].status is Status.PASSED
