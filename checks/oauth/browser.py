"""A browser for the oauth checks: one cookie jar for everything on 127.0.0.1 (browsers do not keep cookies
apart by port, so the app's and the provider's cookies live side by side), no redirect followed by itself,
every URL checked to be loopback, and every answer kept so a check can look for what must never reach a
browser (the client secret).

Cookies are labctl's own (checks/http/cookies.py BrowserJar): requests' jar drops Secure cookies on
http://127.0.0.1, where a browser sends them.
"""
from __future__ import annotations

import http.cookiejar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from labctl.core.loopback import check_loopback

from ..http.cookies import BrowserJar
from ..http.request import curl_line

TIMEOUT = 10.0


class NoAnswer(Exception):
    """A request got no answer (nothing listening, timeout) or went off this machine: the message says which."""

    def __init__(self, message: str, curl: str):
        super().__init__(message)
        self.curl = curl


@dataclass
class Hop:
    """One request the browser sent and what came back."""

    method: str
    url: str
    status: int
    location: str | None  # the absolute URL of a redirect, else None
    text: str
    headers: Any
    curl: str  # the request as a curl line, with the cookies it went with

    @property
    def redirected(self) -> bool:
        return 300 <= self.status < 400 and self.location is not None


class Browser:
    """A fresh browser: no cookies, nothing seen yet. Use as a context manager (it closes its connections)."""

    def __init__(self, timeout: float = TIMEOUT):
        import requests

        self.session = requests.Session()
        self.session.trust_env = False  # never through a proxy from the environment: straight to loopback
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.jar = BrowserJar()
        self.timeout = timeout
        self.seen: list[Hop] = []

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.session.close()

    def cookie_header(self, url: str) -> str:
        return self.jar.header_for(urlsplit(url).path or "/")

    def send(self, method: str, url: str, *, form: dict[str, str] | None = None, cookie: str | None = None) -> Hop:
        """One request with the browser's cookies (or `cookie`, a Cookie header of another browser's).
        Raises NoAnswer."""
        import requests

        sent = self.cookie_header(url) if cookie is None else cookie
        headers = {"Cookie": sent} if sent else {}
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        curl = curl_line(method, url, headers, None, body)
        try:
            check_loopback(url)
        except ValueError as exc:
            raise NoAnswer(f"the browser was sent to {url}, off this machine ({exc}); every page of this lab is "
                           "on 127.0.0.1", curl) from None
        try:
            response = self.session.request(method, url, data=body, headers=headers, allow_redirects=False,
                                            timeout=self.timeout)
        except requests.Timeout:
            raise NoAnswer(f"nothing answered {method} {url} within {self.timeout:g}s", curl) from None
        except requests.ConnectionError as exc:
            if "refused" in str(exc).lower() or "NewConnectionError" in str(exc):
                raise NoAnswer(f"nothing is answering at {url} (is it running, on that port?)", curl) from None
            raise NoAnswer(f"{url} closed the connection without an answer: did it crash on this request? Its log "
                           "says why", curl) from None
        except requests.RequestException as exc:
            raise NoAnswer(f"the request to {url} failed: {str(exc).splitlines()[0][:200]}", curl) from None
        self.jar.take(response)
        location = response.headers.get("Location")
        hop = Hop(method, url, response.status_code, urljoin(url, location) if location else None,
                  response.text[:20000], response.headers, curl)
        self.seen.append(hop)
        return hop

    def get(self, url: str, **kwargs: Any) -> Hop:
        return self.send("GET", url, **kwargs)

    def post(self, url: str, form: dict[str, str] | None = None, **kwargs: Any) -> Hop:
        return self.send("POST", url, form=form or {}, **kwargs)

    def leaked(self, secret: str) -> Hop | None:
        """The first answer or URL the browser saw that holds `secret`, else None."""
        if not secret:
            return None
        for hop in self.seen:
            if secret in hop.url or secret in hop.text or secret in str(dict(hop.headers)):
                return hop
        return None


def same_origin(url: str, base: str) -> bool:
    """Whether url is on base's host and port (127.0.0.1 and localhost are told apart, as browsers do)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port or 80) == (b.scheme, b.hostname, b.port or 80)
