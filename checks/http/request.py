"""HTTP checks from the host, the request half: where requests go, how they are sent, status codes, headers.

A request goes to `url` (the learner's own app, e.g. http://127.0.0.1:8000/health), or to `path` on a lab
service's published port (`service`, and `port` = the container port, the service's main one by default).
Only loopback hosts are allowed: a lab never sends traffic off this machine.
JSON bodies, response times and sequences are in body.py.
"""
from __future__ import annotations

import http.cookiejar
import re
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.core.loopback import check_loopback

from .cookies import BrowserJar

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_REDIRECTS = 5
BODY_SHOWN = 300


# ---- pure helpers (unit-tested without a server) ------------------------------------------------

def header_problem(headers: Any, expected: dict[str, "HeaderRule"]) -> str | None:
    """None when every expected header matches (names case-insensitive); else the first mismatch."""
    for name, rule in expected.items():
        value = headers.get(name)
        if rule.absent:
            if value is not None:
                return f"the response has a {name} header ({value!r}); it should have none"
            continue
        if value is None:
            return f"the response has no {name} header"
        if rule.value is not None and value.strip() != rule.value:
            return f"the {name} header is {value!r}; expected {rule.value!r}"
        if rule.regex is not None and not re.search(rule.regex, value):
            return f"the {name} header is {value!r}; expected it to match /{rule.regex}/"
    return None


def curl_line(method: str, url: str, headers: dict[str, str], json_body: Any = None, body: str | None = None) -> str:
    """The request as a curl command a learner can paste into a shell (-i: show the status and headers)."""
    import json
    import shlex

    words = ["curl", "-I"] if method == "HEAD" else ["curl", "-i"]
    if method not in ("GET", "HEAD") or (method == "GET" and (json_body is not None or body is not None)):
        words += ["-X", method]
    for name, value in headers.items():
        words += ["-H", f"{name}: {value}"]
    if json_body is not None:
        if not any(name.lower() == "content-type" for name in headers):
            words += ["-H", "Content-Type: application/json"]
        words += ["-d", json.dumps(json_body, ensure_ascii=False)]
    elif body is not None:
        words += ["--data-binary", body]
    words.append(url)
    return " ".join(shlex.quote(w) for w in words)


# ---- requests ----------------------------------------------------------------------------------

class HeaderRule(BaseModel):
    """An expected header: its exact value, a regex it must contain a match of, or absent: true."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: str | None = None
    regex: str | None = None
    absent: bool = False

    @model_validator(mode="after")
    def _one(self) -> "HeaderRule":
        if sum([self.value is not None, self.regex is not None, self.absent]) != 1:
            raise ValueError("give a value, {regex: ...} or {absent: true}")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"bad regex {self.regex!r}: {exc}") from None
        return self


class Request(BaseModel):
    """One request: what to send, and (for http.sequence steps) what to expect back."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    method: str = "GET"
    path: str | None = Field(None, description="Appended to url, or to the service's address.")
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json", description="A JSON request body.")
    body: str | None = Field(None, description="A raw request body.")
    follow_redirects: bool = Field(False, description="Follow redirects (to loopback hosts only).")

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        return value.upper()

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or value.startswith("//")):
            raise ValueError(f"{value!r} must start with a single / (e.g. /api/users)")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> "Request":
        if self.json_body is not None and self.body is not None:
            raise ValueError("give json or body, not both")
        return self


class SequenceStep(Request):
    status: int | list[int] | None = Field(None, description="The expected status code(s).")
    equals: dict[str, Any] = Field(default_factory=dict, description="{json.path: expected value}")


