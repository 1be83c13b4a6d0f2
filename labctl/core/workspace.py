"""The learner's working folder: the lab's workspace files, copied once, never overwritten."""
from __future__ import annotations

import shutil
from pathlib import Path

from labctl.core.errors import LabctlError
from labctl.core.model import Lab, Step


def populate(lab: Lab, target: Path) -> list[Path]:
    """Copy the lab's workspace files that are not in `target` yet. Returns the files copied."""
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabctlError(f"cannot create the workspace folder {target}: {exc.strerror}",
                          "Choose another folder with --workspace.") from exc
    copied: list[Path] = []
    if lab.workspace is None:
        return copied
    for source in sorted(lab.workspace.rglob("*")):
        if not source.is_file() or source.is_symlink():
            continue
        destination = target / source.relative_to(lab.workspace)
        if destination.exists():
            continue  # the learner's file wins, always
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(destination)
    return copied


def restore(lab: Lab, target: Path) -> None:
    """Put every workspace file back to the lab's starting version (used by reset and self-tests)."""
    if lab.workspace is None:
        return
    for source in sorted(lab.workspace.rglob("*")):
        if source.is_file() and not source.is_symlink():
            destination = target / source.relative_to(lab.workspace)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


def copy_step(step: Step, workspace: Path) -> None:
    """Apply a copy step: a lab file into the learner's workspace."""
    assert step.target is not None
    destination = (workspace / step.target).resolve()
    if not destination.is_relative_to(workspace.resolve()):
        raise LabctlError(f"{step.target} points outside the workspace")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(step.source, destination)
