"""Near miss: a test that expects what the contract does not say (another user's todo answering 404), so
the suite fails against the correct API, and proves nothing about the mutants."""
import os
import uuid

import requests

BASE = os.environ["API_URL"].rstrip("/")


def token():
    email = f"wrong-{uuid.uuid4().hex}@example.com"
    requests.post(BASE + "/register", json={"email": email, "password": "correct-horse-7"}, timeout=10)
    return requests.post(BASE + "/login", json={"email": email, "password": "correct-horse-7"}, timeout=10).json()["token"]


def test_create():
    made = requests.post(BASE + "/todos", json={"title": "x"}, headers={"Authorization": f"Bearer {token()}"}, timeout=10)
    assert made.status_code == 201


def test_another_users_todo_is_hidden():
    todo = requests.post(BASE + "/todos", json={"title": "mine"}, headers={"Authorization": f"Bearer {token()}"},
                         timeout=10).json()
    other = requests.get(f"{BASE}/todos/{todo['id']}", headers={"Authorization": f"Bearer {token()}"}, timeout=10)
    assert other.status_code == 404
