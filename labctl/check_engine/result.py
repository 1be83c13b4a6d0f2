"""What a check returns, and what the runner makes of it."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"  # the learner's work is not there yet
    ERROR = "error"  # the check could not run: service down, timeout, broken lab


@dataclass(frozen=True)
class Outcome:
    """What a check's run() returns."""

    passed: bool
    message: str
    expected: Any = None
    found: Any = None
    evidence: str | None = None  # the query run, the command, the request


def passed(message: str, *, evidence: str | None = None) -> Outcome:
    return Outcome(True, message, evidence=evidence)


def failed(message: str, *, expected: Any = None, found: Any = None, evidence: str | None = None) -> Outcome:
    return Outcome(False, message, expected=expected, found=found, evidence=evidence)


@dataclass(frozen=True)
class CheckResult:
    task: str
    type: str
    description: str
    status: Status
    message: str
    duration: float
    expected: Any = None
    found: Any = None
    evidence: str | None = None
    service: str | None = None  # the lab service the check talks to, if any
    # The check could not run because a service refused, never accepted or did not answer in time (not a
    # check that needs another mode, or a broken lab): `labctl check` then says to look at the services.
    service_silent: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["duration"] = round(self.duration, 4)
        return data


@dataclass(frozen=True)
class TaskResult:
    task: str
    title: str
    checks: tuple[CheckResult, ...]

    @property
    def status(self) -> Status:
        if any(c.status is Status.ERROR for c in self.checks):
            return Status.ERROR
        if all(c.status is Status.PASSED for c in self.checks):
            return Status.PASSED
        return Status.FAILED

    @property
    def first_problem(self) -> CheckResult | None:
        return next((c for c in self.checks if c.status is not Status.PASSED), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "title": self.title,
            "status": self.status.value,
            "checks": [c.to_dict() for c in self.checks],
        }
