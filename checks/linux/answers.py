"""linux.answers: what a learner found by looking at the box, written as KEY=VALUE lines, compared with the truth
worked out from outside the box when the check runs (a file's content, a process's listening port, du)."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, Unverifiable

from .common import box_processes, listeners, observe, path_facts

BOX_ROOT = "/proc/1/root"  # the box's root, seen from the observer that shares its processes


class Truth(BaseModel):
    """Where one answer's right value comes from: exactly one of from_file, port_of, largest_in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_file: str | None = Field(None, pattern=r"^/", description="A file of the box whose first line matching "
                                                                    "`pattern` holds the answer (its group 1).")
    pattern: str | None = Field(None, description="With from_file: a regular expression with one group.")
    port_of: str | None = Field(None, description="A regular expression on a process's full command line: the "
                                                  "answer is a TCP port such a process listens on.")
    largest_in: str | None = Field(None, pattern=r"^/", description="A folder of the box: the answer is the name "
                                                                    "of its entry that takes the most disk space.")
    missing: str = Field(description="Said when the answers file has no such line: how to find the value.")
    wrong: str = Field(description="Said when the value is not right ({value} is the learner's); never the truth.")
    near_pattern: str | None = Field(None, description="With from_file: a regular expression with one group whose "
                                                       "matches are near answers (the same field of other lines).")
    near: str | None = Field(None, description="Said instead of `wrong` when the value is a near answer.")

    @model_validator(mode="after")
    def _one(self) -> "Truth":
        given = [f for f in ("from_file", "port_of", "largest_in") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of from_file, port_of, largest_in")
        if (self.from_file is None) != (self.pattern is None):
            raise ValueError("from_file and pattern go together")
        for regex in (self.pattern, self.near_pattern):
            if regex is not None and re.compile(regex).groups != 1:
                raise ValueError(f"/{regex}/ needs exactly one group: the answer")
        if self.port_of is not None:
            re.compile(self.port_of)
        if (self.near_pattern is None) != (self.near is None) or (self.near_pattern and self.from_file is None):
            raise ValueError("near_pattern and near go together, with from_file")
        return self


def read_answers(text: str) -> dict[str, str]:
    """KEY=VALUE (or KEY: VALUE) lines; spaces, quotes, a CR at the end ignored; the last line of a key counts."""
    found = {}
    for line in text.replace("\r", "\n").splitlines():
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.*?)\s*$", line)
        if m:
            found[m.group(1)] = m.group(2).strip("\"'")
    return found


@register("linux.answers", service_kind="linuxbox")
class LinuxAnswers(Check):
    file: str = Field(pattern=r"^/", description="The learner's answers file in the box, KEY=VALUE per line.")
    answers: dict[str, Truth] = Field(min_length=1)

    @field_validator("answers")
    @classmethod
    def _keys(cls, value: dict[str, Truth]) -> dict[str, Truth]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise ValueError(f"{key!r}: a key is letters, digits and _")
        return value

    def describe(self) -> str:
        return f"the answers in {self.file}"

    def run(self, ctx: CheckContext) -> Outcome:
        facts = path_facts(ctx, self, self.file, content=True)
        if facts is None or facts.content is None:
            keys = ", ".join(f"{k}=..." for k in self.answers)
            return failed(f"there is no {self.file} yet: create it with one line per answer ({keys})",
                          expected=self.file, found=None, evidence=f"{self.file} (read through the container engine)")
        given = read_answers(facts.content.decode(errors="replace"))
        problems = []
        for key, truth in self.answers.items():
            value = given.get(key, "")
            if not value:
                problems.append(f"{self.file} has no line {key}=...: {truth.missing}")
                continue
            if truth.largest_in is not None:
                value = value.rstrip("/").rsplit("/", 1)[-1]  # /srv/data/NAME/ or NAME
            right, near = self._truth(ctx, key, truth)
            if value in right:
                continue
            said = truth.near if truth.near and value in near else truth.wrong
            problems.append(f"{key}={value} " + said.replace("{value}", value))
        if problems:
            return failed(" ".join(problems), expected=list(self.answers), found=sorted(given),
                          evidence=f"{self.file}, and the box as seen from outside")
        return passed(f"the {len(self.answers)} answers in {self.file} are right")

    def _truth(self, ctx: CheckContext, key: str, truth: Truth) -> tuple[set[str], set[str]]:
        """(the right values, near answers: the same field of other lines of from_file)."""
        if truth.from_file is not None:
            facts = path_facts(ctx, self, truth.from_file, content=True)
            if facts is None or facts.content is None:
                raise Unverifiable(f"{truth.from_file} is missing, and the answer {key} comes from it: "
                                   "`labctl reset` makes it again")
            text = facts.content.decode(errors="replace")
            right = next((m.group(1) for m in re.finditer(truth.pattern or "", text, re.MULTILINE)), None)
            if right is None:
                raise Unverifiable(f"{truth.from_file} no longer has the line the answer {key} comes from: "
                                   "`labctl reset` makes it again")
            near = {m.group(1) for m in re.finditer(truth.near_pattern, text, re.MULTILINE)} if truth.near_pattern else set()
            return {right}, near - {right}
        if truth.port_of is not None:
            wanted = re.compile(truth.port_of)
            pids = {p.pid for p in box_processes(ctx, self) if wanted.search(p.args)}
            ports = {str(sock.port) for sock in listeners(ctx, self) if pids & set(sock.pids)}
            if not ports:
                raise Unverifiable(f"no process the answer {key} asks about listens now: is its service running? "
                                   "(`systemctl list-units --all` lists them; `sudo systemctl start NAME` starts one)")
            return ports, set()
        folder = BOX_ROOT + (truth.largest_in or "")
        code, out = observe(ctx, self, ["sh", "-c", 'for d in "$1"/*; do du -s -- "$d"; done', "labctl", folder])
        sizes = []
        for line in out.splitlines():
            size, _, path = line.partition("\t")
            if size.strip().isdigit():
                sizes.append((int(size), path.rstrip("/").rsplit("/", 1)[-1]))
        if not sizes:
            raise CheckError(f"cannot measure the folders in {truth.largest_in} (exit {code}): {out.strip()[:200]}")
        return {max(sizes)[1]}, set()

