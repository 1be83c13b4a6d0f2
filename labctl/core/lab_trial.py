"""A lab on a throwaway instance, for the authoring tools (`labctl lab test`, `labctl lab mutate`): started
fresh with its url settings on free ports, always torn down (unless kept), and taken down at a deadline."""
from __future__ import annotations

import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from labctl.check_engine.result import TaskResult
from labctl.core import events
from labctl.core.app_process import free_port
from labctl.core.deadline import Deadline
from labctl.core.errors import LabctlError
from labctl.core.events import Emit, Event
from labctl.core.manager import LabManager
from labctl.core.model import Lab, Step


def trial_name(prefix: str, lab: Lab) -> str:
    return f"{prefix}-{lab.id[:32]}-{secrets.token_hex(3)}"


@contextmanager
def trial_instance(manager: LabManager, lab: Lab, instance: str, deadline: Deadline, *,
                   emit: Emit = events.discard, keep: bool = False) -> Iterator:
    """Start `lab` as the ephemeral `instance` and yield its view; destroy it afterwards unless `keep`.
    The deadline, once expired, takes the instance down under whatever waits on it."""
    workspace = Path(tempfile.mkdtemp(prefix=f"labctl-{instance}-"))
    try:
        with deadline:
            emit(Event(events.INFO, f"starting {lab.id} as {instance}"))
            manager.start(lab.id, name=instance, workspace=workspace, ephemeral=True, emit=emit)
            for setting in lab.settings.values():
                if setting.kind == "url":
                    # Never the lab's default port: whatever the author runs there must not answer the checks.
                    manager.set_setting(instance, setting.name, f"http://127.0.0.1:{free_port()}")
            yield manager.view(instance, lab)
    finally:
        if not keep:
            try:
                manager.destroy(instance)
            except LabctlError:
                pass
            shutil.rmtree(workspace, ignore_errors=True)


def check_task(manager: LabManager, instance: str, task_id: str) -> TaskResult:
    return manager.check(instance, [task_id])[1][0]


def solve_up_to(manager: LabManager, view, task_id: str) -> None:
    """Reset the instance and solve every task before `task_id` with its solution."""
    manager.reset(view.instance, workspace_files=True)
    for task in view.lab.tasks:
        if task.id == task_id:
            break
        manager.apply_steps(view, task.solution)


def apply_instead_of_solution(manager: LabManager, view, task_id: str, steps: tuple[Step, ...]) -> TaskResult:
    """Reset, solve every task before `task_id`, apply `steps` in place of that task's solution, check the task."""
    solve_up_to(manager, view, task_id)
    manager.apply_steps(view, steps)
    return check_task(manager, view.instance, task_id)
