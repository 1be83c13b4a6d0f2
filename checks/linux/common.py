"""What the linux.* checks share: running a command in the box, and the base of file and folder checks."""
from __future__ import annotations

import ipaddress
import os.path
import re
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.access import PathFacts
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


def observe(ctx: CheckContext, check: Check, argv: list[str]) -> tuple[int, str]:
    """Run argv beside the box, in a clean observer sharing its processes and network (runtime/base.py observe):
    what the learner, root inside, cannot make lie. Where the runtime cannot, the box itself answers."""
    ctx.service(check.service)
    if ctx.observe is None:
        return run_in_box(ctx, check, argv)
    try:
        return ctx.observe(check.service, argv)
    except CheckError:
        raise
    except LabctlError as exc:
        raise ServiceUnavailable(f"cannot look at {check.service} from outside: {exc}") from exc


MAX_CONTENT = 1_000_000
MAX_LINKS = 40


def path_facts(ctx: CheckContext, check: Check, path: str, *, content: bool = False, follow: bool = True) -> PathFacts | None:
    """A path of the box as the engine sees it (never a command inside), following symlinks unless told not to;
    None when nothing is there (or a link points nowhere). With content, a regular file's first MAX_CONTENT bytes."""
    ctx.service(check.service)
    for _ in range(MAX_LINKS):
        facts = _read_path(ctx, check, path, content)
        if facts is None or facts.kind != "symlink" or not follow:
            return facts
        path = os.path.normpath(os.path.join(os.path.dirname(path), facts.target))
    raise CheckError(f"{path}: too many levels of symbolic links")


def _read_path(ctx: CheckContext, check: Check, path: str, content: bool) -> PathFacts | None:
    if ctx.read_path is not None:
        try:
            facts = ctx.read_path(check.service, path, MAX_CONTENT if content else 0)
        except LabctlError as exc:
            raise ServiceUnavailable(f"cannot read {path} in {check.service}: {exc}") from exc
        if facts is not None and content and facts.kind == "file" and facts.content is None:
            code, out = run_in_box(ctx, check, ["head", "-c", str(MAX_CONTENT), "--", path])
            facts = PathFacts(facts.kind, facts.mode, facts.uid, facts.gid, facts.size, content=out.encode())
        return facts
    # A runtime that cannot look from outside: the box answers itself.
    code, out = run_in_box(ctx, check, ["stat", "-c", "%F|%a|%u|%g|%s|%N", "--", path])
    if code != 0:
        if "No such file" in out or "cannot statx" in out or "cannot stat" in out:
            return None
        raise CheckError(f"stat {path} failed: {out.strip()}")
    kind_text, mode, uid, gid, size, quoted = out.strip().split("|", 5)
    kind = {"directory": "directory", "symbolic link": "symlink"}.get(kind_text, "file" if kind_text.startswith("regular") else "other")
    target = quoted.split(" -> ", 1)[1].strip("'\"") if kind == "symlink" and " -> " in quoted else ""
    data = None
    if content and kind == "file":
        _, text = run_in_box(ctx, check, ["head", "-c", str(MAX_CONTENT), "--", path])
        data = text.encode()
    return PathFacts(kind, int(mode, 8), int(uid), int(gid), int(size), target, data)


@dataclass(frozen=True)
class Accounts:
    """The box's users and groups, from its /etc/passwd and /etc/group read through the engine."""

    passwd: dict[str, list[str]] = field(default_factory=dict)  # name -> the 7 fields
    group_names: dict[int, str] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # group name -> its listed members

    def user_name(self, uid: int) -> str:
        return next((name for name, f in self.passwd.items() if f[2] == str(uid)), str(uid))

    def group_name(self, gid: int) -> str:
        return self.group_names.get(gid, str(gid))

    def groups_of(self, user: str) -> list[str]:
        """The user's primary group, then the groups listing it, as `id -nG` says them."""
        fields = self.passwd.get(user)
        primary = [self.group_name(int(fields[3]))] if fields and fields[3].isdigit() else []
        return primary + sorted(g for g, names in self.members.items() if user in names and g not in primary)


