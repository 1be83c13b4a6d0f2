"""rest-101, another right answer: written apart from solution/, making the other choices the task text
leaves open, so that a check fitted to the reference's choices fails here.

- WSGI (wsgiref), one module; a route table gives each path its methods, and 405 lists them in Allow.
- Accounts with UUID ids, their Argon2id hashes in a credentials table; sessions in a sessions table whose
  bearer token is "<session id>.<secret>", the secret kept as a SHA-512 digest.
- Todos with UUID ids (strings), extra fields (owner, created_at, updated_at); invalid fields get 422 with
  {"error": ..., "field": ...}, a body that is not JSON 400; an id that is not a UUID is simply not found.
- The list is one query with count(*) OVER () for the total.
- The OpenAPI document is 3.1 (type [string, "null"]), with every error as the default response.

It reads DATABASE_URL and listens on $HOST:$PORT.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import uuid
from datetime import date
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DATABASE_URL = os.environ["DATABASE_URL"]
hasher = PasswordHasher()

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id uuid PRIMARY KEY,
    email      varchar(320) NOT NULL UNIQUE,
    joined     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS credentials (
    account_id uuid PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,
    secret     text NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts ON DELETE CASCADE,
    digest     bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    task_id    uuid PRIMARY KEY,
    seq        bigserial UNIQUE,               -- the order of creation: the list's order
    account_id uuid NOT NULL REFERENCES accounts ON DELETE CASCADE,
    title      varchar(200) NOT NULL,
    is_done    boolean NOT NULL,
    due_on     date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""
FIELDS = "task_id, title, is_done, due_on, account_id, created_at, updated_at"


class Refusal(Exception):
    def __init__(self, status: int, message: str, field: str | None = None, allow: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.allow = status, message, field, allow


def sql(query: str, args: tuple = (), *, many: bool = False):
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        cursor = conn.execute(query, args)
        if cursor.description is None:
            return None
        return cursor.fetchall() if many else cursor.fetchone()


def shown(row: tuple) -> dict:
    task_id, title, is_done, due_on, owner, created, updated = row
    return {"id": str(task_id), "title": title, "done": is_done, "due": due_on.isoformat() if due_on else None,
            "owner": str(owner), "created_at": created.isoformat(), "updated_at": updated.isoformat()}


# ---- accounts and sessions ---------------------------------------------------------------------------

def credentials(body) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise Refusal(400, "send {\"email\": ..., \"password\": ...}")
    email, password = body.get("email"), body.get("password")
    for name, value in (("email", email), ("password", password)):
        if not isinstance(value, str) or not value:
            raise Refusal(400, f"{name} is missing", name)
    return email.strip().lower(), password


def sign_up(body, _account, _rest, _query):
    email, password = credentials(body)
    if len(password) < 8:
        raise Refusal(400, "passwords have 8 characters or more", "password")
    account = uuid.uuid4()
    if sql("INSERT INTO accounts (account_id, email) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1",
           (account, email)) is None:
        raise Refusal(409, "an account with this email exists", "email")
    sql("INSERT INTO credentials VALUES (%s, %s)", (account, hasher.hash(password)))
    return 201, {"id": str(account), "email": email, "created": True}, {}


def sign_in(body, _account, _rest, _query):
    email, password = credentials(body)
    row = sql("SELECT a.account_id, c.secret FROM accounts a JOIN credentials c USING (account_id) WHERE email = %s",
              (email,))
    try:
        if row is None or not hasher.verify(row[1], password):
            raise VerificationError()
    except (VerificationError, InvalidHashError):
        raise Refusal(401, "unknown email or wrong password") from None
    session, secret = uuid.uuid4(), secrets.token_hex(24)
    sql("INSERT INTO sessions VALUES (%s, %s, %s)", (session, row[0], hashlib.sha512(secret.encode()).digest()))
    return 200, {"token": f"{session}.{secret}", "type": "bearer"}, {}


def account_of(header: str) -> uuid.UUID:
    match = re.fullmatch(r"Bearer ([0-9a-f-]{36})\.([0-9a-f]{48})", header.strip())
    if match:
        row = sql("SELECT account_id, digest FROM sessions WHERE session_id = %s", (match.group(1),))
        if row and hmac.compare_digest(bytes(row[1]), hashlib.sha512(match.group(2).encode()).digest()):
            return row[0]
    raise Refusal(401, "a valid bearer token is required")


# ---- todos ----------------------------------------------------------------------------------------------

def checked(body, *, whole: bool) -> dict:
    if not isinstance(body, dict):
        raise Refusal(422, "the body must be a JSON object")
    out = {}
    if whole or "title" in body:
        title = body.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 200:
            raise Refusal(422, "title: a string of 1 to 200 characters", "title")
        out["title"] = title
    if whole or "done" in body:
        done = body.get("done", False)
        if not isinstance(done, bool):
            raise Refusal(422, "done: true or false", "done")
        out["is_done"] = done
    if whole or "due" in body:
        due = body.get("due")
        if due is not None:
            try:
                if not isinstance(due, str) or len(due) != 10:
                    raise ValueError
                due = date.fromisoformat(due)
            except ValueError:
                raise Refusal(422, "due: a date (YYYY-MM-DD) or null", "due") from None
        out["due_on"] = due
    return out


def owned(account: uuid.UUID, text: str) -> tuple:
    try:
        task_id = uuid.UUID(text)
    except ValueError:
        raise Refusal(404, "not found") from None
    row = sql(f"SELECT {FIELDS} FROM tasks WHERE task_id = %s", (task_id,))
    if row is None:
        raise Refusal(404, "not found")
    if row[4] != account:
        raise Refusal(403, "this todo is someone else's")
    return row


def add(body, account, _rest, _query):
    fields = checked(body, whole=True)
    row = sql(f"INSERT INTO tasks (task_id, account_id, title, is_done, due_on) VALUES (%s, %s, %s, %s, %s) "
              f"RETURNING {FIELDS}", (uuid.uuid4(), account, fields["title"], fields["is_done"], fields["due_on"]))
    return 201, shown(row), {"Location": f"/todos/{row[0]}"}


def change(row: tuple, fields: dict) -> dict:
    sets = ", ".join(f"{k} = %s" for k in fields) + ", updated_at = now()"
    return shown(sql(f"UPDATE tasks SET {sets} WHERE task_id = %s RETURNING {FIELDS}", (*fields.values(), row[0])))


def one(body, account, rest, _query):
    return 200, shown(owned(account, rest)), {}


def put(body, account, rest, _query):
    row = owned(account, rest)
    return 200, change(row, checked(body, whole=True)), {}


def patch(body, account, rest, _query):
    row = owned(account, rest)
    return 200, change(row, checked(body, whole=False)), {}


def remove(body, account, rest, _query):
    row = owned(account, rest)
    sql("DELETE FROM tasks WHERE task_id = %s", (row[0],))
    return 204, None, {}


def number(query: dict, name: str, default: int) -> int:
    text = query.get(name, [str(default)])[-1]
    if not text.isdigit() or int(text) == 0:
        raise Refusal(400, f"{name}: a whole number from 1", name)
    return int(text)


def listing(body, account, _rest, query):
    page, limit = number(query, "page", 1), min(number(query, "limit", 10), 100)
    done = query.get("done", [None])[-1]
    if done not in (None, "true", "false"):
        raise Refusal(400, "done: true or false", "done")
    where, args = "account_id = %s", [account]
    if done is not None:
        where += " AND is_done = %s"
        args.append(done == "true")
    offset = min((page - 1) * limit, 2**62)
    rows = sql(f"SELECT {FIELDS}, count(*) OVER () FROM tasks WHERE {where} ORDER BY seq LIMIT %s OFFSET %s",
               (*args, limit, offset), many=True)
    total = rows[0][-1] if rows else sql(f"SELECT count(*) FROM tasks WHERE {where}", tuple(args))[0]
    return 200, {"page": page, "limit": limit, "total": total, "data": [shown(r[:-1]) for r in rows]}, {}


def document(body, _account, _rest, _query):
    return 200, OPENAPI, {}


# ---- the OpenAPI document -----------------------------------------------------------------------------

def _body(name: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _ok(name: str, extra: dict | None = None) -> dict:
    return {"description": name, **_body(name), **(extra or {})}


PROBLEM = {"default": {"description": "an error", **_body("Problem")}}
TODO_PROPS = {"title": {"type": "string", "minLength": 1, "maxLength": 200}, "done": {"type": "boolean"},
              "due": {"type": ["string", "null"], "format": "date"}}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "todos (rest-101 variant)", "version": "2"},
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Login": {"type": "object", "required": ["email", "password"],
                      "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
            "Account": {"type": "object", "required": ["id", "email"],
                        "properties": {"id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}}},
            "Session": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
            "Input": {"type": "object", "properties": TODO_PROPS},
            "Todo": {"type": "object", "required": ["id", "title", "done", "due", "owner"],
                     "properties": {"id": {"type": "string", "format": "uuid"}, **TODO_PROPS,
                                    "owner": {"type": "string"}, "created_at": {"type": "string"},
                                    "updated_at": {"type": "string"}}},
            "Page": {"type": "object", "required": ["data", "page", "limit", "total"],
                     "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Todo"}},
                                    "page": {"type": "integer"}, "limit": {"type": "integer"},
                                    "total": {"type": "integer"}}},
            "Problem": {"type": "object", "required": ["error"],
                        "properties": {"error": {"type": "string"}, "field": {"type": "string"}}},
        },
    },
    "security": [{"token": []}],
    "paths": {
        "/register": {"post": {"security": [], "requestBody": _body("Login"),
                               "responses": {"201": _ok("Account"), **PROBLEM}}},
        "/login": {"post": {"security": [], "requestBody": _body("Login"),
                            "responses": {"200": _ok("Session"), **PROBLEM}}},
        "/todos": {
            "get": {"parameters": [{"name": n, "in": "query", "schema": {"type": t}}
                                   for n, t in (("page", "integer"), ("limit", "integer"), ("done", "boolean"))],
                    "responses": {"200": _ok("Page"), **PROBLEM}},
            "post": {"requestBody": _body("Input"),
                     "responses": {"201": _ok("Todo", {"headers": {"Location": {"schema": {"type": "string"}}}}),
                                   **PROBLEM}},
        },
        "/todos/{todoId}": {
            "parameters": [{"name": "todoId", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "get": {"responses": {"200": _ok("Todo"), **PROBLEM}},
            "put": {"requestBody": _body("Input"), "responses": {"200": _ok("Todo"), **PROBLEM}},
            "patch": {"requestBody": _body("Input"), "responses": {"200": _ok("Todo"), **PROBLEM}},
            "delete": {"responses": {"204": {"description": "deleted"}, **PROBLEM}},
        },
    },
}

# ---- routing --------------------------------------------------------------------------------------------

ROUTES = [  # (pattern, {method: (handler, needs a login)})
    (r"/register", {"POST": (sign_up, False)}),
    (r"/login", {"POST": (sign_in, False)}),
    (r"/openapi\.json", {"GET": (document, False)}),
    (r"/todos", {"GET": (listing, True), "POST": (add, True)}),
    (r"/todos/([^/]+)", {"GET": (one, True), "PUT": (put, True), "PATCH": (patch, True), "DELETE": (remove, True)}),
]


def dispatch(environ) -> tuple[int, object, dict]:
    path, method = environ.get("PATH_INFO") or "/", environ["REQUEST_METHOD"]
    for pattern, methods in ROUTES:
        match = re.fullmatch(pattern, path)
        if not match:
            continue
        if path.startswith("/todos"):
            account = account_of(environ.get("HTTP_AUTHORIZATION") or "")
        else:
            account = None
        if method not in methods:
            raise Refusal(405, f"{method} is not allowed here", allow=", ".join(methods))
        handler, _ = methods[method]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size) if size else b""
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise Refusal(400, "the body is not JSON") from None
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        return handler(body, account, match.group(1) if match.groups() else None, query)
    raise Refusal(404, "no such resource")


def application(environ, start_response):
    try:
        status, body, headers = dispatch(environ)
    except Refusal as refusal:
        status, headers = refusal.status, ({"Allow": refusal.allow} if refusal.allow else {})
        body = {"error": refusal.message, **({"field": refusal.field} if refusal.field else {})}
    data = b"" if body is None else json.dumps(body).encode()
    names = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
             403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
             422: "Unprocessable Entity"}
    out = [(k, v) for k, v in headers.items()]
    if body is not None:
        out.append(("Content-Type", "application/json; charset=utf-8"))
    start_response(f"{status} {names.get(status, 'Error')}", out)
    return [data]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    sql(SCHEMA)
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"rest-101 variant on http://{host}:{port}", flush=True)
    make_server(host, port, application, server_class=Server, handler_class=QuietHandler).serve_forever()
