"""Linux checks on a served port, read from outside the box where the engine allows: which addresses it
listens on, as which user (linux.listener), and whether a killed server comes back by itself (linux.survives_kill).

The learner is root in the box and can replace `ss` or `ps` there: these checks look through a clean observer
(common.observe: the box's PID and network namespaces, the image's own binaries), and read files through the
engine's archive API. A socket's owner is read from the socket itself (ss -e: uid), so it is known even where
a process of another user cannot be mapped to its sockets (no ptrace).
"""
from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import NAME_PATTERN, observe, path_facts


# ---- looking from outside ------------------------------------------------------------------------

def file_text(ctx: CheckContext, check: Check, path: str) -> str | None:
    """The content of a regular file in the box, through the engine's archive API; None if there is none."""
    facts = path_facts(ctx, check, path, content=True)
    if facts is None or facts.kind != "file" or facts.content is None:
        return None
    return facts.content.decode("utf-8", errors="replace")


@dataclass
class Listener:
    address: str
    port: int
    uid: int
    pids: list[int] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)

    @property
    def loopback(self) -> bool:
        try:
            ip = ipaddress.ip_address(self.address.strip("[]").split("%")[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback


def parse_listeners(text: str) -> list[Listener]:
    """`ss -Hltnpe` lines -> listeners (a socket of root has no uid: field)."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "LISTEN":
            continue
        address, _, port = fields[3].rpartition(":")
        if not port.isdigit():
            continue
        uid = re.search(r"\buid:(\d+)", line)
        found.append(Listener(address, int(port), int(uid.group(1)) if uid else 0,
                              [int(p) for p in re.findall(r"pid=(\d+)", line)],
                              sorted(set(re.findall(r'\(\("([^"]+)"', line)))))
    return found


def listeners(ctx: CheckContext, check: Check, port: int) -> list[Listener]:
    code, out = observe(ctx, check, ["ss", "-Hltnpe"])
    if code != 0 and "LISTEN" not in out:
        raise CheckError(f"ss failed in the box: {out.strip()[:300]}")
    return [item for item in parse_listeners(out) if item.port == port]


def processes(ctx: CheckContext, check: Check) -> list[tuple[int, int, str]]:
    """(pid, uid, command line) of every process in the box."""
    code, out = observe(ctx, check, ["ps", "-eo", "pid=,uid=,args="])
    if code != 0:
        raise CheckError(f"ps failed in the box: {out.strip()[:300]}")
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            rows.append((int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else ""))
    return rows


def user_names(ctx: CheckContext, check: Check) -> dict[int, str]:
    """uid -> name from the box's own /etc/passwd."""
    names = {}
    for line in (file_text(ctx, check, "/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[2].isdigit():
            names.setdefault(int(parts[2]), parts[0])
    return names


def restart_hint(unit: str | None) -> str:
    return f"`sudo systemctl restart {unit}`" if unit else "restart it"


# ---- linux.listener -----------------------------------------------------------------------------

@register("linux.listener", service_kind="linuxbox")
class LinuxListener(Check):
    port: int = Field(ge=1, le=65535, description="The TCP port inside the box, e.g. 8000.")
    loopback_only: bool = Field(True, description="Every socket on the port is on 127.0.0.1 or ::1 (not 0.0.0.0, not [::]).")
    user: str | None = Field(None, pattern=NAME_PATTERN, description="The user whose process holds the socket.")
    system_user: bool = Field(False, description="That user is a system user (uid 1-999): never root, not a person's account.")
    unit: str | None = Field(None, pattern=r"^[A-Za-z0-9_.@-]+$", description="The service that should serve the port "
                                                                             "(named in the hints of a failure).")

    def describe(self) -> str:
        where = "127.0.0.1 only" if self.loopback_only else "any address"
        return f"TCP port {self.port} listens on {where}" + (f", as {self.user}" if self.user else "")

    def run(self, ctx: CheckContext) -> Outcome:
        evidence = f"ss -Hltnpe (port {self.port}), from outside the box"
        found = listeners(ctx, self, self.port)
        status = f" (`sudo systemctl status {self.unit}`, `journalctl -u {self.unit}`)" if self.unit else ""
        if not found:
            return failed(f"nothing listens on port {self.port} in the box: is the app running?{status}",
                          expected=self.port, found=None, evidence=evidence)
        if self.loopback_only:
            open_ = sorted({item.address for item in found if not item.loopback})
            if open_:
                return failed(f"port {self.port} is open on {', '.join(open_)}, not only on 127.0.0.1: anyone who reaches "
                              f"the box could bypass nginx. Make the app listen on 127.0.0.1 (HOST=127.0.0.1 in its "
                              f"environment file), then {restart_hint(self.unit)}",
                              expected="127.0.0.1", found=open_, evidence=evidence)
        names = user_names(ctx, self) if (self.user or self.system_user) else {}
        for uid in sorted({item.uid for item in found}):
            who = names.get(uid, f"uid {uid}")
            if self.user is not None and who != self.user:
                fix = f"User={self.user} in the [Service] section of the unit, `sudo systemctl daemon-reload`, then " \
                      f"{restart_hint(self.unit)}"
                return failed(f"the process listening on port {self.port} runs as {who}; expected {self.user}: {fix}",
                              expected=self.user, found=who, evidence=evidence)
            if self.system_user and not 0 < uid < 1000:
                what = "root" if uid == 0 else f"{who} (uid {uid}), a person's account"
                return failed(f"the process listening on port {self.port} runs as {what}; run it as a system user "
                              f"of its own (`sudo useradd --system ...`, uid below 1000)",
                              expected="a system user", found=who, evidence=evidence)
        users = ", ".join(sorted({names.get(i.uid, f"uid {i.uid}") for i in found})) if names else ""
        return passed(f"port {self.port} listens on {', '.join(sorted({i.address for i in found}))}"
                      + (f" as {users}" if users else ""), evidence=evidence)


# ---- linux.survives_kill ------------------------------------------------------------------------

@register("linux.survives_kill", service_kind="linuxbox")
class LinuxSurvivesKill(Check):
    port: int = Field(ge=1, le=65535, description="The TCP port the killed server listens on inside the box.")
    within: float = Field(15, gt=0, le=60, description="Seconds a new process has to listen on the port again.")
    unit: str | None = Field(None, pattern=r"^[A-Za-z0-9_.@-]+$", description="The service that should bring it back "
                                                                             "(named in the hints of a failure).")

    def needs_seconds(self) -> float:
        return self.within + 10

    def describe(self) -> str:
        return f"the server on port {self.port} comes back after a kill -9"

    def run(self, ctx: CheckContext) -> Outcome:
        evidence = f"kill -9 of the process holding port {self.port}, from outside the box"
        before = listeners(ctx, self, self.port)
        if not before:
            return failed(f"nothing listens on port {self.port} in the box, so there is nothing to kill: start the app first"
                          + (f" (`sudo systemctl start {self.unit}`)" if self.unit else ""),
                          expected=self.port, found=None, evidence=evidence)
        uids = {item.uid for item in before}
        pids = sorted({pid for item in before for pid in item.pids})
        table = processes(ctx, self)
        if not pids:
            if 0 in uids:
                raise CheckError(f"cannot tell which of root's processes holds port {self.port}")
            # Without ptrace a socket of another user cannot be mapped to its process: every process of that
            # user goes, as in a crash of the whole app (main process and children).
            pids = sorted(pid for pid, uid, _ in table if uid in uids)
        if not pids:
            raise CheckError(f"found no process of the user holding port {self.port}")
        old = {pid for pid, _, _ in table}
        observe(ctx, self, ["kill", "-9", *(str(p) for p in pids)])
        started = time.monotonic()
        deadline = started + self.within
        back: list[Listener] = []
        while time.monotonic() < deadline:
            time.sleep(0.3)
            back = listeners(ctx, self, self.port)
            if back:
                now = processes(ctx, self)
                fresh = [pid for pid, uid, _ in now if pid not in old and uid in {item.uid for item in back}]
                if fresh or any(p not in old for item in back for p in item.pids):
                    break
        else:
            back = []
        took = time.monotonic() - started
        restart = (f"add Restart=on-failure to the [Service] section of its unit, `sudo systemctl daemon-reload`, "
                   f"then `sudo systemctl restart {self.unit}`" if self.unit else
                   "run it as a service with Restart=on-failure")
        if not back:
            return failed(f"after a kill -9 of the app's process (pid {', '.join(map(str, pids))}), nothing listened on port "
                          f"{self.port} again within {self.within:g}s. A crashed app comes back only when its service "
                          f"manager restarts it: {restart}", expected="a new process", found=None, evidence=evidence)
        if {item.uid for item in back} != uids:
            names = user_names(ctx, self)
            return failed(f"after the kill, port {self.port} is held by {', '.join(names.get(i.uid, str(i.uid)) for i in back)}, "
                          f"not by the user that ran the app before", expected=sorted(uids),
                          found=sorted({i.uid for i in back}), evidence=evidence)
        return passed(f"a new process listened on port {self.port} {took:.1f}s after the kill", evidence=evidence)
