"""Throwaway instances whose labctl is gone (a grade or self-test killed with SIGKILL, a reboot): found when
instances are listed, and removed with their temporary workspace and lock file, in one line of output."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from labctl.core import events
from labctl.core.errors import LabctlError
from labctl.core.events import Emit, Event
from labctl.core.holder import holder_gone
from labctl.core.locks import forget_lock
from labctl.runtime.base import InstanceSummary, Runtime

# The temporary workspaces of grade, lab test and the pytest plugin (tempfile.mkdtemp with these prefixes).
TEMP_PREFIXES = ("labctl-grade-", "labctl-selftest-", "labctl-pytest-")


def is_leftover(summary: InstanceSummary) -> bool:
    """An ephemeral instance whose holder process surely no longer runs."""
    return any(s.ephemeral and s.holder and holder_gone(s.holder) for s in summary.services)


def remove_leftovers(runtime: Runtime, found: list[InstanceSummary], home: Path,
                     emit: Emit = events.discard) -> list[InstanceSummary]:
    """Remove the leftovers among `found`; returns the instances that remain."""
    removed = []
    for summary in found:
        if not is_leftover(summary):
            continue
        try:
            runtime.down(summary.instance, remove=True, emit=events.discard)
        except LabctlError:
            continue  # a busy engine: the next listing tries again
        _remove_temporary_workspace(summary.workspace)
        forget_lock(home, summary.instance)
        removed.append(summary.instance)
    if removed:
        emit(Event(events.INFO, f"removed {len(removed)} leftover throwaway instance{'s' if len(removed) != 1 else ''} "
                                f"whose labctl had been killed: {', '.join(removed)}"))
    return [s for s in found if s.instance not in removed]


def remove_orphaned(runtime: Runtime, home: Path, emit: Emit = events.discard) -> list[str]:
    """The thorough sweep (at every start): also throwaway instances of which only a network or a volume is
    left, every holder of which is gone."""
    removed = []
    for instance, holders in runtime.throwaway_holders().items():
        if not holders or not all(h and holder_gone(h) for h in holders):
            continue
        try:
            runtime.down(instance, remove=True, emit=events.discard)
        except LabctlError:
            continue
        forget_lock(home, instance)
        removed.append(instance)
    if removed:
        emit(Event(events.INFO, f"removed what {len(removed)} killed labctl run{'s' if len(removed) != 1 else ''} "
                                f"left behind: {', '.join(removed)}"))
    return removed


def _remove_temporary_workspace(workspace: str) -> None:
    """Only a folder labctl made in the temporary directory: never a learner's workspace."""
    if not workspace:
        return
    path = Path(workspace)
    try:
        if path.is_absolute() and path.parent.resolve() == Path(tempfile.gettempdir()).resolve() \
                and path.name.startswith(TEMP_PREFIXES) and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass
