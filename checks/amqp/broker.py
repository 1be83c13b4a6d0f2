"""AMQP checks on RabbitMQ (vhost /): exchanges, queues and their arguments, bindings, counts, messages."""
from __future__ import annotations

import contextlib
import json
from typing import Any, Literal

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.bounds import CountBounds
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.services.rabbitmq import Management, connect, vhost_path

SHOWN = 3  # message bodies quoted in a failure


# ---- helpers ------------------------------------------------------------------------------------

class _Broker:
    """The clients of one service for a check run: the management API, and AMQP (opened on first use)."""

    def __init__(self, access, timeout: float):
        self.access, self.timeout = access, timeout
        self.api = Management(access, timeout=timeout)
        self._amqp = None

    def channel(self):
        # A fresh channel per operation: a refused passive declare closes its channel.
        if self._amqp is None or not self._amqp.is_open:
            self._amqp = connect(self.access, timeout=self.timeout)
        return self._amqp.channel()

    def close(self) -> None:
        self.api.close()
        if self._amqp is not None and self._amqp.is_open:
            self._amqp.close()


def _broker(ctx: CheckContext, check: Check) -> _Broker:
    return ctx.connection(check.service, lambda access: _Broker(access, ctx.timeout))


@contextlib.contextmanager
def _amqp_errors():
    """Translate pika's connection errors; a broker's refusal on the channel is left to the caller."""
    import pika.exceptions

    try:
        yield
    except pika.exceptions.ChannelClosedByBroker:
        raise
    except (pika.exceptions.AMQPError, OSError) as exc:
        raise ServiceUnavailable(f"lost the AMQP connection to RabbitMQ: {str(exc) or type(exc).__name__}") from exc


def _names(items: list[dict], *, skip_builtin: bool = False) -> list[str]:
    return sorted(i["name"] for i in items if not (skip_builtin and (not i["name"] or i["name"].startswith("amq."))))


def _listing(what: str, names: list[str], none: str) -> str:
    return f"{what} found: {', '.join(names)}" if names else none


def _queue(broker: _Broker, name: str) -> dict | None:
    return broker.api.get(vhost_path("queues", name), missing_ok=True)


def _missing_queue(broker: _Broker, name: str) -> Outcome:
    names = _names(broker.api.get(vhost_path("queues")) or [])
    return failed(f"queue {name} does not exist ({_listing('queues', names, 'there are no queues yet')}); "
                  f"declare it on vhost /", expected=f"a queue named {name}", found=names)


def _exchange_listing(broker: _Broker) -> tuple[list[str], str]:
    names = _names(broker.api.get(vhost_path("exchanges")) or [], skip_builtin=True)
    return names, _listing("exchanges", names, "only the built-in amq.* exchanges exist")


def _same(found: Any, expected: Any) -> bool:
    """Equal by value: 60000 and 60000.0 are the same; True is not 1."""
    if isinstance(found, bool) or isinstance(expected, bool):
        return found is expected
    if isinstance(found, (int, float)) and isinstance(expected, (int, float)):
        return float(found) == float(expected)
    if isinstance(found, dict) and isinstance(expected, dict):
        return found.keys() == expected.keys() and all(_same(found[k], expected[k]) for k in found)
    if isinstance(found, list) and isinstance(expected, list):
        return len(found) == len(expected) and all(_same(a, b) for a, b in zip(found, expected))
    return found == expected


