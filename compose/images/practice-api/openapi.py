"""GET /openapi.json of the practice Todo API: an OpenAPI 3.0 document of rest-101's contract."""
from __future__ import annotations


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _ok(description: str, schema: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_ITEM_ERRORS = {"401": _error("no token, or a bad one"), "403": _error("another user's todo"),
                "404": _error("no such todo")}
_SECURED = [{"bearer": []}]

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Todo API", "version": "1.0.0"},
    "paths": {
        "/register": {"post": {"requestBody": _body("Credentials"), "responses": {
            "201": _ok("the new user", "User"), "400": _error("a missing field or a short password"),
            "409": _error("the email is taken")}}},
        "/login": {"post": {"requestBody": _body("Credentials"), "responses": {
            "200": _ok("a token", "Token"), "401": _error("unknown email or wrong password")}}},
        "/todos": {
            "get": {"security": _SECURED, "parameters": [
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                             "default": 10}},
                {"name": "done", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {"200": _ok("one page of the caller's todos", "TodoPage"),
                              "400": _error("a bad page, limit or done"), "401": _error("no token, or a bad one")}},
            "post": {"security": _SECURED, "requestBody": _body("TodoInput"), "responses": {
                "201": {**_ok("the new todo", "Todo"), "headers": {"Location": {"schema": {"type": "string"}}}},
                "400": _error("an invalid todo"), "401": _error("no token, or a bad one")}}},
        "/todos/{id}": {
            "parameters": [_ID],
            "get": {"security": _SECURED, "responses": {"200": _ok("the todo", "Todo"), **_ITEM_ERRORS}},
            "put": {"security": _SECURED, "requestBody": _body("TodoInput"), "responses": {
                "200": _ok("the todo, replaced", "Todo"), "400": _error("an invalid todo"), **_ITEM_ERRORS}},
            "patch": {"security": _SECURED, "requestBody": _body("TodoPatch"), "responses": {
                "200": _ok("the todo, changed", "Todo"), "400": _error("an invalid field"), **_ITEM_ERRORS}},
            "delete": {"security": _SECURED, "responses": {"204": {"description": "deleted"}, **_ITEM_ERRORS}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string", "minLength": 1}}},
            "Credentials": {"type": "object", "required": ["email", "password"],
                            "properties": {"email": {"type": "string"},
                                           "password": {"type": "string", "minLength": 8}}},
            "User": {"type": "object", "required": ["id", "email"],
                     "properties": {"id": {"type": "integer"}, "email": {"type": "string"}}},
            "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
            "TodoInput": {"type": "object", "required": ["title"], "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 200}, "done": {"type": "boolean"},
                "due": {"type": "string", "format": "date", "nullable": True}}},
            "TodoPatch": {"type": "object", "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 200}, "done": {"type": "boolean"},
                "due": {"type": "string", "format": "date", "nullable": True}}},
            "Todo": {"type": "object", "required": ["id", "title", "done", "due"], "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"}, "done": {"type": "boolean"},
                "due": {"type": "string", "format": "date", "nullable": True}}},
            "TodoPage": {"type": "object", "required": ["data", "page", "limit", "total"], "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Todo"}},
                "page": {"type": "integer"}, "limit": {"type": "integer"}, "total": {"type": "integer"}}},
        },
    },
}
