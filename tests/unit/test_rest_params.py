"""The rest family's parameters, checked when a lab loads: probes and what each needs, placeholders, paths."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pydantic
import pytest
import yaml

from labctl.check_engine import registry
from labctl.core.errors import LabFileError
from labctl.core.loader import load_lab_dir

TEST_LABS = Path(__file__).parents[1] / "labs"

BASE = {"url": "http://127.0.0.1:8000", "collection": "/todos", "create": {"title": "Buy ${random}"}}
AUTH = {"steps": [{"method": "POST", "path": "/login", "json": {"u": "x"}, "save": {"token": "access_token"}}]}


def resource(**more):
    return registry.get("rest.resource").model_validate({**BASE, **more})


def pagination(**more):
    return registry.get("rest.pagination").model_validate({**BASE, **more})


@pytest.mark.parametrize("more, words", [
    ({"probes": ["invalid"]}, "the invalid probe needs invalid items"),
    ({"probes": ["missing_auth"]}, "the missing_auth probe needs auth"),
    ({"probes": ["fetch", "fetch"]}, "each probe once"),
    ({"probes": ["fetch", "teleport"]}, "probes.1"),
    ({"create": {"title": "${nope}"}}, "${nope} is not defined"),
    ({"invalid": [{"title": "${nope}"}]}, "${nope} is not defined"),
    ({"invalid": [None]}, "cannot be null"),
    ({"collection": "todos"}, "must be a path starting with a single /"),
    ({"collection": "/todos?page=1"}, "without a query"),
    ({"unsupported": ["FETCH /todos"]}, "start with a method"),
    ({"unsupported": ["PATCH /todos/{name}"]}, "may hold only {id}"),
    ({"auth": {"steps": [{"path": "/login", "save": {"tok": "t"}}]}}, "value: ${token} is not defined"),
    ({"auth": {**AUTH, "header": None}}, "give header and value together"),
    ({"auth": {"steps": [{"path": "/login", "equals": {"a": "${random}"}}]}}, "would be a new value"),
    ({"id": "items[0"}, "is not a path"),
    ({"create": {"id": "${id}", "title": "x"}}, "${id} is not defined"),  # only a PUT knows the item's id
])
def test_resource_parameters_are_checked_when_the_lab_loads(more, words):
    with pytest.raises(pydantic.ValidationError, match=re.escape(words)):
        resource(**more)


def test_a_put_body_may_repeat_the_items_id():
    assert resource(update={"id": "${id}", "title": "Sell ${random}"}).update["id"] == "${id}"


def test_default_probes_are_those_the_parameters_allow_without_duplicate():
    assert resource().chosen() == ["fetch", "not_found", "update_idempotent", "unsupported_method", "delete"]
    assert resource(auth=AUTH, invalid=[{"title": ""}]).chosen() == [
        "fetch", "not_found", "missing_auth", "other_user", "invalid", "update_idempotent", "unsupported_method",
        "delete"]
    # a lab's list picks probes; they run in the check's own order
    assert resource(probes=["delete", "duplicate", "create"]).chosen() == ["duplicate", "delete"]
    assert resource(collection="/todos/").collection == "/todos"


def test_a_forged_login_has_the_shape_of_a_real_one():
    check = resource(auth={**AUTH, "value": "Token ${token}", "header": "X-Auth"})
    forged = check.auth.forged()
    assert list(forged) == ["X-Auth"] and re.fullmatch(r"Token [a-z0-9]{32}", forged["X-Auth"])
    assert resource(auth={**AUTH, "header": None, "value": None}).auth.forged() == {}


@pytest.mark.parametrize("more, words", [
    ({"query": {"page": "p", "offset": "o"}}, "give page or offset"),
    ({"per_page": 30, "max_limit": 20}, "per_page must not be above max_limit"),
    ({"default_limit": 50, "max_limit": 20}, "default_limit must not be above max_limit"),
    ({"invalid_queries": ["?limit=0"]}, "give the query without ?"),
    ({"envelope": {"data": "data", "total": "a..b"}}, "is not a path"),
    ({"first_page": 2}, "first_page"),
])
def test_pagination_parameters_are_checked_when_the_lab_loads(more, words):
    with pytest.raises(pydantic.ValidationError, match=re.escape(words)):
        pagination(**more)


def test_pages_are_asked_for_by_page_or_by_offset():
    assert pagination().page_path(0, 3) == "/todos?page=1&limit=3"
    assert pagination(first_page=0).page_path(2, 3) == "/todos?page=2&limit=3"
    offset = pagination(query={"offset": "skip", "limit": "take"})
    assert offset.query.page is None and offset.page_path(2, 3) == "/todos?skip=6&take=3"


# The checks as a Todo lab writes them in lab.yaml.
TODO_CHECKS = """
- type: rest.resource
  setting: app_url
  collection: /todos
  id: id
  create: {title: "Buy ${random}", done: false}
  update: {title: "Sell ${random}", done: true}
  invalid: {"a todo with an empty title": {title: ""}, "a todo whose done is a word": {done: "yes"}}
  location: true
  auth:
    let: {user: "u${random}", password: "pw-${random}"}
    steps:
      - {method: POST, path: /register, json: {username: "${user}", password: "${password}"}, status: 201}
      - {method: POST, path: /login, json: {username: "${user}", password: "${password}"}, status: 200,
         save: {token: access_token}}
    header: Authorization
    value: "Bearer ${token}"
  other_user_status: [403, 404]
  probes: [create, fetch, update_idempotent, delete, invalid, unsupported_method, missing_auth, other_user]
- type: rest.pagination
  setting: app_url
  collection: /todos
  create: {title: "Page ${random}"}
  envelope: {data: data, page: page, limit: limit, total: total}
  default_limit: 10
  max_limit: 100
  invalid_queries: [limit=0, limit=-1, page=0]
"""


def _todo_lab(tmp_path: Path, checks: str) -> Path:
    target = tmp_path / "app-only"
    shutil.copytree(TEST_LABS / "app-only", target)
    data = yaml.safe_load((target / "lab.yaml").read_text())
    data["tasks"][0]["checks"] = yaml.safe_load(checks)
    (target / "lab.yaml").write_text(yaml.safe_dump(data))
    return target


def test_a_todo_lab_writes_its_rest_checks_compactly(tmp_path):
    lab = load_lab_dir(_todo_lab(tmp_path, TODO_CHECKS))
    resource_check, pages_check = (spec.check for spec in lab.tasks[0].checks)
    assert resource_check.chosen() == ["fetch", "missing_auth", "other_user", "invalid", "update_idempotent",
                                       "unsupported_method", "delete"]
    assert pages_check.page_path(1, 10) == "/todos?page=2&limit=10"


def test_a_rest_check_error_names_the_file_and_field(tmp_path):
    folder = _todo_lab(tmp_path, TODO_CHECKS.replace("setting: app_url", "setting: api_url", 1))
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert info.value.field.startswith("tasks[0].checks[0]") and "'api_url' is not a setting" in info.value.message
    folder = _todo_lab(tmp_path / "2", TODO_CHECKS.replace('value: "Bearer ${token}"', 'value: "Bearer ${tok}"'))
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert info.value.field.startswith("tasks[0].checks[0]") and "${tok} is not defined" in info.value.message
