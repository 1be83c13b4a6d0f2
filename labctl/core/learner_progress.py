"""The learner's progress, per lab and task: first pass, attempts, hints used. One JSON file, locked."""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from labctl.check_engine.result import Status, TaskResult
from labctl.core.errors import LabctlError
from labctl.core.model import Lab, Task

FILE_NAME = "progress.json"
FORMAT = 1


def next_task(lab: Lab, done: Mapping[str, Mapping[str, Any]]) -> Task | None:
    """The task a learner is on: the first, in lab order, that has never passed; None when all have.

    `done` is ProgressStore.lab(lab.id). The one rule behind start's first task, check's "Next:", and
    task and hint without an argument."""
    return next((t for t in lab.tasks if not done.get(t.id, {}).get("first_passed")), None)


def _well_formed(data: Any) -> bool:
    """{"labs": {lab: {"tasks": {task: {"attempts": int, "hints_used": int, "first_passed": str|None}}}}}."""
    if not isinstance(data, dict) or not isinstance(data.get("labs"), dict):
        return False
    for lab in data["labs"].values():
        if not isinstance(lab, dict) or not isinstance(lab.get("tasks", {}), dict):
            return False
        for task in lab.get("tasks", {}).values():
            if not isinstance(task, dict) or not isinstance(task.get("attempts", 0), int) \
                    or not isinstance(task.get("hints_used", 0), int) \
                    or not isinstance(task.get("first_passed"), (str, type(None))):
                return False
    return True


def _unwritable(folder: Path, exc: OSError) -> LabctlError:
    import errno

    if exc.errno == errno.ENOSPC:
        return LabctlError(f"the disk holding {folder} is full, so your progress could not be saved",
                           "Free some space (`labctl images prune` removes old lab images), then run the command again.")
    return LabctlError(f"cannot write your progress in {folder}: {exc.strerror or exc}",
                       "Make LABCTL_HOME a folder you can write to (or point LABCTL_HOME elsewhere).")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class ProgressStore:
    def __init__(self, home: Path):
        self.path = home / FILE_NAME
        self.lock_path = home / f"{FILE_NAME}.lock"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": FORMAT, "labs": {}}
        except (OSError, ValueError) as exc:
            raise LabctlError(f"cannot read your progress file {self.path}: {exc}",
                              "Move the file aside to start counting again; labctl will not overwrite it.") from exc
        if not _well_formed(data):
            raise LabctlError(f"{self.path} is not a labctl progress file (or it was damaged)",
                              "Move it aside to start counting again (`mv` it); labctl will not overwrite it.")
        return data

    @contextmanager
    def _editing(self) -> Iterator[dict[str, Any]]:
        import filelock

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(self.lock_path), timeout=30)
            lock.acquire()
        except filelock.Timeout:
            raise LabctlError(f"another labctl has held {self.lock_path} for 30s", "Try again in a moment.") from None
        except OSError as exc:
            raise _unwritable(self.path.parent, exc) from exc
        try:
            data = self._read()
            yield data
            self._write(data)
        finally:
            lock.release()

    def _write(self, data: dict[str, Any]) -> None:
        """Write-then-rename: a crash never leaves half a file, and a failed write leaves no temporary one."""
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(tmp, self.path)
            tmp = None
        except OSError as exc:
            raise _unwritable(self.path.parent, exc) from exc
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    @staticmethod
    def _task(data: dict[str, Any], lab: str, task: str) -> dict[str, Any]:
        entry = data["labs"].setdefault(lab, {"tasks": {}})
        found = entry.setdefault("tasks", {}).setdefault(task, {})
        for key, empty in (("attempts", 0), ("hints_used", 0), ("first_passed", None)):
            found.setdefault(key, empty)
        return found

    def record_checks(self, lab: str, results: list[TaskResult]) -> list[str]:
        """Count an attempt for every task checked; returns the tasks that passed for the first time."""
        newly: list[str] = []
        with self._editing() as data:
            for result in results:
                entry = self._task(data, lab, result.task)
                entry["attempts"] += 1
                if result.status is Status.PASSED and not entry["first_passed"]:
                    entry["first_passed"] = _now()
                    newly.append(result.task)
        return newly

    def reveal_hint(self, lab: str, task: str, available: int) -> int:
        """Count one more hint for the task (up to `available`); returns how many are now revealed."""
        with self._editing() as data:
            entry = self._task(data, lab, task)
            entry["hints_used"] = min(available, entry["hints_used"] + 1)
            return entry["hints_used"]

    def lab(self, lab: str) -> dict[str, dict[str, Any]]:
        return dict(self._read()["labs"].get(lab, {}).get("tasks", {}))

    def all(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {lab: dict(v.get("tasks", {})) for lab, v in self._read()["labs"].items()}
