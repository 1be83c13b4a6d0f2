"""Host ports on 127.0.0.1: the service's usual one when free, else a free one."""
from __future__ import annotations

import errno
import socket

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
