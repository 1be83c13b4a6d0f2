"""Linux checks on what runs inside the box: processes, listening ports, commands, services, local HTTP."""
from __future__ import annotations

import re
import shlex
from typing import Literal

from pydantic import Field, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .common import NAME_PATTERN, STDERR_MARK, accounts, box_processes, listeners, run_in_box, shortened

# ---- linux.process ------------------------------------------------------------------------------

@register("linux.process", service_kind="linuxbox")
class LinuxProcess(Check):
    name: str | None = Field(None, description="The program's name as ps shows it (comm), e.g. nginx.")
    command: str | None = Field(None, description="A regular expression searched in the full command line.")
    user: str | None = Field(None, pattern=NAME_PATTERN)
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
        processes = box_processes(ctx, self)
        names = accounts(ctx, self)
        what = f"process named {self.name}" if self.name else f"process matching /{self.command}/"
        found = [(names.user_name(p.uid), p.args) for p in processes
                 if (self.name and p.comm[:15] == self.name[:15]) or (self.command and re.search(self.command, p.args))]
        evidence = "ps -eo pid,uid,comm,args (seen from outside the box)"
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
    user: str | None = Field(None, pattern=NAME_PATTERN, description="The user whose process holds the socket.")
    system_user: bool = Field(False, description="That user is a system user (uid 1-999): never root, not a person's account.")
    loopback_only: bool | None = Field(None, description="true: reachable from inside the box only (127.0.0.1 or "
                                                         "::1); false: on an address other machines can reach.")
    unit: str | None = Field(None, pattern=r"^[A-Za-z0-9_.@-]+$", description="The service that should serve the port "
                                                                             "(named in the hints of a failure).")

    def describe(self) -> str:
        where = {True: " on 127.0.0.1 only", False: " beyond loopback", None: ""}[self.loopback_only]
        who = f", as {self.user}" if self.user else ""
        return f"{self.protocol.upper()} port {self.port} " + ("is listening" + where + who if self.listening else "is closed")

    def run(self, ctx: CheckContext) -> Outcome:
        found = listeners(ctx, self, self.protocol)
        mine = [item for item in found if item.port == self.port]
        ports = sorted({item.port for item in found})
        owners = sorted({p for item in mine for p in item.programs})  # one socket per address family: sshd, sshd
        name = f"{self.protocol.upper()} port {self.port}"
        evidence = f"ss -Hl{self.protocol[0]}npe (seen from outside the box)"
        others = ", ".join(str(p) for p in ports) or "none"
        restart = f"`sudo systemctl restart {self.unit}`" if self.unit else "restart it"
        if not self.listening:
            if mine:
                return failed(f"something listens on {name} ({', '.join(owners) or 'unknown program'}); expected it closed",
                              expected="closed", found=owners, evidence=evidence)
            return passed(f"nothing listens on {name}")
        if not mine:
            look = f" (`sudo systemctl status {self.unit}`, `journalctl -u {self.unit}`)" if self.unit else ""
            return failed(f"nothing listens on {name} (listening: {others}); start the program that should serve it{look}",
                          expected=self.port, found=ports, evidence=evidence)
        if self.process and self.process not in owners:
            return failed(f"{name} is held by {', '.join(owners) or 'an unknown program'}; expected {self.process}",
                          expected=self.process, found=owners, evidence=evidence)
        addresses = sorted({item.address for item in mine})
        if self.loopback_only:
            wide = sorted({item.address for item in mine if not item.loopback})
            if wide:
                return failed(f"{name} is open on {', '.join(wide)}, not only on 127.0.0.1: anyone who reaches the box "
                              f"could bypass nginx. Make the program listen on 127.0.0.1 (its host or bind setting), "
                              f"then {restart}", expected="127.0.0.1", found=wide, evidence=evidence)
        if self.loopback_only is False and all(item.loopback for item in mine):
            return failed(f"{name} listens on {', '.join(addresses)} only, which nothing outside the box can reach; "
                          f"listen on 0.0.0.0 (all addresses)", expected="0.0.0.0", found=addresses, evidence=evidence)
        users = ""
        if self.user is not None or self.system_user:
            names = accounts(ctx, self)
            for uid in sorted({item.uid for item in mine}):
                who = names.user_name(uid)
                if self.user is not None and who != self.user:
                    fix = (f"User={self.user} in the [Service] section of the unit, `sudo systemctl daemon-reload`, then "
                           f"{restart}" if self.unit else f"run it as {self.user}")
                    return failed(f"the program listening on {name} runs as {who}; expected {self.user}: {fix}",
                                  expected=self.user, found=who, evidence=evidence)
                if self.system_user and not 0 < uid < 1000:
                    what = "root" if uid == 0 else f"{who} (uid {uid}), a person's account"
                    return failed(f"the program listening on {name} runs as {what}; run it as a system user of its own "
                                  f"(`sudo useradd --system ...`, uid below 1000)",
                                  expected="a system user", found=who, evidence=evidence)
            users = " as " + ", ".join(sorted({names.user_name(item.uid) for item in mine}))
        return passed(f"{name} is listening on {', '.join(addresses)}" + (f" ({self.process})" if self.process else "")
                      + users, evidence=evidence)


