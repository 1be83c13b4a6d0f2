"""Labs only ever send traffic to this machine: the one check of a URL that says so."""
from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_loopback(url: str) -> str:
    """The URL, if it is http(s) to 127.0.0.1, localhost or ::1. Raises ValueError saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} must start with http:// or https://")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid URL: {exc}") from None
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"{url!r} points at {host or 'no host'}; labs may only call "
                         f"{', '.join(LOOPBACK_HOSTS)} (traffic never leaves this machine)")
    return url


def port_of(url: str) -> int:
    """The port a loopback URL names, or its scheme's default."""
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)
