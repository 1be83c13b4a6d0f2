"""RabbitMQ broker definitions: the YAML (or JSON) file a seed or solution step `{run: FILE, service: NAME}`
names, declared on vhost / in this order (every key optional):

    exchanges:   # type direct (default) | fanout | topic | headers; durable defaults to true
      - {name: orders, type: topic, durable: true, auto_delete: false, internal: false, arguments: {}}
    queues:      # arguments are the x- arguments, values compared as given (60000 is a number)
      - {name: orders.created, durable: true, arguments: {x-message-ttl: 60000, x-dead-letter-exchange: dlx}}
    bindings:    # exchange -> queue
      - {exchange: orders, queue: orders.created, routing_key: "order.*", arguments: {}}
    policies:
      - {name: ttl, pattern: "^orders\\.", definition: {message-ttl: 60000}, apply_to: queues, priority: 0}
    messages:    # queue: X is short for exchange "" (the default exchange) with routing_key X
      - {queue: orders.created, body: {id: 1, total: 9.5}, headers: {source: seed}, count: 2}
      - {exchange: orders, routing_key: order.created, body: "plain text", properties: {content_type: text/plain}}

A body that is not a string is sent as JSON (content_type application/json). Messages are persistent
(delivery_mode 2) unless properties say otherwise; a message that reaches no queue is an error.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from labctl.core.errors import CheckError, LabctlError
from labctl.core.text import first_line
from labctl.services.rabbitmq import VHOST, Management, vhost_path


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExchangeDef(_Model):
    name: str = Field(min_length=1)
    type: Literal["direct", "fanout", "topic", "headers"] = "direct"
    durable: bool = True
    auto_delete: bool = False
    internal: bool = False
    arguments: dict[str, Any] = {}


class QueueDef(_Model):
    name: str = Field(min_length=1)
    durable: bool = True
    auto_delete: bool = False
    arguments: dict[str, Any] = {}


class BindingDef(_Model):
    exchange: str = Field(min_length=1)
    queue: str = Field(min_length=1)
    routing_key: str = ""
    arguments: dict[str, Any] = {}


class PolicyDef(_Model):
    name: str = Field(min_length=1)
    pattern: str
    definition: dict[str, Any]
    apply_to: Literal["all", "queues", "exchanges"] = "all"
    priority: int = 0


class MessageDef(_Model):
    exchange: str = ""
    routing_key: str | None = None
    queue: str | None = None
    body: Any = ""
    headers: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    count: int = Field(1, ge=1, le=10000)

    @model_validator(mode="after")
    def _target(self):
        if self.queue is not None and (self.exchange or self.routing_key is not None):
            raise ValueError("give either queue, or exchange and routing_key, not both")
        if self.queue is None and self.routing_key is None:
            raise ValueError("give queue, or exchange and routing_key")
        return self


class Definitions(_Model):
    exchanges: list[ExchangeDef] = []
    queues: list[QueueDef] = []
    bindings: list[BindingDef] = []
    policies: list[PolicyDef] = []
    messages: list[MessageDef] = []


def read_definitions(path: Path) -> Definitions:
    """The definitions in a YAML or JSON file. Raises LabctlError naming the file and the field."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    except OSError as exc:
        raise LabctlError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise LabctlError(f"{path.name} is not valid YAML: {first_line(exc)}") from exc
    try:
        return Definitions.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}"
                             for e in exc.errors()[:5])
        raise LabctlError(f"{path.name}: {problems}") from None


def apply_definitions(api: Management, defs: Definitions) -> None:
    """Declare everything in defs on vhost /, then publish its messages. Raises CheckError on refusal."""
    for ex in defs.exchanges:
        api.request("PUT", vhost_path("exchanges", ex.name), body={
            "type": ex.type, "durable": ex.durable, "auto_delete": ex.auto_delete,
            "internal": ex.internal, "arguments": ex.arguments})
    for q in defs.queues:
        api.request("PUT", vhost_path("queues", q.name), body={
            "durable": q.durable, "auto_delete": q.auto_delete, "arguments": q.arguments})
    for b in defs.bindings:
        api.request("POST", f"/bindings/{quote(VHOST, safe='')}/e/{quote(b.exchange, safe='')}"
                            f"/q/{quote(b.queue, safe='')}",
                    body={"routing_key": b.routing_key, "arguments": b.arguments})
    for p in defs.policies:
        api.request("PUT", vhost_path("policies", p.name), body={
            "pattern": p.pattern, "definition": p.definition, "apply-to": p.apply_to, "priority": p.priority})
    for number, m in enumerate(defs.messages, start=1):
        _publish(api, number, m)


def _publish(api: Management, number: int, m: MessageDef) -> None:
    exchange, routing_key = ("", m.queue) if m.queue is not None else (m.exchange, m.routing_key)
    properties = {"delivery_mode": 2, **m.properties}
    if isinstance(m.body, str):
        payload = m.body
    else:
        payload = json.dumps(m.body)
        properties.setdefault("content_type", "application/json")
    if m.headers:
        properties["headers"] = m.headers
    # The API names the default exchange amq.default.
    path = vhost_path("exchanges", exchange or "amq.default") + "/publish"
    for _ in range(m.count):
        answer = api.request("POST", path, body={
            "properties": properties, "routing_key": routing_key,
            "payload": payload, "payload_encoding": "string"})
        if not (answer or {}).get("routed"):
            raise CheckError(f"message {number} (exchange {exchange or '(default)'}, routing key "
                             f"{routing_key!r}) reached no queue")


def clear(api: Management) -> None:
    """Delete every queue, every exchange not named amq.* (and not the default), and every policy in vhost /."""
    for q in api.get(vhost_path("queues")) or []:
        api.request("DELETE", vhost_path("queues", q["name"]), missing_ok=True)
    for ex in api.get(vhost_path("exchanges")) or []:
        if ex["name"] and not ex["name"].startswith("amq."):
            api.request("DELETE", vhost_path("exchanges", ex["name"]), missing_ok=True)
    for p in api.get(vhost_path("policies")) or []:
        api.request("DELETE", vhost_path("policies", p["name"]), missing_ok=True)
