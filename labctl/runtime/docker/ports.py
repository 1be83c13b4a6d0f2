"""Host ports on 127.0.0.1: the service's usual one when free, else a free one."""
from __future__ import annotations

import errno
import socket

from labctl.core import events
from labctl.core.events import Emit, Event
from labctl.runtime.base import InstanceSpec

LOOPBACK = "127.0.0.1"


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def any_free(avoid: set[int]) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port
    raise OSError("no free port on 127.0.0.1")


def choose(preferred: int, avoid: set[int]) -> int:
    """The preferred port when free and not claimed by another labctl container, else a free one."""
    if preferred not in avoid and is_free(preferred):
        return preferred
    return any_free(avoid)


def is_port_conflict(message: str) -> bool:
    text = message.lower()
    return "port is already allocated" in text or "address already in use" in text or "bind for" in text


def for_service(spec: InstanceSpec, service: str, claimed: set[int], *, first_try: bool, emit: Emit) -> dict[int, int]:
    """{container port: host port on 127.0.0.1} for a new container of the service: the port it had a moment ago
    (on the first try), any free port for a throwaway instance, else the usual one when free."""
    svc = spec.services[service]
    chosen: dict[int, int] = {}
    kept = spec.keep_ports.get(service, {})
    for port in svc.ports:
        taken = claimed | set(chosen.values())
        if first_try and kept.get(port) and kept[port] not in taken:
            # Its own port a moment ago: no free-port test (its last connections may linger in TIME_WAIT,
            # which the engine's bind allows); a conflict tries another.
            chosen[port] = kept[port]
            continue
        if spec.ephemeral:
            # Self-tests, grading, test fixtures: never the usual port a learner may want next.
            chosen[port] = any_free(taken)
            continue
        wanted = svc.host_ports.get(port, port)
        chosen[port] = host = choose(wanted, taken)
        if host != wanted and first_try:
            emit(Event(events.PORT_MOVED, f"port {wanted} is in use on 127.0.0.1; {service} gets {host} instead",
                       service, {"container_port": port, "host_port": host}))
    return chosen
