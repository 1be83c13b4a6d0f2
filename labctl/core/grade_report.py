"""A grade's result, and its three written forms: results JSON (docs/grading.md), JUnit XML, Markdown."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from labctl.core.errors import LabctlError
from labctl.core.text import printable

FORMAT_VERSION = 1


@dataclass(frozen=True)
class GradeTest:
    name: str  # the task's title
    task: str
    status: str  # pass | fail | error
    message: str  # why it did not pass ("" when it did)
    duration: float
    weight: int

    def __post_init__(self) -> None:  # the message quotes the learner's work: no control characters
        object.__setattr__(self, "message", printable(self.message))

    @property
    def score(self) -> int:
        return self.weight if self.status == "pass" else 0


@dataclass(frozen=True)
class GradeNote:
    """Something about the submission itself, e.g. a file that failed to apply."""

    file: str
    message: str

    def __post_init__(self) -> None:  # a submission's file names and errors are the learner's: no control characters
        object.__setattr__(self, "file", printable(self.file))
        object.__setattr__(self, "message", printable(self.message))


@dataclass
class GradeReport:
    lab: str
    title: str
    tests: list[GradeTest] = field(default_factory=list)
    notes: list[GradeNote] = field(default_factory=list)
    error: str | None = None  # grading could not run (engine unreachable, a service never answered)
    error_exit_code: int = 1
    # The submission holds the lab's reference submission byte for byte (`labctl lab submission`): a fact for
    # the course team, not a failure. None: not known (the lab has no submission form).
    holds_reference: bool | None = None
    # Where the submission's own code ran: {language, image, versions}; None when it ran none, or on the host.
    runner: dict[str, str] | None = None
    duration: float = 0.0
    timestamp: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())

    def fail_to_run(self, exc: LabctlError, *, exit_code: int) -> None:
        self.error = printable(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
        self.error_exit_code = exit_code

    @property
    def status(self) -> str:
        if self.error is not None or any(t.status == "error" for t in self.tests):
            return "error"
        return "pass" if self.tests and all(t.status == "pass" for t in self.tests) else "fail"

    @property
    def score(self) -> int:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> int:
        return sum(t.weight for t in self.tests)

    def to_dict(self) -> dict:
        """The results JSON, version 1: its schema is docs/grade-results.schema.json."""
        return {
            "version": FORMAT_VERSION,
            "lab": self.lab,
            "status": self.status,
            "message": self.error,
            "score": self.score,
            "max_score": self.max_score,
            "duration": round(self.duration, 3),
            "timestamp": self.timestamp,
            "tests": [{"name": t.name, "task_id": t.task, "status": t.status, "message": t.message or None,
                       "duration": round(t.duration, 3), "weight": t.weight, "score": t.score} for t in self.tests],
            "notes": [{"file": n.file, "message": n.message} for n in self.notes],
            "holds_reference": self.holds_reference,
            "runner": self.runner,
        }

    def junit_xml(self) -> bytes:
        """JUnit XML as CI systems render it: one testsuite, one testcase per task."""
        from labctl.core import junit

        suite = junit.Suite(self.lab, properties={"score": str(self.score), "max_score": str(self.max_score),
                                                  "status": self.status}, timestamp=self.timestamp,
                            output="\n".join(f"{n.file}: {n.message}" for n in self.notes))
        if self.error:
            suite.cases.append(junit.Case("grading", self.lab, 0.0, "error", self.error))
        for test in self.tests:
            suite.cases.append(junit.Case(f"{test.task}: {test.name}", self.lab, test.duration, test.status, test.message))
        return junit.to_xml(f"labctl grade {self.lab}", [suite])

    def markdown(self) -> str:
        """A summary for $GITHUB_STEP_SUMMARY."""
        mark = {"pass": "✅", "fail": "❌", "error": "⚠️"}
        lines = [f"## labctl grade: {self.lab}: {self.score}/{self.max_score} {mark[self.status]}", ""]
        if self.error:
            lines += [f"Grading could not run: {_cell(self.error)}", ""]
        if self.tests:
            lines += ["| task | result | points | what is missing |", "|---|---|---|---|"]
            for t in self.tests:
                lines.append(f"| {_cell(t.name)} (`{t.task}`) | {mark[t.status]} {t.status} | {t.score}/{t.weight} "
                             f"| {_cell(t.message)} |")
            lines.append("")
        for note in self.notes:
            lines.append(f"- `{note.file}`: {_cell(note.message)}")
        return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    flat = " ".join((text or "").split())
    flat = flat.replace("|", "\\|")
    return flat if len(flat) <= 300 else flat[:300] + "..."
