"""The variants a deployment can serve: the reference Todo API, and mutants of it with one classic bug each.

Each mutant has a description the learner reads when their tests miss it, and a hint at the test that
would catch it. labctl reads them from GET /_labctl/variants.
"""
from __future__ import annotations

REFERENCE = "reference"

MUTANTS: dict[str, tuple[str, str]] = {
    "create-200": (
        "POST /todos answers 200 instead of 201 Created",
        "assert that creating a todo answers exactly 201"),
    "no-location": (
        "POST /todos answers 201 without a Location header",
        "assert that a create's Location header is /todos/{id} of the new todo"),
    "delete-keeps": (
        "DELETE answers 204 but the todo is still there",
        "after a DELETE, GET the same todo and expect 404"),
    "total-counts-page": (
        "the list's total counts only the todos on the page, not all of the caller's todos",
        "create more todos than the limit (e.g. 3 with ?limit=2) and assert total is the full count"),
    "limit-ignored": (
        "the limit parameter is ignored: a page always holds up to 10 todos",
        "create 3 todos, ask ?limit=2 and assert data holds exactly 2"),
    "page-repeats": (
        "page 2 answers the same todos as page 1",
        "with ?limit=2, compare the ids on page 1 and page 2: they must differ"),
    "done-filter-ignored": (
        "?done=true answers every todo, done or not",
        "create one done and one open todo, ask ?done=true and assert every todo in data is done"),
    "other-user-readable": (
        "another user's todo is readable: GET answers 200 instead of 403",
        "register a second user and GET the first user's todo with their token: expect 403"),
    "missing-auth-accepted": (
        "/todos answers requests that carry no token instead of 401",
        "call GET /todos (and POST /todos) without an Authorization header and expect 401"),
    "empty-title-accepted": (
        "a todo with an empty title is created instead of refused",
        'POST /todos with {"title": ""} and expect 400 or 422'),
    "not-json-500": (
        "a body that is not JSON makes the server fail with 500",
        "POST /todos with Content-Type: application/json and a body that is not JSON: expect 400 or 422"),
    "put-like-patch": (
        "PUT keeps the fields it is not sent, as PATCH does",
        "PUT a todo with done true, then PUT it with a title only: done must be false again"),
    "no-allow": (
        "405 answers carry no Allow header",
        "DELETE /todos must answer 405 with an Allow header listing GET and POST"),
    "wrong-password-accepted": (
        "logging in with a wrong password succeeds",
        "log in with the right email and a wrong password and expect 401"),
}

NAMES = (REFERENCE, *MUTANTS)


def listing() -> list[dict[str, str]]:
    """Every mutant as labctl shows it: name, description, hint."""
    return [{"name": name, "description": description, "hint": hint}
            for name, (description, hint) in MUTANTS.items()]
