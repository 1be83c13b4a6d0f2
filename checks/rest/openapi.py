"""rest.openapi: the API's own OpenAPI document, held to what the API really does.

It fetches the document, says clearly when it is missing or not a valid OpenAPI 3.0/3.1 document, requires
the operations the lab names, then makes real requests as a fresh user (its sign-up and login, a create, a
read, the list, a PUT and a PATCH where the lab gives them, invalid input, an id nobody has, no login, a
delete) and judges every answer against the document: the status must be listed for that operation and the
body must fit the schema given for it.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from labctl.check_engine.registry import register

from ..http import fresh
from ..http.request import METHODS
from .api import RestApi
from .client import Client, Made, Reply, RestRuleError
from .rules import made_up_id
from .spec import Document, SpecProblem, template_key
from .users import fill_for


@register("rest.openapi")
class OpenApi(RestApi):
    document: str = Field("/openapi.json", description="Where the API serves its OpenAPI document (JSON).")
    operations: list[str] = Field(default_factory=list, max_length=30, description="Operations the document must "
                                  "describe, as 'METHOD /path' with {name} for a path parameter (any name matches), "
                                  "e.g. ['POST /todos', 'GET /todos/{id}'].")
    invalid: dict[str, Any] | None = Field(None, description="An invalid new item, sent to the collection to see "
                                           "that the refusal is documented (e.g. {title: ''}); none: not sent.")
    list_query: str = Field("", description="A query for the list request, without ?, e.g. page=1&limit=2.")
    update: dict[str, Any] | None = Field(None, description="A whole item sent with PUT to the new item (${id} is "
                                          "its id); none: no PUT.")
    patch: dict[str, Any] | None = Field(None, description="Some fields sent with PATCH to the new item; none: no "
                                         "PATCH.")

    @field_validator("operations")
    @classmethod
    def _operations(cls, value: list[str]) -> list[str]:
        for entry in value:
            method, _, path = entry.strip().partition(" ")
            if method.upper() not in METHODS or not path.strip().startswith("/"):
                raise ValueError(f"{entry!r}: write 'METHOD /path', e.g. 'GET /todos/{{id}}'")
        return value

    @field_validator("document")
    @classmethod
    def _document(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError(f"{value!r} must be a path starting with a single /, e.g. /openapi.json")
        return value

    def templates(self) -> list[tuple[Any, set[str]]]:
        bodies = [(self.invalid, set()), (self.update, {"id"}), (self.patch, {"id"})]
        return [(self.create, set()), *[(body, more) for body, more in bodies if body is not None]]

    def describe(self) -> str:
        return f"GET {self.document} describes what the API really answers"

    def probe(self, client: Client, made: Made) -> str:
        spec = self._load(client)
        judged: list[str] = []
        broken: list[RestRuleError] = []

        def judge(reply: Reply) -> None:
            # Kept, not raised here: the request that made something must first be tracked, to be removed.
            if broken:
                return
            path = reply.path.split("?")[0]
            problem = spec.response_problem(reply.method, path, reply.status,
                                            reply.response.headers.get("Content-Type", ""), reply.response.content,
                                            lambda raw: reply.response.json())
            if problem:
                broken.append(RestRuleError(problem, reply.curl, found={"status": reply.status,
                                                                        "body": reply.response.text[:300]}))
            judged.append(f"{reply.method} {path} {reply.status}")

        client.on_reply = judge
        try:
            self._requests(client, made, broken)
        finally:
            client.on_reply = None
        return (f"GET {self.document} is a valid OpenAPI {spec.version} document describing the API's answers: "
                f"{len(judged)} live answers fit it ({', '.join(judged)})")

    def _requests(self, client: Client, made: Made, broken: list[RestRuleError]) -> None:
        """The requests whose answers are judged: as a fresh user, then without a login. Raises the first
        answer the document does not describe, once what it made is tracked."""

        def settle() -> None:
            if broken:
                raise broken[0]

        try:
            owner = self.sign_in_users(client, 1)[0]
            settle()
            item_id, _, _, _ = self.create_item(client, owner, made)
        except RestRuleError:
            settle()  # the document's problem first: the answer that broke a rule may be one it lists wrongly
            raise
        settle()
        path = self.item_path(item_id)
        client.send(owner, "GET", path)
        settle()
        client.send(owner, "GET", f"{self.collection}?{self.list_query}" if self.list_query else self.collection)
        settle()
        for method, template in (("PUT", self.update), ("PATCH", self.patch)):
            if template is not None:
                client.send(owner, method, path, json_body=fresh.fill(template, {**owner.values, "id": item_id},
                                                                      generate=True))
                settle()
        if self.invalid is not None:
            reply = client.send(owner, "POST", self.collection, json_body=fill_for(owner, self.invalid))
            self.keep_track(reply, owner, made)
            settle()
        client.send(owner, "GET", self.item_path(made_up_id(item_id)))
        settle()
        if self.auth is not None:
            client.send(client.user("without credentials"), "GET", self.collection)
            settle()
        deleted = client.send(owner, "DELETE", path)
        if 200 <= deleted.status < 300:
            made.gone(path)
        settle()

    def _load(self, client: Client) -> Document:
        reply = client.send(client.user(""), "GET", self.document)
        where = f"GET {self.document}"
        if reply.status != 200:
            anyone = " to anyone, without a token" if reply.status in (401, 403) else ""
            raise RestRuleError(f"{where} answered {reply.status}; serve the API's OpenAPI document there{anyone}, "
                                'as JSON ({"openapi": "3.0.3", "info": ..., "paths": ...})', reply.curl,
                                found={"status": reply.status})
        data, not_json = reply.json()
        if not_json:
            raise RestRuleError(f"{where} answered 200 without JSON; the document should be JSON (an OpenAPI "
                                "document in YAML can be converted, or served by your framework as JSON)",
                                reply.curl, found=reply.response.text[:300])
        try:
            spec = Document.load(data)
        except SpecProblem as problem:
            raise RestRuleError(f"the document at {self.document} {problem}", reply.curl) from None
        missing = [entry for entry in self.operations if self._key(entry) not in spec.operations()]
        if missing:
            described = sorted(spec.operations().values())
            raise RestRuleError(f"the document at {self.document} does not describe {', '.join(missing)}; describe "
                                f"every route of the API (it describes: {', '.join(described) or 'none'})",
                                reply.curl)
        return spec

    @staticmethod
    def _key(entry: str) -> tuple[str, str]:
        method, _, path = entry.strip().partition(" ")
        return method.upper(), template_key(path.strip())
