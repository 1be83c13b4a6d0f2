"""How the rest.* checks send their requests: as a user, within one time budget and a bounded count,
each with the curl line that repeats it; and the items a check made, to remove them afterwards."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from labctl.check_engine.context import CheckContext
from labctl.core.errors import CheckError

from ..http.body import json_at, parse_json
from ..http.request import Request, Target

# No check sends more than this: a lab's lists are bounded so that every probe fits well below it.
MAX_REQUESTS = 150
NO_BODY = object()


class RestRuleError(Exception):
    """A REST rule the API broke: what it did and why that is wrong, and the requests that show it."""

    def __init__(self, message: str, *curls: str, found: Any = None, expected: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.curls = [c for c in curls if c]
        self.found = found
        self.expected = expected


@dataclass(eq=False)
class User:
    """Who sends a request: its own cookies (a browser of its own) and the headers that carry its login."""

    label: str  # for messages: "" for the user the check acts as, "by another user", "without credentials"
    session: Any
    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # the fresh values and what its login saved


@dataclass
class Reply:
    response: Any
    method: str
    path: str
    url: str
    curl: str

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def said(self) -> str:
        """'POST /todos' (with who sent it, when that matters)."""
        return f"{self.method} {self.path}"

    def json(self) -> tuple[Any, str | None]:
        return parse_json(self.response)

    def at(self, path: str) -> tuple[bool, Any]:
        """(found, value) at a JSON path of the body; not found when it is no JSON."""
        data, problem = self.json()
        if problem:
            return False, None
        found, value, _ = json_at(data, path)
        return found, value

    def told(self) -> str:
        """What a refusal said, for a message: ' (it said: {"error": ...})', or nothing for a success."""
        text = self.response.text.strip()
        if self.status < 400 or not text:
            return ""
        return f" (it said: {text if len(text) <= 160 else text[:160] + '...'})"

    def empty(self) -> bool:
        return not self.response.content.strip()


class Client:
    """Sends a check's requests to its target. Runs out of time as a failure: the API was too slow."""

    def __init__(self, check: Target, ctx: CheckContext, budget: float) -> None:
        self.check, self.ctx, self.budget = check, ctx, budget
        self.started = time.monotonic()
        self.sent = 0
        self.last_curl = ""
        self.sessions: list[Any] = []
        self.share = 1.0  # the share of the budget requests may use now (the rest is kept for cleaning up)
        self.on_reply: Any = None  # called with each answer (rest.openapi judges them all against the document)

    def user(self, label: str, headers: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> User:
        session = self.check.session()
        self.sessions.append(session)
        return User(label, session, dict(headers or {}), dict(values or {}))

    def left(self) -> float:
        return self.started + self.budget * self.share - time.monotonic()

    def send(self, user: User, method: str, path: str, *, json_body: Any = NO_BODY, body: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """The answer; raises RestRuleError when nothing answers or the time is up."""
        fields: dict[str, Any] = {"method": method, "path": path, "headers": {**user.headers, **(headers or {})}}
        if json_body is not NO_BODY:
            fields["json"] = json_body
        if body is not None:
            fields["body"] = body
        request = Request.model_validate(fields)
        return self.send_request(user, request)

    def send_request(self, user: User, request: Request) -> Reply:
        """`request` as `user` (its cookies; its headers are the request's own)."""
        if self.sent >= MAX_REQUESTS:
            raise CheckError(f"the check would send more than {MAX_REQUESTS} requests; make its lists shorter")
        left = self.left()
        if left <= 0.05:
            raise RestRuleError(f"the API answered too slowly: {self.sent} requests took more than "
                                f"{self.budget * self.share:g}s of the check's {self.budget:g}s", self.last_curl)
        self.sent += 1
        response, url, elapsed = self.check.send(self.ctx, user.session, request, timeout=left)
        curl = self.check.evidence(request, url)
        self.last_curl = curl
        path = request.path or "/"
        if response is None and self.left() <= 0.05:
            raise RestRuleError(f"the API answered too slowly: {self.sent} requests took more than "
                                f"{self.budget * self.share:g}s of the check's {self.budget:g}s", curl)
        if response is None:
            raise RestRuleError(f"{request.method} {path}{' ' + user.label if user.label else ''}: {elapsed}", curl)
        reply = Reply(response, request.method, path, url, curl)
        if self.on_reply is not None:
            self.on_reply(reply)
        return reply

    def close(self) -> None:
        for session in self.sessions:
            session.close()


@dataclass
class Made:
    """The items a check made, each with the user who owns it, removed at the end where the API allows."""

    items: list[tuple[User, str]] = field(default_factory=list)

    def add(self, user: User, path: str) -> None:
        if not any(u is user and p == path for u, p in self.items):
            self.items.append((user, path))

    def gone(self, path: str) -> None:
        self.items = [(u, p) for u, p in self.items if p != path]

    def remove_all(self, client: Client) -> None:
        """DELETE each one; what the API refuses, or the time left does not allow, stays."""
        for user, path in list(self.items):
            if client.left() < 0.1:
                return
            try:
                client.send(user, "DELETE", path)
            except (RestRuleError, CheckError):
                return
            self.gone(path)
