"""RabbitMQ from the host: AMQP and management-API clients, probe, seed files of broker definitions, reset.

A seed or solution step `{run: FILE, service: NAME}` names a YAML (or JSON) file of definitions for vhost /,
declared in this order (every key optional):

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

Reset deletes every queue, every exchange not named amq.*, and every policy in vhost /, then runs the
seed again. "Seeded" is a global parameter (labctl-seeded): learners never see it among their queues or
exchanges, and deleting every queue and exchange (a common learner move) does not erase it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from labctl.core.access import ServiceAccess
from labctl.core.errors import CheckError, LabctlError, ServiceNotReadyError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import first_line

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
VHOST = "/"
MARKER = "labctl-seeded"




def credentials(access: ServiceAccess) -> tuple[str, str]:
    env = access.environment
    return env.get("RABBITMQ_DEFAULT_USER", "guest"), env.get("RABBITMQ_DEFAULT_PASS", "guest")


def _host_port(access: ServiceAccess, container_port: int, what: str) -> int:
    try:
        return access.ports[container_port]
    except KeyError:
        raise CheckError(f"service {access.name} does not publish port {container_port} ({what})") from None


# ---- the management HTTP API --------------------------------------------------------------------

class Management:
    """A small client of RabbitMQ's management HTTP API (basic auth, a timeout on every request).

    Raises ServiceUnavailable when the API does not answer or refuses the credentials,
    CheckError when it answers an error.
    """

    def __init__(self, access: ServiceAccess, *, timeout: float = 10.0):
        import requests

        self.port = _host_port(access, MANAGEMENT_PORT, "the management API")
        self.base = f"http://{access.host}:{self.port}/api"
        self.timeout = timeout
        self.user = credentials(access)[0]
        self.session = requests.Session()
        self.session.auth = credentials(access)
        # Never pick up a proxy from the environment: the broker is on 127.0.0.1.
        self.session.trust_env = False

    def request(self, method: str, path: str, *, body: Any = None, missing_ok: bool = False) -> Any:
        """The decoded JSON answer (None for an empty one, or for a 404 when missing_ok)."""
        import requests

        try:
            response = self.session.request(method, self.base + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ServiceUnavailable(
                f"RabbitMQ's management API at {self.base} did not answer: {first_line(exc)}") from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code == 401:
            raise ServiceUnavailable(f"RabbitMQ's management API refused user {self.user}'s credentials "
                                     "(was the user's password or tags changed?)")
        if response.status_code >= 400:
            try:
                reason = response.json().get("reason") or response.text
            except ValueError:
                reason = response.text
            raise CheckError(f"RabbitMQ's management API answered {response.status_code} to "
                             f"{method} {path}: {str(reason).strip()[:300]}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CheckError(f"RabbitMQ's management API sent something that is not JSON for {path}") from exc

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        return self.request("GET", path, missing_ok=missing_ok)

    def close(self) -> None:
        self.session.close()


def vhost_path(kind: str, name: str | None = None, vhost: str = VHOST) -> str:
    """'/queues/%2F/orders': names are percent-encoded whole (a queue may be called 'a/b')."""
    path = f"/{kind}/{quote(vhost, safe='')}"
    return path if name is None else f"{path}/{quote(name, safe='')}"


# ---- AMQP ---------------------------------------------------------------------------------------

def connect(access: ServiceAccess, *, timeout: float = 10.0):
    """An open pika BlockingConnection to vhost /. Raises ServiceUnavailable when the broker refuses it."""
    import pika
    import pika.exceptions

    user, password = credentials(access)
    params = pika.ConnectionParameters(
        host=access.host,
        port=_host_port(access, AMQP_PORT, "AMQP"),
        virtual_host=VHOST,
        credentials=pika.PlainCredentials(user, password),
        # One attempt within the timeout: the caller (readiness loop, check runner) decides on retries.
        connection_attempts=1,
        socket_timeout=timeout,
        stack_timeout=timeout,
        blocked_connection_timeout=timeout,
        client_properties={"connection_name": "labctl"},
    )
    try:
        return pika.BlockingConnection(params)
    except pika.exceptions.ProbableAuthenticationError as exc:
        raise ServiceUnavailable(f"RabbitMQ at {access.host}:{params.port} refused user {user}'s credentials") from exc
    except (pika.exceptions.AMQPError, OSError) as exc:
        raise ServiceUnavailable(
            f"RabbitMQ at {access.host}:{params.port} did not accept an AMQP connection: "
            f"{first_line(exc) or type(exc).__name__}") from exc


# ---- the seed file format -----------------------------------------------------------------------

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


# ---- the driver ---------------------------------------------------------------------------------

class RabbitMQDriver:
    kind = "rabbitmq"

    def prepare(self, instance: str, service, home) -> dict[str, str]:
        return {}

    def probe(self, access: ServiceAccess) -> None:
        # Both: AMQP listens before the management plugin has started, and checks need both.
        connect(access, timeout=3).close()
        api = Management(access, timeout=3)
        try:
            api.get("/overview")
        finally:
            api.close()

    def apply(self, access: ServiceAccess, step: Step) -> None:
        if step.action != "run":
            raise LabctlError(f"RabbitMQ services cannot run {step.action} steps (use run: FILE)")
        defs = read_definitions(step.source)

        def run(api: Management) -> None:
            try:
                apply_definitions(api, defs)
            except ServiceUnavailable:
                raise
            except CheckError as exc:
                raise LabctlError(f"{step.source.name}: {exc}") from exc

        self._call(access, run)

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Empty vhost / (a start that failed half-way may have left some), then apply every seed file."""
        self._load(access, steps)

    def snapshot(self, access: ServiceAccess) -> None:
        # The seed files are the pristine copy: restore runs them again. Mark the service seeded.
        self._call(access, lambda api: api.request(
            "PUT", f"/global-parameters/{MARKER}", body={"name": MARKER, "value": {"seeded_by": "labctl"}}))

    def is_seeded(self, access: ServiceAccess) -> bool:
        return self._call(access, lambda api: api.get(f"/global-parameters/{MARKER}", missing_ok=True)) is not None

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        self._load(access, seed or [])

    def _load(self, access: ServiceAccess, steps: list[Step]) -> None:
        all_defs = [(step, read_definitions(step.source)) for step in steps]

        def load(api: Management) -> None:
            clear(api)
            for step, defs in all_defs:
                try:
                    apply_definitions(api, defs)
                except ServiceUnavailable:
                    raise
                except CheckError as exc:
                    raise LabctlError(f"the lab's seed file {step.source.name} failed: {exc}",
                                      "This is a bug in the lab; tell its author.") from exc

        self._call(access, load)

    @staticmethod
    def _call(access: ServiceAccess, action):
        try:
            api = Management(access, timeout=30)
            try:
                return action(api)
            finally:
                api.close()
        except ServiceUnavailable as exc:  # core speaks LabctlError
            raise ServiceNotReadyError(str(exc), "Run `labctl status`; `labctl start` brings it back.") from exc
        except CheckError as exc:
            raise LabctlError(str(exc)) from exc


Driver = RabbitMQDriver
