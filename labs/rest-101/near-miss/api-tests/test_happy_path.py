"""Near miss: only the happy path is tested (create, read, list, update, delete as a good client does);
nothing about errors, other users, missing tokens, pages or filters."""
import os
import uuid

import requests

BASE = os.environ["API_URL"].rstrip("/")


def test_a_todo_from_create_to_delete():
    email = f"happy-{uuid.uuid4().hex}@example.com"
    assert requests.post(BASE + "/register", json={"email": email, "password": "correct-horse-5"}, timeout=10).status_code == 201
    token = requests.post(BASE + "/login", json={"email": email, "password": "correct-horse-5"}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    made = requests.post(BASE + "/todos", json={"title": "happy"}, headers=auth, timeout=10)
    assert made.status_code == 201
    todo = made.json()
    assert requests.get(f"{BASE}/todos/{todo['id']}", headers=auth, timeout=10).json()["title"] == "happy"
    assert requests.get(BASE + "/todos", headers=auth, timeout=10).json()["total"] == 1
    assert requests.patch(f"{BASE}/todos/{todo['id']}", json={"done": True}, headers=auth, timeout=10).json()["done"] is True
    assert requests.delete(f"{BASE}/todos/{todo['id']}", headers=auth, timeout=10).status_code == 204
