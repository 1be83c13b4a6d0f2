"""Launch mode: the learner's own app, run by labctl from the workspace, across commands.

A lab declares the processes of the learner's app (`processes:` in lab.yaml: an `api`, a `worker` ...), each
started by the command in one of its settings (`labctl config set app "npm start"`). Each runs as a process
group of its own under /bin/sh, in the workspace, with PORT and HOST (when it serves HTTP), the lab's
connection settings and secrets (`labctl env`) in its environment, and its output appended to a log file
under LABCTL_HOME. A process can run in several copies: copy 0 listens where its URL setting says, the
others on free ports of 127.0.0.1.

What runs is recorded in a small file per copy (pid, the leader's start time, URL, who started it), so any
later command (`labctl app status`, `labctl check`, `labctl stop`) finds it again, and never mistakes an
unrelated process that got the same pid for it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

from labctl.core.app_process import answers, free_port, group_has_live_member
from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.loopback import port_of
from labctl.core.model import Lab, LabProcess

FOLDER = "apps"
STOP_GRACE = 5.0
POLL = 0.05
# A process that serves nothing counts as started once it has stayed up this long.
WORKER_SETTLE = 1.0
LOG_TAIL = 20
MAX_COPIES = 8
BY_LEARNER = "you"
BY_CHECK = "check"


@dataclass(frozen=True)
class Launched:
    """One running copy of a process, as recorded."""

    process: str
    copy: int
    pid: int  # the group's leader, and so the group's id
    started: float  # the leader's start time (seconds since the epoch), to tell it from a later process
    command: str
    url: str | None
    by: str  # BY_LEARNER (labctl app start) or BY_CHECK (labctl check started it, and stops it)
    log: str


class LaunchedCopies:
    """The records of an instance's launched copies, and ending them: all that `labctl stop` and `destroy`
    need, without the lab."""

    def __init__(self, home: Path, instance: str):
        self.folder = home / FOLDER / instance
        self.children: dict[int, subprocess.Popen] = {}  # started by this labctl process: reaped here

    def running(self, name: str | None = None) -> list[Launched]:
        """The copies that still run (of `name`, or of every process). Records of copies that ended are
        removed (their logs stay)."""
        out = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            record = _read(path)
            if record is None or (name is not None and record.process != name):
                continue
            if self.alive(record):
                out.append(record)
            else:
                path.unlink(missing_ok=True)
        return sorted(out, key=lambda r: (r.process, r.copy))

    def stop(self, name: str | None = None, *, copy: int | None = None, by: str | None = None,
             sig: int = signal.SIGTERM) -> list[Launched]:
        stopped = []
        for record in self.running(name):
            if (copy is not None and record.copy != copy) or (by is not None and record.by != by):
                continue
            self.end(record, sig)
            stopped.append(record)
        return stopped

    def forget(self) -> None:
        """Stop everything and remove the instance's records and logs (destroy)."""
        import shutil

        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def alive(self, record: Launched) -> bool:
        """Whether the copy still runs: its leader is the process recorded (same start time), or, the leader
        gone, members of its group remain (a group id is never reused while the group has members)."""
        child = self.children.get(record.pid)
        if child is not None:
            child.poll()  # reap our own child, or it lingers as a zombie
        started = _start_time(record.pid)
        if started is not None and not _is_zombie(record.pid):
            return abs(started - record.started) < 1.0
        if started is not None and abs(started - record.started) >= 1.0:
            return False  # the pid is another process's now
        try:
            os.killpg(record.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return group_has_live_member(record.pid)

    def end(self, record: Launched, sig: int) -> None:
        _signal_group(record.pid, sig)
        if not self._gone(record, STOP_GRACE if sig != signal.SIGKILL else 2.0):
            _signal_group(record.pid, signal.SIGKILL)
            self._gone(record, STOP_GRACE)
        (self.folder / f"{record.process}.{record.copy}.json").unlink(missing_ok=True)

    def _gone(self, record: Launched, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(record):
                return True
            time.sleep(POLL / 2)
        return False



class Launcher:
    """The launched processes of one instance."""

    def __init__(self, home: Path, instance: str, lab: Lab, settings: Mapping[str, str], env: Mapping[str, str],
                 workspace: Path | None, ready_timeout: float = 30.0):
        self.copies = LaunchedCopies(home, instance)
        self.folder = self.copies.folder
        self.lab = lab
        self.settings = settings
        self.env = env
        self.workspace = workspace
        self.ready_timeout = ready_timeout

    # -- what the lab declares

    def spec(self, name: str) -> LabProcess:
        spec = self.lab.processes.get(name)
        if spec is None:
            if not self.lab.processes:
                raise LabctlError(f"{self.lab.id} runs no app of yours",
                                  "Only labs that check your own app have processes to start.")
            raise LabctlError(f"{self.lab.id} has no process {name!r}",
                              f"Its processes: {', '.join(self.lab.processes)}.")
        return spec

    def command(self, name: str) -> str | None:
        """The command the learner gave the process, or None (URL mode: they run it themselves)."""
        value = self.settings.get(self.spec(name).command_setting)
        return value.strip() if value and value.strip() else None

    def configured(self) -> list[str]:
        """The processes that have a command: those labctl runs (launch mode)."""
        return [name for name in self.lab.processes if self.command(name)]

    # -- what runs

    def running(self, name: str | None = None) -> list[Launched]:
        """The copies that still run (of `name`, or of every process), by process and copy."""
        return self.copies.running(name)

    def edited_since_started(self) -> list[tuple[Launched, str]]:
        """The copies the learner started (labctl app start) that run code older than the workspace's: each
        with the source file changed after it started (the newest one)."""
        from labctl.core.source_changes import newest_source

        mine = [r for r in self.running() if r.by == BY_LEARNER]
        newest = newest_source(self.workspace) if mine and self.workspace is not None else None
        if newest is None:
            return []
        return [(r, newest[1]) for r in mine if newest[0] > r.started + 1]

    def count(self, name: str) -> int:
        return len(self.running(name))

    def log_path(self, name: str, copy: int = 0) -> Path:
        self.spec(name)
        return self.folder / f"{name}.{copy}.log"

    # -- start, stop, kill

    def start(self, name: str, *, copy: int = 0, by: str = BY_LEARNER, timeout: float | None = None) -> Launched:
        """Start a copy of the process (the one already running is returned as it is) and wait until it answers
        at its URL (or, for a worker, stays up a moment). Raises LabctlError with the end of its output."""
        spec = self.spec(name)
        if not 0 <= copy < MAX_COPIES:
            raise LabctlError(f"copy {copy} of {name}: a process runs in at most {MAX_COPIES} copies")
        already = next((r for r in self.running(name) if r.copy == copy), None)
        if already is not None:
            return already
        command = self.command(name)
        if command is None:
            setting = self.lab.settings[spec.command_setting]
            example = f' "{setting.example}"' if setting.example else " COMMAND"
            raise LabctlError(f"labctl does not know how to start {name}: the setting {spec.command_setting} is empty",
                              f"Tell it once: labctl config set {spec.command_setting}{example}")
        if self.workspace is None or not self.workspace.is_dir():
            raise LabctlError(f"cannot start {name}: the instance has no workspace folder",
                              "Start the lab again with --workspace DIR.")
        url = self._url(spec, copy)
        if url is not None and answers(url):
            other = f"http://127.0.0.1:{free_port()}"
            move = (f" If something else uses that port (another lab's app), give this one another: "
                    f"`labctl config set {spec.url_setting} {other}`." if spec.url_setting and copy == 0 else "")
            raise LabctlError(f"something already answers at {url}, so {name} cannot listen there",
                              f"Is your app already running by hand? Stop it (labctl then runs it), or run "
                              f"`labctl config unset {spec.command_setting}` to keep running it yourself.{move}")
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.log_path(name, copy)
        env = dict(os.environ)
        env.update(self.env)
        env.update(LABCTL_PROCESS=name, LABCTL_COPY=str(copy))
        env.setdefault("PYTHONUNBUFFERED", "1")  # a Python app's output reaches the log as it is printed
        # As for an app step (host_apps.py): a lab's Python reference, launched as a learner's app is (a task that
        # restarts the app needs launch mode), may run on labctl's own interpreter, "$LABCTL_PYTHON" app.py.
        env.setdefault("LABCTL_PYTHON", sys.executable)
        if url is not None:
            env.update(PORT=str(port_of(url)), HOST="127.0.0.1")
        with log.open("ab") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} labctl starts {name} "
                      f"(copy {copy}, by {by}): {command}\n".encode())
            out.flush()
            try:
                process = subprocess.Popen(["/bin/sh", "-c", command], cwd=self.workspace, env=env,
                                           stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            except OSError as exc:
                raise LabctlError(f"cannot start `{command}`: {exc.strerror or exc}") from exc
        self.copies.children[process.pid] = process
        record = Launched(name, copy, process.pid, _start_time(process.pid) or time.time(), command, url, by, str(log))
        _write(self.folder / f"{name}.{copy}.json", record)
        self._wait_ready(record, timeout or self.ready_timeout)
        return record

    def ensure(self, *, by: str = BY_CHECK) -> list[Launched]:
        """Start copy 0 of every process that has a command and is not running; return those started."""
        started = []
        for name in self.configured():
            if not any(r.copy == 0 for r in self.running(name)):
                started.append(self.start(name, by=by))
        return started

    def stop(self, name: str | None = None, *, copy: int | None = None, by: str | None = None,
             sig: int = signal.SIGTERM) -> list[Launched]:
        """End the matching copies (every process, copy and starter by default), each with its whole group:
        `sig` first, SIGKILL after a grace period. Returns what was stopped."""
        if name is not None:
            self.spec(name)
        return self.copies.stop(name, copy=copy, by=by, sig=sig)

    def kill(self, name: str, *, copy: int | None = None) -> list[Launched]:
        """Kill the matching copies at once (SIGKILL, no grace): a crash, as a check causes one."""
        return self.stop(name, copy=copy, sig=signal.SIGKILL)

    def restart(self, name: str, *, by: str | None = None) -> list[Launched]:
        """Stop the process's copies and start the same copies again (copy 0 when none ran), each started by
        whoever started it before unless `by` says otherwise."""
        stopped = {r.copy: r.by for r in self.stop(name)} or {0: BY_LEARNER}
        return [self.start(name, copy=c, by=by or started_by) for c, started_by in sorted(stopped.items())]

    def log_tail(self, name: str, copy: int = 0, lines: int = LOG_TAIL) -> list[str]:
        try:
            text = self.log_path(name, copy).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    # -- inside

    def _url(self, spec: LabProcess, copy: int) -> str | None:
        if spec.url_setting is None:
            return None
        if copy == 0:
            url = self.settings.get(spec.url_setting)
            if url:
                return url
        return f"http://127.0.0.1:{free_port()}"

    def _wait_ready(self, record: Launched, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        settle = time.monotonic() + WORKER_SETTLE
        while True:
            if not self.copies.alive(record):
                tail = self.log_tail(record.process, record.copy)
                self.copies.end(record, signal.SIGKILL)
                code = self.copies.children[record.pid].returncode if record.pid in self.copies.children else None
                ended = f"exited with code {code}" if code is not None else "ended"
                where = f" before answering at {record.url}" if record.url else " at once"
                raise LabctlError(f"{record.process} (`{record.command}`) {ended}{where}", _tail_hint(tail))
            if record.url is not None and answers(record.url, timeout=0.2):
                return
            if record.url is None and time.monotonic() >= settle:
                return
            if time.monotonic() > deadline:
                tail = self.log_tail(record.process, record.copy)
                self.copies.end(record, signal.SIGTERM)
                raise ServiceNotReadyError(
                    f"{record.process} (`{record.command}`) did not answer at {record.url} within {timeout:g}s",
                    "Does it listen on the port in $PORT (and on 127.0.0.1)? " + _tail_hint(tail))
            time.sleep(POLL)

def _tail_hint(tail: list[str]) -> str:
    return ("Its last output:\n" + "\n".join(tail)) if tail else "It printed nothing."


def _read(path: Path) -> Launched | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Launched(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, record: Launched) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(record)), encoding="utf-8")
    temporary.replace(path)


def _start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _is_zombie(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def launcher_for(home: Path, view, ready_timeout: float) -> Launcher:
    """The launched processes of an instance (its InstanceView)."""
    return Launcher(home, view.instance, view.lab, view.settings, view.env(), view.workspace, ready_timeout)
