"""Whether a service hit its memory limit: the kernel's count of processes it killed in the container's
cgroup (v1 memory.oom_control, v2 memory.events), read through the runtime's exec. Asked only after
something failed, and compared with what was seen before, so an old kill is never blamed twice."""
from __future__ import annotations

import re

from labctl.core.errors import LabctlError
from labctl.core.model import ServiceSpec
from labctl.runtime.base import Capability, Runtime

_READ = ["sh", "-c", "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null"]
_KILLS = re.compile(r"^oom_kill (\d+)$", re.M)


def oom_kills(runtime: Runtime, instance: str, service: str) -> int | None:
    """How many processes the kernel killed in the service's container for want of memory; None: unknown."""
    if Capability.EXEC not in runtime.capabilities:
        return None
    try:
        done = runtime.exec(instance, service, _READ, timeout=5)
    except LabctlError:
        return None  # the container itself was stopped: status says so
    found = _KILLS.search(done.output)
    return int(found.group(1)) if found else None


def explanation(spec: ServiceSpec) -> str:
    return (f"{spec.name} ran out of memory: it may use {spec.limits.memory_text}, and the kernel stopped what "
            "was using the most. A query or command that builds a huge result (a recursive query that never "
            "ends, an unbounded join) does this; it restarts on its own (`labctl status`)")
