"""The REST rules as pure judgements on answers already received: no network here, so each is unit-tested.

Each function returns None when the answer keeps the rule, else a phrase saying what the answer did.
"""
from __future__ import annotations

import json
import math
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..http.body import json_equal
from ..http.fresh import fresh_word

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Fields a write may rightly change on every request: when it was written, its version or ETag.
VOLATILE_NAME = re.compile(r"(updated|modified|changed|_at$|[a-z]At$|time|date|version|etag|revision)", re.IGNORECASE)


def singular(collection: str) -> str:
    """What one item of a collection is called in messages: /todos -> todo, /api/categories -> category."""
    last = collection.rstrip("/").rsplit("/", 1)[-1].lower()
    if not re.fullmatch(r"[a-z][a-z_-]*", last):
        return "item"
    if last.endswith("ies") and len(last) > 3:
        return last[:-3] + "y"
    if last.endswith(("sses", "xes", "ches", "shes")):
        return last[:-2]
    if last.endswith("s") and not last.endswith("ss") and len(last) > 1:
        return last[:-1]
    return last


def status_text(code: int) -> str:
    """201 -> '201 Created'."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def statuses_text(codes: list[int]) -> str:
    """[403, 404] -> '403 Forbidden or 404 Not Found'."""
    return " or ".join(status_text(c) for c in codes)


def id_problem(value: Any) -> str | None:
    """An id is a number or a non-empty string (a UUID, a slug); not a boolean, null, list or object."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return f"the id is {json.dumps(value)}; an id should be a number or a string"
    if isinstance(value, float) and not value.is_integer():
        return f"the id is {value}; an id should be a whole number or a string"
    if isinstance(value, str) and not value.strip():
        return "the id is an empty string"
    return None


def same_id(a: Any, b: Any) -> bool:
    """17 and "17" name the same item (an API may print its ids as text in one place); true is no id."""
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return _id_text(a) == _id_text(b)


def _id_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def id_in_path(value: Any) -> str:
    """The id as it goes into a URL path (a float such as 17.0 from a JSON number goes as 17)."""
    from urllib.parse import quote

    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return quote(str(value), safe="")


def made_up_id(like: Any) -> Any:
    """An id no item has, of the same kind as a real one (an API may refuse an id of another shape with 400):
    a large number for a number, a string of the same shape for a UUID or a hex id, else a new word."""
    import random

    rng = random.SystemRandom()
    if isinstance(like, (int, float)) and not isinstance(like, bool):
        return rng.randint(900_000_000, 1_999_999_999)
    if not isinstance(like, str):
        return fresh_word(16)
    if like.isdigit():
        return str(rng.randint(900_000_000, 1_999_999_999))
    if len(like) >= 8 and re.fullmatch(r"[0-9a-fA-F-]+", like):
        hex_digits = "0123456789ABCDEF" if like.upper() == like else "0123456789abcdef"
        while True:
            made = "".join(c if c == "-" else rng.choice(hex_digits) for c in like)
            if made != like:
                return made
    return fresh_word(16)


def fields_problem(sent: Any, item: Any) -> str | None:
    """None when every field sent comes back with the value sent (extra fields are fine)."""
    if not isinstance(sent, dict):
        return None
    if not isinstance(item, dict):
        return f"it is {_kind(item)}, not an object with the fields sent"
    for key, value in sent.items():
        if key not in item:
            return f"it has no {key}"
        if not json_equal(item[key], value):
            return f"its {key} is {_cut(item[key])}; it was sent as {_cut(value)}"
    return None


def changed_fields(first: Any, second: Any, *, kept: set[str], ignore: set[str]) -> list[str]:
    """The fields whose value differs between two states of one item, leaving out those a write may rightly
    change each time (a time stamp, a version), unless they are in `kept` (fields the request sent)."""
    if not isinstance(first, dict) or not isinstance(second, dict):
        return [] if json_equal(first, second) else ["the whole answer"]
    changed = []
    for key in sorted(set(first) | set(second), key=str):
        a, b = first.get(key, _MISSING), second.get(key, _MISSING)
        if a is not _MISSING and b is not _MISSING and json_equal(a, b):
            continue
        if key not in kept and (key in ignore or _volatile(key, a, b)):
            continue
        changed.append(key)
    return changed