def _subset(found: Any, expected: Any) -> bool:
    """expected's keys have these values in found (recursively for objects); anything else by value."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(k in found and _subset(found[k], v) for k, v in expected.items())
    return _same(found, expected)


def _counts(broker: _Broker, name: str) -> tuple[int, int] | None:
    """(ready messages, consumers) of a queue, exact (a passive declare), or None when there is no such queue.

    The management API's counts lag a few seconds behind; the broker answers a declare with the current ones.
    """
    import pika.exceptions

    with _amqp_errors():
        channel = broker.channel()
        try:
            ok = channel.queue_declare(name, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return None
            if exc.reply_code == 405:
                # Exclusive to a learner's connection: only the management API may look (with its lag).
                queue = _queue(broker, name)
                return None if queue is None else (queue.get("messages_ready", 0), queue.get("consumers", 0))
            raise CheckError(f"RabbitMQ refused to inspect queue {name}: {exc.reply_text}") from exc
        channel.close()
        return ok.method.message_count, ok.method.consumer_count


class _QueueCheck(Check):
    queue: str = Field(min_length=1, max_length=255)

    def _counts_or_failure(self, ctx: CheckContext) -> tuple[tuple[int, int] | None, Outcome | None, str]:
        """(ready messages, consumers), or the failure naming the missing queue; and the evidence."""
        broker = _broker(ctx, self)
        evidence = f"queue.declare(queue={self.queue!r}, passive=True)"
        counts = _counts(broker, self.queue)
        if counts is None:
            missing = _missing_queue(broker, self.queue)
            return None, failed(missing.message, expected=missing.expected, found=missing.found, evidence=evidence), evidence
        return counts, None, evidence


# ---- amqp.exchange ------------------------------------------------------------------------------

@register("amqp.exchange", service_kind="rabbitmq")
class ExchangeDeclared(Check):
    name: str = Field(min_length=1, max_length=255)
    # Not `type`: that key names the check type in lab.yaml.
    exchange_type: Literal["direct", "fanout", "topic", "headers"] | None = None
    durable: bool | None = None

    def describe(self) -> str:
        return f"{self.exchange_type or ''} exchange {self.name} exists".strip()

    def run(self, ctx: CheckContext) -> Outcome:
        broker = _broker(ctx, self)
        evidence = f"GET /api/exchanges/%2F/{self.name}"
        ex = broker.api.get(vhost_path("exchanges", self.name), missing_ok=True)
        if ex is None:
            names, seen = _exchange_listing(broker)
            return failed(f"exchange {self.name} does not exist ({seen}); declare it on vhost /",
                          expected=f"an exchange named {self.name}", found=names, evidence=evidence)
        if self.exchange_type is not None and ex["type"] != self.exchange_type:
            return failed(f"exchange {self.name} is a {ex['type']} exchange; expected {self.exchange_type}. "
                          "An exchange's type cannot change: delete it and declare it again",
                          expected=self.exchange_type, found=ex["type"], evidence=evidence)
        if self.durable is not None and ex["durable"] != self.durable:
            return failed(f"exchange {self.name} is {'' if ex['durable'] else 'not '}durable; expected "
                          f"{'durable' if self.durable else 'not durable'}. Delete it and declare it again",
                          expected=self.durable, found=ex["durable"], evidence=evidence)
        return passed(f"exchange {self.name} exists ({ex['type']}, {'durable' if ex['durable'] else 'transient'})",
                      evidence=evidence)


# ---- amqp.queue ---------------------------------------------------------------------------------

@register("amqp.queue", service_kind="rabbitmq")
class QueueDeclared(Check):
    name: str = Field(min_length=1, max_length=255)
    durable: bool | None = None
    arguments: dict[str, Any] = Field({}, description="x- arguments that must have these values, e.g. "
                                                      "{x-message-ttl: 60000, x-dead-letter-exchange: dlx}.")
    via_policy: bool = Field(True, description="Also accept a value set by a policy (message-ttl for x-message-ttl).")

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.arguments.items())
        return f"queue {self.name} exists" + (f" with {extra}" if extra else "")

    def run(self, ctx: CheckContext) -> Outcome:
        broker = _broker(ctx, self)
        evidence = f"GET /api/queues/%2F/{self.name}"
        q = _queue(broker, self.name)
        if q is None:
            missing = _missing_queue(broker, self.name)
            return failed(missing.message, expected=missing.expected, found=missing.found, evidence=evidence)
        if self.durable is not None and q["durable"] != self.durable:
            return failed(f"queue {self.name} is {'' if q['durable'] else 'not '}durable; expected "
                          f"{'durable' if self.durable else 'not durable'}. A queue's durability cannot change: "
                          "delete it and declare it again", expected=self.durable, found=q["durable"],
                          evidence=evidence)
        args = dict(q.get("arguments") or {})
        args.setdefault("x-queue-type", q.get("type", "classic"))
        policy = (q.get("effective_policy_definition") or {}) if self.via_policy else {}
        if isinstance(policy, list):  # an empty Erlang proplist comes out as []
            policy = {}
        for key, want in self.arguments.items():
            have = args.get(key, policy.get(key.removeprefix("x-")))
            if have is None:
                return failed(f"queue {self.name} has no {key} argument; expected {want}. Arguments are fixed "
                              "when a queue is declared: delete it and declare it again with the argument",
                              expected={key: want}, found=q.get("arguments") or {}, evidence=evidence)
            if not _same(have, want):
                return failed(f"queue {self.name} has {key} {json.dumps(have)}; expected {json.dumps(want)}",
                              expected={key: want}, found={key: have}, evidence=evidence)
        return passed(f"queue {self.name} exists" + (" with the expected arguments" if self.arguments else ""),
                      evidence=evidence)


# ---- amqp.binding -------------------------------------------------------------------------------

@register("amqp.binding", service_kind="rabbitmq")
class QueueBound(Check):
    exchange: str = Field(min_length=1, max_length=255)
    queue: str = Field(min_length=1, max_length=255)
    routing_key: str | None = Field(None, description="The binding's key; any key when not given.")

    def describe(self) -> str:
        key = f" with routing key {self.routing_key!r}" if self.routing_key is not None else ""
        return f"queue {self.queue} is bound to exchange {self.exchange}{key}"

    def run(self, ctx: CheckContext) -> Outcome:
        broker = _broker(ctx, self)
        evidence = f"GET /api/queues/%2F/{self.queue}/bindings"
        if broker.api.get(vhost_path("exchanges", self.exchange), missing_ok=True) is None:
            names, seen = _exchange_listing(broker)
            return failed(f"exchange {self.exchange} does not exist ({seen})",
                          expected=f"an exchange named {self.exchange}", found=names, evidence=evidence)
        if _queue(broker, self.queue) is None:
            missing = _missing_queue(broker, self.queue)
            return failed(missing.message, expected=missing.expected, found=missing.found, evidence=evidence)
        bindings = [b for b in broker.api.get(vhost_path("queues", self.queue) + "/bindings") or []
                    if b.get("source")]  # the default exchange's implicit binding has source ""
        keys = [b["routing_key"] for b in bindings if b["source"] == self.exchange]
        if not keys:
            others = sorted({f"{b['source']} with key {b['routing_key']!r}" for b in bindings})
            seen = f"it is bound to: {', '.join(others)}" if others else "it has no bindings"
            return failed(f"queue {self.queue} is not bound to exchange {self.exchange} ({seen}); "
                          f"bind it with a queue_bind", expected=self.describe(), found=others, evidence=evidence)
        if self.routing_key is not None and self.routing_key not in keys:
            shown = ", ".join(repr(k) for k in keys)
            return failed(f"queue {self.queue} is bound to exchange {self.exchange} with routing key {shown}; "
                          f"expected {self.routing_key!r}", expected=self.routing_key, found=keys, evidence=evidence)
        return passed(self.describe(), evidence=evidence)


# ---- amqp.message_count and amqp.consumer_count -------------------------------------------------

@register("amqp.message_count", service_kind="rabbitmq")
class MessageCount(_QueueCheck, CountBounds):
    """Messages ready in the queue (not those delivered to a consumer and not yet acknowledged)."""

    def describe(self) -> str:
        return f"queue {self.queue} holds {self.bounds_text(exactly='exactly ')} messages"

    def run(self, ctx: CheckContext) -> Outcome:
        counts, missing, evidence = self._counts_or_failure(ctx)
        if missing is not None:
            return missing
        ready = counts[0]
        if not self.within(ready):
            want = self.bounds_text(exactly="exactly ")
            return failed(f"queue {self.queue} has {ready} message{'' if ready == 1 else 's'} ready; expected {want}",
                          expected=want, found=ready, evidence=evidence)
        return passed(f"queue {self.queue} has {ready} message{'' if ready == 1 else 's'} ready", evidence=evidence)


@register("amqp.consumer_count", service_kind="rabbitmq")
class ConsumerCount(_QueueCheck, CountBounds):
    def describe(self) -> str:
        return f"queue {self.queue} has {self.bounds_text(exactly='exactly ')} consumers"

    def run(self, ctx: CheckContext) -> Outcome:
        counts, missing, evidence = self._counts_or_failure(ctx)
        if missing is not None:
            return missing
        consumers = counts[1]
        want = self.bounds_text(exactly="exactly ")
        if not self.within(consumers):
            too_few = consumers < (self.equals if self.equals is not None else self.min or 0)
            advice = "; is your consumer running and subscribed to it?" if too_few else ""
            return failed(f"queue {self.queue} has {consumers} consumer{'' if consumers == 1 else 's'}; "
                          f"expected {want}{advice}", expected=want, found=consumers, evidence=evidence)
        return passed(f"queue {self.queue} has {consumers} consumer{'' if consumers == 1 else 's'}", evidence=evidence)


# ---- amqp.message -------------------------------------------------------------------------------

@register("amqp.message", service_kind="rabbitmq")
class MessageInQueue(_QueueCheck):
    """Some message ready in the queue matches: body, body_contains, json (a subset) and headers (a subset).

    The messages are read without being consumed: basic_get without acknowledgement, then all are
    requeued. RabbitMQ puts requeued messages back in their place where it can, but their order may
    change and they are marked redelivered. Messages already delivered to a consumer are not seen.
    """

    body: Any = Field(None, description="The whole body: text, or a JSON value compared by value.")
    body_contains: str | None = None
    json_: dict[str, Any] | None = Field(None, alias="json", description="Keys the JSON body must have, with these values.")
    headers: dict[str, Any] = {}
    limit: int = Field(100, ge=1, le=10000, description="How many messages from the head of the queue to look at.")

    def describe(self) -> str:
        return f"queue {self.queue} holds a message {self._wanted()}".rstrip()

    def _wanted(self) -> str:
        parts = []
        if self.body is not None:
            parts.append(f"with body {self._show(self.body)}")
        if self.body_contains is not None:
            parts.append(f"whose body contains {self.body_contains!r}")
        if self.json_:
            parts.append(f"whose JSON body has {json.dumps(self.json_)}")
        if self.headers:
            parts.append(f"with headers {json.dumps(self.headers)}")
        return " and ".join(parts)

    @staticmethod
    def _show(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        return repr(text if len(text) <= 80 else text[:77] + "...")

    def _matches(self, text: str, headers: dict) -> bool:
        decoded: Any = None
        if self.json_ is not None or (self.body is not None and not isinstance(self.body, str)):
            try:
                decoded = json.loads(text)
            except ValueError:
                return False
        if self.body is not None:
            if not (text == self.body if isinstance(self.body, str) else _same(decoded, self.body)):
                return False
        if self.body_contains is not None and self.body_contains not in text:
            return False
        if self.json_ is not None and not _subset(decoded, self.json_):
            return False
        return _subset(headers, self.headers)

    def run(self, ctx: CheckContext) -> Outcome:
        import pika.exceptions

        broker = _broker(ctx, self)
        evidence = f"basic.get(queue={self.queue!r}, auto_ack=False) x{self.limit}, then basic.nack(requeue=True)"
        seen: list[tuple[str, dict]] = []
        with _amqp_errors():
            channel = broker.channel()
            try:
                for _ in range(self.limit):
                    method, props, raw = channel.basic_get(self.queue, auto_ack=False)
                    if method is None:
                        break
                    headers = {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                               for k, v in (props.headers or {}).items()}
                    seen.append((raw.decode("utf-8", "replace"), headers))
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code == 404:
                    missing = _missing_queue(broker, self.queue)
                    return failed(missing.message, expected=missing.expected, found=missing.found, evidence=evidence)
                if exc.reply_code == 405:
                    raise CheckError(f"queue {self.queue} is exclusive to another connection, so its messages "
                                     "cannot be read; a lab that checks them needs a non-exclusive queue") from exc
                raise CheckError(f"RabbitMQ refused to read queue {self.queue}: {exc.reply_text}") from exc
            if seen:
                # Nothing is lost: every message fetched goes back to the queue.
                channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
            channel.close()  # a round trip: the broker has requeued them when this returns
        if any(self._matches(text, headers) for text, headers in seen):
            return passed(self.describe(), evidence=evidence)
        if not seen:
            consumers = (_counts(broker, self.queue) or (0, 0))[1]
            # Messages handed to a consumer are not in the queue any more: say why it may look empty.
            taken = f" ({consumers} consumer{'' if consumers == 1 else 's'} may have taken them)" if consumers else ""
            return failed(f"queue {self.queue} is empty{taken}; expected a message {self._wanted()}".rstrip(),
                          expected=self._wanted() or "a message", found=[], evidence=evidence)
        bodies = [self._show(text) + (f" (headers {json.dumps(h, default=str)})" if self.headers else "")
                  for text, h in seen[:SHOWN]]
        more = f" and {len(seen) - SHOWN} more" if len(seen) > SHOWN else ""
        return failed(f"none of the {len(seen)} message{'' if len(seen) == 1 else 's'} in queue {self.queue} is one "
                      f"{self._wanted()}; found {', '.join(bodies)}{more}",
                      expected=self._wanted(), found=[t for t, _ in seen[:SHOWN]], evidence=evidence)
