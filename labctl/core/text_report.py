"""Check results as plain text, the way `labctl check` says them (for assertion messages and logs)."""
from __future__ import annotations

from typing import Iterable

from labctl.check_engine.result import Status, TaskResult

MARK = {Status.PASSED: "✔", Status.FAILED: "✘", Status.ERROR: "!"}


def render(results: Iterable[TaskResult], *, all_checks: bool = False) -> str:
    lines: list[str] = []
    for result in results:
        lines.append(f"{MARK[result.status]} {result.title} ({result.task})")
        said: set[str] = set()
        for check in result.checks:
            if (check.status is Status.PASSED and not all_checks) or check.message in said:
                continue
            said.add(check.message)
            first, *rest = check.message.splitlines() or [""]
            lines.append(f"    {MARK[check.status]} {first}")
            lines.extend(f"      {line}" for line in rest)
    return "\n".join(lines)
