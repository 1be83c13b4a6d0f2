"""rest.openapi against a real Todo API on 127.0.0.1 (a threaded http.server written here) that serves an
OpenAPI document: a truthful document passes, in 3.0 and in 3.1 and in other right spellings; a missing,
invalid or non-3.x document fails saying so; and each lie (a status, a field's type, a required field the
app never sends, a missing operation) fails naming the operation, the status and what differs. The mode is
the first part of the URL path (/MODE/todos, MODE = good or names joined by +). No container needed."""
from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from labctl.check_engine import registry
from tests.servers import base_url, serving
from tests.check_runs import run_entry

USERS: dict[str, str] = {}
TOKENS: dict[str, str] = {}
TODOS: dict[str, dict] = {}
LOCK = threading.Lock()
NEXT = itertools.count(1)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict:
    return {"description": name, "content": {"application/json": {"schema": _ref(name)}}}


ERROR = _json("Error")
ITEM = {"200": _json("Todo"), "401": ERROR, "403": ERROR, "404": ERROR}
DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "todos", "version": "1"},
    "paths": {
        "/register": {"post": {"responses": {"201": _json("User"), "400": ERROR, "409": ERROR}}},
        "/login": {"post": {"responses": {"200": _json("Token"), "401": ERROR}}},
        "/todos": {"get": {"responses": {"200": _json("Page"), "400": ERROR, "401": ERROR}},
                   "post": {"responses": {"201": _json("Todo"), "400": ERROR, "401": ERROR}}},
        "/todos/{id}": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "get": {"responses": dict(ITEM)}, "put": {"responses": dict(ITEM)},
                        "patch": {"responses": dict(ITEM)},
                        "delete": {"responses": {"204": {"description": "gone"}, "401": ERROR, "403": ERROR,
                                                 "404": ERROR}}},
    },
    "components": {"schemas": {
        "User": {"type": "object", "required": ["id", "email"],
                 "properties": {"id": {"type": "integer"}, "email": {"type": "string"}}},
        "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
        "Todo": {"type": "object", "required": ["id", "title", "done", "due"],
                 "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "done": {"type": "boolean"},
                                "due": {"type": "string", "format": "date", "nullable": True}}},
        "Page": {"type": "object", "required": ["data", "page", "limit", "total"],
                 "properties": {"data": {"type": "array", "items": _ref("Todo")}, "page": {"type": "integer"},
                                "limit": {"type": "integer"}, "total": {"type": "integer"}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    }},
}


def _operations(paths: dict) -> list[dict]:
    return [op for item in paths.values() for key, op in item.items() if key != "parameters"]


