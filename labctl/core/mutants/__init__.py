"""Mutants of a lab's reference solutions: for each task, its solution with one plausible mistake in it.
SQL is mutated by meaning (sql_text.py), step files line by line (text_mutants.py), and a reference app or
program by its bug switches (lab.yaml `mutants.bug_switches`). `labctl lab mutate` checks that each fails."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from labctl.core.model import Lab, Step, Task
from labctl.core.mutants.text_mutants import TextMutant, line_mutants, structured_mutants
from labctl.services import driver_for
from labctl.services.base import ServiceDriver

# Step files mutated line by line: commands, scripts, requests. Programs and apps are mutated through the
# bug switches their lab declares (a dropped line of Python is a syntax error, not a beginner's mistake).
LINE_FILES = frozenset({".redis", ".sh", ".bash", ".txt", ".http", ".cmds"})
# Documents mutated by their structure: their key order means nothing, their items and values do.
STRUCTURED_FILES = frozenset({".yaml", ".yml", ".json"})


@dataclass(frozen=True)
class Mutant:
    id: str  # task:file:operator, stable between runs: lab.yaml marks equivalents by it
    task: str
    description: str
    steps: tuple[Step, ...]  # the task's solution with the mutated step
    origin: str  # "sql", "lines", "structure", "bug switch", or "round trip" (the unchanged SQL as rewritten: must pass)


def task_mutants(lab: Lab, task: Task, folder: Path) -> list[Mutant]:
    """Every mutant of a task's solution; mutated files are written under `folder`."""
    out: list[Mutant] = []
    for index, step in enumerate(task.solution):
        if step.source is None or step.action not in ("sql", "run", "copy"):
            continue
        sql_driver = _sql_driver(lab, step)
        try:
            text = step.source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        label = step.source.name

        def mutant(change: TextMutant, origin: str, index=index, step=step, label=label) -> Mutant:
            target = folder / task.id / f"{len(out) + 1}-{label}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(change.text, encoding="utf-8")
            steps = task.solution[:index] + (replace(step, source=target),) + task.solution[index + 1:]
            return Mutant(f"{task.id}:{label}:{change.operator}", task.id, f"{label}: {change.description}", steps, origin)

        if sql_driver is not None:
            from labctl.core.mutants.sql_text import round_trip, sql_mutants

            dialect, statements = sql_driver.sql_dialect, sql_driver.statements(text)
            rewritten = [round_trip(s, dialect) or s for s in statements]
            out.append(mutant(TextMutant("round-trip", "the reference as the mutation tool rewrites it",
                                         ";\n".join(rewritten) + ";\n"), "round trip"))
            out.extend(mutant(m, "sql") for m in sql_mutants(statements, dialect, lab.plumbing_lines))
        elif step.source.suffix in LINE_FILES:
            out.extend(mutant(m, "lines") for m in line_mutants(text, lab.plumbing_lines))
        elif step.source.suffix in STRUCTURED_FILES:
            driver = _step_driver(lab, step)
            skip = driver.assertion_keys if driver is not None else frozenset()
            out.extend(mutant(m, "structure")
                       for m in structured_mutants(text, json_file=step.source.suffix == ".json", skip_keys=skip))
    for switch in lab.bug_switches:
        if switch.task == task.id:
            out.append(Mutant(f"{task.id}:bug:{switch.bug}", task.id, f"bug switch {switch.bug}", switch.steps, "bug switch"))
    return out


def _step_driver(lab: Lab, step: Step) -> ServiceDriver | None:
    """The driver of the service a sql/run step goes to; None for other steps."""
    service = lab.services.get(step.service or "") if step.action in ("sql", "run") else None
    return driver_for(service.kind) if service else None


def _sql_driver(lab: Lab, step: Step) -> ServiceDriver | None:
    """The driver that reads a step's file as SQL: its service's for sql/run steps; for a .sql file copied into
    the workspace (a query file), the lab's only SQL service's. None when the file is not SQL."""
    if step.action in ("sql", "run"):
        driver = _step_driver(lab, step)
        return driver if driver is not None and driver.sql_dialect else None
    if step.source is None or step.source.suffix != ".sql":
        return None
    drivers = {s.kind: driver_for(s.kind) for s in lab.services.values() if driver_for(s.kind).sql_dialect}
    return next(iter(drivers.values())) if len(drivers) == 1 else None
