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
        if not isinstance(data, dict) or not isinstance(data.get("labs"), dict):
            raise LabctlError(f"{self.path} is not a labctl progress file", "Move it aside and try again.")
        return data

    @contextmanager
    def _editing(self) -> Iterator[dict[str, Any]]:
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(str(self.lock_path), timeout=30):
            data = self._read()
            yield data
            # Write-then-rename: a crash never leaves half a file.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(tmp, self.path)

    @staticmethod
    def _task(data: dict[str, Any], lab: str, task: str) -> dict[str, Any]:
        entry = data["labs"].setdefault(lab, {"tasks": {}})
        return entry.setdefault("tasks", {}).setdefault(task, {"attempts": 0, "hints_used": 0, "first_passed": None})

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
