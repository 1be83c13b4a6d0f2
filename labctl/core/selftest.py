"""Prove a lab works: on a fresh instance, each task fails before its solution and passes after,
every near-miss solution fails the task it targets with a message naming what is wrong, and every
accepted variant (another correct answer) passes it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from labctl.check_engine.result import Status, TaskResult
from labctl.core import events
from labctl.core.deadline import DEFAULT_SELF_TEST_SECONDS, Deadline
from labctl.core.errors import EngineUnavailableError, ImageUnavailableError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.lab_trial import apply_instead_of_solution, check_task, trial_instance, trial_name
from labctl.core.manager import LabManager


@dataclass(frozen=True)
class SelfTestCase:
    name: str  # e.g. "create-tables: fails before its solution"
    task: str
    ok: bool
    message: str
    duration: float


@dataclass
class SelfTestReport:
    lab: str
    instance: str
    cases: list[SelfTestCase] = field(default_factory=list)
    error: str | None = None  # the lab could not even start
    skipped: str | None = None  # it cannot run here (an image that cannot be pulled or built), and why
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (self.error is None and bool(self.cases) and all(c.ok for c in self.cases))


def _describe(result: TaskResult) -> str:
    problem = result.first_problem
    return problem.message if problem else "all checks pass"


def run_self_test(manager: LabManager, lab_id: str, *, emit: Emit = events.discard, keep: bool = False,
                  timeout: float = DEFAULT_SELF_TEST_SECONDS) -> SelfTestReport:
    """Self-test one lab on its own ephemeral instance, always torn down (unless keep). After `timeout`
    seconds the instance is taken down and the report's error says so."""
    lab = manager.loader.load(lab_id)
    instance = trial_name("selftest", lab)
    report = SelfTestReport(lab.id, instance)
    began = time.monotonic()
    deadline = Deadline(timeout, lambda: manager.runtime.down(instance, remove=True, emit=events.discard))

    def in_time() -> None:
        if deadline.expired:
            raise LabctlError(f"the self-test {deadline.message}")

    try:
        with trial_instance(manager, lab, instance, deadline, emit=emit, keep=keep) as view:
            for task in lab.tasks:
                in_time()
                report.cases.extend(_task_cases(manager, view, task, emit))
            for near in lab.near_misses:
                in_time()
                report.cases.append(_near_miss_case(manager, view, near, emit))
            for variant in lab.variants:
                in_time()
                report.cases.append(_variant_case(manager, view, variant, emit))
    except EngineUnavailableError:
        raise
    except ImageUnavailableError as exc:
        report.skipped = exc.message
    except LabctlError as exc:
        report.error = str(exc) + (f"\n{exc.hint}" if exc.hint else "")
    finally:
        if deadline.expired:
            report.error = f"the self-test {deadline.message}; {len(report.cases)} cases ran before it"
        report.duration = time.monotonic() - began
    return report


def _task_cases(manager: LabManager, view, task, emit: Emit) -> list[SelfTestCase]:
    """A task fails before its solution and passes after it (the solution is left applied for the next task)."""
    cases = []
    started = time.monotonic()
    before = check_task(manager, view.instance, task.id)
    ok = before.status is Status.FAILED
    why = ("fails as it should: " + _describe(before)) if ok else (
        "passes before its solution is applied: the checks are too weak" if before.status is Status.PASSED
        else f"errors instead of failing: {_describe(before)}")
    cases.append(SelfTestCase(f"{task.id}: fails before its solution", task.id, ok, why, time.monotonic() - started))
    emit(Event(events.INFO, f"{task.id}: {'ok' if ok else 'PROBLEM'} before solution"))

    started = time.monotonic()
    try:
        manager.apply_steps(view, task.solution)
        after = check_task(manager, view.instance, task.id)
        ok, why = after.status is Status.PASSED, _describe(after)
    except LabctlError as exc:
        ok, why = False, f"its solution did not apply: {exc}"
    cases.append(SelfTestCase(f"{task.id}: passes with its solution", task.id, ok, why, time.monotonic() - started))
    emit(Event(events.INFO, f"{task.id}: {'ok' if ok else 'PROBLEM'} with solution"))
    return cases


def _variant_case(manager: LabManager, view, variant, emit: Emit) -> SelfTestCase:
    """Another correct answer passes its task, on a reset instance with every earlier task solved."""
    started = time.monotonic()
    try:
        result = apply_instead_of_solution(manager, view, variant.task, variant.steps)
        ok = result.status is Status.PASSED
        why = "passes as it should" if ok else (
            f"{'errors' if result.status is Status.ERROR else 'fails'}: a right answer is refused: {_describe(result)}")
    except LabctlError as exc:
        ok, why = False, f"could not be applied: {exc}"
    emit(Event(events.INFO, f"variant {variant.id}: {'ok' if ok else 'PROBLEM'}"))
    return SelfTestCase(f"variant {variant.id} passes {variant.task}", variant.task, ok, why, time.monotonic() - started)


def _near_miss_case(manager: LabManager, view, near, emit: Emit) -> SelfTestCase:
    """On a reset instance with every earlier task solved, the near miss fails its task naming what is wrong."""
    started = time.monotonic()
    try:
        result = apply_instead_of_solution(manager, view, near.task, near.steps)
        messages = [c.message for c in result.checks if c.status is not Status.PASSED]
        naming = [m for m in messages if near.expect.lower() in m.lower()]
        if result.status is Status.PASSED:
            ok, why = False, "passes: a wrong answer is accepted"
        elif result.status is Status.ERROR:
            ok, why = False, f"errors instead of failing: {_describe(result)}"
        elif not naming:
            ok, why = False, f"fails, but no message mentions {near.expect!r}: {' | '.join(messages)}"
        else:
            ok, why = True, "fails as it should: " + naming[0]
    except LabctlError as exc:
        ok, why = False, f"could not be applied: {exc}"
    emit(Event(events.INFO, f"near miss {near.id}: {'ok' if ok else 'PROBLEM'}"))
    return SelfTestCase(f"near miss {near.id} fails {near.task}", near.task, ok, why, time.monotonic() - started)
