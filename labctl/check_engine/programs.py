"""Running a learner's program, as the checks see it: one run's result, and what runs it (on the host in the
workspace, or contained in a sandbox when graded: core/contained.py provides that one)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol

MAX_OUTPUT = 1 << 20  # bytes of stdout/stderr kept; a program printing forever is cut here


@dataclass(frozen=True)
class ProgramRun:
    exit_code: int | None  # None: stopped at the time limit
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


class ProgramRunner(Protocol):
    def __call__(self, command: str, stdin: bytes, *, time_limit: float, env: Mapping[str, str],
                 pass_env: Mapping[str, str] | None = None) -> ProgramRun:
        """Run a shell command in the learner's files with stdin; everything it started ends at the time limit.
        `pass_env`: variables the check made that mean the same where the command runs (a sandbox's own
        service URL). Raises OSError when it cannot be started at all."""


def decoded(data: bytes) -> str:
    """Output as text, cut at MAX_OUTPUT with a note that says so."""
    text = data[:MAX_OUTPUT].decode("utf-8", errors="replace")
    return text + ("\n[... output cut at 1 MiB ...]" if len(data) > MAX_OUTPUT else "")