# ---- linux.command ------------------------------------------------------------------------------

@register("linux.command", service_kind="linuxbox")
class LinuxCommand(Check):
    argv: list[str] | None = Field(None, min_length=1)
    run_: str | None = Field(None, alias="run", min_length=1, description="A bash command line.")
    user: str | None = Field("learner", pattern=NAME_PATTERN, description="Who runs it (default learner; root for root).")
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
                   f'printf "{STDERR_MARK}"; cat "$err"; rm -f "$err"; exit $code')
        code, out = run_in_box(ctx, self, ["bash", "-c", wrapper, "labctl", *inner], self.user)
        stdout, _, stderr = out.partition(STDERR_MARK)
        said = shortened(stderr.strip() or stdout.strip())
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
        code, out = run_in_box(ctx, self, ["systemctl", "is-enabled", unit])
        enabled_state = out.strip().splitlines()[-1] if out.strip() else ""
        if "No such file" in out:
            return failed(f"there is no service called {unit}; write its unit file to /etc/systemd/system/{unit}.service",
                          expected=unit, found=None, evidence=f"systemctl is-enabled {unit}")
        _, out = run_in_box(ctx, self, ["systemctl", "is-active", unit])
        state = out.strip() or "unknown"
        evidence = f"systemctl is-active {unit}: {state}; systemctl is-enabled {unit}: {enabled_state}"
        if self.active and state != "active":
            why = ""
            if state == "failed":
                _, status = run_in_box(ctx, self, ["systemctl", "status", unit])
                evidence += "\n" + status.strip()
                why = f", it failed: see `systemctl status {unit}` and `journalctl -u {unit}`; fix it, then"
            return failed(f"{unit} is not running ({state}){why}; start it with `sudo systemctl start {unit}`",
                          expected="active", found=state, evidence=evidence)
        if self.active is False and state == "active":
            return failed(f"{unit} is running; expected it stopped (`sudo systemctl stop {unit}`)",
                          expected="inactive", found=state, evidence=evidence)
        # is-enabled exits 0 for static and alias units too: only the word "enabled" is enabled.
        is_enabled = code == 0 and enabled_state == "enabled"
        if self.enabled and not is_enabled:
            return failed(f"{unit} is not enabled, so it will not start when the box restarts; "
                          f"enable it with `sudo systemctl enable {unit}`", expected="enabled", found=enabled_state, evidence=evidence)
        if self.enabled is False and is_enabled:
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
                "-w", f"{STDERR_MARK}%{{http_code}}", "--", self.url]
        code, out = run_in_box(ctx, self, argv)
        evidence = f"curl -X {self.method} {self.url} (inside the box)"
        if code != 0:
            said = re.search(r"curl: (\(\d+\)[^\n\x1e]*)", out)
            reason = said.group(1).strip() if said else f"curl exit code {code}"
            hint = " Is the web server running? (`systemctl status nginx`)" if code == 7 else ""
            return failed(f"{self.url} did not answer: {reason}.{hint}", expected=self.status, found=None, evidence=evidence)
        response, _, status_text = out.rpartition(STDERR_MARK)
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
