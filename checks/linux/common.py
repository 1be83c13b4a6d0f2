"""What the linux.* checks share: running a command in the box, and the base of file and folder checks."""
from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, LabctlError, ServiceUnavailable

# Separates a command's stdout from its stderr in the single stream exec returns.
STDERR_MARK = "\x1elabctl-stderr\x1e"
NAME_PATTERN = r"^[a-z_][a-z0-9_.-]*\$?$"


def run_in_box(ctx: CheckContext, check: Check, argv: list[str], user: str | None = None) -> tuple[int, str]:
    ctx.service(check.service)  # a stopped box is an error, not the learner's failure
    if ctx.exec is None:
        raise CheckError("this check runs commands in the box, and the container runtime cannot")
    try:
        return ctx.exec(check.service, argv, user)
    except CheckError:
        raise  # e.g. the command outlived the check's time: the box itself answers
    except LabctlError as exc:
        raise ServiceUnavailable(f"cannot run commands in {check.service}: {exc}") from exc


def shortened(text: str, limit: int = 500) -> str:
    """Text for a learner's message, at most about `limit` characters, never cut mid-sentence.

    A checker says what is wrong last, so the last whole lines are kept, after a note saying how many
    lines were left out. A last line longer than `limit` keeps its start (where the claim is), up to the
    end of a sentence or clause, and says it was shortened."""
    text = text.strip()
    if len(text) <= limit:
        return text
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        if size + len(line) + 1 > limit:
            break
        kept.insert(0, line)
        size += len(line) + 1
    if kept:
        left_out = len(lines) - len(kept)
        return f"(shortened: {left_out} earlier line{'s' if left_out > 1 else ''} left out)\n" + "\n".join(kept)
    head = lines[-1][:limit]
    ends = [m.end() for m in re.finditer(r"[.;:!?](?=\s)", head)]
    if ends and ends[-1] >= limit // 3:
        head = head[:ends[-1]]
    elif " " in head[limit // 3:]:
        head = head[:head.rindex(" ")]
    return head.rstrip() + " … (shortened)"


def octal_mode(value: str) -> str:
    """'644', '0644', '4755' -> '0644', '4755'."""
    return format(int(value, 8), "04o")


class PathCheck(Check):
    path: str = Field(min_length=2, pattern=r"^/")
    exists: bool = True
    mode: str | None = Field(None, pattern=r"^0?[0-7]{3,4}$", description="Octal, e.g. \"0644\".")
    owner: str | None = None
    group: str | None = None

    want: ClassVar[str] = "file"

    def _stat(self, ctx: CheckContext) -> tuple[str, str, str, str] | None:
        # -L: a link counts as what it points to (sites-enabled/app is usually a link).
        code, out = run_in_box(ctx, self, ["stat", "-L", "-c", "%F|%a|%U|%G", "--", self.path])
        if code != 0:
            if "No such file" in out or "cannot statx" in out or "cannot stat" in out:
                return None
            raise CheckError(f"stat {self.path} failed: {out.strip()}")
        kind, mode, owner, group = out.strip().split("|")
        return kind, octal_mode(mode), owner, group

    def _common(self, ctx: CheckContext) -> Outcome | None:
        """A failure about existence, type, mode or ownership; None when all of them are right."""
        evidence = f"stat -L {self.path}"
        found = self._stat(ctx)
        what = "folder" if self.want == "directory" else "file"
        if found is None:
            if not self.exists:
                return passed(f"{self.path} does not exist", evidence=evidence)
            return failed(f"{self.path} does not exist; expected a {what} there", expected=what, found=None, evidence=evidence)
        kind, mode, owner, group = found
        if not self.exists:
            rm = "rm -r" if kind == "directory" else "rm"
            return failed(f"{self.path} exists; expected it to be gone (`sudo {rm} {self.path}`)",
                          expected="absent", found=kind, evidence=evidence)
        is_right = kind == "directory" if self.want == "directory" else kind.startswith("regular")
        if not is_right:
            return failed(f"{self.path} is a {kind}; expected a {'directory' if what == 'folder' else 'regular file'}",
                          expected=self.want, found=kind, evidence=evidence)
        if self.mode is not None and mode != octal_mode(self.mode):
            return failed(f"{self.path} has mode {mode}; expected {octal_mode(self.mode)} (`sudo chmod {octal_mode(self.mode)} {self.path}`)",
                          expected=octal_mode(self.mode), found=mode, evidence=evidence)
        if self.owner is not None and owner != self.owner:
            return failed(f"{self.path} is owned by {owner}; expected {self.owner} (`sudo chown {self.owner} {self.path}`)",
                          expected=self.owner, found=owner, evidence=evidence)
        if self.group is not None and group != self.group:
            return failed(f"{self.path} belongs to group {group}; expected {self.group} (`sudo chgrp {self.group} {self.path}`)",
                          expected=self.group, found=group, evidence=evidence)
        return None
