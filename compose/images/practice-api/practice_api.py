"""practice-api: the Todo API of rest-101 as deployments of its reference or of a mutant, for checking a
learner's own API tests (Python 3 standard library only).

Listens on 0.0.0.0:8080 (PORT overrides); one thread per request; bodies over 64 KiB are refused with 413.
Everything is in memory: a restart forgets every deployment (labctl makes a new one for each run).

  GET  /health                          200 {"status": "ok"}
  /<prefix>/...                         a deployment: the Todo API (todo_app.py) with its own empty store
  /...  (any other path)                404 {"error": ...}

There is no deployment at the root on purpose: a correct API the learner's tests could always reach would
let them compare each answer with it and "catch" every mutant without testing anything.

Control endpoints, for labctl only: each needs the header X-Labctl-Control with LABCTL_CONTROL_SECRET (403
without it), so a learner's tests, which never see the secret, cannot call them.

  GET    /_labctl/variants              {"reference": "reference", "mutants": [{name, description, hint}]}
  POST   /_labctl/deployments           {"variant": NAME} -> 201 {"prefix": "/<random>"}
  GET    /_labctl/deployments           {"deployments": how many exist}
  DELETE /_labctl/deployments/<random>  204 (404 if there is none)
  POST   /_labctl/reset                 forgets every deployment

A deployment expires 15 minutes after its last request; at most 32 exist at once (the least recently used
goes first). Nothing in an answer tells a deployment's variant: same headers, same texts but for the bug.
"""
from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from todo_app import TodoApp
from variants import MUTANTS, NAMES, REFERENCE, listing

MAX_BODY = 64 * 1024
MAX_DEPLOYMENTS = 32
IDLE_SECONDS = 15 * 60
CONTROL = "/_labctl/"
CONTROL_HEADER = "x-labctl-control"
PREFIX = re.compile(r"^/([A-Za-z0-9_-]{20,64})(/.*)?$")
SECRET = os.environ.get("LABCTL_CONTROL_SECRET", "")

lock = threading.Lock()
deployments: dict[str, tuple[TodoApp, list[float]]] = {}  # random -> (app, [last used])


def deploy(variant: str) -> str:
    """A new deployment of a variant; its random prefix (without the slash)."""
    random = secrets.token_urlsafe(24)
    with lock:
        _forget_idle()
        while len(deployments) >= MAX_DEPLOYMENTS:
            oldest = min(deployments, key=lambda k: deployments[k][1][0])
            del deployments[oldest]
        deployments[random] = (TodoApp(None if variant == REFERENCE else variant), [time.monotonic()])
    return random


def _forget_idle() -> None:
    now = time.monotonic()
    for key in [k for k, (_, used) in deployments.items() if now - used[0] > IDLE_SECONDS]:
        del deployments[key]


def find(random: str) -> TodoApp | None:
    with lock:
        found = deployments.get(random)
        if found is None:
            return None
        found[1][0] = time.monotonic()
        return found[0]


class Handler(BaseHTTPRequestHandler):
    server_version = "practice-api"
    sys_version = ""

    def log_message(self, format: str, *args) -> None:
        return None  # the learner's tests would fill the log: nothing to see there

    def _answer(self, status: int, headers: dict, value: object) -> None:
        data = b"" if value is None or status == 204 else json.dumps(value).encode()
        self.send_response(status)
        for name, text in headers.items():
            self.send_header(name, text)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._body()
        if body is None:
            self.close_connection = True
            return self._answer(413, {}, {"error": "the body must be at most 64 KiB"})
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/health":
            return self._answer(200, {}, {"status": "ok"})
        if path.startswith(CONTROL):
            return self._control(path[len(CONTROL):], body)
        match = PREFIX.match(path)
        app = find(match.group(1)) if match else None
        if app is None:
            return self._answer(404, {}, {"error": f"no route {path}"})
        inner = match.group(2) or "/"
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, extra, value = app.handle(self.command, inner, parts.query, headers, body)
        self._answer(status, extra, value)

    def _control(self, route: str, body: bytes) -> None:
        given = self.headers.get(CONTROL_HEADER, "")
        if not SECRET or not hmac.compare_digest(given.encode(), SECRET.encode()):
            return self._answer(403, {}, {"error": "control endpoints are for labctl only"})
        if route == "variants" and self.command == "GET":
            return self._answer(200, {}, {"reference": REFERENCE, "mutants": listing()})
        if route == "reset" and self.command == "POST":
            with lock:
                deployments.clear()
            return self._answer(200, {}, {"reset": True})
        if route == "deployments" and self.command == "POST":
            try:
                variant = json.loads(body or b"{}").get("variant")
            except (ValueError, AttributeError):
                variant = None
            if variant not in NAMES:
                return self._answer(400, {}, {"error": f"variant must be one of {', '.join(NAMES)}"})
            return self._answer(201, {}, {"prefix": "/" + deploy(variant)})
        if route == "deployments" and self.command == "GET":
            with lock:
                _forget_idle()
                return self._answer(200, {}, {"deployments": len(deployments)})
        if route.startswith("deployments/") and self.command == "DELETE":
            with lock:
                gone = deployments.pop(route[len("deployments/"):], None)
            return self._answer(204 if gone else 404, {}, None if gone else {"error": "no such deployment"})
        return self._answer(404, {}, {"error": f"no control route {self.command} /_labctl/{route}"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


def main() -> None:
    assert set(MUTANTS).isdisjoint({REFERENCE})
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"practice-api listening on :{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
