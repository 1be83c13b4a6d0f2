"""Near miss: the bodies are checked, never the status codes (nor headers): a 200 for a 201, a 204 that
deleted nothing, a 500 for a bad body all pass."""
import os
import uuid

import requests

BASE = os.environ["API_URL"].rstrip("/")


def session():
    email = f"nostatus-{uuid.uuid4().hex}@example.com"
    requests.post(BASE + "/register", json={"email": email, "password": "correct-horse-6"}, timeout=10)
    token = requests.post(BASE + "/login", json={"email": email, "password": "correct-horse-6"}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_create_and_read():
    auth = session()
    todo = requests.post(BASE + "/todos", json={"title": "body only"}, headers=auth, timeout=10).json()
    assert todo["title"] == "body only" and todo["done"] is False
    assert requests.get(f"{BASE}/todos/{todo['id']}", headers=auth, timeout=10).json()["id"] == todo["id"]


def test_list_pages():
    auth = session()
    ids = [requests.post(BASE + "/todos", json={"title": f"t{n}"}, headers=auth, timeout=10).json()["id"] for n in range(3)]
    page = requests.get(BASE + "/todos?limit=2", headers=auth, timeout=10).json()
    assert [t["id"] for t in page["data"]] == ids[:2]
    assert page["total"] == 3


def test_invalid_todo_has_an_error():
    auth = session()
    assert "error" in requests.post(BASE + "/todos", json={"title": ""}, headers=auth, timeout=10).json()
