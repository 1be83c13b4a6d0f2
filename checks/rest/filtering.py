"""The filters of a rest.pagination list (done=true, done=false): each filtered list, page by page, holds
exactly the items with the filter's fields, and its total counts that filtered list, not the whole one.

Before making anything, it reads each filter's total; then it makes a different number of new items with
each filter's fields (2 for the first, 3 for the second...), so a filter that is ignored, inverted or
counted on the whole list answers a total that differs from the one expected."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..http.body import json_at, json_equal
from .client import Client, Made, RestRuleError, User
from .rules import id_in_path, last_page_size

if TYPE_CHECKING:
    from .pagination import Pagination, Reading

MAX_FILTER_PAGES = 6


def show_fields(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k} {json.dumps(v)}" for k, v in fields.items())


def check_filters(check: Pagination, client: Client, user: User, made: Made, reading: Reading,
                  whole: int) -> int:
    """Reads every filter of the lab; raises RestRuleError at the first wrong page. Returns the items made.
    `whole` is the unfiltered list's total before the check made the filters' items."""
    limit = check.per_page
    before: dict[str, int] = {}
    for query in check.filters:
        before[query] = reading.page(f"{check.page_path(0, limit)}&{query}", at_most=limit).total
    ids: dict[str, list[Any]] = {}
    for n, (query, fields) in enumerate(check.filters.items()):
        template = {**check.create, **fields}
        ids[query] = [check.create_item(client, user, made, template=template)[0] for _ in range(n + 2)]
    whole += sum(len(v) for v in ids.values())
    made_text = " and ".join(f"{len(ids[q])} {check.noun}s with {show_fields(f)}" for q, f in check.filters.items())
    for query, fields in check.filters.items():
        expected = before[query] + len(ids[query])
        holds = (f"it was {before[query]} before the check made {made_text}, so it should be {expected}")
        _read_filtered(check, client, reading, query, fields, expected, ids[query], holds, whole)
    return sum(len(v) for v in ids.values())


def _read_filtered(check: Pagination, client: Client, reading: Reading, query: str, fields: dict[str, Any],
                   expected: int, ids: list[Any], holds: str, whole: int) -> None:
    limit, noun = check.per_page, check.noun
    pages = max(1, math.ceil(expected / limit))
    walk = pages <= MAX_FILTER_PAGES
    seen: set[str] = set()
    for number in (range(pages) if walk else (0, pages - 1)):
        path = f"{check.page_path(number, limit)}&{query}"
        page = reading.page(path, at_most=limit, number=number, limit=limit)
        if page.total != expected:
            note = (" (that counts the whole list: the total should count the filtered list only)"
                    if page.total == whole else "")
            raise RestRuleError(f"GET {path}: the total is {page.total}{note}; {holds}",
                                page.reply.curl, expected=expected, found=page.total)
        for entry in page.data:
            wrong = _unlike(fields, entry)
            if wrong:
                raise RestRuleError(f"GET {path} lists a {noun} {wrong}; {query} should list only {noun}s with "
                                    f"{show_fields(fields)}", page.reply.curl, found=entry)
            seen.add(id_in_path(_id(check, entry)))
        size = limit if number < pages - 1 else last_page_size(expected, limit)
        if len(page.data) != size:
            raise RestRuleError(f"GET {path} returned {len(page.data)} {noun}s; with {query} the list holds "
                                f"{expected}, so this page should hold {size}", page.reply.curl, expected=size,
                                found=len(page.data))
    if walk:
        for item_id in ids:
            if id_in_path(item_id) not in seen:
                raise RestRuleError(f"the new {noun} {item_id!r}, made with {show_fields(fields)}, is on no page of "
                                    f"GET {check.collection}?{query}; the filtered list should hold it",
                                    client.last_curl)


def _unlike(fields: dict[str, Any], entry: Any) -> str | None:
    """How an item on a filtered page differs from the filter's fields ('whose done is false'), or None."""
    if not isinstance(entry, dict):
        return "that is not an object"
    for key, value in fields.items():
        if key not in entry:
            return f"without {key}"
        if not json_equal(entry[key], value):
            return f"whose {key} is {json.dumps(entry[key])}"
    return None


def _id(check: Pagination, entry: Any) -> Any:
    return json_at(entry, check.id)[1]
