"""checks/rest/spec.py: which operation a request lands on, which listed status an answer takes, and what
a failure says, on documents built here (no server)."""
from __future__ import annotations

import json
import re

import pytest

from checks.rest.spec import Document, SpecProblem, template_key


def doc(paths: dict, **more) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths, **more}


def answer(status: int, schema: dict | None = None, *, description: str = "x") -> dict:
    entry: dict = {"description": description}
    if schema is not None:
        entry["content"] = {"application/json": {"schema": schema}}
    return entry


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
ITEM = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}


def problem(document: Document, method: str, path: str, status: int, body=None, kind="application/json"):
    raw = b"" if body is None else json.dumps(body).encode()
    return document.response_problem(method, path, status, kind, raw, json.loads)


def test_template_keys_ignore_parameter_names_and_a_trailing_slash():
    assert template_key("/todos/{todoId}") == template_key("/todos/{id}/") == "/todos/{}"


def test_a_literal_path_wins_over_a_template():
    document = Document.load(doc({
        "/todos/{id}": {"parameters": [ID], "get": {"responses": {"200": answer(200, ITEM)}}},
        "/todos/stats": {"get": {"responses": {"200": answer(200, {"type": "object", "required": ["count"]})}}},
    }))
    assert problem(document, "GET", "/todos/stats", 200, {"count": 3}) is None
    assert problem(document, "GET", "/todos/7", 200, {"id": 7}) is None
    assert "'count' is a required property" in problem(document, "GET", "/todos/stats", 200, {"id": 7})


def test_paths_are_found_under_the_servers_base_path_or_at_the_root():
    """A document may name its production server (/api/v1) while the app under test serves at the root."""
    document = Document.load(doc({"/todos": {"get": {"responses": {"200": answer(200)}}}},
                                 servers=[{"url": "https://api.example.com/api/v1"}]))
    assert {("GET", "/api/v1/todos"), ("GET", "/todos")} <= set(document.operations())
    assert problem(document, "GET", "/api/v1/todos", 200, {}) is None
    assert problem(document, "GET", "/todos", 200, {}) is None
    assert problem(document, "GET", "/v1/todos", 200, {}) == "the document has no path that /v1/todos matches"
    assert problem(document, "POST", "/todos", 201, {}) == "the document has no POST for /todos"


def test_default_covers_errors_only_and_ranges_cover_their_hundred():
    document = Document.load(doc({"/a": {"post": {"responses": {"200": answer(200), "default": answer(400)}}},
                                  "/b": {"post": {"responses": {"2XX": answer(200), "4XX": answer(400)}}}}))
    assert problem(document, "POST", "/a", 404, {"error": "x"}) is None
    assert problem(document, "POST", "/a", 201, {}).startswith(
        "POST /a answered 201 Created, which the document does not list for POST /a (it lists 200, default)")
    assert problem(document, "POST", "/b", 201, {}) is None and problem(document, "POST", "/b", 422, {}) is None
    assert "does not list" in problem(document, "POST", "/b", 500, {})


def test_responses_and_schemas_behind_refs_are_followed():
    document = Document.load(doc(
        {"/todos/{id}": {"parameters": [ID], "get": {"responses": {"200": {"$ref": "#/components/responses/One"}}}}},
        components={"responses": {"One": answer(200, {"$ref": "#/components/schemas/Todo"})},
                    "schemas": {"Todo": ITEM}}))
    assert problem(document, "GET", "/todos/1", 200, {"id": 1}) is None
    assert "at id: '1' is not of type 'integer'" in problem(document, "GET", "/todos/1", 200, {"id": "1"})


def test_a_body_where_none_is_described_is_not_judged_but_a_missing_one_is():
    document = Document.load(doc({"/x": {"delete": {"responses": {"204": answer(204), "200": answer(200, ITEM)}}}}))
    assert problem(document, "DELETE", "/x", 204, {"anything": True}) is None
    assert problem(document, "DELETE", "/x", 200).startswith(
        "DELETE /x answered 200 OK with no body, yet the document describes a body for 200")
    assert "as text/html; the document describes only application/json" in problem(
        document, "DELETE", "/x", 200, {"id": 1}, kind="text/html")


def test_nullable_in_30_and_null_in_31_either_way():
    nullable = {"type": "object", "properties": {"due": {"type": "string", "format": "date", "nullable": True}}}
    typed = {"type": "object", "properties": {"due": {"type": ["string", "null"], "format": "date"}}}
    any_of = {"type": "object", "properties": {"due": {"anyOf": [{"type": "string", "format": "date"},
                                                                  {"type": "null"}]}}}  # as FastAPI writes it
    three_oh = Document.load(doc({"/x": {"get": {"responses": {"200": answer(200, nullable)}}}}))
    three_one = Document.load({**doc({"/x": {"get": {"responses": {"200": answer(200, typed)}}}}), "openapi": "3.1.0"})
    fastapi = Document.load({**doc({"/x": {"get": {"responses": {"200": answer(200, any_of)}}}}), "openapi": "3.1.0"})
    for document in (three_oh, three_one, fastapi):
        assert problem(document, "GET", "/x", 200, {"due": None}) is None
        assert problem(document, "GET", "/x", 200, {"due": "2031-01-02"}) is None
        assert "is not a 'date'" in problem(document, "GET", "/x", 200, {"due": "02/01/2031"})


@pytest.mark.parametrize("data, says", [
    ([], "is not a JSON object"),
    ({"swagger": "2.0"}, "is a Swagger 2.0 document"),
    ({"info": {}}, 'has no "openapi" field'),
    ({"openapi": "4.0.0"}, 'says "openapi": "4.0.0"; this lab reads OpenAPI 3.0 or 3.1'),
    (doc({"/x": {"get": {"responses": {"ok": {"description": "x"}}}}}), "is not a valid OpenAPI 3.0 document"),
    (doc({"/x/{id}": {"get": {"responses": {"200": {"description": "x"}}}}}), "is not a valid OpenAPI 3.0 document"),
])
def test_what_is_not_an_openapi_3_document_says_so(data, says):
    with pytest.raises(SpecProblem, match=re.escape(says)):
        Document.load(data)
