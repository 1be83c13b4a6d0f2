"""Linux checks, run inside the box: files, folders, users, processes, ports, commands, services, local HTTP."""
from __future__ import annotations

import re
import shlex
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, LabctlError, ServiceUnavailable

# Separates a command's stdout from its stderr in the single stream exec returns.
_STDERR_MARK = "\x1elabctl-stderr\x1e"
_NAME = r"^[a-z_][a-z0-9_.-]*\$?$"


def _exec(ctx: CheckContext, check: Check, argv: list[str], user: str | None = None) -> tuple[int, str]:
    ctx.service(check.service)  # a stopped box is an error, not the learner's failure
    if ctx.exec is None:
        raise CheckError("this check runs commands in the box, and the container runtime cannot")
    try:
        return ctx.exec(check.service, argv, user)
    except LabctlError as exc:
        raise ServiceUnavailable(f"cannot run commands in {check.service}: {exc}") from exc


def _mode(value: str) -> str:
    """'644', '0644', '4755' -> '0644', '4755'."""
    return format(int(value, 8), "04o")


class _PathCheck(Check):
    path: str = Field(min_length=2, pattern=r"^/")
    exists: bool = True
    mode: str | None = Field(None, pattern=r"^0?[0-7]{3,4}$", description="Octal, e.g. \"0644\".")
    owner: str | None = None
    group: str | None = None

    want: ClassVar[str] = "file"

    def _stat(self, ctx: CheckContext) -> tuple[str, str, str, str] | None:
        # -L: a link counts as what it points to (sites-enabled/app is usually a link).
        code, out = _exec(ctx, self, ["stat", "-L", "-c", "%F|%a|%U|%G", "--", self.path])
        if code != 0:
            if "No such file" in out or "cannot statx" in out or "cannot stat" in out:
                return None
            raise CheckError(f"stat {self.path} failed: {out.strip()}")
        kind, mode, owner, group = out.strip().split("|")
        return kind, _mode(mode), owner, group

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
        if self.mode is not None and mode != _mode(self.mode):
            return failed(f"{self.path} has mode {mode}; expected {_mode(self.mode)} (`sudo chmod {_mode(self.mode)} {self.path}`)",
                          expected=_mode(self.mode), found=mode, evidence=evidence)
        if self.owner is not None and owner != self.owner:
            return failed(f"{self.path} is owned by {owner}; expected {self.owner} (`sudo chown {self.owner} {self.path}`)",
                          expected=self.owner, found=owner, evidence=evidence)
        if self.group is not None and group != self.group:
            return failed(f"{self.path} belongs to group {group}; expected {self.group} (`sudo chgrp {self.group} {self.path}`)",
                          expected=self.group, found=group, evidence=evidence)
        return None


# ---- linux.file ---------------------------------------------------------------------------------

@register("linux.file", service_kind="linuxbox")
class LinuxFile(_PathCheck):
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
        code, content = _exec(ctx, self, ["head", "-c", "1000000", "--", self.path])
        if code != 0:
            raise CheckError(f"cannot read {self.path}: {content.strip()}")
        evidence = f"cat {self.path}"
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
class LinuxDirectory(_PathCheck):
    want: ClassVar[str] = "directory"

    def describe(self) -> str:
        return f"folder {self.path}" + ("" if self.exists else " is absent")

    def run(self, ctx: CheckContext) -> Outcome:
        return self._common(ctx) or passed(f"{self.path} is a folder as expected")


# ---- linux.user ---------------------------------------------------------------------------------

