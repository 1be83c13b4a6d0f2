"""practice-http: a small JSON/HTML practice API for learning HTTP with curl (Python 3 standard library only).

Listens on 0.0.0.0:8080 (PORT overrides); one thread per request; bodies over 64 KiB are refused with 413.
The state (trace, items, sessions) is kept in memory and saved to STATE_DIR/state.json (default
/var/lib/practice-http, a volume) after every request, so a stop and start keeps the learner's work.
SIGTERM saves and exits at once.

Endpoints
  GET    /health                 200 {"status": "ok"}
  GET    /items                  200 list of items
  POST   /items                  201 + Location: /items/<id>; needs Content-Type: application/json and a
                                 JSON object with a "name"; 415 without that content type, 400 on bad JSON
  GET    /items/<id>             200, or 404 {"error": ...}
  PUT    /items/<id>             200 (replaces name/price), 404, 400, 415
  DELETE /items/<id>             204, or 404
  (wrong methods answer 405 with an Allow header)
  OPTIONS /items, /items/<id>    CORS preflight: allowed for Origin http://localhost:3000 only (204)
  GET    /echo                   200: your method, path, query and headers as JSON (any method works)
  GET    /search?q=..&limit=..   200: items whose name contains q (limit 1-50, default 10); 400 on a bad limit
  GET    /answer?status=<code>   records your answer to task 1 (200 {"answer": ...})
  POST   /login                  form or JSON user=learner&password=http-is-fun: 200 + Set-Cookie session=...
                                 401 on a wrong password
  GET    /me                     200 {"user": "learner"} with the session cookie, 401 otherwise
  GET    /old-path               301 -> /new-path;   GET /new-path  302 -> /treasure
  GET    /treasure               200 HTML page showing the treasure code
  POST   /submit                 JSON {"code": "..."}: 200 if right, 422 if wrong
  GET    /catalog                200 with ETag and Cache-Control: max-age=60; If-None-Match with the ETag -> 304

Lab endpoints (never recorded in the trace, like /health)
  GET    /_lab/trace             JSON list of the requests received: time, method, path, query, headers
                                 (selected), cookies, body (first 500 characters), status
  POST   /_lab/reset             clears the trace, the items, the sessions and the answers
  GET    /_lab/check/<task>      {"done": bool, "result": "done" | why not}; tasks: read-status, create-item,
                                 login, redirects, conditional-get, cors-preflight
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from practice_data import CATALOG_BODY, CATALOG_ETAG, CORS_ORIGIN, PASSWORD, TREASURE_CODE, TREASURE_PAGE, USER
from task_checks import UnknownTask, check_task

MAX_BODY = 64 * 1024
MAX_TRACE = 1000
BODY_KEPT = 500
KEPT_HEADERS = ("host", "user-agent", "accept", "content-type", "content-length", "x-student", "if-none-match",
                "if-modified-since", "origin", "access-control-request-method", "access-control-request-headers",
                "authorization", "cookie", "referer")
STATE_DIR = os.environ.get("STATE_DIR", "/var/lib/practice-http")
lock = threading.RLock()
state: dict = {}


def fresh_state() -> dict:
    return dict(trace=[], items={1: {"id": 1, "name": "keyboard", "price": 25.0},
                                 2: {"id": 2, "name": "mouse", "price": 12.5}},
                next_id=3, sessions={})


def reset_state() -> None:
    """Back to the lab's starting data, saved."""
    with lock:
        state.clear()
        state.update(fresh_state())
        save_state()


def save_state() -> None:
    """Write the state then rename it into place: a crash never leaves half a file."""
    if not os.path.isdir(STATE_DIR):
        return
    with lock:
        data = json.dumps({"trace": state["trace"], "items": list(state["items"].values()),
                           "next_id": state["next_id"], "sessions": state["sessions"]})
    fd, tmp = tempfile.mkstemp(dir=STATE_DIR, prefix=".state-")
    with os.fdopen(fd, "w") as handle:
        handle.write(data)
    os.replace(tmp, os.path.join(STATE_DIR, "state.json"))


def load_state() -> None:
    try:
        with open(os.path.join(STATE_DIR, "state.json")) as handle:
            data = json.load(handle)
        with lock:
            state.update(trace=list(data["trace"]), items={int(i["id"]): i for i in data["items"]},
                         next_id=int(data["next_id"]), sessions=dict(data["sessions"]))
    except (OSError, ValueError, KeyError, TypeError):
        reset_state()  # no saved state yet (or a damaged one): the lab's starting data


