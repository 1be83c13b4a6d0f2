"""rest-101 reference solution: the Todo API, in Python's standard library plus psycopg (PostgreSQL) and
bcrypt (password hashes). This module is the server and the router; users.py, todos.py, storage.py and
openapi.py do the work.

    POST /register {email, password}  -> 201 {id, email}; 409 a taken email; 400 a missing field or a short password
    POST /login    {email, password}  -> 200 {token}; 401 an unknown email or a wrong password
    /todos...      Authorization: Bearer <token>, else 401
    POST   /todos {title, done?, due?} -> 201 the todo, Location: /todos/{id}; 400 an invalid todo
    GET    /todos?page=&limit=&done=   -> 200 {data, page, limit, total}: the caller's todos by id
    GET    /todos/{id}                 -> 200 the todo; 404 none; 403 another user's
    PUT    /todos/{id} (whole) | PATCH /todos/{id} (some fields) -> 200 the todo
    DELETE /todos/{id}                 -> 204
    GET    /openapi.json               -> the OpenAPI 3.0 document of all of it
    any other method on these paths    -> 405 with Allow

It listens on $HOST:$PORT (127.0.0.1:8000 by default) and reads DATABASE_URL (`eval "$(labctl env)"`):

    python3 app.py                    # the finished app: all seven tasks
    python3 app.py --upto update      # as it stands after task 3 (users, create, update, delete, owner,
                                      #   list, openapi)

--bug NAME switches on one plausible mistake; the lab's self-test uses them to prove the checks catch it.
"""
from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import openapi
import storage
import todos
import users
from errors import HttpError
from options import OPTIONS, bug, done  # the command line, parsed when options is first imported


def unsupported(allowed: list[str]) -> HttpError:
    """405 with the methods that work here; an app before the delete task (or with no-405) answers 404."""
    if not done("delete") or bug("no-405"):
        return HttpError(404, "no such route")
    return HttpError(405, "method not allowed here", None if bug("405-no-allow") else ", ".join(allowed))


def read_json(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise HttpError(400, "the body is not valid JSON") from None


def route(method: str, path: str, query: dict[str, str], authorization: str | None, raw: bytes) -> todos.Answer:
    """(status, body, headers) of one request; raises HttpError for every refusal."""
    path = path.rstrip("/") or "/"
    if path in ("/register", "/login"):
        if method != "POST":
            raise unsupported(["POST"])
        handler = users.register if path == "/register" else users.login
        status, body = handler(todos.json_object(read_json(raw)))
        return status, body, {}
    if path == "/openapi.json" and done("openapi"):
        if method != "GET":
            raise unsupported(["GET"])
        return 200, openapi.document(), {}
    parts = path.strip("/").split("/")
    if parts[0] != "todos" or len(parts) > 2 or not done("create"):
        raise HttpError(404, "no such route")
    user = users.current_user(authorization)  # every /todos route needs a valid token, before anything else
    if len(parts) == 1:
        allowed = ["GET", "POST"] if done("list") else ["POST"]
        if method == "POST":
            return todos.create(user, read_json(raw))
        if method == "GET" and done("list"):
            return todos.listing(user, query)
        raise unsupported(allowed)
    todo_id = parts[1]
    allowed = ["GET"] + (["PUT", "PATCH"] if done("update") else []) + (["DELETE"] if done("delete") else [])
    if method not in allowed:
        raise unsupported(allowed)
    if method == "GET":
        return todos.read(user, todo_id)
    if method == "PUT":
        return todos.replace(user, todo_id, read_json(raw))
    if method == "PATCH":
        return todos.update(user, todo_id, read_json(raw))
    return todos.delete(user, todo_id)


class Handler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        try:
            status, body, headers = route(self.command, url.path, query, self.headers.get("Authorization"), raw)
        except HttpError as exc:
            status, body = exc.status, {"error": exc.message}
            if exc.allow:
                headers = {"Allow": exc.allow}
        except Exception as exc:  # noqa: BLE001 - a bug in a handler: 500, and keep serving
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            status, body = 500, {"error": "internal server error"}
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, fmt, *args) -> None:
        pass  # quiet: the checks make many requests


class Server(ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    storage.setup()
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"rest-101 Todo API (up to task {OPTIONS.upto}) on http://{host}:{port}", flush=True)
    Server((host, port), Handler).serve_forever()
