"""What every rest.* check knows of a resource: where its collection is, how a valid new item reads, where
answers hold the item and its id, how users log in; and the one way the checks create an item and judge
that answer. A check's probes raise RestRuleError; run() makes it the failure, and always cleans up."""
from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed, passed

from ..http import fresh
from ..http.body import json_at, parse_path, show_path
from ..http.request import Target, show_body
from .client import Client, Made, Reply, RestRuleError, User
from .rules import fields_problem, id_in_path, id_problem, singular, status_text, statuses_text
from .users import Auth, fill_for, sign_in, values_known

# Of the check's time, this share goes to its probes; the rest is kept to remove what it made.
PROBE_SHARE = 0.85


def _statuses(value: int | list[int]) -> list[int]:
    return [value] if isinstance(value, int) else list(value)


class RestApi(Target):
    """The resource a rest.* check calls, and the users it calls it as."""

    collection: str = Field(description="The collection's path, e.g. /todos; an item is at /todos/{id}.")
    create: dict[str, Any] = Field(min_length=1, description="A valid new item, sent as JSON with POST; use fresh "
                                   "values (e.g. {title: 'Buy ${random}', done: false}) so that runs never collide.")
    id: str = Field("id", description="The JSON path of the id inside an item, e.g. id or _id.")
    item: str = Field("", description="The JSON path of the item inside an answer, when answers wrap it "
                      "(e.g. data for {\"data\": {...}}); the top level by default.")
    create_status: int | list[int] = Field(201, description="The status(es) a create answers.")
    auth: Auth | None = Field(None, description="How fresh users sign up and log in (none: the API is open).")
    name: str | None = Field(None, description="What one item is called in messages (by default from the "
                             "collection: /todos -> todo).")

    @field_validator("collection")
    @classmethod
    def _collection(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//") or "?" in value or "#" in value or "{" in value:
            raise ValueError(f"{value!r} must be a path starting with a single / and without a query, e.g. /todos")
        return value.rstrip("/") or "/"

    @field_validator("id", "item")
    @classmethod
    def _paths(cls, value: str) -> str:
        parse_path(value)
        return value

    @model_validator(mode="after")
    def _templates(self) -> "RestApi":
        known = values_known(self.auth)
        for template, more in self.templates():
            for text in fresh.names_in(template):
                fresh.check_template(text, known | more)
        return self

    def templates(self) -> list[tuple[Any, set[str]]]:
        """Every body template the check sends, with the names it may use beyond a user's values."""
        return [(self.create, set())]

    # ---- naming ------------------------------------------------------------------------------

    @property
    def noun(self) -> str:
        return self.name or singular(self.collection)

    def item_path(self, item_id: Any) -> str:
        return f"{self.collection.rstrip('/')}/{id_in_path(item_id)}"

    def item_of(self, reply: Reply, data: Any) -> tuple[Any, str | None]:
        """(the item inside an answer, or a problem saying where it is missing)."""
        if not self.item:
            return data, None
        found, value, stopped = json_at(data, self.item)
        if not found:
            return None, f"has no {show_path(parse_path(self.item))} holding the {self.noun} ({stopped})"
        return value, None

    def id_of(self, item: Any) -> tuple[bool, Any, str]:
        return json_at(item, self.id)

    # ---- users -------------------------------------------------------------------------------

    def sign_in_users(self, client: Client, count: int) -> list[User]:
        """The users the check acts as: fresh ones when the API has logins, else callers without any."""
        if self.auth is None:
            return [client.user("") for _ in range(count)]
        labels = [("", "a fresh user"), ("by another user", "a second fresh user")]
        return [sign_in(self.auth, client, *labels[min(i, 1)]) for i in range(count)]

    # ---- creating ----------------------------------------------------------------------------

    def create_item(self, client: Client, user: User, made: Made,
                    template: dict[str, Any] | None = None) -> tuple[Any, Any, dict, Reply]:
        """(id, item, body sent, answer) of a new item (from `template`, by default the create one), the create
        answer judged. Raises RestRuleError."""
        body = fill_for(user, self.create if template is None else template)
        reply = client.send(user, "POST", self.collection, json_body=body)
        self.keep_track(reply, user, made)
        wanted = _statuses(self.create_status)
        said = f"POST {self.collection}"
        if reply.status not in wanted:
            told = reply.told()
            if 300 <= reply.status < 400 and reply.response.headers.get("Location"):
                told = (f" (a redirect to {reply.response.headers['Location']}: answer at {self.collection} itself, "
                        "without a trailing slash)")
            raise RestRuleError(f"{said} answered {reply.status}{told}; a create should answer "
                                f"{statuses_text(wanted)} with the new {self.noun}", reply.curl,
                                expected=wanted, found={"status": reply.status, "body": show_body(reply.response)})
        data, not_json = reply.json()
        if not_json:
            shown = not_json.removeprefix("it did not answer with JSON ")
            raise RestRuleError(f"{said} answered {reply.status} without JSON {shown}; a create should answer with "
                                f"the new {self.noun} as JSON", reply.curl, found=show_body(reply.response))
        item, missing = self.item_of(reply, data)
        found, item_id, stopped = (False, None, "") if missing else self.id_of(item)
        answer = f"the {status_text(reply.status)} answer of {said}"
        if missing:
            raise RestRuleError(f"{answer} {missing}", reply.curl, found=data)
        if not found:
            raise RestRuleError(f"{answer} has no {show_path(parse_path(self.id))}: the new {self.noun}'s id "
                                f"should be there ({stopped})", reply.curl, found=data)
        problem = id_problem(item_id) or fields_problem(body, item)
        if problem:
            raise RestRuleError(f"{answer} is not the new {self.noun} as sent: {problem}", reply.curl, found=data)
        return item_id, item, body, reply

    def keep_track(self, reply: Reply, user: User, made: Made) -> None:
        """Remember an item an answer made (even one that should not have been made), to remove it at the end:
        by the id in its body, or else by the Location of a POST to the collection."""
        if not 200 <= reply.status < 300:
            return
        data, not_json = reply.json()
        item, missing = (None, "no JSON") if not_json else self.item_of(reply, data)
        found, item_id, _ = (False, None, "") if missing else self.id_of(item)
        if found and id_problem(item_id) is None:
            made.add(user, self.item_path(item_id))
            return
        location = reply.response.headers.get("Location")
        if location and reply.method == "POST" and reply.path == self.collection:
            collection = urlsplit(reply.url).path.rstrip("/")
            path = urlsplit(urljoin(reply.url, location)).path.rstrip("/")
            rest = path[len(collection) + 1:]
            if path.startswith(collection + "/") and rest and "/" not in rest:
                made.add(user, f"{self.collection.rstrip('/')}/{rest}")

    # ---- running -----------------------------------------------------------------------------

    def run(self, ctx: CheckContext) -> Outcome:
        client = Client(self, ctx, self.timeout or ctx.timeout)
        made = Made()
        try:
            try:
                client.share = PROBE_SHARE
                message = self.probe(client, made)
                evidence = client.last_curl or None
            except RestRuleError as broken:
                curls = "; ".join(broken.curls)
                return failed(f"{broken.message}. Try it: {curls}" if curls else broken.message,
                              expected=broken.expected, found=broken.found, evidence=curls or None)
            finally:
                client.share = 1.0
                made.remove_all(client)
            return passed(message, evidence=evidence)
        finally:
            client.close()

    def probe(self, client: Client, made: Made) -> str:  # pragma: no cover - abstract
        """The check's probes in order; the message of a pass. Raises RestRuleError at the first broken rule."""
        raise NotImplementedError
