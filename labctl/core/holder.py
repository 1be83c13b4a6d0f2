"""Which process holds a throwaway instance, and whether it is gone.

`labctl grade`, `labctl lab test` and the pytest plugin make ephemeral instances and remove them when they
end. Killed with SIGKILL (or by a reboot), they cannot: their instances carry a holder label, and the next
labctl that lists instances removes those whose holder is gone. A holder is "host|boot id|pid|start time":
the pid alone could be reused, and a holder on another machine (a shared engine) is never judged.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where /proc has none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def this_holder() -> str:
    """The holder label of this process."""
    pid = os.getpid()
    return "|".join([socket.gethostname(), _boot_id(), str(pid), _start_time(pid)])


def holder_gone(holder: str) -> bool:
    """True only when the holder surely no longer runs: this machine, and it rebooted or the process ended.
    A holder of another machine, or one this machine cannot judge, is never gone."""
    try:
        host, boot, pid_text, started = holder.split("|")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid <= 0:
        return False
    if boot and _boot_id() and boot != _boot_id():
        return True  # this machine rebooted since
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it runs, as another user
    return bool(started) and _start_time(pid) not in ("", started)  # the pid was reused by another process
