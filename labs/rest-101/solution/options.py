"""The reference app's switches: --upto TASK (the app as it stands after that task) and --bug NAME (one
plausible mistake, for the lab's near misses and mutants). Every module reads them through done() and bug()."""
from __future__ import annotations

import argparse
import os
import sys

TASKS = ["users", "create", "update", "delete", "owner", "list", "openapi"]
BUGS = {
    # users
    "plain-password": "the password is stored as it was typed",
    "duplicate-email-ok": "a second registration with a taken email answers 201",
    "short-password-ok": "a password shorter than 8 characters is accepted",
    "password-in-answer": "the registration's answer includes the password",
    "any-password": "POST /login never checks the password",
    "unknown-email-404": "POST /login answers 404 for an unknown email",
    # create
    "create-200": "POST /todos answers 200 instead of 201 Created",
    "no-location": "POST /todos answers 201 without a Location header",
    "bad-title-500": "a title that is not a string crashes the handler (500)",
    "empty-title-ok": "an empty title is stored",
    "long-title-ok": "a title of any length is stored",
    "done-string-ok": "done may be any JSON value (\"yes\" is stored as true)",
    "due-unchecked": "due is handed to PostgreSQL unchecked: a date that does not exist is a 500",
    "title-trimmed": "the title is stored without its leading and trailing spaces",
    "due-omitted": "a todo without a due date is answered without the due field",
    "not-found-500": "GET /todos/{id} of an id nobody has crashes (500)",
    "missing-auth-500": "a /todos request without a token crashes (500) instead of 401",
    # update
    "put-keeps-fields": "PUT leaves done and due as they were when the body leaves them out",
    "patch-resets": "PATCH resets the fields it is not sent to their defaults",
    "put-toggles": "PUT flips done on each call, whatever the body says",
    "put-unvalidated": "PUT stores an empty title",
    "put-missing-200": "PUT /todos/{id} of an id nobody has answers 200 with nothing changed",
    # delete
    "soft-delete": "DELETE answers 204 but the todo is still there",
    "delete-200": "DELETE answers 200 with the deleted todo instead of 204",
    "no-405": "an unsupported method answers 404 instead of 405",
    "405-no-allow": "an unsupported method answers 405 without an Allow header",
    "delete-missing-204": "DELETE of an id nobody has answers 204 instead of 404",
    # owner
    "other-user-readable": "GET /todos/{id} shows another user's todo",
    "other-user-writable": "PUT, PATCH and DELETE change another user's todo",
    "other-user-404": "another user's todo answers 404 instead of 403",
    # list
    "limit-ignored": "GET /todos returns every todo whatever the limit",
    "total-counts-page": "the total is the number of todos on the page",
    "everyone-listed": "GET /todos lists every user's todos",
    "filter-ignored": "done= is read and ignored",
    "filter-total-unfiltered": "done= filters the page but the total counts every todo",
    "no-max-limit": "a limit above 100 is not clamped",
    "past-end-404": "a page past the end answers 404",
    "bad-page-500": "a page that is not a number crashes (500)",
    "newest-first": "the list is ordered by id descending",
    # openapi
    "doc-create-200": "the document says POST /todos answers 200 (the app answers 201)",
    "doc-id-string": "the document says a todo's id is a string (the app answers a number)",
    "doc-requires-owner": "the document requires an owner field the app never sends",
    "doc-no-delete": "the document leaves out DELETE /todos/{id}",
    "doc-no-404": "the document does not list 404 for GET /todos/{id}",
    "doc-done-string": "the document says done is a string",
    "doc-swagger-2": "the document is a Swagger 2.0 document, not OpenAPI 3",
}

parser = argparse.ArgumentParser(description="the rest-101 reference Todo API")
parser.add_argument("--upto", choices=TASKS, default=TASKS[-1], help="enable the features of the tasks up to this one")
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a plausible mistake")
OPTIONS = parser.parse_args()


def done(task: str) -> bool:
    """Whether the app includes the feature of this task (so the self-test can run it task by task)."""
    return TASKS.index(task) <= TASKS.index(OPTIONS.upto)


def bug(name: str) -> bool:
    return name in OPTIONS.bug


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: run `eval \"$(labctl env)\"` first, or let labctl start the app")
    return value
