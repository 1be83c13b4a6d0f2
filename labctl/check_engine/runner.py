"""Run a lab's checks: each with a timeout, each ending as passed, failed or error, never raising."""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import replace
from typing import Callable, Iterable

from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import CheckResult, Outcome, Status, TaskResult
from labctl.core.errors import CheckError, ServiceUnavailable, Unverifiable
from labctl.core.model import CheckSpec, Lab, Task
from labctl.core.text import printable

# The runner waits a little longer than the check's timeout, so that a server-side limit (PostgreSQL's
# statement_timeout, set to the check timeout) ends a slow learner query first and is reported as the
# learner's failure; the runner's own limit only catches a service that does not answer at all.
RUNNER_GRACE = 1.5


NO_ANSWER = "service-did-not-answer"


def run_check(task: Task, spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    check = spec.check
    timeout = max(check.timeout or ctx.timeout, check.needs_seconds())
    description = check.describe()
    silent = ctx.memo.get((NO_ANSWER, check.service)) if check.service else None
    if silent is not None:
        # A service that did not answer one check will not answer the next: one timeout per run, not per check.
        return CheckResult(task.id, spec.type, description, Status.ERROR, silent, 0.0, service_silent=True)
    result, unanswered = _run_check(task, spec, ctx, check, timeout, description)
    # Messages carry what the learner's work said (a database error, a file name): never raw control characters.
    result = replace(result, message=printable(result.message),
                     evidence=printable(result.evidence) if result.evidence is not None else None,
                     service=check.service)
    if check.service and unanswered:
        ctx.memo[(NO_ANSWER, check.service)] = result.message
    return result


def _run_check(task: Task, spec: CheckSpec, ctx: CheckContext, check, timeout: float,
               description: str) -> tuple[CheckResult, bool]:
    """The result, and whether the service refused or never accepted a connection (down, paused, hung)."""
    answers: queue.Queue = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            answers.put(("ok", check.run(ctx)))
        except BaseException as exc:  # reported, never raised to the learner
            answers.put(("exc", exc))
        finally:
            ctx.release()

    started = time.monotonic()
    # A daemon thread: a check stuck on a hung service must not keep labctl from exiting.
    threading.Thread(target=work, name=f"check-{spec.type}", daemon=True).start()
    try:
        kind, value = answers.get(timeout=timeout + RUNNER_GRACE)
    except queue.Empty:
        ctx.discard(check.service)
        return CheckResult(
            task.id, spec.type, description, Status.ERROR,
            (f"the {check.service} service did not answer within {timeout:g}s; "
             "it may be paused, overloaded or down (run `labctl status`)") if check.service else
            f"the check did not finish within {timeout:g}s",
            time.monotonic() - started, service_silent=check.service is not None,
        ), False  # a slow answer, maybe: the next check may well get through
    duration = time.monotonic() - started
    if kind == "ok":
        outcome: Outcome = value
        return CheckResult(
            task.id, spec.type, description,
            Status.PASSED if outcome.passed else Status.FAILED,
            outcome.message, duration, outcome.expected, outcome.found, outcome.evidence,
        ), False
    exc = value
    if isinstance(exc, Unverifiable):
        return CheckResult(task.id, spec.type, description, Status.FAILED, str(exc), duration), False
    unanswered = isinstance(exc, ServiceUnavailable)
    if unanswered:
        ctx.discard(check.service)
        message = f"{exc} (run `labctl status`; `labctl start` brings stopped services back)"
    elif isinstance(exc, CheckError):
        message = str(exc)
    else:
        message = f"the check itself failed ({type(exc).__name__}: {exc}); this is a bug in the lab or in labctl"
    return CheckResult(task.id, spec.type, description, Status.ERROR, message, duration,
                       service_silent=unanswered), unanswered


def _held_back(task: Task, spec: CheckSpec, unmet: list[str]) -> CheckResult:
    """A disruptive check not run: what it would disturb stays as the learner left it until it can matter."""
    why = (f"task{'s' if len(unmet) > 1 else ''} {', '.join(unmet)} first" if unmet
           else "the checks above it in this task first")
    return CheckResult(task.id, spec.type, spec.check.describe(), Status.FAILED,
                       f"not run yet: it would disturb your work (e.g. restart the box), so it waits until you finish {why}",
                       0.0)


def run_tasks(
    lab: Lab,
    ctx: CheckContext,
    task_ids: Iterable[str] | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Run the checks of the given tasks (all by default), in lab order."""
    wanted = set(task_ids) if task_ids is not None else None
    results: list[TaskResult] = []
    for task in lab.tasks:
        if wanted is not None and task.id not in wanted:
            continue
        unmet = [r.task for r in results if r.task in task.needs and r.status is not Status.PASSED]
        checks: list[CheckResult] = []
        for spec in task.checks:
            if spec.check.disruptive and (unmet or any(c.status is not Status.PASSED for c in checks)):
                checks.append(_held_back(task, spec, unmet))
            else:
                checks.append(run_check(task, spec, ctx))
        result = TaskResult(task.id, task.title, tuple(checks))
        results.append(result)
        if on_result:
            on_result(result)
    return results