class Target(Check):
    """Where requests go: url or setting (the learner's app), or a lab service's published port."""

    setting_fields = ("setting",)

    url: str | None = Field(None, description="A full URL (or a base for path) on 127.0.0.1, localhost or ::1.")
    setting: str | None = Field(None, description="A lab setting holding the base URL of the learner's app "
                                                  "(e.g. app_url, which the learner sets with `labctl config`).")
    port: int | None = Field(None, gt=0, lt=65536, description="With service: the container port to call.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_loopback(value) if value is not None else None

    @model_validator(mode="after")
    def _target(self) -> "Target":
        given = [self.url is not None, self.setting is not None, self.service is not None]
        if not any(given):
            raise ValueError("give url or setting (the learner's app), or service with path (a lab service's port)")
        if sum(given) > 1:
            raise ValueError("give only one of url, setting and service")
        if self.port is not None and self.service is None:
            raise ValueError("port is for service: the container port whose published port to call")
        return self

    def base(self, ctx: CheckContext) -> str:
        if self.url is not None:
            return self.url
        if self.setting is not None:
            value = ctx.setting(self.setting)
            if not value:
                raise CheckError(f"the setting {self.setting} has no value: tell labctl where your app listens, "
                                 f"e.g. `labctl config set {self.setting} http://127.0.0.1:8000`")
            return value
        access = ctx.service(self.service)  # type: ignore[arg-type]
        port = self.port or access.main_port
        if port not in access.ports:
            raise CheckError(f"service {self.service} publishes no port {port}")
        host = f"[{access.host}]" if ":" in access.host else access.host
        return f"http://{host}:{access.ports[port]}"

    def target(self, ctx: CheckContext, request: Request) -> str:
        base = self.base(ctx)
        url = base.rstrip("/") + request.path if request.path else (base if self.service is None else base + "/")
        # Checked again: a service's address comes from the engine, not from the lab file.
        try:
            return check_loopback(url)
        except ValueError as exc:
            raise CheckError(str(exc)) from None

    def session(self):
        import requests

        session = requests.Session()
        # Never through a proxy from the environment: the request must go straight to loopback.
        session.trust_env = False
        # Cookies as a browser keeps them for the app (cookies.py), not in requests' jar, which never sends a
        # Secure cookie back over http://127.0.0.1.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.labctl_jar = BrowserJar()
        return session

    def send(self, ctx: CheckContext, session, request: Request, *, timeout: float | None = None):
        """(response, url, elapsed seconds); a learner's app that does not answer gives (None, url, reason)."""
        import requests

        url = self.target(ctx, request)
        method = request.method
        timeout = timeout or self.timeout or ctx.timeout
        kwargs: dict[str, Any] = {"headers": request.headers}
        if request.json_body is not None:
            kwargs["json"] = request.json_body
        elif request.body is not None:
            kwargs["data"] = request.body.encode()
        started = time.monotonic()
        jar: BrowserJar | None = getattr(session, "labctl_jar", None)
        if jar is not None:
            jar.begin()
        own_cookie = any(k.lower() == "cookie" for k in request.headers)  # a step that sends a Cookie of its own
        for _ in range(MAX_REDIRECTS + 1):
            if jar is not None and not own_cookie:
                sent = jar.header_for(urlsplit(url).path)
                kwargs["headers"] = {**request.headers, **({"Cookie": sent} if sent else {})}
                jar.last_sent = jar.last_sent or sent
            try:
                response = session.request(method, url, allow_redirects=False, timeout=timeout, **kwargs)
            except requests.RequestException as exc:
                return None, url, self._no_answer(url, exc, timeout, launchable=ctx.launcher is not None)
            if jar is not None:
                jar.take(response)
            if not (request.follow_redirects and response.is_redirect):
                return response, url, time.monotonic() - started
            url = urljoin(url, response.headers["location"])
            try:
                check_loopback(url)
            except ValueError:
                return None, url, f"it redirects to {url}, off this machine; labs only follow redirects to loopback"
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, kwargs = "GET", {"headers": dict(request.headers)}
        return None, url, f"it redirected more than {MAX_REDIRECTS} times"

    def _no_answer(self, url: str, exc: Exception, timeout: float, *, launchable: bool = False) -> str:
        import requests

        if isinstance(exc, requests.Timeout):
            reason = f"nothing answered at {url} within {timeout:g}s"
        elif isinstance(exc, requests.ConnectionError):
            reason = f"nothing is answering at {url}"
        else:
            reason = f"the request to {url} failed: {str(exc).splitlines()[0][:200]}"
        if self.service is not None:
            # A lab service is labctl's to run: not the learner's fault, so an error, not a failure.
            raise ServiceUnavailable(f"the {self.service} service is not answering: {reason}")
        if launchable:  # launch mode exists, and this app is not run by labctl (check would have started it)
            return (f"{reason}: is your app running? Start it, then check again, or let labctl run it for you "
                    "(`labctl config list` shows the setting for its command)")
        return f"{reason}: is your app running? Start it, then check again"

    def evidence(self, request: Request, url: str) -> str:
        """The request as a curl line to paste (every failure about a request carries it)."""
        return curl_line(request.method, url, request.headers, request.json_body, request.body)

    def shown(self, request: Request) -> str:
        """The target as the lab names it, for describe()."""
        return (f"{self.service} " if self.service else "") + (request.path or self.url or "/")


def show_body(response, limit: int = BODY_SHOWN) -> str:
    """The body's text, cut at `limit` characters with ... to show it was cut."""
    text = response.text if response is not None else ""
    return text if len(text) <= limit else text[:limit] + "..."


def status_problem(response, status: int | list[int] | None) -> str | None:
    wanted = [status] if isinstance(status, int) else (status or [])
    if wanted and response.status_code not in wanted:
        want = " or ".join(str(s) for s in wanted)
        return f"it answered {response.status_code}; expected {want}"
    return None


class OneRequest(Request, Target):
    def fetch(self, ctx: CheckContext):
        """(response or None, url, elapsed seconds or the reason there is no response)."""
        session = self.session()
        try:
            return self.send(ctx, session, self)
        finally:
            session.close()

    def exchange(self, ctx: CheckContext) -> tuple[Any, str, str, Outcome | None]:
        """(response, url, evidence, no_answer): no_answer is the failure to report when nothing answered."""
        response, url, elapsed = self.fetch(ctx)
        evidence = self.evidence(self, url)
        if response is None:
            return None, url, evidence, failed(f"{elapsed}. Try it: {evidence}", expected=getattr(self, "status", None),
                                               evidence=evidence)
        return response, url, evidence, None


# ---- http.status --------------------------------------------------------------------------------

@register("http.status")
class Status(OneRequest):
    status: int | list[int] = Field(200, description="The expected status code(s).")

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} answers {self.status}"

    def run(self, ctx: CheckContext) -> Outcome:
        response, url, evidence, no_answer = self.exchange(ctx)
        if no_answer is not None:
            return no_answer
        problem = status_problem(response, self.status)
        if problem:
            return failed(f"{self.method} {url}: {problem}. Try it: {evidence}", expected=self.status,
                          found={"status": response.status_code, "body": show_body(response)}, evidence=evidence)
        return passed(f"{self.method} {url} answered {response.status_code}", evidence=evidence)


# ---- http.headers -------------------------------------------------------------------------------

@register("http.headers")
class Headers(OneRequest):
    expected: dict[str, str | HeaderRule] = Field(min_length=1, description="{Header-Name: value | {regex: ...} | {absent: true}}")
    status: int | list[int] | None = None

    @field_validator("expected")
    @classmethod
    def _rules(cls, value: dict[str, str | HeaderRule]) -> dict[str, HeaderRule]:
        return {name: HeaderRule(value=rule) if isinstance(rule, str) else rule for name, rule in value.items()}

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} sends headers {', '.join(self.expected)}"

    def run(self, ctx: CheckContext) -> Outcome:
        response, url, evidence, no_answer = self.exchange(ctx)
        if no_answer is not None:
            return no_answer
        problem = status_problem(response, self.status) or header_problem(response.headers, self.expected)
        if problem:
            return failed(f"{self.method} {url}: {problem}. Try it: {evidence}",
                          expected={k: r.model_dump(exclude_defaults=True) for k, r in self.expected.items()},
                          found=dict(response.headers), evidence=evidence)
        return passed(f"{self.method} {url} sends the expected headers", evidence=evidence)
