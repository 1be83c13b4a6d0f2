"""Cookies as a browser keeps them for an app on this machine, read from the raw Set-Cookie headers.

Python's cookie jar never sends a `Secure` cookie back over http://127.0.0.1, but browsers treat
localhost and 127.0.0.1 as secure contexts and do: a learner who rightly marks the session cookie
`Secure` must not fail. So the http checks keep cookies here, not in requests' jar: every answer's
Set-Cookie headers (each redirect hop's too) are parsed as RFC 6265 says, kept per name and path, sent
back on later requests whose path they match, and dropped when the app expires them (Max-Age=0 or an
Expires date in the past). Every cookie is host-only: labs talk to one loopback host.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

MAX_COOKIES = 50
MAX_VALUE = 4096


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header: the cookie and its attributes (names lower-cased)."""

    name: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)  # "httponly" and "secure" map to ""
    header: str = ""

    @property
    def httponly(self) -> bool:
        return "httponly" in self.attributes

    @property
    def secure(self) -> bool:
        return "secure" in self.attributes

    @property
    def samesite(self) -> str | None:
        value = self.attributes.get("samesite")
        return value.capitalize() if value else None

    @property
    def path(self) -> str:
        path = self.attributes.get("path", "")
        return path if path.startswith("/") else "/"

    def lifetime(self, now: float | None = None) -> float | None:
        """Seconds until it expires (Max-Age wins over Expires), or None for a cookie that lasts the session."""
        if "max-age" in self.attributes:
            try:
                return float(int(self.attributes["max-age"].strip()))
            except ValueError:
                pass
        if "expires" in self.attributes:
            try:
                when = parsedate_to_datetime(self.attributes["expires"].strip())
            except (TypeError, ValueError):
                return None
            return when.timestamp() - (time.time() if now is None else now)
        return None

    def deletes(self) -> bool:
        left = self.lifetime()
        return left is not None and left <= 0


def parse_set_cookie(header: str) -> SetCookie | None:
    """A Set-Cookie header as RFC 6265 section 5.2 reads it; None for one a browser ignores (no name=value)."""
    first, _, rest = header.partition(";")
    if "=" not in first:
        return None
    name, _, value = first.partition("=")
    name, value = name.strip(), value.strip()
    if not name:
        return None
    attributes: dict[str, str] = {}
    for part in rest.split(";"):
        key, _, val = part.partition("=")
        key = key.strip().lower()
        if key:
            attributes[key] = val.strip()
    return SetCookie(name, value[:MAX_VALUE], attributes, header.strip())


def set_cookie_headers(response: Any) -> list[str]:
    """Every Set-Cookie header of a requests response, unjoined (requests folds them into one string)."""
    raw = getattr(response, "raw", None)
    headers = getattr(raw, "headers", None)
    if headers is not None and hasattr(headers, "getlist"):
        return list(headers.getlist("Set-Cookie"))
    value = response.headers.get("Set-Cookie")
    return [value] if value else []


class BrowserJar:
    """The cookies a browser would hold for the app, and what each answer set."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], SetCookie] = {}  # (name, path) -> cookie
        self.last_set: list[SetCookie] = []  # what the last request's answers set (every redirect hop)
        self.last_sent = ""  # the Cookie header the last request went with (its first hop)

    def begin(self) -> None:
        self.last_set = []
        self.last_sent = ""

    def take(self, response: Any) -> None:
        """Keep what an answer sets, and drop what it expires."""
        for header in set_cookie_headers(response):
            cookie = parse_set_cookie(header)
            if cookie is None:
                continue
            self.last_set.append(cookie)
            key = (cookie.name, cookie.path)
            if cookie.deletes():
                self._cookies.pop(key, None)
            elif key in self._cookies or len(self._cookies) < MAX_COOKIES:
                self._cookies[key] = cookie

    def header_for(self, path: str) -> str:
        """The Cookie header a browser sends to this path: longer paths first, Secure cookies too."""
        chosen = [c for c in self._cookies.values() if _path_matches(path or "/", c.path)]
        chosen.sort(key=lambda c: -len(c.path))
        return "; ".join(f"{c.name}={c.value}" for c in chosen)

    def clear(self) -> None:
        self._cookies.clear()

    def copy(self) -> "BrowserJar":
        """Another jar holding the same cookies (a second browser a cookie was copied into)."""
        other = BrowserJar()
        other._cookies = dict(self._cookies)
        return other

    def names(self) -> list[str]:
        return sorted({name for name, _ in self._cookies})


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4: the cookie's path is the request's, or a prefix of it ending at a /."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False