def document(modes: set[str]) -> object:
    doc = copy.deepcopy(DOCUMENT)
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    todo = schemas["Todo"]["properties"]
    if "openapi-31" in modes:  # 3.1: JSON Schema's own null instead of nullable
        doc["openapi"] = "3.1.0"
        todo["due"] = {"type": ["string", "null"], "format": "date"}
    if "errors-as-default" in modes:  # every error as the default response, successes by code
        for op in _operations(paths):
            op["responses"] = {k: v for k, v in op["responses"].items() if k[0] in "23"} | {"default": ERROR}
    if "ranges" in modes:  # 4XX for every error
        for op in _operations(paths):
            op["responses"] = {k: v for k, v in op["responses"].items() if k[0] in "23"} | {"4XX": ERROR}
    if "named-param" in modes:
        paths["/todos/{todoId}"] = paths.pop("/todos/{id}")
        paths["/todos/{todoId}"]["parameters"][0]["name"] = "todoId"
    if "inline-refs" in modes:  # responses shared through components/responses
        doc["components"]["responses"] = {"Problem": ERROR}
        paths["/todos"]["post"]["responses"]["400"] = {"$ref": "#/components/responses/Problem"}
    if "doc-create-200" in modes:
        paths["/todos"]["post"]["responses"]["200"] = paths["/todos"]["post"]["responses"].pop("201")
    if "uuid" in modes:  # the app's ids are strings, and the document says so
        todo["id"] = {"type": "string"}
    if "doc-id-string" in modes:
        todo["id"] = {"type": "string"}
    if "doc-requires-owner" in modes:
        schemas["Todo"]["required"].append("owner")
    if "doc-no-delete" in modes:
        del paths["/todos/{id}"]["delete"]
    if "doc-no-404" in modes:
        del paths["/todos/{id}"]["get"]["responses"]["404"]
    if "doc-put-201" in modes:
        paths["/todos/{id}"]["put"]["responses"]["201"] = paths["/todos/{id}"]["put"]["responses"].pop("200")
    if "doc-204-body" in modes:
        paths["/todos/{id}"]["delete"]["responses"]["204"] = _json("Todo")
    if "swagger" in modes:
        return {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    if "openapi-2" in modes:
        doc["openapi"] = "2.0"
    if "broken-doc" in modes:
        paths["/todos"]["get"]["responses"] = {"ok": ERROR}
    if "no-openapi-field" in modes:
        del doc["openapi"]
    return doc


class TodoApi(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body=None, raw: bytes | None = None, kind: str = "application/json",
              headers: dict | None = None) -> None:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> None:
        method = self.command
        parts = self.path.split("?")[0].strip("/").split("/")
        modes, rest = set(parts[0].split("+")), parts[1:]
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length)) if length else None
        except ValueError:
            body = None
        with LOCK:
            if rest == ["openapi.json"]:
                if "no-document" in modes:
                    return self._send(404, {"error": "not found"})
                if "document-behind-login" in modes and not self.headers.get("Authorization"):
                    return self._send(401, {"error": "log in"})
                if "html-document" in modes:
                    return self._send(200, raw=b"<html>docs</html>", kind="text/html")
                return self._send(200, document(modes))
            if rest == ["register"]:
                if not isinstance(body, dict) or not body.get("email") or not body.get("password"):
                    return self._send(400, {"error": "email and password"})
                if body["email"] in USERS:
                    return self._send(409, {"error": "taken"})
                USERS[body["email"]] = body["password"]
                return self._send(201, {"id": len(USERS), "email": body["email"]})
            if rest == ["login"]:
                if not isinstance(body, dict) or USERS.get(body.get("email")) != body.get("password"):
                    return self._send(401, {"error": "wrong email or password"})
                token = secrets.token_urlsafe(16)
                TOKENS[token] = body["email"]
                return self._send(200, {"token": token})
            who = TOKENS.get((self.headers.get("Authorization") or "").removeprefix("Bearer "))
            if who is None:
                return self._send(401, {"error": "log in"})
            if rest == ["todos"] and method == "GET":
                mine = [t for t in TODOS.values() if t["owner"] == who]
                return self._send(200, {"data": [self._shown(t, modes) for t in mine[:5]], "page": 1, "limit": 5,
                                        "total": len(mine)})
            if rest == ["todos"] and method == "POST":
                if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"]:
                    if "invalid-500" in modes:
                        return self._send(500, raw=b"Internal Server Error", kind="text/plain")
                    return self._send(400, {"error": "title is required"})
                todo = {"id": next(NEXT), "title": body["title"], "done": body.get("done", False),
                        "due": body.get("due"), "owner": who}
                if "uuid" in modes:
                    todo["id"] = secrets.token_hex(8)
                TODOS[str(todo["id"])] = todo
                return self._send(201, self._shown(todo, modes), headers={"Location": f"/todos/{todo['id']}"})
            if len(rest) == 2 and rest[0] == "todos":
                todo = TODOS.get(rest[1])
                if todo is None:
                    return self._send(404, {"error": "no such todo"})
                if method == "DELETE":
                    del TODOS[rest[1]]
                    return self._send(204)
                if method in ("PUT", "PATCH") and isinstance(body, dict):
                    fresh = {"done": False, "due": None} if method == "PUT" else {}
                    todo.update({**fresh, **{k: body[k] for k in ("title", "done", "due") if k in body}})
                return self._send(200, self._shown(todo, modes))
            self._send(404, {"error": "no such route"})

    @staticmethod
    def _shown(todo: dict, modes: set[str]) -> dict:
        shown = {k: v for k, v in todo.items() if k != "owner"}
        if "due-european" in modes and shown["due"]:
            day = shown["due"].split("-")
            shown["due"] = f"{day[2]}/{day[1]}/{day[0]}"
        if "no-due" in modes:
            del shown["due"]
        return shown

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _route


@pytest.fixture(scope="module")
def app():
    with serving(TodoApi) as server:
        yield base_url(server)


def run(entry: dict, tmp_path, timeout: float = 10):
    return run_entry(entry, tmp_path, timeout=timeout)


AUTH = {"let": {"email": "u-${random}@example.com", "password": "pw-${random}"},
        "steps": [{"method": "POST", "path": "/register", "json": {"email": "${email}", "password": "${password}"},
                   "status": 201},
                  {"method": "POST", "path": "/login", "json": {"email": "${email}", "password": "${password}"},
                   "status": 200, "save": {"token": "token"}}]}
OPERATIONS = ["POST /register", "POST /login", "GET /todos", "POST /todos", "GET /todos/{id}", "PUT /todos/{id}",
              "PATCH /todos/{id}", "DELETE /todos/{id}"]


def entry(app: str, mode: str = "good", **more) -> dict:
    return {"type": "rest.openapi", "url": f"{app}/{mode}", "collection": "/todos", "auth": AUTH,
            "create": {"title": "Doc ${random}", "due": "2031-0${int:1-9}-1${int:0-9}"}, "invalid": {"title": ""},
            "operations": OPERATIONS, "update": {"title": "Redo ${random}", "done": True}, "patch": {"done": False},
            **more}


def said(result) -> str:
    message, sep, curl = result.message.partition(". Try it: curl ")
    assert sep and curl, f"no curl line to paste in {result.message!r}"
    return message


def owned() -> int:
    with LOCK:
        return len(TODOS)


# ---- a truthful document passes ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["good", "openapi-31", "errors-as-default", "ranges", "named-param", "inline-refs",
                                  "uuid+openapi-31", "openapi-31+named-param+ranges"])