_MISSING = object()


def _volatile(key: str, a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return False
    if isinstance(a, str) and isinstance(b, str) and DATE_TIME.match(a) and DATE_TIME.match(b):
        return True
    return bool(VOLATILE_NAME.search(key)) and type(a) is type(b) and not isinstance(a, (dict, list))


def show_value(item: Any, key: str) -> str:
    """A field's value for a message ('absent' when the item has none)."""
    if not isinstance(item, dict) or key not in item:
        return "absent"
    return _cut(item[key])


def location_problem(header: str | None, request_url: str, item_url: str) -> str | None:
    """None when a Location header (absolute, or relative to the request) points at the item's path."""
    if header is None or not header.strip():
        return "has no Location header"
    target = urlsplit(urljoin(request_url, header.strip()))
    want = urlsplit(item_url)
    if unquote(target.path).rstrip("/") != unquote(want.path).rstrip("/"):
        return f"has Location: {header.strip()}"
    return None


def allow_methods(header: str | None) -> set[str]:
    """The methods an Allow header lists ('GET, POST' -> {'GET', 'POST'})."""
    return {m.strip().upper() for m in (header or "").split(",") if m.strip()}


def allow_problem(header: str | None, probed: str, works: set[str]) -> str | None:
    """None when Allow is there, leaves out the refused method and lists the methods seen working."""
    if header is None:
        return "without an Allow header"
    listed = allow_methods(header)
    if not listed:
        return "with an empty Allow header"
    if probed in listed:
        return f"with Allow: {header.strip()}, which lists {probed} itself"
    missing = sorted(works - listed)
    if missing:
        return f"with Allow: {header.strip()}, which leaves out {', '.join(missing)} (seen working there)"
    return None


def error_body_problem(response) -> str | None:
    """None when the body is a JSON error: an object or a list, not empty."""
    try:
        data = response.json()
    except ValueError:
        kind = response.headers.get("content-type") or "no content type"
        text = response.text.strip()
        return f"without a JSON error ({kind}{': ' + repr(_cut_text(text)) if text else ', empty'})"
    if not isinstance(data, (dict, list)) or not data:
        return f"with {_cut(data)} as its body, not a JSON error such as {{\"error\": \"...\"}}"
    return None


def page_plan(existing: int, per_page: int, *, max_pages: int, max_new: int, limit_cap: int | None,
              more_than: int | None = None) -> tuple[int, int, bool]:
    """(limit, items to create, whether every page can be read) for a list that holds `existing` items.

    The pages should be at least two full ones and a partial last one (so that both a full page and the
    end show), read in at most `max_pages` requests; `more_than` asks for more items than that in all (a
    default page size to show)."""
    limit = per_page
    if math.ceil((existing + 1) / limit) > max_pages - 1:
        limit = math.ceil((existing + 1) / (max_pages - 1))
    if limit_cap is not None:
        limit = min(limit, limit_cap)
    new = 1
    floor = max(2 * limit + 1, (more_than or 0) + 1)
    while existing + new < floor or (existing + new) % limit == 0:
        new += 1
    if new > max_new:  # a default page size too large to fill: show the pages, not the default
        new = 1
        while existing + new < 2 * limit + 1 or (existing + new) % limit == 0:
            new += 1
    walk = math.ceil((existing + new) / limit) <= max_pages
    return limit, new, walk


def last_page_size(total: int, limit: int) -> int:
    return total - (math.ceil(total / limit) - 1) * limit if total else 0


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _cut(value: Any, limit: int = 80) -> str:
    """A JSON value as JSON text, cut at `limit` characters."""
    return _cut_text(json.dumps(value, ensure_ascii=False), limit)


def _cut_text(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