@register("linux.user", service_kind="linuxbox")
class LinuxUser(Check):
    name: str = Field(pattern=_NAME)
    exists: bool = True
    groups: list[str] = []
    shell: str | None = None
    home: str | None = None

    def describe(self) -> str:
        return f"user {self.name}"

    def run(self, ctx: CheckContext) -> Outcome:
        code, out = _exec(ctx, self, ["getent", "passwd", self.name])
        evidence = f"getent passwd {self.name}; id -nG {self.name}"
        if code != 0:
            if not self.exists:
                return passed(f"there is no user {self.name}")
            return failed(f"user {self.name} does not exist; create it with `sudo useradd -m {self.name}`",
                          expected=self.name, found=None, evidence=evidence)
        if not self.exists:
            return failed(f"user {self.name} exists; expected it to be removed (`sudo userdel -r {self.name}`)",
                          expected="absent", found=self.name, evidence=evidence)
        fields = out.strip().split(":")
        home, shell = fields[5], fields[6]
        if self.shell is not None and shell != self.shell:
            return failed(f"{self.name}'s login shell is {shell or '(none)'}; expected {self.shell} "
                          f"(`sudo chsh -s {self.shell} {self.name}`)", expected=self.shell, found=shell, evidence=evidence)
        if self.home is not None and home != self.home:
            return failed(f"{self.name}'s home is {home}; expected {self.home}", expected=self.home, found=home, evidence=evidence)
        if self.groups:
            code, out = _exec(ctx, self, ["id", "-nG", self.name])
            if code != 0:
                raise CheckError(f"id -nG {self.name} failed: {out.strip()}")
            has = out.split()
            missing = [g for g in self.groups if g not in has]
            if missing:
                return failed(f"{self.name} is not in group{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                              f"(its groups: {', '.join(has)}); add it with `sudo usermod -aG {','.join(missing)} {self.name}`",
                              expected=self.groups, found=has, evidence=evidence)
        return passed(f"user {self.name} is as expected")


# ---- linux.process ------------------------------------------------------------------------------

@register("linux.process", service_kind="linuxbox")
class LinuxProcess(Check):
    name: str | None = Field(None, description="The program's name as ps shows it (comm), e.g. nginx.")
    command: str | None = Field(None, description="A regular expression searched in the full command line.")
    user: str | None = Field(None, pattern=_NAME)
    running: bool = True

    @model_validator(mode="after")
    def _one(self) -> "LinuxProcess":
        if (self.name is None) == (self.command is None):
            raise ValueError("give exactly one of name or command")
        if self.command is not None:
            re.compile(self.command)
        return self

    def describe(self) -> str:
        return f"process {self.name or '/' + str(self.command) + '/'}" + ("" if self.running else " is not running")

    def run(self, ctx: CheckContext) -> Outcome:
        code, out = _exec(ctx, self, ["ps", "-eo", "pid=,user:64=,comm:64=,args="])
        if code != 0:
            raise CheckError(f"ps failed: {out.strip()}")
        what = f"process named {self.name}" if self.name else f"process matching /{self.command}/"
        found = []
        for line in out.splitlines():
            parts = line.split(None, 3)
            if len(parts) < 4 or parts[3].startswith("ps -eo pid=,user:64="):
                continue
            _, user, comm, args = parts
            if (self.name and comm == self.name[:15]) or (self.command and re.search(self.command, args)):
                found.append((user, args))
        evidence = "ps -eo pid,user,comm,args"
        if not self.running:
            if found:
                return failed(f"a {what} is still running (as {found[0][0]}: {found[0][1][:80]})",
                              expected="not running", found=[a for _, a in found], evidence=evidence)
            return passed(f"no {what} is running")
        if not found:
            hint = f"; start it with `sudo systemctl start {self.name}`" if self.name else ""
            return failed(f"no {what} is running{hint}", expected=what, found=None, evidence=evidence)
        if self.user and not any(u == self.user for u, _ in found):
            users = sorted({u for u, _ in found})
            return failed(f"the {what} runs as {', '.join(users)}; expected it to run as {self.user}",
                          expected=self.user, found=users, evidence=evidence)
        return passed(f"a {what} is running" + (f" as {self.user}" if self.user else ""))


# ---- linux.port_listening -----------------------------------------------------------------------

@register("linux.port_listening", service_kind="linuxbox")
class LinuxPortListening(Check):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    listening: bool = True
    process: str | None = Field(None, description="The program that must own the socket, e.g. nginx.")

    def describe(self) -> str:
        return f"{self.protocol.upper()} port {self.port} " + ("is listening" if self.listening else "is closed")

    def run(self, ctx: CheckContext) -> Outcome:
        flag = "-Hltnp" if self.protocol == "tcp" else "-Hlunp"
        code, out = _exec(ctx, self, ["ss", flag])
        if code != 0:
            raise CheckError(f"ss failed: {out.strip()}")
        ports, owners = set(), []
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 5:
                continue
            port = fields[3].rsplit(":", 1)[-1]
            if port.isdigit():
                ports.add(int(port))
                if int(port) == self.port:
                    owners += re.findall(r'\(\("([^"]+)"', line)
        owners = sorted(set(owners))  # one socket per address family: sshd, sshd
        name = f"{self.protocol.upper()} port {self.port}"
        evidence = f"ss {flag}"
        others = ", ".join(str(p) for p in sorted(ports)) or "none"
        if not self.listening:
            if self.port in ports:
                return failed(f"something listens on {name} ({', '.join(owners) or 'unknown program'}); expected it closed",
                              expected="closed", found=owners, evidence=evidence)
            return passed(f"nothing listens on {name}")
        if self.port not in ports:
            return failed(f"nothing listens on {name} (listening: {others}); start the program that should serve it",
                          expected=self.port, found=sorted(ports), evidence=evidence)
        if self.process and self.process not in owners:
            return failed(f"{name} is held by {', '.join(owners) or 'an unknown program'}; expected {self.process}",
                          expected=self.process, found=owners, evidence=evidence)
        return passed(f"{name} is listening" + (f" ({self.process})" if self.process else ""))


