"""One labctl at a time per instance: a file lock under LABCTL_HOME/locks, waited for (and said so)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from labctl.core import events
from labctl.core.errors import LabctlError
from labctl.core.events import Emit, Event

LOCK_TIMEOUT = 600


@contextmanager
def instance_lock(home: Path, instance: str, emit: Emit = events.discard, *,
                  timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the instance's lock; when another labctl holds it, say so and wait up to `timeout` seconds."""
    import filelock

    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(folder / f"{instance}.lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        emit(Event(events.WAITING_FOR_LOCK, f"another labctl is working on {instance}; waiting for it to finish"))
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise LabctlError(f"another labctl has been working on {instance} for {timeout:g}s",
                              "If no other labctl runs, try again.") from None
    try:
        yield
    finally:
        lock.release()


def forget_lock(home: Path, instance: str) -> None:
    """Remove an instance's lock file once the instance is gone for good (throwaway instances have unique
    names, so no other labctl can be waiting on it)."""
    (home / "locks" / f"{instance}.lock").unlink(missing_ok=True)
