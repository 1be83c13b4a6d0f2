"""Linux checks on the file system and accounts inside the box: files, folders, users."""
from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, field_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import NAME_PATTERN, PathCheck, accounts, path_facts

# ---- linux.file ---------------------------------------------------------------------------------

@register("linux.file", service_kind="linuxbox")
class LinuxFile(PathCheck):
    contains: str | None = None
    matches: str | None = Field(None, description="A regular expression searched in the content (multiline).")
    equals: str | None = Field(None, description="The whole content; a trailing newline is ignored.")

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    def describe(self) -> str:
        return f"file {self.path}" + ("" if self.exists else " is absent")

    def run(self, ctx: CheckContext) -> Outcome:
        problem = self._common(ctx)
        if problem is not None:
            return problem
        if self.contains is None and self.matches is None and self.equals is None:
            return passed(f"{self.path} is as expected")
        facts = path_facts(ctx, self, self.path, content=True)
        if facts is None or facts.content is None:
            raise CheckError(f"cannot read {self.path}")
        content = facts.content.decode(errors="replace")
        evidence = f"cat {self.path} (read through the container engine)"
        if self.contains is not None and self.contains not in content:
            return failed(f"{self.path} does not contain {self.contains!r}", expected=self.contains,
                          found=content[:500], evidence=evidence)
        if self.matches is not None and not re.search(self.matches, content, re.MULTILINE):
            return failed(f"no line of {self.path} matches /{self.matches}/", expected=self.matches,
                          found=content[:500], evidence=evidence)
        if self.equals is not None and content.rstrip("\n") != self.equals.rstrip("\n"):
            return failed(f"{self.path} does not hold exactly what was expected", expected=self.equals,
                          found=content[:500], evidence=evidence)
        return passed(f"{self.path} has the expected content")


# ---- linux.directory ----------------------------------------------------------------------------

@register("linux.directory", service_kind="linuxbox")
class LinuxDirectory(PathCheck):
    want: ClassVar[str] = "directory"

    def describe(self) -> str:
        return f"folder {self.path}" + ("" if self.exists else " is absent")

    def run(self, ctx: CheckContext) -> Outcome:
        return self._common(ctx) or passed(f"{self.path} is a folder as expected")


# ---- linux.user ---------------------------------------------------------------------------------

@register("linux.user", service_kind="linuxbox")
class LinuxUser(Check):
    name: str = Field(pattern=NAME_PATTERN)
    exists: bool = True
    groups: list[str] = []
    shell: str | None = None
    home: str | None = None

    def describe(self) -> str:
        return f"user {self.name}"

    def run(self, ctx: CheckContext) -> Outcome:
        names = accounts(ctx, self)
        fields = names.passwd.get(self.name)
        evidence = "/etc/passwd and /etc/group (read through the container engine)"
        if fields is None:
            if not self.exists:
                return passed(f"there is no user {self.name}")
            return failed(f"user {self.name} does not exist; create it with `sudo useradd -m {self.name}`",
                          expected=self.name, found=None, evidence=evidence)
        if not self.exists:
            return failed(f"user {self.name} exists; expected it to be removed (`sudo userdel -r {self.name}`)",
                          expected="absent", found=self.name, evidence=evidence)
        home, shell = fields[5], fields[6]
        if self.shell is not None and shell != self.shell:
            return failed(f"{self.name}'s login shell is {shell or '(none)'}; expected {self.shell} "
                          f"(`sudo chsh -s {self.shell} {self.name}`)", expected=self.shell, found=shell, evidence=evidence)
        if self.home is not None and home != self.home:
            return failed(f"{self.name}'s home is {home}; expected {self.home}", expected=self.home, found=home, evidence=evidence)
        if self.groups:
            has = names.groups_of(self.name)
            missing = [g for g in self.groups if g not in has]
            if missing:
                return failed(f"{self.name} is not in group{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                              f"(its groups: {', '.join(has)}); add it with `sudo usermod -aG {','.join(missing)} {self.name}`",
                              expected=self.groups, found=has, evidence=evidence)
        return passed(f"user {self.name} is as expected")