# ---- linux.command ------------------------------------------------------------------------------

@register("linux.command", service_kind="linuxbox")
class LinuxCommand(Check):
    argv: list[str] | None = Field(None, min_length=1)
    run_: str | None = Field(None, alias="run", min_length=1, description="A bash command line.")
    user: str | None = Field("learner", pattern=_NAME, description="Who runs it (default learner; root for root).")
    exit_code: int | None = 0
    stdout_contains: str | None = None
    stdout_matches: str | None = None
    message: str | None = Field(None, description="Said to the learner when the command does not do what is expected.")
    explains: bool = Field(False, description="The command is a checker that prints the learner-facing reason when it "
                                              "fails: show only what it printed.")

    @model_validator(mode="after")
    def _one(self) -> "LinuxCommand":
        if (self.argv is None) == (self.run_ is None):
            raise ValueError("give exactly one of argv or run")
        if self.stdout_matches is not None:
            re.compile(self.stdout_matches)
        return self

    @property
    def shown(self) -> str:
        """The command as the learner may read it: one line, at most 60 characters."""
        text = self.run_ if self.run_ is not None else shlex.join(self.argv or [])
        first = text.strip().splitlines()[0] if text.strip() else text
        return first if len(first) <= 60 and first == text.strip() else first[:57].rstrip() + "…"

    def describe(self) -> str:
        return f"`{self.shown}`"

    def run(self, ctx: CheckContext) -> Outcome:
        inner = ["bash", "-c", self.run_] if self.run_ is not None else list(self.argv or [])
        # Run from the user's home with stderr kept apart; the command arrives as "$@", never re-parsed.
        wrapper = ('cd "$HOME" 2>/dev/null; err=$(mktemp); "$@" 2>"$err"; code=$?; '
                   f'printf "{_STDERR_MARK}"; cat "$err"; rm -f "$err"; exit $code')
        code, out = _exec(ctx, self, ["bash", "-c", wrapper, "labctl", *inner], self.user)
        stdout, _, stderr = out.partition(_STDERR_MARK)
        said = (stderr.strip() or stdout.strip())[-300:]
        evidence = f"as {self.user or 'root'}: {self.run_ if self.run_ is not None else shlex.join(self.argv or [])}"
        if self.exit_code is not None and code != self.exit_code:
            if self.explains and said:
                return failed(said, expected=self.exit_code, found=code, evidence=evidence)
            text = self.message or f"`{self.shown}` exited with code {code}; expected {self.exit_code}"
            return failed(text + (f": {said}" if said else ""), expected=self.exit_code, found=code, evidence=evidence)
        if self.stdout_contains is not None and self.stdout_contains not in stdout:
            text = self.message or f"the output of `{self.shown}` does not contain {self.stdout_contains!r}"
            return failed(text, expected=self.stdout_contains, found=stdout[-500:], evidence=evidence)
        if self.stdout_matches is not None and not re.search(self.stdout_matches, stdout, re.MULTILINE):
            text = self.message or f"the output of `{self.shown}` does not match /{self.stdout_matches}/"
            return failed(text, expected=self.stdout_matches, found=stdout[-500:], evidence=evidence)
        return passed(f"`{self.shown}` did what was expected")


# ---- linux.service ------------------------------------------------------------------------------