def accounts(ctx: CheckContext, check: Check) -> Accounts:
    def lines(path: str) -> list[list[str]]:
        facts = path_facts(ctx, check, path, content=True)
        text = (facts.content or b"").decode(errors="replace") if facts is not None else ""
        return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]

    passwd = {f[0]: f for f in lines("/etc/passwd") if len(f) >= 7}
    groups = [f for f in lines("/etc/group") if len(f) >= 4 and f[2].isdigit()]
    return Accounts(passwd, {int(f[2]): f[0] for f in groups},
                    {f[0]: {m for m in f[3].split(",") if m} for f in groups})


@dataclass(frozen=True)
class BoxProcess:
    pid: int
    ppid: int
    uid: int
    comm: str
    args: str


PS_ARGV = ["ps", "-eo", "pid=,ppid=,uid=,comm:64=,args="]


def box_processes(ctx: CheckContext, check: Check) -> list[BoxProcess]:
    """Every process of the box, seen from the observer (not the observer's own)."""
    code, out = observe(ctx, check, PS_ARGV)
    if code != 0:
        raise CheckError(f"ps failed: {out.strip()[:200]}")
    found = []
    for line in out.splitlines():
        parts = line.split(None, 4)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        args = parts[4] if len(parts) > 4 else parts[3]
        if args == " ".join(PS_ARGV) or args.startswith("timeout -k 1 ") and args.endswith(" ".join(PS_ARGV)):
            continue
        found.append(BoxProcess(int(parts[0]), int(parts[1]), int(parts[2]), parts[3], args))
    return found


@dataclass(frozen=True)
class Listener:
    address: str  # as ss prints it: 127.0.0.1, 0.0.0.0, [::], [::1], *
    port: int
    uid: int  # the socket's owner (ss -e; a socket of root has no uid: field)
    programs: tuple[str, ...] = ()
    pids: tuple[int, ...] = ()

    @property
    def loopback(self) -> bool:
        try:
            ip = ipaddress.ip_address(self.address.strip("[]").split("%")[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback


# Docker's embedded DNS server listens on 127.0.0.11 in every container of a user-defined network.
ENGINE_DNS = "127.0.0.11"


def parse_listeners(text: str) -> list[Listener]:
    """`ss -Hl[tu]npe` lines -> listeners, the engine's DNS left out (ss's cgroup complaints are not lines of it)."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] not in ("LISTEN", "UNCONN"):
            continue
        address, _, port = fields[3].rpartition(":")
        if not port.isdigit() or address == ENGINE_DNS:
            continue
        uid = re.search(r"\buid:(\d+)", line)
        found.append(Listener(address, int(port), int(uid.group(1)) if uid else 0,
                              tuple(dict.fromkeys(re.findall(r'\("([^"]+)",pid=', line))),
                              tuple(int(p) for p in dict.fromkeys(re.findall(r"pid=(\d+)", line)))))
    return found


def listeners(ctx: CheckContext, check: Check, protocol: str = "tcp") -> list[Listener]:
    """The box's listening sockets, with their owners and the programs holding them, seen by the observer."""
    flag = "-Hltnpe" if protocol == "tcp" else "-Hlunpe"
    code, out = observe(ctx, check, ["ss", flag])
    if code != 0 and "LISTEN" not in out and "UNCONN" not in out:
        raise CheckError(f"ss failed: {out.strip()[:200]}")
    return parse_listeners(out)


def file_text(ctx: CheckContext, check: Check, path: str) -> str | None:
    """The content of a regular file in the box, read through the engine; None if there is none."""
    facts = path_facts(ctx, check, path, content=True)
    if facts is None or facts.kind != "file" or facts.content is None:
        return None
    return facts.content.decode("utf-8", errors="replace")


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
        # A link counts as what it points to (sites-enabled/app is usually a link); read through the engine.
        facts = path_facts(ctx, self, self.path)
        if facts is None:
            return None
        kind = {"file": "regular file", "directory": "directory"}.get(facts.kind, facts.kind)
        names = accounts(ctx, self) if self.owner is not None or self.group is not None else Accounts()
        return kind, format(facts.mode, "04o"), names.user_name(facts.uid), names.group_name(facts.gid)

    def _common(self, ctx: CheckContext) -> Outcome | None:
        """A failure about existence, type, mode or ownership; None when all of them are right."""
        evidence = f"stat -L {self.path} (read through the container engine)"
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
