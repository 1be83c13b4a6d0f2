"""The rest family's pure logic: the REST rules judged on answers already received."""
from __future__ import annotations

import re
import uuid

import pytest

from labctl.check_families.rest import rules


class FakeResponse:
    def __init__(self, text: str, content_type: str = "application/json") -> None:
        self.text, self.headers = text, {"content-type": content_type}

    def json(self):
        import json

        return json.loads(self.text)


@pytest.mark.parametrize("collection, noun", [
    ("/todos", "todo"), ("/api/v1/categories", "category"), ("/boxes", "box"), ("/addresses", "address"),
    ("/news", "new"), ("/data", "data"), ("/todo-items", "todo-item"), ("/v1", "item"), ("/", "item"),
])
def test_one_item_is_named_after_its_collection(collection, noun):
    assert rules.singular(collection) == noun


def test_statuses_are_said_with_their_names():
    assert rules.status_text(201) == "201 Created"
    assert rules.statuses_text([400, 422]) == "400 Bad Request or 422 Unprocessable Entity"
    assert rules.status_text(599) == "599"


@pytest.mark.parametrize("value, ok", [
    (17, True), ("17", True), (str(uuid.uuid4()), True), ("64b000000000000000000001", True), (17.0, True),
    (True, False), (None, False), ("", False), ("  ", False), ({"id": 1}, False), ([1], False), (1.5, False),
])
def test_an_id_is_a_number_or_a_string(value, ok):
    assert (rules.id_problem(value) is None) == ok


def test_the_same_id_as_number_or_text():
    assert rules.same_id(17, "17") and rules.same_id(17.0, 17) and rules.same_id("a-b", "a-b")
    assert not rules.same_id(17, 18) and not rules.same_id(True, 1) and not rules.same_id(1, True)
    assert rules.id_in_path(17.0) == "17" and rules.id_in_path("a b/c") == "a%20b%2Fc"


@pytest.mark.parametrize("like, shape", [
    (17, r"\d{9,10}"), ("17", r"\d{9,10}"),
    ("0c6f3f0e-5a2b-4c1d-9e8f-7a6b5c4d3e2f", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    ("64B000000000000000000001", r"[0-9A-F]{24}"), ("buy-milk", r"[a-z][a-z0-9]{15}"),
])
def test_a_made_up_id_has_the_shape_of_a_real_one(like, shape):
    made = [rules.made_up_id(like) for _ in range(20)]
    assert all(re.fullmatch(shape, str(m)) for m in made), made
    assert like not in made and str(like) not in map(str, made) and len(set(map(str, made))) > 15


def test_fields_as_sent_allow_extra_fields_and_refuse_changed_ones():
    sent = {"title": "Buy x", "done": False, "tags": ["a"]}
    assert rules.fields_problem(sent, {**sent, "id": 3, "created_at": "2024-01-01T00:00:00Z"}) is None
    assert rules.fields_problem(sent, {**sent, "done": 0}) == "its done is 0; it was sent as false"
    assert rules.fields_problem(sent, {"title": "Buy x", "done": False}) == "it has no tags"
    assert rules.fields_problem(sent, ["x"]) == "it is a list, not an object with the fields sent"


def test_a_second_put_may_move_time_stamps_and_versions_but_nothing_else():
    first = {"id": 1, "title": "t", "tags": ["a"], "updated_at": "2024-05-01T10:00:00.123456+00:00", "version": 2,
             "updatedAt": 1714557600000, "seen": 1}
    later = {**first, "updated_at": "2024-05-01T10:00:01+00:00", "version": 3, "updatedAt": 1714557601000}
    assert rules.changed_fields(first, later, kept={"title", "tags"}, ignore=set()) == []
    assert rules.changed_fields(first, {**later, "tags": ["a", "a"]}, kept={"title", "tags"}, ignore=set()) == ["tags"]
    assert rules.changed_fields(first, {**later, "seen": 2}, kept={"title"}, ignore=set()) == ["seen"]
    assert rules.changed_fields(first, {**later, "seen": 2}, kept={"title"}, ignore={"seen"}) == []
    # a field the PUT sent is never left out, even one named like a time stamp
    assert rules.changed_fields({"due_date": "2024-01-01"}, {"due_date": "2024-01-02"}, kept={"due_date"},
                                ignore=set()) == ["due_date"]
    assert rules.changed_fields(first, {k: v for k, v in later.items() if k != "seen"}, kept=set(),
                                ignore=set()) == ["seen"]
    assert rules.show_value(first, "tags") == '["a"]' and rules.show_value(first, "nope") == "absent"


@pytest.mark.parametrize("header, ok", [
    ("/api/todos/17", True), ("http://localhost:8000/api/todos/17", True), ("/api/todos/17/", True),
    ("todos/17", True), ("/api/todos/18", False), ("/api/todos", False), ("/todos/17", False), (None, False),
    ("", False),
])
def test_location_points_at_the_new_item(header, ok):
    problem = rules.location_problem(header, "http://127.0.0.1:8000/api/todos", "http://127.0.0.1:8000/api/todos/17")
    assert (problem is None) == ok, problem


def test_allow_lists_the_methods_seen_working_and_not_the_refused_one():
    assert rules.allow_methods(" get,POST , ") == {"GET", "POST"}
    assert rules.allow_problem("GET, POST, HEAD, OPTIONS", "PATCH", {"POST"}) is None
    assert rules.allow_problem(None, "PATCH", {"POST"}) == "without an Allow header"
    assert rules.allow_problem("", "PATCH", set()) == "with an empty Allow header"
    assert "lists PATCH itself" in rules.allow_problem("GET, PATCH", "PATCH", set())
    assert "leaves out PUT (seen working there)" in rules.allow_problem("GET, DELETE", "POST", {"GET", "PUT"})


@pytest.mark.parametrize("text, kind, ok", [
    ('{"error": "title is required"}', "application/json", True),
    ('{"detail": [{"loc": ["body", "title"]}]}', "application/json", True),
    ('[{"field": "title"}]', "application/json", True),
    ("<html>Bad Request</html>", "text/html", False), ("", "text/plain", False), ("{}", "application/json", False),
    ('"bad"', "application/json", False), ("null", "application/json", False),
])
def test_an_error_body_is_json(text, kind, ok):
    assert (rules.error_body_problem(FakeResponse(text, kind)) is None) == ok


@pytest.mark.parametrize("existing, per_page, cap, more_than, plan", [
    (0, 3, None, None, (3, 7, True)),  # 3 + 3 + 1
    (4, 3, None, None, (3, 3, True)),  # 7 in all
    (6, 3, None, None, (3, 1, True)),
    (5, 3, None, None, (3, 2, True)),  # 6 would fill the last page
    (0, 3, None, 5, (3, 7, True)),  # more than the default of 5: 7 already is
    (0, 3, None, 10, (3, 11, True)),  # more than 10, and 11 leaves a last page of 2
    (0, 3, None, 100, (3, 7, True)),  # a default too large to fill: the pages only
    (500, 3, None, None, (46, 1, True)),  # a long list: larger pages, still at most 12
    (500, 3, 20, None, (20, 1, False)),  # ... unless the maximum limit forbids: first and last page only
])
def test_a_page_plan_has_full_pages_and_a_partial_last_one(existing, per_page, cap, more_than, plan):
    got = rules.page_plan(existing, per_page, max_pages=12, max_new=30, limit_cap=cap, more_than=more_than)
    assert got == plan
    limit, new, _ = got
    total = existing + new
    assert total % limit and total >= 2 * limit + 1
    assert rules.last_page_size(total, limit) == total % limit
