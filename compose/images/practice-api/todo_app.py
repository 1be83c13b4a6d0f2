"""The Todo API of rest-101, in memory, as one deployment serves it: the reference, or one mutant (one bug).

handle() takes a request (method, path under the deployment, query string, headers with lower-case names,
body bytes) and returns (status, headers, JSON value or None). Every answer is built the same way for every
variant: only the one bug a mutant carries differs.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import secrets
import threading
from urllib.parse import parse_qs

from openapi import DOCUMENT

MAX_USERS = 200
MAX_TODOS = 2000
ROUTES = {"/register": ("POST",), "/login": ("POST",), "/openapi.json": ("GET",), "/todos": ("GET", "POST")}
ITEM_METHODS = ("GET", "PUT", "PATCH", "DELETE")
ITEM = re.compile(r"^/todos/([^/]+)$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
POSITIVE = re.compile(r"^[1-9]\d{0,8}$")
ANONYMOUS = 0  # the owner of todos made without a token (only the missing-auth-accepted mutant makes any)


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.sha256(salt + password.encode("utf-8", "surrogatepass")).digest()


class TodoApp:
    """One deployment's store and rules. `bug` is None for the reference, else one name of variants.MUTANTS."""

    def __init__(self, bug: str | None = None):
        self.bug = bug
        self.lock = threading.Lock()
        self.users: dict[str, dict] = {}  # email -> {id, email, salt, hash}
        self.tokens: dict[str, int] = {}
        self.todos: dict[int, dict] = {}
        self.next_user = 1
        self.next_todo = 1

    # -- the entry point

    def handle(self, method: str, path: str, query: str, headers: dict, body: bytes) -> tuple[int, dict, object]:
        try:
            with self.lock:
                return self._route(method, path, query, headers, body)
        except Refused as refused:
            return refused.status, refused.headers, {"error": refused.message}

    def _route(self, method, path, query, headers, body):
        match = ITEM.match(path)
        allowed = ROUTES.get(path) or (ITEM_METHODS if match else None)
        if allowed is None:
            raise Refused(404, f"no route {path}")
        if method not in allowed:
            allow = {} if self.bug == "no-allow" else {"Allow": ", ".join(allowed)}
            raise Refused(405, f"{method} is not allowed on {path}", allow)
        if path == "/openapi.json":
            return 200, {}, DOCUMENT
        if path == "/register":
            return self._register(self._json(headers, body))
        if path == "/login":
            return self._login(self._json(headers, body))
        user = self._caller(headers)
        if path == "/todos":
            if method == "GET":
                return self._list(user, query)
            return self._create(user, self._json(headers, body))
        todo = self._find(user, match.group(1))
        if method == "GET":
            return 200, {}, self._shown(todo)
        if method == "DELETE":
            if self.bug != "delete-keeps":
                del self.todos[todo["id"]]
            return 204, {}, None
        fields = self._valid(self._json(headers, body), whole=method == "PUT")
        if method == "PUT" and self.bug != "put-like-patch":
            todo.update(done=False, due=None)
        todo.update(fields)
        return 200, {}, self._shown(todo)

    # -- accounts

    def _json(self, headers: dict, body: bytes) -> dict:
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            if self.bug == "not-json-500":
                raise Refused(500, "internal server error") from None
            raise Refused(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Refused(400, "the body must be a JSON object")
        return data

    def _register(self, data: dict):
        email, password = data.get("email"), data.get("password")
        if not isinstance(email, str) or not email.strip() or not isinstance(password, str):
            raise Refused(400, "email and password are required")
        if len(password) < 8:
            raise Refused(400, "the password must have at least 8 characters")
        if email in self.users:
            raise Refused(409, "this email is already registered")
        if len(self.users) >= MAX_USERS:
            raise Refused(507, "this practice API holds no more users; start a new deployment")
        salt = secrets.token_bytes(16)
        user = {"id": self.next_user, "email": email, "salt": salt, "hash": _hash(password, salt)}
        self.users[email] = user
        self.next_user += 1
        return 201, {}, {"id": user["id"], "email": email}

    def _login(self, data: dict):
        email, password = data.get("email"), data.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise Refused(400, "email and password are required")
        user = self.users.get(email)
        right = user is not None and hmac.compare_digest(user["hash"], _hash(password, user["salt"]))
        if user is None or not (right or self.bug == "wrong-password-accepted"):
            raise Refused(401, "wrong email or password")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = user["id"]
        return 200, {}, {"token": token}

    def _caller(self, headers: dict) -> int:
        value = headers.get("authorization", "")
        if not value and self.bug == "missing-auth-accepted":
            return ANONYMOUS
        scheme, _, token = value.partition(" ")
        user = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Refused(401, "a valid Bearer token is required")
        return user

    # -- todos

    def _valid(self, data: dict, *, whole: bool) -> dict:
        out = {}
        if "title" in data or whole:
            title = data.get("title")
            if not isinstance(title, str):
                raise Refused(400, "title is required and must be a string")
            if not title and self.bug != "empty-title-accepted":
                raise Refused(400, "title must not be empty")
            if len(title) > 200:
                raise Refused(400, "title must have at most 200 characters")
            out["title"] = title
        if "done" in data:
            if not isinstance(data["done"], bool):
                raise Refused(400, "done must be true or false")
            out["done"] = data["done"]
        if "due" in data:
            due = data["due"]
            if due is not None and not (isinstance(due, str) and DATE.match(due) and _is_date(due)):
                raise Refused(400, "due must be a date YYYY-MM-DD or null")
            out["due"] = due
        return out

    def _create(self, user: int, data: dict):
        fields = self._valid(data, whole=True)
        if len(self.todos) >= MAX_TODOS:
            raise Refused(507, "this practice API holds no more todos; start a new deployment")
        todo = {"id": self.next_todo, "title": fields["title"], "done": fields.get("done", False),
                "due": fields.get("due"), "owner": user}
        self.todos[todo["id"]] = todo
        self.next_todo += 1
        headers = {} if self.bug == "no-location" else {"Location": f"/todos/{todo['id']}"}
        return (200 if self.bug == "create-200" else 201), headers, self._shown(todo)

    def _find(self, user: int, raw_id: str) -> dict:
        todo = self.todos.get(int(raw_id)) if POSITIVE.match(raw_id) else None
        if todo is None:
            raise Refused(404, f"no todo {raw_id}")
        if todo["owner"] != user and self.bug != "other-user-readable":
            raise Refused(403, "this todo belongs to another user")
        return todo

    def _list(self, user: int, query: str):
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        page, limit = params.get("page", "1"), params.get("limit", "10")
        if not POSITIVE.match(page) or not POSITIVE.match(limit):
            raise Refused(400, "page and limit must be positive integers")
        page, limit = int(page), min(int(limit), 100)
        if self.bug == "limit-ignored":
            limit = 10
        mine = [t for _, t in sorted(self.todos.items()) if t["owner"] == user]
        done = params.get("done")
        if done is not None:
            if done not in ("true", "false"):
                raise Refused(400, "done must be true or false")
            if self.bug != "done-filter-ignored":
                mine = [t for t in mine if t["done"] == (done == "true")]
        start = 0 if self.bug == "page-repeats" else (page - 1) * limit
        data = [self._shown(t) for t in mine[start:start + limit]]
        total = len(data) if self.bug == "total-counts-page" else len(mine)
        return 200, {}, {"data": data, "page": page, "limit": limit, "total": total}

    @staticmethod
    def _shown(todo: dict) -> dict:
        return {k: todo[k] for k in ("id", "title", "done", "due")}


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
