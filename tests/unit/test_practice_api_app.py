"""The practice Todo API in-process (compose/images/practice-api/todo_app.py): the reference keeps rest-101's
contract, and every mutant answers one scripted session differently from it; rest-101's suites and the
test lab's copies are the same files."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "compose" / "images" / "practice-api"))

from todo_app import TodoApp
from variants import MUTANTS


def session(app: TodoApp) -> list:
    """A scripted session touching every rule a mutant breaks: the answers, in order."""
    seen = []

    def call(method, path, token=None, body=None, raw=None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        path, _, query = path.partition("?")
        status, extra, value = app.handle(method, path, query, headers, data)
        seen.append((method, path, query, status, extra, value))
        return value

    tokens = []
    for email in ("a@example.com", "b@example.com"):
        call("POST", "/register", body={"email": email, "password": "long-enough"})
        call("POST", "/login", body={"email": email, "password": "wrong-password"})
        tokens.append(call("POST", "/login", body={"email": email, "password": "long-enough"})["token"])
    a, b = tokens
    for n in range(3):
        call("POST", "/todos", a, {"title": f"t{n}", "done": n == 1})
    call("GET", "/todos?limit=2&page=1", a)
    call("GET", "/todos?limit=2&page=2", a)
    call("GET", "/todos?done=true", a)
    call("GET", "/todos")
    call("GET", "/todos/1", b)
    call("POST", "/todos", a, {"title": ""})
    call("POST", "/todos", a, raw=b"{oops")
    call("PUT", "/todos/2", a, {"title": "again"})
    call("DELETE", "/todos/3", a)
    call("GET", "/todos/3", a)
    call("DELETE", "/todos", a)
    for entry in seen:  # tokens differ on every run: keep only their presence
        if isinstance(entry[5], dict) and "token" in entry[5]:
            entry[5]["token"] = "<token>"
    return seen


def test_the_reference_keeps_the_contract():
    answers = {(m, p, q): (s, h, v) for m, p, q, s, h, v in session(TodoApp())}
    assert answers[("POST", "/todos", "")][0] == 400  # the last POST /todos: not JSON
    assert answers[("GET", "/todos", "limit=2&page=2")][2] == {
        "data": [{"id": 3, "title": "t2", "done": False, "due": None}], "page": 2, "limit": 2, "total": 3}
    assert answers[("GET", "/todos", "done=true")][2]["total"] == 1
    assert answers[("GET", "/todos/1", "")][0] == 403
    assert answers[("PUT", "/todos/2", "")][2] == {"id": 2, "title": "again", "done": False, "due": None}
    assert answers[("DELETE", "/todos/3", "")][:2] == (204, {})
    assert answers[("GET", "/todos/3", "")][0] == 404
    assert answers[("DELETE", "/todos", "")][:2] == (405, {"Allow": "GET, POST"})


@pytest.mark.parametrize("bug", sorted(MUTANTS))
def test_every_mutant_answers_differently_from_the_reference(bug):
    reference, mutant = session(TodoApp()), session(TodoApp(bug))
    differences = [(r, m) for r, m in zip(reference, mutant) if r != m]
    assert differences, f"{bug} answers like the reference"
    assert all(isinstance(m[5], dict) and m[5].get("error") for r, m in differences if m[3] >= 400)


def test_at_least_ten_mutants_each_described_with_a_hint():
    assert len(MUTANTS) >= 10
    assert all(description and hint for description, hint in MUTANTS.values())


def test_a_failing_run_shows_which_test_failed_not_only_its_summary():
    from labctl.check_families.api_tests.catch import failing_lines

    tap = "\n".join(["TAP version 13", "ok 1 - create answers 201", "not ok 2 - another user's todo is 403",
                     "  error: '404 !== 403'", "1..2", "# tests 2", "# pass 1", "# fail 1", "# cancelled 0",
                     "# skipped 0", "# todo 0", "# duration_ms 100"])
    shown = failing_lines(tap)
    assert "not ok 2 - another user's todo is 403" in shown and "# fail 1" in shown
    assert "ok 1 - create answers 201" not in shown
    assert failing_lines("1 passed\n") == "    1 passed"
