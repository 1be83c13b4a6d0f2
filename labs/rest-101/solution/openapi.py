"""The OpenAPI 3.0 document of the reference Todo API, served at GET /openapi.json: every route, its request
body and each answer it really gives, with their schemas. The doc-* mistakes make it say something else."""
from __future__ import annotations

from typing import Any

from options import bug


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


AUTH = {"401": _error("no token, or a token that is not valid")}
MINE = {"403": _error("another user's todo"), "404": _error("no such todo")}
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _schemas() -> dict[str, Any]:
    todo = {
        "type": "object",
        "required": ["id", "title", "done", "due"],
        "properties": {
            "id": {"type": "string" if bug("doc-id-string") else "integer"},
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "done": {"type": "string" if bug("doc-done-string") else "boolean"},
            "due": {"type": "string", "format": "date", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
        },
    }
    if bug("doc-requires-owner"):
        todo["required"].append("owner")
        todo["properties"]["owner"] = {"type": "integer"}
    writable = {"title": {"type": "string", "minLength": 1, "maxLength": 200}, "done": {"type": "boolean"},
                "due": {"type": "string", "format": "date", "nullable": True}}
    return {
        "Credentials": {"type": "object", "required": ["email", "password"],
                        "properties": {"email": {"type": "string"}, "password": {"type": "string", "minLength": 8}}},
        "User": {"type": "object", "required": ["id", "email"],
                 "properties": {"id": {"type": "integer"}, "email": {"type": "string"}}},
        "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
        "Todo": todo,
        "NewTodo": {"type": "object", "required": ["title"], "properties": writable},
        "TodoChanges": {"type": "object", "properties": writable},
        "Page": {"type": "object", "required": ["data", "page", "limit", "total"],
                 "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Todo"}},
                                "page": {"type": "integer", "minimum": 1},
                                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                                "total": {"type": "integer", "minimum": 0}}},
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string", "minLength": 1}}},
    }


def document() -> dict[str, Any]:
    created = "200" if bug("doc-create-200") else "201"
    item: dict[str, Any] = {
        "parameters": ID,
        "get": {"summary": "One todo", "responses": {"200": _json("Todo", "the todo"), **AUTH, **MINE}},
        "put": {"summary": "Replace a todo (done and due go back to their defaults when left out)",
                "requestBody": _body("NewTodo"),
                "responses": {"200": _json("Todo", "the todo as stored"), "400": _error("an invalid todo"),
                              **AUTH, **MINE}},
        "patch": {"summary": "Change some fields of a todo", "requestBody": _body("TodoChanges"),
                  "responses": {"200": _json("Todo", "the todo as stored"), "400": _error("an invalid field"),
                                **AUTH, **MINE}},
        "delete": {"summary": "Delete a todo", "responses": {"204": {"description": "deleted"}, **AUTH, **MINE}},
    }
    if bug("doc-no-delete"):
        del item["delete"]
    if bug("doc-no-404"):
        del item["get"]["responses"]["404"]
    paths = {
        "/register": {"post": {"summary": "Sign up", "security": [], "requestBody": _body("Credentials"),
                               "responses": {"201": _json("User", "the new user"),
                                             "400": _error("a missing field, or a password under 8 characters"),
                                             "409": _error("the email is taken")}}},
        "/login": {"post": {"summary": "Log in", "security": [], "requestBody": _body("Credentials"),
                            "responses": {"200": _json("Token", "a bearer token"),
                                          "400": _error("a missing field"),
                                          "401": _error("an unknown email or a wrong password")}}},
        "/todos": {
            "get": {"summary": "The caller's todos, a page at a time, ordered by id",
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "default": 10},
                         "description": "above 100 counts as 100"},
                        {"name": "done", "in": "query", "schema": {"type": "boolean"}}],
                    "responses": {"200": _json("Page", "a page of the list"),
                                  "400": _error("page, limit or done out of bounds"), **AUTH}},
            "post": {"summary": "Create a todo", "requestBody": _body("NewTodo"),
                     "responses": {created: {**_json("Todo", "the new todo"),
                                             "headers": {"Location": {"schema": {"type": "string"},
                                                                      "description": "/todos/{id}"}}},
                                   "400": _error("an invalid todo, or a body that is not JSON"), **AUTH}},
        },
        "/todos/{id}": item,
    }
    if bug("doc-swagger-2"):
        return {"swagger": "2.0", "info": {"title": "Todo API", "version": "1.0"}, "paths": {}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Todo API (rest-101)", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
