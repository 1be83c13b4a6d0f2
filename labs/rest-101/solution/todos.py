"""The /todos routes of the reference Todo API: validation, ownership, create, read, replace, update, delete,
and the paginated, filtered list. Each handler takes the caller's user id and answers (status, body, headers)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import storage
from errors import HttpError
from options import bug, done

MAX_TITLE = 200
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
POSITIVE = re.compile(r"[0-9]+")

Answer = tuple[int, Any, dict[str, str]]


# ---- validation ------------------------------------------------------------------------------------

def _title(data: dict, *, put: bool = False) -> str:
    if "title" not in data:
        raise HttpError(400, "title is required")
    title = data["title"]
    if bug("bad-title-500"):
        title = title + ""  # crashes (TypeError) on a title that is not a string
    if not isinstance(title, str):
        raise HttpError(400, "title must be a string")
    empty_ok = bug("empty-title-ok") or (put and bug("put-unvalidated"))
    if not title and not empty_ok:
        raise HttpError(400, "title must not be empty")
    if len(title) > MAX_TITLE and not bug("long-title-ok"):
        raise HttpError(400, f"title must have at most {MAX_TITLE} characters")
    return title.strip() if bug("title-trimmed") else title


def _done(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if bug("done-string-ok"):
        return bool(value)
    raise HttpError(400, "done must be true or false")


def _due(value: Any) -> date | str | None:
    if value is None:
        return None
    if bug("due-unchecked"):
        return value  # PostgreSQL refuses a date that does not exist: a 500
    if isinstance(value, str) and DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise HttpError(400, "due must be a date written YYYY-MM-DD, or null")


def json_object(data: Any) -> dict:
    if not isinstance(data, dict):
        raise HttpError(400, "send a JSON object, e.g. {\"title\": \"Buy milk\"}")
    return data


# ---- one todo ------------------------------------------------------------------------------------------

def _parse_id(text: str) -> int:
    if not POSITIVE.fullmatch(text) or int(text) >= 2**63:
        raise HttpError(404, "no such todo")
    return int(text)


def _owned(user: int, text_id: str, method: str) -> dict:
    """The todo at this id, if the caller may act on it; 404 when there is none, 403 when it is not theirs."""
    found = storage.get_todo(_parse_id(text_id))
    if found is None:
        if bug("not-found-500"):
            raise KeyError(text_id)
        raise HttpError(404, "no such todo")
    if found["owner"] != user and done("owner"):
        if bug("other-user-404"):
            raise HttpError(404, "no such todo")
        let_in = ((method == "GET" and bug("other-user-readable")) or
                  (method != "GET" and bug("other-user-writable")))
        if not let_in:
            raise HttpError(403, "this todo belongs to another user")
    return found["todo"]


def create(user: int, data: Any) -> Answer:
    data = json_object(data)
    title = _title(data)
    is_done = _done(data["done"]) if "done" in data else False
    due = _due(data.get("due"))
    todo = storage.add_todo(user, title, is_done, due)["todo"]
    headers = {} if bug("no-location") else {"Location": f"/todos/{todo['id']}"}
    return (200 if bug("create-200") else 201), todo, headers


def read(user: int, text_id: str) -> Answer:
    return 200, _owned(user, text_id, "GET"), {}


def replace(user: int, text_id: str, data: Any) -> Answer:
    """PUT: the whole todo; what the body leaves out goes back to its default (so the same PUT twice is one)."""
    if bug("put-missing-200") and storage.get_todo(_parse_id(text_id)) is None:
        return 200, json_object(data), {}
    todo = _owned(user, text_id, "PUT")
    data = json_object(data)
    title = _title(data, put=True)
    keep = bug("put-keeps-fields")
    is_done = _done(data["done"]) if "done" in data else (todo["done"] if keep else False)
    if bug("put-toggles"):
        is_done = not todo["done"]
    due = _due(data["due"]) if "due" in data else (todo.get("due") if keep else None)
    return 200, storage.set_todo(todo["id"], title, is_done, due)["todo"], {}


def update(user: int, text_id: str, data: Any) -> Answer:
    """PATCH: only the fields sent change."""
    todo = _owned(user, text_id, "PATCH")
    data = json_object(data)
    reset = bug("patch-resets")
    title = _title(data) if "title" in data else todo["title"]
    is_done = _done(data["done"]) if "done" in data else (False if reset else todo["done"])
    due = _due(data["due"]) if "due" in data else (None if reset else todo.get("due"))
    return 200, storage.set_todo(todo["id"], title, is_done, due)["todo"], {}


def delete(user: int, text_id: str) -> Answer:
    if bug("delete-missing-204") and storage.get_todo(_parse_id(text_id)) is None:
        return 204, None, {}
    todo = _owned(user, text_id, "DELETE")
    storage.remove_todo(todo["id"])
    return (200, todo, {}) if bug("delete-200") else (204, None, {})


# ---- the list -------------------------------------------------------------------------------------------

def _positive(query: dict[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if bug("bad-page-500"):
        number = int(text)  # crashes (ValueError) on a word
    elif not POSITIVE.fullmatch(text):
        raise HttpError(400, f"{name} must be a positive whole number")
    number = int(text)
    if number < 1:
        raise HttpError(400, f"{name} must be a positive whole number")
    return number


def listing(user: int, query: dict[str, str]) -> Answer:
    page = _positive(query, "page", 1)
    limit = _positive(query, "limit", DEFAULT_LIMIT)
    if not bug("no-max-limit"):
        limit = min(limit, MAX_LIMIT)
    flag = query.get("done")
    if flag is not None and flag not in ("true", "false"):
        raise HttpError(400, "done must be true or false")
    wanted = None if flag is None or bug("filter-ignored") else flag == "true"
    owner = None if bug("everyone-listed") else user
    offset = (page - 1) * limit
    if offset >= 2**62:  # far past any end: nothing to fetch, only the total to count
        data, total = [], storage.list_todos(owner, wanted, 0, 0)[1]
    else:
        data, total = storage.list_todos(owner, wanted, offset, None if bug("limit-ignored") else limit)
    if bug("total-counts-page"):
        total = len(data)
    if bug("filter-total-unfiltered"):
        total = storage.list_todos(owner, None, 0, 0)[1]
    if bug("past-end-404") and not data and page > 1:
        raise HttpError(404, "no such page")
    return 200, {"data": data, "page": page, "limit": limit, "total": total}, {}
