"""A lab's reference solution written out as a learner's submission (for course teams testing `labctl grade`).

Copy steps land where they point in the workspace; SQL and run steps become files that the lab's
grading section picks up (e.g. sql/01-create-customers.sql for `sql: sql/*.sql`), numbered so that
their order is kept; config steps become --set options, and an app step the --app command.
"""
from __future__ import annotations

import fnmatch
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from labctl.core.errors import LabctlError
from labctl.core.model import GradeStep, Lab, Step


@dataclass
class SubmissionPlan:
    files: list[str] = field(default_factory=list)  # written, relative to the submission folder
    settings: dict[str, str] = field(default_factory=dict)
    app_command: str | None = None

    def grade_command(self, lab_id: str, folder: Path) -> str:
        import shlex

        parts = ["labctl", "grade", lab_id, "--workspace", str(folder)]
        for name, value in self.settings.items():
            parts += ["--set", f"{name}={value}"]
        if self.app_command:
            parts += ["--app", self.app_command]
        return " ".join(shlex.quote(p) for p in parts)


def write_submission(lab: Lab, target: Path, *, near_miss: str | None = None, variant: str | None = None) -> SubmissionPlan:
    """Write every task's solution into target; a near miss's or an accepted variant's steps instead of its
    task's solution, if one is named."""
    replaced = None
    if near_miss is not None:
        replaced = next((n for n in lab.near_misses if n.id == near_miss), None)
        if replaced is None:
            raise LabctlError(f"{lab.id} has no near miss {near_miss!r}",
                              f"Its near misses: {', '.join(n.id for n in lab.near_misses) or 'none'}.")
    if variant is not None:
        replaced = next((v for v in lab.variants if v.id == variant), None)
        if replaced is None:
            raise LabctlError(f"{lab.id} has no accepted variant {variant!r}",
                              f"Its variants: {', '.join(v.id for v in lab.variants) or 'none'}.")
    if lab.services and lab.grading is None:
        raise LabctlError(f"{lab.id} has no grading section, so it has no submission form")
    target.mkdir(parents=True, exist_ok=True)
    plan = SubmissionPlan()
    counter = 0
    for task in lab.tasks:
        steps = replaced.steps if replaced is not None and replaced.task == task.id else task.solution
        for step in steps:
            counter += 1
            _write_step(lab, step, target, counter, plan)
    if replaced is not None:
        # How the near miss (or variant) runs is its own: a later task's solution, which sets the same setting
        # or starts the reference app again, must not hand in the reference instead.
        for step in replaced.steps:
            if step.action == "config":
                plan.settings.update(step.values)
            elif step.action == "app" and step.app is not None:
                plan.app_command = step.app.command
    return plan


def holds_reference(lab: Lab, submission: Path) -> bool | None:
    """Whether the submission holds every file of the lab's reference submission, byte for byte (the reference
    handed in, perhaps with files of its own added); None when the lab has no submission form."""
    import tempfile

    if lab.services and lab.grading is None:
        return None
    with tempfile.TemporaryDirectory(prefix="labctl-reference-") as folder:
        plan = write_submission(lab, Path(folder))
        if not plan.files:
            return None
        for relative in plan.files:
            mine = submission / relative
            if not mine.is_file() or mine.read_bytes() != (Path(folder) / relative).read_bytes():
                return False
    return True


def _write_step(lab: Lab, step: Step, target: Path, counter: int, plan: SubmissionPlan) -> None:
    if step.action == "copy":
        assert step.source is not None and step.target is not None
        _copy(step.source, target / step.target, plan, target)
    elif step.action == "config":
        plan.settings.update(step.values)
    elif step.action == "app":
        assert step.app is not None
        if step.app.in_workspace:
            plan.app_command = step.app.command
            return
        folder = lab.path / step.app.folder
        for source in sorted(folder.rglob("*")):
            if source.is_file() and not source.is_symlink() and "__pycache__" not in source.parts:
                _copy(source, target / source.relative_to(folder), plan, target)
        plan.app_command = step.app.command
    else:
        assert step.source is not None
        grade_step = _grade_step_for(lab, step)
        pattern = PurePosixPath(grade_step.pattern)
        name = f"{counter:02d}-{re.sub(r'^[0-9]+[-_]', '', step.source.name)}"
        if not fnmatch.fnmatch(name, pattern.name):
            name = f"{counter:02d}-{step.source.stem}{PurePosixPath(pattern.name).suffix}"
        _copy(step.source, target / pattern.parent / name, plan, target)


def _grade_step_for(lab: Lab, step: Step) -> GradeStep:
    steps = lab.grading.steps if lab.grading else ()
    found = next((g for g in steps if g.action == step.action and g.service == step.service), None)
    if found is None:
        raise LabctlError(f"{lab.id}'s grading section has no {step.action} step for {step.service}, "
                          f"so {step.source.name if step.source else 'a solution step'} has nowhere to go")
    return found


def _copy(source: Path, destination: Path, plan: SubmissionPlan, root: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    relative = str(destination.relative_to(root))
    if relative not in plan.files:
        plan.files.append(relative)
