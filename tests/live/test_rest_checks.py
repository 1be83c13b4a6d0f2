"""rest.* checks against a real Todo API on 127.0.0.1 (a threaded http.server written here): the right API
passes, its other right spellings pass, and each classic mistake, switched on by name in the URL
(/auth/MODE/todos, MODE = good or names joined by +), fails with its own message. No container needed."""
from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from labctl.check_engine import registry
from tests.servers import base_url, serving
from tests.check_runs import run_entry

USERS: dict[str, str] = {}  # name -> password
TOKENS: dict[str, str] = {}  # token -> name
TODOS: dict[str, dict] = {}  # id as text -> todo, with its owner and the mode it was made in
LOCK = threading.Lock()
NEXT = itertools.count(1)
ANYONE = "*anyone*"  # who a request is when a mistake lets it through without a real login


class TodoApi(BaseHTTPRequestHandler):
    """/auth/MODE/... needs a bearer token (per-user todos); /open/MODE/... is one shared list, no logins."""

    def log_message(self, *args) -> None:
        pass

    # ---- plumbing ------------------------------------------------------------------------------

    def _send(self, status: int, body=None, *, headers=(), raw: str | None = None, kind="application/json") -> None:
        data = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", kind)
        for name, value in headers:
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    def _read(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None, False
        except ValueError:
            return None, True

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        self.base = "/" + "/".join(parts[:2])
        self.modes = set(parts[1].split("+"))
        self.logins = parts[0] == "auth"
        self.query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if "slow" in self.modes:
            time.sleep(0.4)
        rest = parts[2:]
        body, broken = self._read()
        with LOCK:
            if rest == ["register"] and method == "POST":
                return self._register(body)
            if rest == ["login"] and method == "POST":
                return self._login(body)
            if rest and rest[0] == "todos" and len(rest) <= 2:
                who = self._who()
                if who is None:
                    return self._send(401, {"error": "log in first"}, headers=[("WWW-Authenticate", "Bearer")])
                if len(rest) == 1:
                    return self._collection(method, who, body, broken)
                return self._item(method, who, rest[1], body, broken)
        self._send(404, {"error": "no such route"})

    def _unsupported(self, allow: str) -> None:
        if "no-405-404" in self.modes:
            return self._send(404, {"error": "not found"})
        if "no-405-200" in self.modes:
            return self._send(200, {"ok": True})
        self._send(405, {"error": "method not allowed"}, headers=[] if "405-no-allow" in self.modes else [("Allow", allow)])

    # ---- users ---------------------------------------------------------------------------------

    def _register(self, body) -> None:
        if not isinstance(body, dict) or not body.get("username") or not body.get("password"):
            return self._send(422, {"error": "username and password are required"})
        if body["username"] in USERS:
            return self._send(409, {"error": "taken"})
        USERS[body["username"]] = body["password"]
        self._send(201, {"username": body["username"]})

    def _login(self, body) -> None:
        if not isinstance(body, dict) or USERS.get(body.get("username")) != body.get("password"):
            return self._send(401, {"error": "wrong username or password"})
        token = secrets.token_urlsafe(16)
        TOKENS[token] = body["username"]
        self._send(200, {"access_token": token, "token_type": "bearer"},
                   headers=[("Set-Cookie", f"sid={token}; HttpOnly; SameSite=Lax; Path=/")])

    def _who(self) -> str | None:
        if not self.logins:
            return ANYONE
        header = self.headers.get("Authorization") or ""
        token = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        if not token and "cookie-login" in self.modes:  # a browser-style session: the login's cookie
            cookies = dict(p.strip().partition("=")[::2] for p in (self.headers.get("Cookie") or "").split(";"))
            token = cookies.get("sid", "")
        if token in TOKENS:
            return TOKENS[token]
        if token and "forged-token-allowed" in self.modes:
            return ANYONE
        if not token and "missing-auth-allowed" in self.modes:
            return ANYONE
        return None

    # ---- todos ---------------------------------------------------------------------------------

    def _wrap(self, todo: dict) -> dict:
        hidden = ("owner", "mode", "deleted", *(["title"] if "answer-without-title" in self.modes else []))
        shown = {k: v for k, v in todo.items() if k not in hidden}
        return {"data": shown} if "wrapped" in self.modes else shown

    def _invalid(self, body, broken: bool) -> str | None:
        if broken:
            return "the body is not JSON"
        if not isinstance(body, dict):
            return "send a JSON object"
        if not isinstance(body.get("title"), str) or not body["title"].strip():
            return "title is required"
        if "done" in body and not isinstance(body["done"], bool):
            return "done must be true or false"
        if "tags" in body and not (isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])):
            return "tags must be a list of strings"
        return None

    def _refuse(self, error: str) -> None:
        if "bad-input-500" in self.modes:
            return self._send(500, raw="Internal Server Error", kind="text/plain")
        if "bad-input-html" in self.modes:
            return self._send(400, raw="<html><body>Bad Request</body></html>", kind="text/html")
        self._send(400 if "invalid-400" in self.modes or error == "the body is not JSON" else 422, {"error": error})

    def _mine(self, who: str) -> list[dict]:
        mode = "/".join(self.base.split("/")[1:])
        return [t for t in TODOS.values() if t["mode"] == mode and (who == ANYONE or t["owner"] == who)
                and not t.get("deleted")]

    def _collection(self, method: str, who: str, body, broken: bool) -> None:
        if method == "GET":
            return self._list(who)
        if method != "POST":
            return self._unsupported("GET, POST")
        error = self._invalid(body, broken)
        if error and "bad-input-accepted" not in self.modes:
            return self._refuse(error)
        body = body if isinstance(body, dict) else {}
        if "dupes-allowed" not in self.modes and any(t["title"] == body.get("title") for t in self._mine(who)):
            return self._send(409, {"error": "you have a todo with this title"})
        todo = self._new(who, body)
        if "created-no-body" in self.modes:
            return self._send(201, headers=self._location(self._last))
        self._send(201 if "create-200" not in self.modes else 200, self._wrap(todo), headers=self._location(self._last))

    def _new(self, who: str, body: dict) -> dict:
        now = datetime.now(UTC).isoformat()
        todo_id = str(uuid.uuid4()) if "uuid" in self.modes else next(NEXT)
        todo = {"id": todo_id, "title": body.get("title"), "done": body.get("done", False),
                "tags": list(body.get("tags", [])), "created_at": now, "updated_at": now, "version": 1,
                "owner": who, "mode": "/".join(self.base.split("/")[1:])}
        TODOS[str(todo_id)] = todo
        self._last = todo_id
        return todo

    def _location(self, todo_id) -> list[tuple[str, str]]:
        if "no-location" in self.modes:
            return []
        path = f"{self.base}/todos/{todo_id}"
        if "abs-location" in self.modes:
            path = f"http://localhost:{self.server.server_address[1]}{path}"
        return [("Location", path)]

    def _list(self, who: str) -> None:
        limit_text = self.query.get("limit", "5")
        if not limit_text.isdigit() or (int(limit_text) < 1 and "limit-zero-accepted" not in self.modes):
            return self._send(400, {"error": "limit must be a whole number from 1"})
        limit = int(limit_text) if "max-not-clamped" in self.modes else min(int(limit_text), 20)
        offset_text = self.query.get("offset")
        page_text = self.query.get("page", "1")
        if offset_text is not None:
            if not offset_text.isdigit():
                return self._send(400, {"error": "offset must be a whole number"})
            start = int(offset_text)
        else:
            if not page_text.isdigit() or int(page_text) < 1:
                return self._send(400, {"error": "page must be a whole number from 1"})
            start = (int(page_text) - 1) * limit
        if "page-overlap" in self.modes:
            start = max(0, start - 1)
        items = self._mine(who)
        every = len(items)
        flag = self.query.get("done")
        if flag is not None:
            if flag not in ("true", "false"):
                return self._send(400, {"error": "done must be true or false"})
            if "filter-ignored" not in self.modes:
                keep = (flag == "true") != ("filter-inverted" in self.modes)
                items = [t for t in items if t["done"] == keep]
        if start >= len(items) and start > 0 and "past-end-404" in self.modes:
            return self._send(404, {"error": "no such page"})
        page = items if "ignore-limit" in self.modes else items[start:start + limit]
        if flag is not None and "filter-leaks" in self.modes and page:  # one item of the other kind slips in
            other = [t for t in self._mine(who) if t not in items]
            page = other[:1] + page[1:] if other else page
        total = len(items) + (1 if "wrong-total" in self.modes else 0)
        if "filter-total-unfiltered" in self.modes:
            total = every
        envelope = {"data": [self._wrap(t) if "wrapped" not in self.modes else self._wrap(t)["data"] for t in page],
                    "limit": limit, "total": total, "pages": -(-total // limit) if limit else 0}
        envelope.update({"offset": start} if offset_text is not None else {"page": int(page_text)})
        self._send(200, envelope)

    def _item(self, method: str, who: str, key: str, body, broken: bool) -> None:
        if method in ("POST", "PATCH"):
            return self._unsupported("GET, PUT, DELETE")
        todo = TODOS.get(key)
        if todo is None or (todo.get("deleted") and "soft-delete" not in self.modes):
            if "not-found-500" in self.modes:
                return self._send(500, raw="KeyError", kind="text/plain")
            return self._send(404, {"error": "no such todo"})
        if who != ANYONE and todo["owner"] != who:
            if method == "DELETE" and "other-user-delete-403" in self.modes:  # refused in words, done in deed
                del TODOS[key]
            visible = (method == "GET" and "other-user-visible" in self.modes) or \
                      (method == "DELETE" and "other-user-delete" in self.modes)
            if not visible:
                return self._send(404 if "hide-404" in self.modes else 403, {"error": "not yours"})
        if method == "GET":
            return self._send(200, self._wrap(todo))
        if method == "DELETE":
            if "soft-delete" in self.modes:
                todo["deleted"] = True
            else:
                del TODOS[key]
            if "delete-200-body" in self.modes:
                return self._send(200, {"deleted": todo["id"]})
            if "delete-200-empty" in self.modes:
                return self._send(200)
            return self._send(204)
        error = self._invalid(body, broken)
        if not error and "put-needs-id" in self.modes and body.get("id") != todo["id"]:
            error = "the id in the body must be the todo's"
        if error:
            return self._refuse(error)
        if "put-creates" in self.modes:
            return self._send(201, self._wrap(self._new(who, body)))
        tags = todo["tags"] + body.get("tags", []) if "put-appends" in self.modes else list(body.get("tags", []))
        todo.update(title=body["title"], done=body.get("done", False), tags=tags, version=todo["version"] + 1,
                    updated_at=datetime.now(UTC).isoformat())
        self._send(200, self._wrap(todo))


@pytest.fixture(scope="module")
def app():
    with serving(TodoApi) as server:
        yield base_url(server)


def run(entry: dict, tmp_path, timeout: float = 10):
    return run_entry(entry, tmp_path, timeout=timeout)


def said(result) -> str:
    """A failure's message without its curl line(s), which every failure must end with."""
    message, sep, curl = result.message.partition(". Try it: curl ")
    assert sep and curl, f"no curl line to paste in {result.message!r}"
    return message


AUTH = {
    "let": {"user": "u${random}", "password": "pw-${random}"},
    "steps": [
        {"method": "POST", "path": "/register", "json": {"username": "${user}", "password": "${password}"},
         "status": 201},
        {"method": "POST", "path": "/login", "json": {"username": "${user}", "password": "${password}"},
         "status": 200, "save": {"token": "access_token"}},
    ],
}


def resource(app: str, mode: str = "good", **more) -> dict:
    """The lab.yaml entry a Todo lab would write."""
    return {"type": "rest.resource", "url": f"{app}/auth/{mode}", "collection": "/todos",
            "create": {"title": "Buy ${random}", "done": False},
            "update": {"title": "Sell ${random}", "done": True, "tags": ["t-${random}"]},
            "invalid": {"a todo with an empty title": {"title": ""},
                        "a todo whose done is a word": {"title": "Ok ${random}", "done": "yes"}},
            "auth": AUTH, **more}


def everything(app: str, mode: str = "good", **more) -> dict:
    return resource(app, mode, location=True, broken_json=True, probes=[
        "create", "fetch", "not_found", "missing_auth", "other_user", "duplicate", "invalid", "update_idempotent",
        "unsupported_method", "delete"], unsupported=["PATCH", "POST /todos/{id}"], **more)


def todos_of(mode: str) -> int:
    with LOCK:
        return sum(1 for t in TODOS.values() if t["mode"] == f"auth/{mode}" or t["mode"] == f"open/{mode}")


# ---- rest.resource: right answers pass -----------------------------------------------------------

def test_the_right_api_passes_every_probe_and_leaves_nothing_behind(app, tmp_path):
    before = todos_of("good")
    result = run(everything(app), tmp_path)
    assert result.status.value == "passed", result.message
    assert result.message.startswith("/todos keeps the REST rules probed (create, fetch, not_found, missing_auth, "
                                     "other_user, duplicate, invalid, update_idempotent, unsupported_method, delete)")
    assert todos_of("good") == before


@pytest.mark.parametrize("mode, more", [
    ("uuid", {}),  # ids that are strings
    ("no-location", {"location": False}),  # no Location, and the lab does not ask for one
    ("abs-location", {}),  # Location as an absolute URL (another loopback name)
    ("invalid-400", {}),  # 400 instead of 422
    ("delete-200-body", {"delete_status": [200, 204]}),  # the lab allows 200 with a body
    ("hide-404", {"other_user_status": [403, 404]}),  # the lab allows hiding another user's todo
    ("dupes-allowed", {"probes": None}),  # duplicates allowed: the default probes leave duplicate out
    ("wrapped", {"item": "data"}),  # answers wrap the todo in {"data": ...}
    ("uuid+abs-location+invalid-400", {}),
    ("put-needs-id", {"update": {"id": "${id}", "title": "Sell ${random}", "done": True}}),  # PUT repeats the id
    ("uuid+put-needs-id", {"update": {"id": "${id}", "title": "Sell ${random}", "done": True}}),
])
def test_other_right_answers_pass(app, mode, more, tmp_path):
    result = run({**everything(app, mode), **more}, tmp_path)
    assert result.status.value == "passed", result.message


def test_a_login_kept_in_a_session_cookie_passes(app, tmp_path):
    """No login header: each user's cookies carry the login, as a browser's would (the http.sequence jar)."""
    result = run(everything(app, "cookie-login", auth={**AUTH, "header": None, "value": None}), tmp_path)
    assert result.status.value == "passed", result.message


def test_only_the_probes_a_lab_lists_run(app, tmp_path):
    before = todos_of("soft-delete")
    result = run(resource(app, "soft-delete", probes=["create", "fetch"]), tmp_path)
    assert result.status.value == "passed", result.message
    assert result.message == "/todos keeps the REST rules probed (create, fetch) in 4 requests"  # 2 to log in
    assert todos_of("soft-delete") == before + 1  # removed by a soft delete: still there, as that API keeps it


def test_an_open_api_passes_without_auth(app, tmp_path):
    entry = {k: v for k, v in resource(app).items() if k != "auth"}
    result = run({**entry, "url": f"{app}/open/good"}, tmp_path)
    assert result.status.value == "passed", result.message
    assert "missing_auth" not in result.message and "delete" in result.message


# ---- rest.resource: each mistake fails with its own rule ------------------------------------------

@pytest.mark.parametrize("mode, message", [
    ("create-200", "POST /todos answered 200; a create should answer 201 Created with the new todo"),
    ("no-location", "the 201 Created answer of POST /todos has no Location header; the Location header should "
                    "point at the new todo (/todos/{id})"),
    ("not-found-500", "GET /todos/{other}, a todo that does not exist, answered 500; it should answer 404 Not Found"),
    ("missing-auth-allowed", "GET /todos without credentials answered 200; a request that carries no login should "
                             "answer 401 Unauthorized"),
    ("forged-token-allowed", "GET /todos/{id} with a made-up token answered 200; a token the API never issued "
                             "should answer 401 Unauthorized"),
    ("other-user-visible", "GET /todos/{id} by another user answered 200; another user's todo should answer 403 "
                           "Forbidden"),
    ("other-user-delete", "DELETE /todos/{id} by another user answered 204; another user's todo should answer 403 "
                          "Forbidden"),
    ("other-user-delete-403", "after GET /todos/{id} (403), PUT /todos/{id} (403) and DELETE /todos/{id} (403) by "
                              "another user, GET /todos/{id} by its owner answered 404; another user must not change "
                              "or delete it"),
    ("dupes-allowed", "POST /todos with the same todo again answered 201; a duplicate should answer 409 Conflict"),
    ("bad-input-500", "POST /todos with a todo with an empty title answered 500, a server error; invalid input "
                      "should be refused with 400 Bad Request or 422 Unprocessable Entity and a JSON error"),
    ("bad-input-accepted", "POST /todos with a todo with an empty title answered 201; invalid input should be "
                           "refused with 400 Bad Request or 422 Unprocessable Entity and a JSON error"),
    ("bad-input-html", "POST /todos with a todo with an empty title answered 400 without a JSON error (text/html: "
                       "'<html><body>Bad Request</body></html>'); the error should be JSON"),
    ("put-appends", "PUT /todos/{id} twice with the same todo changed it again: tags was [\"t-"),
    ("put-creates", "PUT /todos/{id} with a whole new todo answered 201; replacing a todo should answer 200 OK or "
                    "204 No Content"),
    ("answer-without-title", "the 201 Created answer of POST /todos is not the new todo as sent: it has no title"),
    ("created-no-body", "POST /todos answered 201 without JSON (no content type): ''; a create should answer with "
                        "the new todo as JSON"),
    ("no-405-404", "PATCH /todos answered 404; PATCH /todos is not supported: the answer should be 405 Method Not "
                   "Allowed with an Allow header listing the methods it supports"),
    ("no-405-200", "PATCH /todos answered 200; PATCH /todos is not supported"),
    ("405-no-allow", "PATCH /todos answered 405 without an Allow header; the Allow header should list the methods "
                     "/todos supports (POST work there)"),
    ("delete-200-empty", "DELETE /todos/{id} answered 200; a delete should answer 204 No Content"),
    ("soft-delete", "after DELETE /todos/{id} answered 204, GET /todos/{id} answered 200; a deleted todo must be "
                    "gone (404)"),
])
def test_each_mistake_fails_with_its_own_rule(app, mode, message, tmp_path):
    before = todos_of(mode)
    result = run(everything(app, mode), tmp_path)
    assert result.status.value == "failed", result.message
    # Ids are fresh each run: {id} stands for the new todo's, {other} for one made up.
    pattern = re.escape(message).replace(re.escape("{id}"), r"\d+").replace(re.escape("{other}"), r"\d+")
    assert re.match(pattern, said(result)), said(result)
    if mode != "soft-delete":  # a soft delete keeps what it "deletes"; everything else is removed
        assert todos_of(mode) == before, "the check left todos behind"


def test_a_delete_with_an_empty_200_fails_even_where_200_is_allowed(app, tmp_path):
    result = run(everything(app, "delete-200-empty", delete_status=[200, 204]), tmp_path)
    assert result.status.value == "failed"
    assert "answered 200 with an empty body; a delete with nothing to say should answer 204 No Content" in said(result)


def test_hiding_another_users_todo_fails_where_the_lab_asks_for_403(app, tmp_path):
    result = run(everything(app, "hide-404"), tmp_path)
    assert result.status.value == "failed"
    assert "by another user answered 404; another user's todo should answer 403 Forbidden" in said(result)


def test_a_failure_names_the_request_to_paste(app, tmp_path):
    result = run(everything(app, "soft-delete"), tmp_path)
    curls = result.message.split(". Try it: ", 1)[1].split("; ")
    assert curls[0].startswith("curl -i -X DELETE ") and curls[1].startswith("curl -i ")
    assert "Authorization: Bearer " in curls[0] and f"{app}/auth/soft-delete/todos/" in curls[1]


def test_a_login_that_fails_says_which_step(app, tmp_path):
    auth = {**AUTH, "steps": [AUTH["steps"][0], {**AUTH["steps"][1], "path": "/signin"}]}
    result = run(resource(app, auth=auth), tmp_path)
    assert result.status.value == "failed"
    assert said(result) == ("signing in a fresh user failed at step 2 of the login (POST /signin): it answered 404; "
                            "expected 200")


def test_nothing_listening_fails_with_the_reason(tmp_path):
    result = run(resource("http://127.0.0.1:9"), tmp_path, timeout=3)
    assert result.status.value == "failed"
    assert "nothing is answering at http://127.0.0.1:9/auth/good/register" in result.message


def test_a_slow_api_fails_within_the_checks_time(app, tmp_path):
    started = time.monotonic()
    result = run(resource(app, "slow"), tmp_path, timeout=2)
    assert result.status.value == "failed", result.message
    assert time.monotonic() - started < 2 + 1.0
    assert "answered too slowly" in result.message or "within" in result.message


# ---- rest.pagination --------------------------------------------------------------------------------

def pages(app: str, mode: str = "good", **more) -> dict:
    return {"type": "rest.pagination", "url": f"{app}/auth/{mode}", "collection": "/todos",
            "create": {"title": "Page ${random}"}, "auth": AUTH,
            "envelope": {"data": "data", "total": "total", "page": "page", "limit": "limit", "pages": "pages"},
            "default_limit": 5, "max_limit": 20, "invalid_queries": ["limit=0", "limit=ten", "page=0"], **more}


def test_right_pages_pass_and_leave_nothing_behind(app, tmp_path):
    before = todos_of("good")
    result = run(pages(app), tmp_path)
    assert result.status.value == "passed", result.message
    assert result.message.startswith("GET /todos pages its list right: 3 pages of 3 for 7 todos")
    assert todos_of("good") == before


def test_a_shared_list_that_already_holds_items_passes(app, tmp_path):
    open_pages = {k: v for k, v in pages(app).items() if k != "auth"} | {"url": f"{app}/open/good"}
    with LOCK:
        for n in range(4):
            TODOS[f"seed-{n}"] = {"id": f"seed-{n}", "title": f"seed {n}", "done": False, "tags": [],
                                  "owner": ANYONE, "mode": "open/good", "version": 1}
    try:
        result = run(open_pages, tmp_path)
    finally:
        with LOCK:
            for n in range(4):
                TODOS.pop(f"seed-{n}")
    assert result.status.value == "passed", result.message
    assert "for 7 todos" in result.message  # 4 already there, 3 made: two full pages and a last one of 1


def test_a_wrong_total_in_a_shared_list_is_found_by_the_page_that_is_not_full(app, tmp_path):
    """The list already held 4: the check believes the total it first reads, and a partial page gives it away."""
    open_pages = {k: v for k, v in pages(app, "wrong-total").items() if k != "auth"}
    with LOCK:
        for n in range(4):
            TODOS[f"seed-w{n}"] = {"id": f"seed-w{n}", "title": f"seed {n}", "done": False, "tags": [],
                                   "owner": ANYONE, "mode": "open/wrong-total", "version": 1}
    try:
        result = run({**open_pages, "url": f"{app}/open/wrong-total"}, tmp_path)
    finally:
        with LOCK:
            for n in range(4):
                TODOS.pop(f"seed-w{n}")
    assert result.status.value == "failed"
    assert said(result) == "GET /todos?page=3&limit=3: the total is 7, yet this page is not full (0 of 3), so the list " \
                           "holds 6"
    assert todos_of("wrong-total") == 0


@pytest.mark.parametrize("more", [
    {"query": {"offset": "offset", "limit": "limit"},
     "envelope": {"data": "data", "total": "total", "offset": "offset", "limit": "limit"}},
    {"past_end_status": [200, 404], "mode": "past-end-404"},
    {"above_max": "reject", "mode": "max-not-clamped", "max_limit": None},
    {"envelope": {"data": "data", "total": "total"}, "per_page": 2},
])
def test_other_right_pages_pass(app, more, tmp_path):
    more = dict(more)
    result = run(pages(app, more.pop("mode", "good"), **more), tmp_path)
    assert result.status.value == "passed", result.message


@pytest.mark.parametrize("mode, message", [
    ("ignore-limit", "GET /todos?page=1&limit=3 returned 7 todos (the list ignores the limit); a page of limit=3 "
                     "holds 3, and there are 7 (the 7 todos the check made)"),
    ("wrong-total", "GET /todos?page=1&limit=3: the total is 1, yet this page is not full (0 of 3), so the list "
                    "holds 0"),
    ("page-overlap", "GET /todos?page=2&limit=3 lists the todo"),
    ("past-end-404", "GET /todos?page=4&limit=3, past the last page, answered 404; it should answer 200 OK with "
                     "an empty list"),
    ("max-not-clamped", "GET /todos?page=1&limit=21: the limit in force is 21; a limit above 20 should be cut to 20"),
    ("limit-zero-accepted", "GET /todos?limit=0 answered 200; a page or limit out of bounds should be refused"),
])
def test_each_paging_mistake_fails_with_its_own_rule(app, mode, message, tmp_path):
    before = todos_of(mode)
    result = run(pages(app, mode), tmp_path)
    assert result.status.value == "failed", result.message
    assert said(result).startswith(message), said(result)
    assert todos_of(mode) == before, "the check left todos behind"


def test_a_limit_above_the_maximum_must_be_refused_where_the_lab_says_so(app, tmp_path):
    result = run(pages(app, above_max="reject"), tmp_path)
    assert result.status.value == "failed"
    assert said(result).startswith("GET /todos?page=1&limit=21 answered 200; a limit above 20 should be refused")


# ---- rest.pagination: filters ---------------------------------------------------------------------------

FILTERS = {"done=true": {"done": True}, "done=false": {"done": False}}


def test_right_filters_pass_and_leave_nothing_behind(app, tmp_path):
    before = todos_of("good")
    result = run(pages(app, filters=FILTERS, invalid_queries=["done=maybe"]), tmp_path)
    assert result.status.value == "passed", result.message
    assert ", each filter (done=true, done=false) right (" in result.message
    assert todos_of("good") == before


def test_filters_on_a_shared_list_that_already_holds_items_pass(app, tmp_path):
    open_pages = {k: v for k, v in pages(app, filters=FILTERS).items() if k != "auth"} | {"url": f"{app}/open/good"}
    with LOCK:
        for n in range(3):
            TODOS[f"seed-f{n}"] = {"id": f"seed-f{n}", "title": f"seed {n}", "done": n == 0, "tags": [],
                                   "owner": ANYONE, "mode": "open/good", "version": 1}
    try:
        result = run(open_pages, tmp_path)
    finally:
        with LOCK:
            for n in range(3):
                TODOS.pop(f"seed-f{n}")
    assert result.status.value == "passed", result.message


@pytest.mark.parametrize("mode, message", [
    ("filter-ignored", "GET /todos?page=1&limit=3&done=true: the total is 12 (that counts the whole list: the total "
                       "should count the filtered list only); it was 7 before the check made 2 todos with done true "
                       "and 3 todos with done false, so it should be 9"),
    ("filter-inverted", "GET /todos?page=1&limit=3&done=true: the total is 10; it was 7 before the check made 2 todos "
                        "with done true and 3 todos with done false, so it should be 9"),
    ("filter-total-unfiltered", "GET /todos?page=1&limit=3&done=true: the total is 7, yet this page is not full (0 "
                                "of 3), so the list holds 0"),
])
def test_each_filter_mistake_fails_with_its_own_rule(app, mode, message, tmp_path):
    before = todos_of(mode)
    result = run(pages(app, mode, filters=FILTERS), tmp_path)
    assert result.status.value == "failed", result.message
    assert said(result).startswith(message), said(result)
    assert todos_of(mode) == before, "the check left todos behind"


def test_a_filter_that_lets_another_item_through_names_the_field(app, tmp_path):
    """The totals are right, but a page lists an item without the filter's value."""
    result = run(pages(app, "filter-leaks", filters=FILTERS), tmp_path)
    assert result.status.value == "failed"
    assert said(result).startswith("GET /todos?page=1&limit=3&done=true lists a todo whose done is false; done=true "
                                   "should list only todos with done true"), said(result)


@pytest.mark.parametrize("filters, error", [
    ({"?done=true": {"done": True}}, "give the filter as a query without ?"),
    ({"done": {"done": True}}, "give the filter as a query without ?"),
    ({"done=true": {}}, "give the fields its items have, as constants"),
    ({"done=true": {"title": "t ${random}"}}, "give the fields its items have, as constants"),
])
def test_a_filter_that_does_not_parse_is_refused(app, filters, error):
    params = {k: v for k, v in pages(app, filters=filters).items() if k != "type"}
    with pytest.raises(ValueError, match=re.escape(error)):
        registry.get("rest.pagination").model_validate(params)
