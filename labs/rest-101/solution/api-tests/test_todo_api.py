"""API tests of the Todo API (rest-101's contract), black-box over HTTP: pytest + requests.

The API's base URL comes from $API_URL (labctl sets it, and puts it where the command says {url}).
Every run registers fresh users, so a second run never collides with the first.
"""
import os
import uuid

import pytest
import requests

BASE = os.environ["API_URL"].rstrip("/")


def call(method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, BASE + path, headers=headers, timeout=10, **kwargs)


def new_user():
    """A fresh user's token; the email is new on every run."""
    email = f"test-{uuid.uuid4().hex}@example.com"
    password = "correct-horse-1"
    registered = call("POST", "/register", json={"email": email, "password": password})
    assert registered.status_code == 201
    assert registered.json()["email"] == email
    assert "password" not in registered.json()
    login = call("POST", "/login", json={"email": email, "password": password})
    assert login.status_code == 200
    return login.json()["token"]


@pytest.fixture
def token():
    return new_user()


def create(token, **fields):
    response = call("POST", "/todos", token, json={"title": "buy milk", **fields})
    assert response.status_code == 201
    return response.json()


def test_login_with_a_wrong_password_is_refused():
    email = f"test-{uuid.uuid4().hex}@example.com"
    assert call("POST", "/register", json={"email": email, "password": "correct-horse-1"}).status_code == 201
    wrong = call("POST", "/login", json={"email": email, "password": "wrong-horse-1"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]


def test_create_answers_201_with_the_todo_and_its_location(token):
    response = call("POST", "/todos", token, json={"title": "buy milk"})
    assert response.status_code == 201
    todo = response.json()
    assert todo["title"] == "buy milk" and todo["done"] is False and todo["due"] is None
    assert response.headers.get("Location", "").endswith(f"/todos/{todo['id']}")
    fetched = call("GET", f"/todos/{todo['id']}", token)
    assert fetched.status_code == 200 and fetched.json()["title"] == "buy milk"


def test_todos_need_a_token():
    assert call("GET", "/todos").status_code == 401
    assert call("POST", "/todos", json={"title": "x"}).status_code == 401
    assert call("GET", "/todos", "not-a-real-token").status_code == 401


@pytest.mark.parametrize("body", [{"title": ""}, {}, {"title": "x" * 201}, {"title": 5},
                                  {"title": "x", "done": "yes"}, {"title": "x", "due": "tomorrow"}])
def test_an_invalid_todo_is_refused(token, body):
    response = call("POST", "/todos", token, json=body)
    assert response.status_code in (400, 422)
    assert response.json()["error"]


def test_a_body_that_is_not_json_is_refused(token):
    response = call("POST", "/todos", token, data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)


def test_another_users_todo_is_forbidden(token):
    todo = create(token)
    other = new_user()
    assert call("GET", f"/todos/{todo['id']}", other).status_code == 403
    assert call("DELETE", f"/todos/{todo['id']}", other).status_code == 403
    assert call("GET", f"/todos/{todo['id']}", token).status_code == 200


def test_delete_answers_204_then_the_todo_is_gone(token):
    todo = create(token)
    deleted = call("DELETE", f"/todos/{todo['id']}", token)
    assert deleted.status_code == 204 and deleted.content == b""
    assert call("GET", f"/todos/{todo['id']}", token).status_code == 404


def test_put_replaces_the_whole_todo(token):
    todo = create(token)
    full = call("PUT", f"/todos/{todo['id']}", token, json={"title": "walk", "done": True, "due": "2030-01-31"})
    assert full.status_code == 200 and full.json()["done"] is True
    bare = call("PUT", f"/todos/{todo['id']}", token, json={"title": "walk"})
    assert bare.status_code == 200
    assert bare.json()["done"] is False and bare.json()["due"] is None


def test_patch_changes_only_the_fields_sent(token):
    todo = create(token, due="2030-01-31")
    patched = call("PATCH", f"/todos/{todo['id']}", token, json={"done": True})
    assert patched.status_code == 200
    assert patched.json()["done"] is True and patched.json()["title"] == "buy milk"
    assert patched.json()["due"] == "2030-01-31"


def test_pages_limit_and_total(token):
    ids = [create(token, title=f"todo {n}")["id"] for n in range(3)]
    first = call("GET", "/todos?limit=2&page=1", token).json()
    second = call("GET", "/todos?limit=2&page=2", token).json()
    assert [t["id"] for t in first["data"]] == ids[:2]
    assert [t["id"] for t in second["data"]] == ids[2:]
    assert first["total"] == 3 and second["total"] == 3
    assert first["limit"] == 2 and second["page"] == 2
    past = call("GET", "/todos?limit=2&page=5", token).json()
    assert past["data"] == [] and past["total"] == 3


def test_done_filter(token):
    create(token, title="open")
    done = create(token, title="finished", done=True)
    listed = call("GET", "/todos?done=true", token)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["data"]] == [done["id"]]
    assert listed.json()["total"] == 1
    assert call("GET", "/todos?done=maybe", token).status_code == 400


def test_unsupported_methods_answer_405_with_allow(token):
    response = call("DELETE", "/todos", token)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers.get("Allow", "").split(",")}