state.update(fresh_state())  # in memory only until main() loads what was saved


class Reply(Exception):
    def __init__(self, status, body=None, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


class Handler(BaseHTTPRequestHandler):
    server_version = "practice-http/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; the trace is the log
        pass

    # ---- plumbing ---------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise Reply(400, {"error": "bad Content-Length"})
        if n > MAX_BODY or n < 0:
            self.close_connection = True
            raise Reply(413, {"error": f"body too large (at most {MAX_BODY} bytes)"})
        return self.rfile.read(n)

    def _json_body(self, raw: bytes):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Reply(415, {"error": "send JSON with the header Content-Type: application/json"})
        try:
            data = json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise Reply(400, {"error": f"the body is not valid JSON: {exc}"})
        if not isinstance(data, dict):
            raise Reply(400, {"error": "the body must be a JSON object"})
        return data

    def _cookies(self) -> dict:
        out = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                out[name] = value
        return out

    def _send(self, status, body=None, headers=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = (json.dumps(body, indent=2) + "\n").encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            data = body or b""
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(data)

    def _handle(self):
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        raw = b""
        status = 500
        try:
            try:
                raw = self._body()
                status, body, headers = self.route(self.command, path, query, raw)
            except Reply as r:
                status, body, headers = r.status, r.body, r.headers
            self._send(status, body, headers)
        finally:
            if not (path == "/health" or path.startswith("/_lab")):
                entry = {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "method": self.command, "path": path, "query": query,
                    "headers": {k: v for k, v in ((k.lower(), v) for k, v in self.headers.items()) if k in KEPT_HEADERS},
                    "cookies": self._cookies(),
                    "body": raw[:BODY_KEPT].decode("utf-8", "replace"),
                    "status": status,
                }
                with lock:
                    state["trace"].append(entry)
                    del state["trace"][:-MAX_TRACE]
                    save_state()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _handle

    # ---- routes -----------------------------------------------------------------------------------
    def route(self, method, path, query, raw):
        def allow(*methods):
            if method not in methods:
                raise Reply(405, {"error": f"{method} is not allowed on {path}"}, {"Allow": ", ".join(methods)})

        if path == "/health":
            return 200, {"status": "ok"}, None
        if path == "/_lab/trace":
            allow("GET")
            with lock:
                return 200, list(state["trace"]), None
        if path == "/_lab/reset":
            allow("POST")
            reset_state()
            return 200, {"reset": True}, None
        if path.startswith("/_lab/check/"):
            allow("GET")
            task = path[len("/_lab/check/"):]
            with lock:
                try:
                    why = check_task(task, state["trace"])
                except UnknownTask:
                    raise Reply(404, {"error": f"no check called {task!r}"}) from None
            return 200, {"done": why is None, "result": why or "done"}, None
        if path in ("/items",) or path.startswith("/items/"):
            return self.items(method, path, raw)
        if path == "/echo":
            return 200, {"method": method, "path": path, "query": query, "headers": dict(self.headers.items()),
                         "body": raw[:BODY_KEPT].decode("utf-8", "replace")}, None
        if path == "/search":
            allow("GET", "HEAD")
            q = query.get("q", "").lower()
            try:
                limit = int(query.get("limit", "10"))
                if not 1 <= limit <= 50:
                    raise ValueError
            except ValueError:
                raise Reply(400, {"error": "limit must be a whole number from 1 to 50"})
            with lock:
                found = [i for i in state["items"].values() if q in i["name"].lower()][:limit]
            return 200, {"q": q, "limit": limit, "results": found}, None
        if path == "/answer":
            allow("GET")
            if "status" not in query:
                raise Reply(400, {"error": "give your answer as ?status=<code>"})
            return 200, {"answer": query["status"], "recorded": True}, None
        if path == "/login":
            allow("POST")
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/json":
                data = self._json_body(raw)
            else:
                data = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if data.get("user") != USER or data.get("password") != PASSWORD:
                raise Reply(401, {"error": "wrong user or password"})
            token = secrets.token_hex(16)
            with lock:
                state["sessions"][token] = USER
            return 200, {"logged_in": USER}, {"Set-Cookie": f"session={token}; Path=/; HttpOnly; SameSite=Lax"}
        if path == "/me":
            allow("GET", "HEAD")
            token = self._cookies().get("session")
            with lock:
                user = state["sessions"].get(token or "")
            if not user:
                raise Reply(401, {"error": "not logged in: send the session cookie from POST /login"},
                            {"WWW-Authenticate": 'Cookie realm="practice-http"'})
            return 200, {"user": user}, None
        if path == "/old-path":
            return 301, {"moved": "/new-path"}, {"Location": "/new-path"}
        if path == "/new-path":
            return 302, {"found": "/treasure"}, {"Location": "/treasure"}
        if path == "/treasure":
            allow("GET", "HEAD")
            return 200, TREASURE_PAGE, None
        if path == "/submit":
            allow("POST")
            data = self._json_body(raw)
            if data.get("code") != TREASURE_CODE:
                raise Reply(422, {"correct": False, "error": "that is not the treasure code"})
            return 200, {"correct": True, "message": "well done!"}, None
        if path == "/catalog":
            allow("GET", "HEAD")
            headers = {"ETag": CATALOG_ETAG, "Cache-Control": "public, max-age=60"}
            tags = [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]
            if CATALOG_ETAG in tags or "*" in tags:
                return 304, None, headers
            headers["Content-Type"] = "application/json"
            return 200, CATALOG_BODY, headers
        if path == "/":
            return 200, {"service": "practice-http", "try": ["/items", "/echo", "/search?q=key", "/catalog",
                                                             "/old-path", "/me"]}, None
        raise Reply(404, {"error": f"nothing at {path}"})

    def items(self, method, path, raw):
        cors = {}
        origin = self.headers.get("Origin")
        if origin == CORS_ORIGIN:
            cors = {"Access-Control-Allow-Origin": CORS_ORIGIN, "Vary": "Origin"}
        if method == "OPTIONS":
            wanted = self.headers.get("Access-Control-Request-Method")
            if origin == CORS_ORIGIN and wanted:
                return 204, None, dict(cors, **{
                    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
                    "Access-Control-Allow-Headers": "Content-Type, X-Student",
                    "Access-Control-Max-Age": "600"})
            return 204, None, {"Allow": "GET, POST, OPTIONS" if path == "/items" else "GET, PUT, DELETE, OPTIONS"}
        if path == "/items":
            if method in ("GET", "HEAD"):
                with lock:
                    return 200, list(state["items"].values()), cors
            if method == "POST":
                data = self._json_body(raw)
                name = data.get("name")
                if not isinstance(name, str) or not name.strip():
                    raise Reply(400, {"error": "the item needs a \"name\" (a non-empty string)"}, cors)
                price = data.get("price", 0)
                if not isinstance(price, (int, float)) or isinstance(price, bool):
                    raise Reply(400, {"error": "\"price\" must be a number"}, cors)
                with lock:
                    if len(state["items"]) >= 1000:
                        raise Reply(507, {"error": "too many items; POST /_lab/reset"}, cors)
                    item = {"id": state["next_id"], "name": name[:200], "price": price}
                    if self.headers.get("X-Student"):
                        item["created_by"] = self.headers["X-Student"][:100]
                    state["items"][item["id"]] = item
                    state["next_id"] += 1
                return 201, item, dict(cors, Location=f"/items/{item['id']}")
            raise Reply(405, {"error": f"{method} is not allowed on /items"}, {"Allow": "GET, POST, OPTIONS"})
        rest = path[len("/items/"):]
        if not rest.isdigit():
            raise Reply(404, {"error": f"nothing at {path}: item ids are numbers"})
        item_id = int(rest)
        with lock:
            item = state["items"].get(item_id)
        if method not in ("GET", "HEAD", "PUT", "DELETE"):
            raise Reply(405, {"error": f"{method} is not allowed on {path}"}, {"Allow": "GET, PUT, DELETE, OPTIONS"})
        if item is None:
            raise Reply(404, {"error": f"no item {item_id}"}, cors)
        if method in ("GET", "HEAD"):
            return 200, item, cors
        if method == "DELETE":
            with lock:
                state["items"].pop(item_id, None)
            return 204, None, cors
        data = self._json_body(raw)
        with lock:
            if "name" in data and isinstance(data["name"], str) and data["name"].strip():
                item["name"] = data["name"][:200]
            if isinstance(data.get("price"), (int, float)) and not isinstance(data.get("price"), bool):
                item["price"] = data["price"]
        return 200, item, cors


def main() -> None:
    load_state()

    def stop(signum, frame):  # PID 1 gets no default SIGTERM handling: stop at once, not after the engine's timeout
        with lock:
            save_state()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    print(f"practice-http listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
