"""rest.pagination: a collection's list, page by page, against the envelope the lab contracts.

It reads how many items the list holds, creates enough fresh ones for two full pages and a partial last
one (as a fresh user when the API has logins, so the list holds only them), then reads every page: each
page's size, the total, the envelope's page and limit, no item on two pages and none left out, the last
partial page, a page past the end, and the limits the lab states. The items it made are deleted after.
"""
from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labctl.check_engine.registry import register

from ..http import fresh
from ..http.body import json_at, json_equal, parse_path, show_path
from .api import RestApi, _statuses
from .client import Client, Made, Reply, RestRuleError, User
from .filtering import check_filters
from .rules import error_body_problem, id_in_path, last_page_size, page_plan, statuses_text

MAX_PAGES = 12  # pages read one by one; a longer list is read at its first and last page only
MAX_NEW = 30  # items created at most


class Envelope(BaseModel):
    """Where a page's answer holds each part: JSON paths."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    data: str = Field("data", description="The list of items of the page.")
    total: str = Field("total", description="How many items the whole list holds.")
    page: str | None = Field(None, description="The page's number.")
    limit: str | None = Field(None, description="The page size in force.")
    pages: str | None = Field(None, description="How many pages there are.")
    offset: str | None = Field(None, description="The offset of the page's first item.")

    @field_validator("data", "total", "page", "limit", "pages", "offset")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)
        return value


class Query(BaseModel):
    """The names of the query parameters that choose a page: page and limit, or offset and limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    page: str | None = "page"
    offset: str | None = None
    limit: str = "limit"

    @model_validator(mode="before")
    @classmethod
    def _offset_style(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("offset") and "page" not in data:
            return {**data, "page": None}
        return data

    @model_validator(mode="after")
    def _one(self) -> "Query":
        if (self.page is None) == (self.offset is None):
            raise ValueError("give page or offset (with limit)")
        return self


@register("rest.pagination")
class Pagination(RestApi):
    envelope: Envelope = Field(default_factory=Envelope, description="JSON paths of the page's parts: data, total "
                               "(both required), and page, limit, pages or offset where the contract has them.")
    query: Query = Field(default_factory=Query, description="The query parameters: {page: page, limit: limit} or "
                         "{offset: offset, limit: limit}.")
    first_page: int = Field(1, ge=0, le=1, description="The number of the first page (1, or 0).")
    per_page: int = Field(3, ge=1, le=50, description="The limit the check pages with (raised for a long list).")
    default_limit: int | None = Field(None, ge=1, description="The page size without a limit parameter.")
    max_limit: int | None = Field(None, ge=1, description="The largest limit allowed.")
    above_max: Literal["clamp", "reject"] = Field("clamp", description="A limit above max_limit is cut to it "
                                                  "(clamp) or refused with invalid_status (reject).")
    invalid_queries: list[str] = Field(default_factory=list, max_length=6, description="Queries the list must "
                                       "refuse with invalid_status and a JSON error, e.g. ['limit=0', 'limit=-1', "
                                       "'page=0', 'limit=ten'].")
    invalid_status: int | list[int] = Field([400, 422], description="How a bad query is refused.")
    filters: dict[str, dict[str, Any]] = Field(default_factory=dict, max_length=4, description="{query: fields}: "
                                               "filters the list takes and the fields of the items each keeps, "
                                               "e.g. {'done=true': {done: true}, 'done=false': {done: false}}; "
                                               "the check makes items with those fields and reads each filtered "
                                               "list (its total, only matching items, page by page).")
    past_end_status: int | list[int] = Field(200, description="How a page past the end answers: 200 (with an "
                                             "empty list), or also 404 with [200, 404].")

    @field_validator("invalid_queries")
    @classmethod
    def _queries(cls, value: list[str]) -> list[str]:
        for query in value:
            if not query or query.startswith(("?", "&")) or "#" in query or " " in query:
                raise ValueError(f"{query!r}: give the query without ?, e.g. limit=0")
        return value

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for query, fields in value.items():
            if not query or query.startswith(("?", "&")) or "#" in query or " " in query or "=" not in query:
                raise ValueError(f"{query!r}: give the filter as a query without ?, e.g. done=true")
            if not fields or any("${" in text for text in fresh.names_in(fields)):
                raise ValueError(f"{query!r}: give the fields its items have, as constants, e.g. {{done: true}}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> "Pagination":
        if self.max_limit is not None and self.per_page > self.max_limit:
            raise ValueError("per_page must not be above max_limit")
        if self.default_limit is not None and self.max_limit is not None and self.default_limit > self.max_limit:
            raise ValueError("default_limit must not be above max_limit")
        return self

    def describe(self) -> str:
        return f"GET {self.collection} pages its list in the contracted envelope"

    # ---- requests ------------------------------------------------------------------------------

    def page_path(self, number: int, limit: int | str) -> str:
        """The path of page `number` (0 for the first, whatever the lab's first_page is)."""
        q = self.query
        where = f"{q.page}={self.first_page + number}" if q.page else f"{q.offset}={number * int(limit)}"
        return f"{self.collection}?{where}&{q.limit}={limit}"

    def probe(self, client: Client, made: Made) -> str:
        user = self.sign_in_users(client, 1)[0]
        reading = Reading(self, client, user)
        before = reading.page(self.page_path(0, self.per_page), at_most=self.per_page)
        existing = before.total
        limit, new, walk = page_plan(existing, self.per_page, max_pages=MAX_PAGES, max_new=MAX_NEW,
                                     limit_cap=self.max_limit, more_than=self.default_limit)
        ids = [self.create_item(client, user, made)[0] for _ in range(new)]
        total = existing + new
        reading.known = (existing, new)
        pages = math.ceil(total / limit)
        seen: dict[str, int] = {}
        for number in (range(pages) if walk else (0, pages - 1)):
            size = limit if number < pages - 1 else last_page_size(total, limit)
            page = reading.page(self.page_path(number, limit), size=size, total=total, number=number, limit=limit,
                                pages=pages)
            reading.no_repeats(page, number, seen)
        if walk:
            reading.none_missing(ids, seen, total, limit)
        reading.past_end(self.page_path(pages, limit), total)
        if self.default_limit is not None:
            reading.page(self.collection, size=min(self.default_limit, total), total=total,
                         limit=self.default_limit, without="without a limit")
        if self.max_limit is not None:
            reading.above_max(self.page_path(0, self.max_limit + 1), total)
        for query in self.invalid_queries:
            reading.refused(f"{self.collection}?{query}")
        filtered = ""
        if self.filters:
            reading.known = None
            check_filters(self, client, user, made, reading, total)
            filtered = f", each filter ({', '.join(self.filters)}) right"
        return (f"GET {self.collection} pages its list right: {pages} pages of {limit} for {total} "
                f"{self.noun}s, the last partial, past the end empty{filtered} ({client.sent} requests)")


class Page:
    def __init__(self, reply: Reply, data: list, total: int, envelope: Any) -> None:
        self.reply, self.data, self.total, self.envelope = reply, data, total, envelope


class Reading:
    """One run's reading of the list, and what a page must be."""

    def __init__(self, check: Pagination, client: Client, user: User) -> None:
        self.check, self.client, self.user = check, client, user
        self.noun = check.noun
        self.known: tuple[int, int] | None = None  # (items before the check, items it made)

    def _all(self, total: int) -> str:
        """How many items there are, and why the check knows it."""
        if self.known is None:
            return f"{total}"
        before, new = self.known
        made = f"the {new} {self.noun}{'s' if new != 1 else ''} the check made"
        return f"{total} ({made})" if before == 0 else f"{total} ({before} before, and {made})"

    def page(self, path: str, *, at_most: int | None = None, size: int | None = None, total: int | None = None,
             number: int | None = None, limit: int | None = None, pages: int | None = None,
             without: str = "") -> Page:
        """A page's answer in the envelope; raises RestRuleError at the first part that is wrong."""
        reply = self.client.send(self.user, "GET", path)
        said = f"GET {path}" + (f" ({without})" if without else "")
        if reply.status != 200:
            raise RestRuleError(f"{said} answered {reply.status}; a page of the list should answer 200 OK",
                                reply.curl, found={"status": reply.status})
        body, not_json = reply.json()
        if not_json:
            raise RestRuleError(f"{said} answered 200 without JSON; a page should be JSON in the contracted envelope",
                                reply.curl, found=reply.response.text[:300])
        env = self.check.envelope
        data = self._part(reply, body, env.data, said, "the list of items")
        if not isinstance(data, list):
            raise RestRuleError(f"{said}: {show_path(parse_path(env.data))} is not a list of {self.noun}s", reply.curl,
                                found=body)
        count = self._part(reply, body, env.total, said, "the total")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise RestRuleError(f"{said}: the total ({show_path(parse_path(env.total))}) is {count!r}; it should be "
                                f"the number of {self.noun}s in the whole list", reply.curl, found=body)
        if at_most is not None and len(data) > at_most:
            raise RestRuleError(f"{said} returned {len(data)} {self.noun}s; with {self.check.query.limit}={at_most} a "
                                f"page holds at most {at_most} (the list ignores the limit)", reply.curl,
                                found={"items": len(data)})
        if total is not None and count != total:
            raise RestRuleError(f"{said}: the total is {count}; there are {self._all(total)}", reply.curl,
                                expected=total, found=count)
        self._consistent(reply, said, count, data, limit if limit is not None else at_most, number or 0, without)
        if size is not None and len(data) != size:
            rule = (f"the default page size is {limit}" if without else
                    f"a page of {self.check.query.limit}={limit} holds {limit}" if size == limit else
                    f"the last page holds what is left over, {size}")
            ignores = " (the list ignores the limit)" if limit is not None and len(data) > limit else ""
            raise RestRuleError(f"{said} returned {len(data)} {self.noun}s{ignores}; {rule}, and there are "
                                f"{self._all(total or count)}", reply.curl, expected=size, found=len(data))
        self._envelope(reply, body, said, number=number, limit=limit, pages=pages)
        return Page(reply, data, count, body)

    def _consistent(self, reply: Reply, said: str, count: int, data: list, limit: int | None, number: int,
                    without: str) -> None:
        """A page that is not full is the last one: the total is what the pages up to it hold."""
        if limit is None or without:
            return
        holds = number * limit + len(data)
        if len(data) < limit and count != holds:
            raise RestRuleError(f"{said}: the total is {count}, yet this page is not full ({len(data)} of {limit}), "
                                f"so the list holds {holds}", reply.curl, expected=holds, found=count)
        if count < holds:
            raise RestRuleError(f"{said}: the total is {count}, yet the pages up to this one hold {holds}",
                                reply.curl, expected=f"at least {holds}", found=count)

    def _part(self, reply: Reply, body: Any, path: str, said: str, what: str) -> Any:
        found, value, stopped = json_at(body, path)
        if not found:
            raise RestRuleError(f"{said}: the answer has no {show_path(parse_path(path))} ({what} of the contracted "
                                f"envelope; {stopped})", reply.curl, found=body)
        return value

    def _envelope(self, reply: Reply, body: Any, said: str, *, number: int | None, limit: int | None,
                  pages: int | None) -> None:
        env, check = self.check.envelope, self.check
        wanted = {env.limit: limit, env.pages: pages,
                  env.page: None if number is None else check.first_page + number,
                  env.offset: None if number is None or limit is None else number * limit}
        names = {env.limit: "the limit", env.pages: "the number of pages", env.page: "the page number",
                 env.offset: "the offset"}
        for path, expected in wanted.items():
            if path is None or expected is None:
                continue
            value = self._part(reply, body, path, said, names[path])
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not json_equal(value, expected):
                raise RestRuleError(f"{said}: {names[path]} ({show_path(parse_path(path))}) is {value!r}; expected "
                                    f"{expected}", reply.curl, expected=expected, found=value)

    def no_repeats(self, page: Page, number: int, seen: dict[str, int]) -> None:
        first = self.check.first_page
        for entry in page.data:
            found, value, _ = json_at(entry, self.check.id)
            if not found:
                raise RestRuleError(f"GET {page.reply.path}: a {self.noun} in the list has no "
                                    f"{show_path(parse_path(self.check.id))}", page.reply.curl, found=entry)
            key = id_in_path(value)
            if key in seen:
                where = "earlier on the same page" if seen[key] == number else f"on page {seen[key] + first} too"
                raise RestRuleError(f"GET {page.reply.path} lists the {self.noun} {value!r}, which is {where}; every "
                                    f"{self.noun} should be on exactly one page", page.reply.curl)
            seen[key] = number

    def none_missing(self, ids: list[Any], seen: dict[str, int], total: int, limit: int) -> None:
        for item_id in ids:
            if id_in_path(item_id) not in seen:
                raise RestRuleError(f"the new {self.noun} {item_id!r} is on no page of GET {self.check.collection} "
                                    f"with {self.check.query.limit}={limit}; every {self.noun} should be on one page",
                                    self.client.last_curl)

    def past_end(self, path: str, total: int) -> None:
        wanted = _statuses(self.check.past_end_status)
        reply = self.client.send(self.user, "GET", path)
        said = f"GET {path}, past the last page,"
        if reply.status not in wanted:
            rule = " or ".join("200 OK with an empty list" if s == 200 else statuses_text([s]) for s in wanted)
            raise RestRuleError(f"{said} answered {reply.status}; it should answer {rule}", reply.curl,
                                expected=wanted, found={"status": reply.status})
        if reply.status != 200:
            return
        body, not_json = reply.json()
        found, data, _ = (False, None, "") if not_json else json_at(body, self.check.envelope.data)
        if not found or data != []:
            shown = f"{len(data)} {self.noun}s" if isinstance(data, list) else "no empty list"
            raise RestRuleError(f"{said} returned {shown}; past the last page the list should be empty", reply.curl,
                                found=body if not not_json else reply.response.text[:300])
        found, count, _ = json_at(body, self.check.envelope.total)
        if found and count != total:
            raise RestRuleError(f"{said} says the total is {count!r}; there are still {self._all(total)}", reply.curl,
                                expected=total, found=count)

    def above_max(self, path: str, total: int) -> None:
        most = self.check.max_limit
        if self.check.above_max == "reject":
            self.refused(path, rule=f"a limit above {most}")
            return
        page = self.page(path, at_most=most, total=total)
        if self.check.envelope.limit is not None:
            _, value, _ = json_at(page.envelope, self.check.envelope.limit)
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not json_equal(value, most):
                raise RestRuleError(f"GET {path}: the limit in force is {value!r}; a limit above {most} should be cut "
                                    f"to {most}", page.reply.curl, expected=most, found=value)

    def refused(self, path: str, *, rule: str = "") -> None:
        wanted = _statuses(self.check.invalid_status)
        reply = self.client.send(self.user, "GET", path)
        what = rule or "a page or limit out of bounds"
        if reply.status not in wanted:
            raise RestRuleError(f"GET {path} answered {reply.status}; {what} should be refused with "
                                f"{statuses_text(wanted)} and a JSON error", reply.curl, expected=wanted,
                                found={"status": reply.status})
        problem = error_body_problem(reply.response)
        if problem:
            raise RestRuleError(f"GET {path} answered {reply.status} {problem}; the error should be JSON, e.g. "
                                '{"error": "limit must be between 1 and 100"}', reply.curl)
