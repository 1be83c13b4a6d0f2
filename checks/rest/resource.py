"""rest.resource: one resource of the learner's API judged by its behaviour, one REST rule per probe.

It creates a fresh item as a fresh user, then probes in a fixed order, each probe building only on what
the ones before it proved: the create's answer, fetching what was made, an id nobody has, requests without
a login and by another user, a duplicate, invalid input, PUT twice, a method the resource does not support,
and DELETE. The first broken rule is the failure, said as that rule; what the check made is deleted after.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.registry import register

from ..http import fresh
from ..http.request import METHODS, Request
from .api import RestApi, _statuses
from .client import Client, Made, Reply, RestRuleError, User
from .rules import (allow_problem, changed_fields, error_body_problem, fields_problem, location_problem, made_up_id,
                    same_id, show_value, status_text, statuses_text)
from .users import fill_for

# The probes, in the order they run (a lab's list picks some; its order does not matter).
PROBES = ("fetch", "not_found", "missing_auth", "other_user", "duplicate", "invalid", "update_idempotent",
          "unsupported_method", "delete")
Probe = Literal["create", "fetch", "not_found", "missing_auth", "other_user", "duplicate", "invalid",
                "update_idempotent", "unsupported_method", "delete"]
BROKEN_JSON = '{"title": "unfinished'
GONE = (404, 410)


@register("rest.resource")
class Resource(RestApi):
    probes: list[Probe] | None = Field(None, description="The probes to run, in any order (they run in a fixed one; "
                                       "create always runs). By default every probe whose parameters are given, "
                                       "except duplicate: " + ", ".join(PROBES) + ".")
    location: bool = Field(False, description="The 201 must carry a Location header pointing at the new item.")
    update: dict[str, Any] | None = Field(None, description="A whole valid item for PUT (by default create's "
                                          "template, drawn anew); ${id} is the item's id.")
    invalid: list[Any] | dict[str, Any] = Field(default_factory=list, description="Invalid new items, each of "
                                                "which must be refused: a list of bodies, or {what it is: body}, "
                                                "e.g. {'a todo with an empty title': {title: ''}}.")
    broken_json: bool = Field(False, description="The invalid probe also sends a body that is not JSON at all.")
    invalid_status: int | list[int] = Field([400, 422], description="How invalid input is refused.")
    update_status: int | list[int] = Field([200, 204], description="How a PUT of an existing item answers.")
    delete_status: int | list[int] = Field(204, description="How a DELETE answers ([200, 204] also accepts 200 "
                                           "with a body).")
    missing_auth_status: int | list[int] = Field(401, description="How a request without a login is refused.")
    other_user_status: int | list[int] = Field(403, description="How another user's item is refused ([403, 404] "
                                               "also accepts hiding it).")
    unsupported: list[str] | None = Field(None, max_length=5, description="Requests the resource must refuse with "
                                          "405 and Allow: 'METHOD' (on the collection) or 'METHOD /path', where "
                                          "{id} is the new item's id; by default PATCH on the collection.")
    ignore_fields: list[str] = Field(default_factory=list, description="Fields a PUT may change every time (time "
                                     "stamps and versions are left out by themselves).")

    @field_validator("invalid")
    @classmethod
    def _invalid(cls, value: list[Any] | dict[str, Any]) -> list[Any] | dict[str, Any]:
        bodies = value.values() if isinstance(value, dict) else value
        if len(bodies) > 10:
            raise ValueError("give at most 10 invalid items")
        if any(body is None for body in bodies):
            raise ValueError("an invalid item cannot be null (a request without a body); give a JSON value")
        return value

    @field_validator("unsupported")
    @classmethod
    def _unsupported(cls, value: list[str] | None) -> list[str] | None:
        for entry in value or []:
            method, _, path = entry.strip().partition(" ")
            path = path.strip()
            if method.upper() not in METHODS:
                raise ValueError(f"{entry!r}: start with a method ({', '.join(METHODS)})")
            if path and (not path.startswith("/") or path.replace("{id}", "").count("{")):
                raise ValueError(f"{entry!r}: the path must start with / and may hold only {{id}}")
        return value

    @model_validator(mode="after")
    def _probes(self) -> "Resource":
        if self.probes is not None and len(set(self.probes)) != len(self.probes):
            raise ValueError("probes: each probe once")
        chosen = self.chosen()
        if "invalid" in chosen and not self.invalid and not self.broken_json:
            raise ValueError("the invalid probe needs invalid items (invalid: [...]) or broken_json: true")
        for probe in ("missing_auth", "other_user"):
            if probe in chosen and self.auth is None:
                raise ValueError(f"the {probe} probe needs auth: how users sign up and log in")
        return self

    def templates(self) -> list[tuple[Any, set[str]]]:
        invalid = list(self.invalid.values()) if isinstance(self.invalid, dict) else self.invalid
        return [*super().templates(), (self.update, {"id"}), (invalid, set())]

    def chosen(self) -> list[str]:
        """The probes that run, in their order."""
        if self.probes is not None:
            return [p for p in PROBES if p in self.probes]
        given = {"invalid": bool(self.invalid) or self.broken_json, "missing_auth": self.auth is not None,
                 "other_user": self.auth is not None, "duplicate": False}
        return [p for p in PROBES if given.get(p, True)]

    def describe(self) -> str:
        return f"{self.collection} keeps the REST rules: " + ", ".join(["create", *self.chosen()])

    # ---- the probes ----------------------------------------------------------------------------

    def probe(self, client: Client, made: Made) -> str:
        chosen = self.chosen()
        owner, *others = self.sign_in_users(client, 2 if "other_user" in chosen else 1)
        item_id, _, sent, reply = self.create_item(client, owner, made)
        path = self.item_path(item_id)
        if self.location:
            problem = location_problem(reply.response.headers.get("Location"), reply.url,
                                       self.target(client.ctx, Request(path=path)))
            if problem:
                raise RestRuleError(f"the {status_text(reply.status)} answer of POST {self.collection} {problem}; "
                                    f"the Location header should point at the new {self.noun} ({path})", reply.curl)
        # The methods seen working at each path, which an Allow header must list.
        works = {"collection": {"POST"}, "item": set()}
        state = Probing(self, client, made, owner, item_id, path, sent, works)
        for name in chosen:
            getattr(state, name)(*([others[0]] if name == "other_user" else []))
        return (f"{self.collection} keeps the REST rules probed ({', '.join(['create', *chosen])}) "
                f"in {client.sent} requests")


class Probing:
    """One run's probes on the item the check created."""

    def __init__(self, check: Resource, client: Client, made: Made, owner: User, item_id: Any, path: str,
                 sent: dict, works: dict[str, set[str]]) -> None:
        self.check, self.client, self.made, self.owner = check, client, made, owner
        self.item_id, self.path, self.sent, self.works = item_id, path, sent, works
        self.noun = check.noun

    def _item(self, reply: Reply, *, after: str = "") -> Any:
        """The item in a 200 answer to GET, its id the check's; raises RestRuleError saying what is wrong."""
        data, not_json = reply.json()
        if not_json:
            raise RestRuleError(f"{after}{reply.said} answered {reply.status} without JSON; it should answer with the "
                                f"{self.noun} as JSON", reply.curl, found=reply.response.text[:300])
        item, missing = self.check.item_of(reply, data)
        if missing:
            raise RestRuleError(f"{after}the answer of {reply.said} {missing}", reply.curl, found=data)
        found, value, _ = self.check.id_of(item)
        if not found or not same_id(value, self.item_id):
            shown = f"whose id is {value!r}" if found else "without an id"
            raise RestRuleError(f"{after}{reply.said} answered a {self.noun} {shown}; expected the {self.noun} "
                                f"{self.item_id!r}", reply.curl, found=data)
        return item

    def fetch(self) -> None:
        reply = self.client.send(self.owner, "GET", self.path)
        if reply.status != 200:
            raise RestRuleError(f"GET {self.path} answered {reply.status}{reply.told()} right after POST "
                                f"{self.check.collection} "
                                f"made it; a {self.noun} just created should be there (200 OK)", reply.curl,
                                found={"status": reply.status})
        problem = fields_problem(self.sent, self._item(reply))
        if problem:
            raise RestRuleError(f"GET {self.path} is not the {self.noun} as created: {problem}", reply.curl)
        self.works["item"].add("GET")

    def not_found(self) -> None:
        path = self.check.item_path(made_up_id(self.item_id))
        reply = self.client.send(self.owner, "GET", path)
        if reply.status != 404:
            raise RestRuleError(f"GET {path}, a {self.noun} that does not exist, answered {reply.status}; it should "
                                f"answer 404 Not Found", reply.curl, found={"status": reply.status})

    def missing_auth(self) -> None:
        wanted = _statuses(self.check.missing_auth_status)
        nobody = self.client.user("without credentials")
        forger = self.client.user("with a made-up token", self.check.auth.forged())  # type: ignore[union-attr]
        tries: list[tuple[User, str, str]] = [(nobody, "GET", self.check.collection), (nobody, "GET", self.path),
                                              (nobody, "POST", self.check.collection)]
        if forger.headers:
            tries.append((forger, "GET", self.path))
        for user, method, path in tries:
            body = fill_for(self.owner, self.check.create) if method == "POST" else None
            reply = self.client.send(user, method, path, **({"json_body": body} if body is not None else {}))
            if method == "POST":
                self.check.keep_track(reply, user, self.made)
            if reply.status not in wanted:
                why = ("a token the API never issued" if user is forger else "a request that carries no login")
                known_user = reply.status == 403 and 403 not in wanted
                note = " (403 is for a known user who may not do it)" if known_user else ""
                raise RestRuleError(f"{method} {path} {user.label} answered {reply.status}{note}; {why} should answer "
                                    f"{statuses_text(wanted)}", reply.curl, expected=wanted,
                                    found={"status": reply.status})

    def other_user(self, other: User) -> None:
        wanted = _statuses(self.check.other_user_status)
        rule = f"another user's {self.noun} should answer {statuses_text(wanted)}"
        tries = [("GET", None), ("PUT", self._update_body(other)), ("DELETE", None)]
        curls, said = [], []
        for method, body in tries:
            reply = self.client.send(other, method, self.path, **({"json_body": body} if body is not None else {}))
            self.check.keep_track(reply, other, self.made)
            curls.append(reply.curl)
            said.append(f"{method} {self.path} ({reply.status})")
            if reply.status not in wanted:
                raise RestRuleError(f"{method} {self.path} by another user answered {reply.status}; {rule}",
                                    reply.curl, expected=wanted, found={"status": reply.status})
        reply = self.client.send(self.owner, "GET", self.path)
        after = f"after {', '.join(said[:-1])} and {said[-1]} by another user, "
        if reply.status != 200:
            raise RestRuleError(f"{after}GET {self.path} by its owner answered {reply.status}; another user must not "
                                f"change or delete it", *curls, reply.curl, found={"status": reply.status})
        problem = fields_problem(self.sent, self._item(reply, after=after))
        if problem:
            raise RestRuleError(f"{after}GET {self.path} by its owner shows the {self.noun} changed ({problem}); "
                                f"another user must not change it", *curls, reply.curl)

    def duplicate(self) -> None:
        reply = self.client.send(self.owner, "POST", self.check.collection, json_body=self.sent)
        self.check.keep_track(reply, self.owner, self.made)
        if reply.status != 409:
            raise RestRuleError(f"POST {self.check.collection} with the same {self.noun} again answered "
                                f"{reply.status}; a duplicate should answer 409 Conflict", reply.curl,
                                found={"status": reply.status})

    def invalid(self) -> None:
        wanted = _statuses(self.check.invalid_status)
        given = self.check.invalid
        cases: list[tuple[str, Any]] = (list(given.items()) if isinstance(given, dict) else
                                        [(f"an invalid {self.noun} (invalid #{n})", body)
                                         for n, body in enumerate(given, 1)])
        for what, template in cases:
            body = fill_for(self.owner, template)
            reply = self.client.send(self.owner, "POST", self.check.collection, json_body=body)
            self._refused(reply, what, wanted)
        if self.check.broken_json:
            reply = self.client.send(self.owner, "POST", self.check.collection, body=BROKEN_JSON,
                                     headers={"Content-Type": "application/json"})
            self._refused(reply, "a body that is not valid JSON", wanted)

    def _refused(self, reply: Reply, what: str, wanted: list[int]) -> None:
        self.check.keep_track(reply, self.owner, self.made)
        rule = f"invalid input should be refused with {statuses_text(wanted)} and a JSON error"
        if reply.status not in wanted:
            server = ", a server error" if reply.status >= 500 else ""
            raise RestRuleError(f"POST {self.check.collection} with {what} answered {reply.status}{server}; {rule}",
                                reply.curl, expected=wanted, found={"status": reply.status})
        problem = error_body_problem(reply.response)
        if problem:
            raise RestRuleError(f"POST {self.check.collection} with {what} answered {reply.status} {problem}; "
                                'the error should be JSON, e.g. {"error": "title is required"}', reply.curl)

    def update_idempotent(self) -> None:
        wanted = _statuses(self.check.update_status)
        body = self._update_body(self.owner)
        states, curls = [], []
        for time in (1, 2):
            put = self.client.send(self.owner, "PUT", self.path, json_body=body)
            self.check.keep_track(put, self.owner, self.made)
            curls.append(put.curl)
            if put.status not in wanted:
                raise RestRuleError(f"PUT {self.path} with a whole new {self.noun} answered {put.status}{put.told()}"
                                    f"{' the second time' if time == 2 else ''}; replacing a {self.noun} should "
                                    f"answer {statuses_text(wanted)}", *curls, expected=wanted,
                                    found={"status": put.status})
            if time == 1:
                self._answered_as_sent(put, body)
            get = self.client.send(self.owner, "GET", self.path)
            after = f"after PUT {self.path} answered {put.status}{' twice' if time == 2 else ''}, "
            if get.status != 200:
                raise RestRuleError(f"{after}GET {self.path} answered {get.status}; the {self.noun} should still be "
                                    f"there (200 OK)", *curls, get.curl)
            states.append(self._item(get, after=after))
            if time == 1:
                problem = fields_problem(body, states[0])
                if problem:
                    raise RestRuleError(f"{after}GET {self.path} is not the {self.noun} as sent: {problem}; a PUT "
                                        f"replaces the {self.noun} with what was sent", *curls, get.curl)
                continue
            # The state first: a second answer that differs is a symptom; the rule is idempotence.
            changed = changed_fields(states[0], states[1], kept=set(body), ignore=set(self.check.ignore_fields))
            if changed:
                key = changed[0]
                raise RestRuleError(f"PUT {self.path} twice with the same {self.noun} changed it again: {key} was "
                                    f"{show_value(states[0], key)} after the first PUT and "
                                    f"{show_value(states[1], key)} after the second; the same PUT twice must "
                                    f"leave the same state (PUT is idempotent)", curls[1], get.curl,
                                    found={"first": states[0], "second": states[1]})
            self._answered_as_sent(put, body)
        self.works["item"].add("PUT")
        self.sent = body

    def _update_body(self, user: User) -> Any:
        """A whole new item for PUT, as `user` sends it; ${id} is the item's id."""
        values = {**user.values, "id": self.item_id}
        return fresh.fill(self.check.update or self.check.create, values, generate=True)

    def _answered_as_sent(self, put: Reply, body: dict) -> None:
        """A 200 that shows the item must show it as sent (a 204, or a 200 without the item, says nothing)."""
        if put.status != 200:
            return
        data, not_json = put.json()
        if not_json:
            return
        item, missing = self.check.item_of(put, data)
        if missing or not isinstance(item, dict) or not self.check.id_of(item)[0]:
            return
        problem = fields_problem(body, item)
        if problem:
            raise RestRuleError(f"the 200 OK answer of PUT {self.path} is not the {self.noun} as sent: {problem}",
                                put.curl, found=data)

    def unsupported_method(self) -> None:
        entries = self.check.unsupported if self.check.unsupported is not None else ["PATCH"]
        for entry in entries:
            method, _, where = entry.strip().partition(" ")
            method, where = method.upper(), where.strip() or self.check.collection
            path = where.replace("{id}", self.path.rsplit("/", 1)[-1])
            kind = ("item" if where.replace("{id}", "") == self.check.collection.rstrip("/") + "/" else
                    "collection" if where.rstrip("/") == self.check.collection else None)
            body = fill_for(self.owner, self.check.create) if method in ("POST", "PUT", "PATCH") else None
            reply = self.client.send(self.owner, method, path, **({"json_body": body} if body is not None else {}))
            self.check.keep_track(reply, self.owner, self.made)
            if reply.status != 405:
                raise RestRuleError(f"{method} {path} answered {reply.status}; {method} {path} is not supported: the "
                                    f"answer should be {status_text(405)} with an Allow header listing the methods "
                                    f"it supports", reply.curl, expected=405, found={"status": reply.status})
            works = self.works.get(kind, set()) if kind else set()
            problem = allow_problem(reply.response.headers.get("Allow"), method, works)
            if problem:
                listing = f" ({', '.join(sorted(works))} work there)" if works else ""
                raise RestRuleError(f"{method} {path} answered 405 {problem}; the Allow header should list the "
                                    f"methods {path} supports{listing}", reply.curl,
                                    found={"Allow": reply.response.headers.get("Allow")})

    def delete(self) -> None:
        wanted = _statuses(self.check.delete_status)
        reply = self.client.send(self.owner, "DELETE", self.path)
        if reply.status not in wanted:
            raise RestRuleError(f"DELETE {self.path} answered {reply.status}{reply.told()}; a delete should answer "
                                f"{_delete_answer(wanted)}", reply.curl, expected=wanted,
                                found={"status": reply.status})
        if reply.status == 200 and reply.empty():
            raise RestRuleError(f"DELETE {self.path} answered 200 with an empty body; a delete with nothing to say "
                                f"should answer 204 No Content", reply.curl)
        get = self.client.send(self.owner, "GET", self.path)
        if get.status not in GONE:
            raise RestRuleError(f"after DELETE {self.path} answered {reply.status}, GET {self.path} answered "
                                f"{get.status}; a deleted {self.noun} must be gone (404)", reply.curl, get.curl,
                                found={"status": get.status})
        self.made.gone(self.path)


def _delete_answer(wanted: list[int]) -> str:
    if wanted == [204]:
        return "204 No Content"
    return " or ".join("200 OK with a body" if s == 200 else status_text(s) for s in wanted)
