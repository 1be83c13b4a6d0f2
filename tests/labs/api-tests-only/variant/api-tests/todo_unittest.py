"""API tests of the Todo API with Python's standard library only (unittest, urllib):
    python3 todo_unittest.py http://127.0.0.1:8000
"""
import json
import sys
import unittest
import urllib.error
import urllib.request
import uuid

BASE = ""


def call(method, path, token=None, json_body=None, raw=None):
    """(status, headers, parsed JSON or None)."""
    headers = {"Content-Type": "application/json"} if json_body is not None or raw is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(json_body).encode() if json_body is not None else raw
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            status, head, text = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, head, text = error.code, error.headers, error.read()
    return status, head, json.loads(text) if text else None


def new_user():
    email = f"py-{uuid.uuid4().hex}@example.com"
    assert call("POST", "/register", json_body={"email": email, "password": "correct-horse-4"})[0] == 201
    status, _, body = call("POST", "/login", json_body={"email": email, "password": "correct-horse-4"})
    assert status == 200
    return email, body["token"]


class TodoApiTests(unittest.TestCase):
    def setUp(self):
        self.email, self.token = new_user()

    def create(self, **fields):
        status, head, body = call("POST", "/todos", self.token, {"title": "plan", **fields})
        self.assertEqual(status, 201)
        return head, body

    def test_wrong_password(self):
        self.assertEqual(call("POST", "/login", json_body={"email": self.email, "password": "nope-nope"})[0], 401)

    def test_create_and_location(self):
        head, todo = self.create()
        self.assertTrue((head.get("Location") or "").endswith(f"/todos/{todo['id']}"))

    def test_auth_required(self):
        self.assertEqual(call("GET", "/todos")[0], 401)

    def test_validation(self):
        self.assertIn(call("POST", "/todos", self.token, {"title": ""})[0], (400, 422))
        self.assertIn(call("POST", "/todos", self.token, raw=b"not json")[0], (400, 422))

    def test_other_users_todo(self):
        _, todo = self.create()
        _, other = new_user()
        self.assertEqual(call("GET", f"/todos/{todo['id']}", other)[0], 403)

    def test_put_resets_missing_fields(self):
        _, todo = self.create(done=True)
        status, _, body = call("PUT", f"/todos/{todo['id']}", self.token, {"title": "again"})
        self.assertEqual((status, body["done"], body["due"]), (200, False, None))

    def test_delete(self):
        _, todo = self.create()
        self.assertEqual(call("DELETE", f"/todos/{todo['id']}", self.token)[0], 204)
        self.assertEqual(call("GET", f"/todos/{todo['id']}", self.token)[0], 404)

    def test_pagination_and_filter(self):
        ids = [self.create(done=n == 1)[1]["id"] for n in range(3)]
        _, _, first = call("GET", "/todos?limit=2", self.token)
        _, _, second = call("GET", "/todos?limit=2&page=2", self.token)
        self.assertEqual([t["id"] for t in first["data"]], ids[:2])
        self.assertEqual([t["id"] for t in second["data"]], ids[2:])
        self.assertEqual((first["total"], second["total"]), (3, 3))
        _, _, done = call("GET", "/todos?done=true", self.token)
        self.assertEqual([t["id"] for t in done["data"]], [ids[1]])

    def test_method_not_allowed(self):
        status, head, _ = call("DELETE", "/todos", self.token)
        self.assertEqual(status, 405)
        self.assertIn("GET", head.get("Allow") or "")


if __name__ == "__main__":
    BASE = sys.argv.pop(1).rstrip("/")
    unittest.main()
