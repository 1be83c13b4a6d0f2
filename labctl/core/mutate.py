"""`labctl lab mutate`: make mutants of every task's reference solution and check that each one fails its
task. A mutant that passes is a wrong answer the checks accept (unless lab.yaml marks it equivalent, with
the reason); the report lists them."""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from labctl.check_engine.result import Status
from labctl.core import events
from labctl.core.deadline import Deadline
from labctl.core.errors import EngineUnavailableError, ImageUnavailableError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.lab_trial import check_task, solve_up_to, trial_instance, trial_name
from labctl.core.manager import LabManager
from labctl.core.mutants import Mutant, task_mutants

DEFAULT_MUTATE_SECONDS = 900.0

KILLED, SURVIVED, EQUIVALENT, STILLBORN = "killed", "survived", "equivalent", "stillborn"


@dataclass(frozen=True)
class MutantResult:
    id: str
    task: str
    description: str
    origin: str
    outcome: str  # killed | survived | equivalent | stillborn (it could not even be applied)
    message: str  # the check's message that killed it, why it could not be applied, or the equivalence reason


@dataclass
class MutationReport:
    lab: str
    results: list[MutantResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # round trips that fail, marks that match no mutant
    error: str | None = None
    skipped: str | None = None
    duration: float = 0.0

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.outcome == SURVIVED]

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (self.error is None and not self.survivors and not self.problems)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


def run_mutation(manager: LabManager, lab_id: str, *, tasks: tuple[str, ...] = (), emit: Emit = events.discard,
                 timeout: float = DEFAULT_MUTATE_SECONDS) -> MutationReport:
    """Check every mutant of the lab's reference solutions (or of `tasks`) on one ephemeral instance."""
    lab = manager.loader.load(lab_id)
    unknown = [t for t in tasks if lab.task(t) is None]
    if unknown:
        raise LabctlError(f"{lab.id} has no task {unknown[0]!r}", f"Its tasks: {', '.join(t.id for t in lab.tasks)}.")
    tasks = tuple(lab.task(t).id for t in tasks)  # numbers as ids
    report = MutationReport(lab.id)
    instance = trial_name("mutate", lab)
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix=f"labctl-mutants-{lab.id}-"))
    deadline = Deadline(timeout, lambda: manager.runtime.down(instance, remove=True, emit=events.discard))
    marked = {m.mutant: m for m in lab.equivalent_mutants}
    seen: set[str] = set()
    try:
        with trial_instance(manager, lab, instance, deadline, emit=emit) as view:
            for task in lab.tasks:
                if tasks and task.id not in tasks:
                    continue
                mutants = task_mutants(lab, task, folder)
                seen.update(m.id for m in mutants)
                emit(Event(events.INFO, f"{task.id}: {len(mutants)} mutants"))
                _task(manager, view, task, mutants, marked, report, deadline)
    except EngineUnavailableError:
        raise
    except ImageUnavailableError as exc:
        report.skipped = exc.message
    except LabctlError as exc:
        report.error = str(exc) + (f"\n{exc.hint}" if exc.hint else "")
    finally:
        if deadline.expired:
            report.error = f"the mutation run {deadline.message}; {len(report.results)} mutants ran before it"
        shutil.rmtree(folder, ignore_errors=True)
        report.duration = time.monotonic() - began
    if report.error is None and report.skipped is None:
        for mark in lab.equivalent_mutants:
            if mark.mutant not in seen and (not tasks or mark.task in tasks):
                report.problems.append(f"lab.yaml marks {mark.mutant} as equivalent, but no such mutant is made "
                                       "any more: remove the mark")
    return report


def _task(manager: LabManager, view, task, mutants: list[Mutant], marked: dict, report: MutationReport,
          deadline: Deadline) -> None:
    # A task whose solution only puts files into the workspace (query files) changes nothing on the services:
    # its mutants are tried one after the other on one solved state, with no reset between them.
    files_only = all(step.action == "copy" for step in task.solution)
    if files_only:
        solve_up_to(manager, view, task.id)
    round_trip_failed = False
    for mutant in mutants:
        if deadline.expired:
            raise LabctlError(f"the mutation run {deadline.message}")
        if mutant.id in marked:
            report.results.append(MutantResult(mutant.id, task.id, mutant.description, mutant.origin, EQUIVALENT,
                                               marked[mutant.id].reason))
            continue
        if mutant.origin == "sql" and round_trip_failed:
            continue
        try:
            if not files_only:
                solve_up_to(manager, view, task.id)
            manager.apply_steps(view, mutant.steps)
            result = check_task(manager, view.instance, task.id)
        except LabctlError as exc:
            if mutant.origin == "round trip":
                round_trip_failed = True
                report.problems.append(f"{task.id}: the reference rewritten by the mutation tool cannot be applied "
                                       f"({exc}); its SQL mutants are not tried")
                continue
            report.results.append(MutantResult(mutant.id, task.id, mutant.description, mutant.origin, STILLBORN, str(exc)))
            continue
        problem = result.first_problem
        if mutant.origin == "round trip":
            if result.status is not Status.PASSED:
                round_trip_failed = True
                report.problems.append(f"{task.id}: the reference rewritten by the mutation tool fails its task "
                                       f"({problem.message if problem else ''}); its SQL mutants are not tried")
            continue
        outcome = SURVIVED if result.status is Status.PASSED else KILLED
        report.results.append(MutantResult(mutant.id, task.id, mutant.description, mutant.origin, outcome,
                                           problem.message if problem else "all checks pass"))
    if files_only:
        manager.apply_steps(view, task.solution)  # leave the reference in place, as the self-test does