def test_a_document_that_tells_the_truth_passes(app, mode, tmp_path):
    before = owned()
    result = run(entry(app, mode), tmp_path)
    assert result.status.value == "passed", result.message
    version = "3.1" if "openapi-31" in mode else "3.0"
    assert result.message.startswith(f"GET /openapi.json is a valid OpenAPI {version} document describing the API's "
                                     "answers: 11 live answers fit it (POST /register 201, POST /login 200, POST "
                                     "/todos 201, GET /todos/"), result.message
    assert "POST /todos 400" in result.message and "DELETE /todos/" in result.message
    assert "PUT /todos/" in result.message and "PATCH /todos/" in result.message
    assert owned() == before, "the check left todos behind"


# ---- a missing or wrong document says so --------------------------------------------------------------

@pytest.mark.parametrize("mode, message", [
    ("no-document", "GET /openapi.json answered 404; serve the API's OpenAPI document there, as JSON"),
    ("document-behind-login", "GET /openapi.json answered 401; serve the API's OpenAPI document there to anyone, "
                              "without a token, as JSON"),
    ("html-document", "GET /openapi.json answered 200 without JSON; the document should be JSON"),
    ("swagger", "the document at /openapi.json is a Swagger 2.0 document; write an OpenAPI 3.0 or 3.1 document"),
    ("openapi-2", 'the document at /openapi.json says "openapi": "2.0"; this lab reads OpenAPI 3.0 or 3.1'),
    ("no-openapi-field", 'the document at /openapi.json has no "openapi" field'),
    ("broken-doc", "the document at /openapi.json is not a valid OpenAPI 3.0 document: at paths/"),
    ("doc-no-delete", "the document at /openapi.json does not describe DELETE /todos/{id}; describe every route of "
                      "the API (it describes: GET /todos, GET /todos/{id}, PATCH /todos/{id}, POST /login, "
                      "POST /register, POST /todos, PUT /todos/{id})"),
])
def test_a_missing_or_invalid_document_fails_saying_what_to_do(app, mode, message, tmp_path):
    result = run(entry(app, mode), tmp_path)
    assert result.status.value == "failed", result.message
    assert said(result).startswith(message), said(result)


# ---- a document that lies fails, naming the operation, the status and what differs ---------------------

@pytest.mark.parametrize("mode, message", [
    ("doc-create-200", "POST /todos answered 201 Created, which the document does not list for POST /todos (it "
                       "lists 200, 400, 401); list 201 there"),
    ("doc-id-string", "POST /todos answered 201 Created with a body that does not fit the document's schema for "
                      "201: at id: {ID} is not of type 'string' (the schema's 'type' rule)"),
    ("doc-requires-owner", "POST /todos answered 201 Created with a body that does not fit the document's schema "
                           "for 201: 'owner' is a required property (the schema's 'required' rule)"),
    ("no-due", "POST /todos answered 201 Created with a body that does not fit the document's schema for 201: "
               "'due' is a required property"),
    ("due-european", "POST /todos answered 201 Created with a body that does not fit the document's schema for "
                     "201: at due: '{due}' is not a 'date' (the schema's 'format' rule)"),
    ("doc-no-404", "GET /todos/{id} answered 404 Not Found, which the document does not list for GET /todos/{id} "
                   "(it lists 200, 401, 403)"),
    ("invalid-500", "POST /todos answered 500 Internal Server Error, which the document does not list for POST "
                    "/todos (it lists 201, 400, 401)"),
    ("doc-put-201", "PUT /todos/{id} answered 200 OK, which the document does not list for PUT /todos/{id} (it "
                    "lists 201, 401, 403, 404)"),
    ("doc-204-body", "DELETE /todos/{id} answered 204 No Content with no body, yet the document describes a body "
                     "for 204 (application/json)"),
    ("errors-as-default+doc-create-200", "POST /todos answered 201 Created, which the document does not list for "
                                         "POST /todos (it lists 200, default)"),
])
def test_a_document_that_lies_fails_naming_operation_status_and_difference(app, mode, message, tmp_path):
    before = owned()
    result = run(entry(app, mode), tmp_path)
    assert result.status.value == "failed", result.message
    text = said(result)
    pattern = "^" + re.escape(message).replace(re.escape("{ID}"), r"\d+").replace(re.escape("{due}"), r"[0-9/]+")
    assert re.match(pattern, text), text
    assert owned() == before, "the check left todos behind"


def test_the_failure_carries_the_request_to_paste(app, tmp_path):
    result = run(entry(app, "doc-create-200"), tmp_path)
    curl = result.message.split(". Try it: ", 1)[1]
    assert curl.startswith("curl -i -X POST ") and "Authorization: Bearer " in curl and "/todos" in curl


def test_an_operation_list_that_does_not_parse_is_refused():
    params = {k: v for k, v in entry("http://127.0.0.1:1").items() if k != "type"}
    with pytest.raises(ValueError, match="write 'METHOD /path'"):
        registry.get("rest.openapi").model_validate({**params, "operations": ["todos"]})