@register("linux.service", service_kind="linuxbox")
class LinuxService(Check):
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$", description="The unit, e.g. nginx or myapp.service.")
    active: bool | None = True
    enabled: bool | None = None

    def describe(self) -> str:
        wants = [w for w, on in (("running", self.active), ("enabled", self.enabled)) if on]
        return f"service {self.name}" + (f" is {' and '.join(wants)}" if wants else "")

    def run(self, ctx: CheckContext) -> Outcome:
        unit = self.name.removesuffix(".service")
        code, out = _exec(ctx, self, ["systemctl", "is-enabled", unit])
        enabled_state = out.strip().splitlines()[-1] if out.strip() else ""
        if "No such file" in out:
            return failed(f"there is no service called {unit}; write its unit file to /etc/systemd/system/{unit}.service",
                          expected=unit, found=None, evidence=f"systemctl is-enabled {unit}")
        _, out = _exec(ctx, self, ["systemctl", "is-active", unit])
        state = out.strip() or "unknown"
        evidence = f"systemctl is-active {unit}: {state}; systemctl is-enabled {unit}: {enabled_state}"
        if self.active and state != "active":
            why = ""
            if state == "failed":
                _, status = _exec(ctx, self, ["systemctl", "status", unit])
                evidence += "\n" + status.strip()
                why = f", it failed: see `systemctl status {unit}` and `journalctl -u {unit}`; fix it, then"
            return failed(f"{unit} is not running ({state}){why}; start it with `sudo systemctl start {unit}`",
                          expected="active", found=state, evidence=evidence)
        if self.active is False and state == "active":
            return failed(f"{unit} is running; expected it stopped (`sudo systemctl stop {unit}`)",
                          expected="inactive", found=state, evidence=evidence)
        if self.enabled and code != 0:
            return failed(f"{unit} is not enabled, so it will not start when the box restarts; "
                          f"enable it with `sudo systemctl enable {unit}`", expected="enabled", found=enabled_state, evidence=evidence)
        if self.enabled is False and code == 0:
            return failed(f"{unit} is enabled; expected it disabled (`sudo systemctl disable {unit}`)",
                          expected="disabled", found=enabled_state, evidence=evidence)
        return passed(self.describe(), evidence=evidence)


# ---- linux.http ---------------------------------------------------------------------------------

@register("linux.http", service_kind="linuxbox")
class LinuxHttp(Check):
    url: str = Field(pattern=r"^https?://", description="A URL as seen from inside the box, e.g. http://localhost/.")
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] = "GET"
    status: int | None = Field(200, ge=100, le=599)
    body_contains: str | None = None
    header: dict[str, str] = Field({}, description="Headers the answer must carry (value substring, name case-insensitive).")

    def describe(self) -> str:
        return f"{self.method} {self.url}" + (f" answers {self.status}" if self.status else "")

    def run(self, ctx: CheckContext) -> Outcome:
        limit = max(1, int(min(ctx.timeout, self.timeout or ctx.timeout)) - 1)
        # --stderr -: curl's error goes to stdout in order, so it is never split by the status it writes there.
        argv = ["curl", "-sS", "--stderr", "-", "-X", self.method, "--max-time", str(limit), "-D", "-",
                "-w", f"{_STDERR_MARK}%{{http_code}}", "--", self.url]
        code, out = _exec(ctx, self, argv)
        evidence = f"curl -X {self.method} {self.url} (inside the box)"
        if code != 0:
            said = re.search(r"curl: (\(\d+\)[^\n\x1e]*)", out)
            reason = said.group(1).strip() if said else f"curl exit code {code}"
            hint = " Is the web server running? (`systemctl status nginx`)" if code == 7 else ""
            return failed(f"{self.url} did not answer: {reason}.{hint}", expected=self.status, found=None, evidence=evidence)
        response, _, status_text = out.rpartition(_STDERR_MARK)
        head, _, body = response.partition("\r\n\r\n")
        status = int(status_text.strip()[:3] or 0)
        if self.status is not None and status != self.status:
            return failed(f"{self.method} {self.url} answered {status}; expected {self.status}",
                          expected=self.status, found=status, evidence=evidence)
        headers = {}
        for line in head.splitlines()[1:]:
            k, sep, v = line.partition(":")
            if sep:
                headers[k.strip().lower()] = v.strip()
        for name, value in self.header.items():
            got = headers.get(name.lower())
            if got is None or value not in got:
                return failed(f"{self.url}'s answer has {name}: {got or '(none)'}; expected {value!r} in it",
                              expected=value, found=got, evidence=evidence)
        if self.body_contains is not None and self.body_contains not in body:
            return failed(f"the page at {self.url} does not contain {self.body_contains!r}",
                          expected=self.body_contains, found=body[:500], evidence=evidence)
        return passed(f"{self.method} {self.url} answered {status}", evidence=evidence)
