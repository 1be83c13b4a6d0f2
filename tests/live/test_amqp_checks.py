"""Live tests of the AMQP check family (checks/amqp/) and the RabbitMQ driver against a real container."""
from __future__ import annotations

import json
import re
import time

import pydantic
import pytest

from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live

SERVICE = "rabbitmq"


@pytest.fixture(scope="module")
def rmq(engine, tmp_path_factory):
    """(manager, view) of a running rabbitmq-only instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("rmq-home"), lab_dirs=(TEST_LABS,))
    name = new_instance_name("rmq")
    started = time.monotonic()
    manager.start("rabbitmq-only", name=name, workspace=tmp_path_factory.mktemp("rmq-ws"), ephemeral=True)
    print(f"rabbitmq-only started and ready in {time.monotonic() - started:.1f}s")
    yield manager, manager.view(name)
    manager.destroy(name)


def _clear(ctx) -> None:
    from labctl.services.rabbitmq import Management
    from labctl.services.rabbitmq_definitions import clear

    api = Management(ctx.service(SERVICE))
    try:
        clear(api)
    finally:
        api.close()


@pytest.fixture
def amqp_ctx(rmq):
    """A CheckContext on an empty vhost / (every queue, exchange and policy deleted before and after)."""
    manager, view = rmq
    ctx = manager.context(view)
    _clear(ctx)
    yield ctx
    ctx.close()
    _clear(ctx)


@pytest.fixture
def channel(rmq, amqp_ctx):
    """A pika channel opened as a learner would: with AMQP_URL from the instance's environment."""
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(rmq[1].env()["AMQP_URL"]))
    ch = conn.channel()
    yield ch
    if conn.is_open:
        conn.close()


@pytest.fixture
def run_check(amqp_ctx, rmq):
    """Validate a check from its lab.yaml form and run it: run_check({"type": ..., ...}) -> CheckResult."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    def run(entry: dict, ctx=None):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", SERVICE)
        check = cls.model_validate(params)
        task = Task("t", "t", rmq[1].lab.path, ("h",), (), (), ())
        return run_one(task, CheckSpec(cls.type_name, check, 0), ctx or amqp_ctx)

    return run


def status(result) -> str:
    return result.status.value


def publish(ch, queue: str, body, **headers) -> None:
    import pika

    data = body if isinstance(body, str) else json.dumps(body)
    ch.basic_publish("", queue, data.encode(), pika.BasicProperties(headers=headers or None))


def ready(ch, queue: str) -> int:
    return ch.queue_declare(queue, passive=True).method.message_count


# ---- the credentials contract -------------------------------------------------------------------

def test_amqp_url_and_management_url_work_from_the_host(rmq, amqp_ctx):
    import pika
    import pika.exceptions
    import requests

    env = rmq[1].env()
    match = re.match(r"amqp://learner:([\w-]{20,})@127\.0\.0\.1:\d+/$", env["AMQP_URL"])
    assert match, env["AMQP_URL"]  # the learner's own user, with the instance's own password
    auth = ("learner", match.group(1))
    conn = pika.BlockingConnection(pika.URLParameters(env["AMQP_URL"]))
    assert conn.is_open
    conn.close()
    me = requests.get(env["RABBITMQ_MANAGEMENT_URL"] + "api/whoami", auth=auth, timeout=10).json()
    assert me["name"] == "learner" and "administrator" not in str(me["tags"])
    perms = requests.get(env["RABBITMQ_MANAGEMENT_URL"] + "api/permissions/%2F/learner", auth=auth, timeout=10)
    assert perms.status_code in (401, 403)  # reading permissions is an administrator's business
    # Neither guest/guest nor the old fixed password gets in.
    for other in ("guest:guest", "learner:learner"):
        with pytest.raises(pika.exceptions.ProbableAuthenticationError):
            pika.BlockingConnection(pika.URLParameters(re.sub(r"//[^@]+@", f"//{other}@", env["AMQP_URL"])))


def test_the_learner_declares_and_consumes_but_cannot_touch_users_or_labctls_own(rmq, amqp_ctx):
    import pika
    import requests

    env = rmq[1].env()
    auth = tuple(re.match(r"amqp://([^:]+):([^@]+)@", env["AMQP_URL"]).groups())
    api = env["RABBITMQ_MANAGEMENT_URL"] + "api"
    conn = pika.BlockingConnection(pika.URLParameters(env["AMQP_URL"]))
    try:
        channel = conn.channel()
        channel.queue_declare("mine")
        channel.basic_publish("", "mine", b"hello")
    finally:
        conn.close()
    policy = requests.put(f"{api}/policies/%2F/ttl", auth=auth, timeout=10,
                          json={"pattern": "^mine$", "definition": {"message-ttl": 60000}, "apply-to": "queues"})
    assert policy.status_code in (201, 204), policy.text  # a policymaker may
    for method, path, body in (
            ("PUT", "/users/labctl", {"password": "x", "tags": "administrator"}),
            ("DELETE", "/users/labctl", None),
            ("PUT", "/users/learner", {"password": "x", "tags": "administrator"}),
            ("PUT", "/vhosts/other", None)):
        answer = requests.request(method, api + path, auth=auth, json=body, timeout=10)
        assert answer.status_code in (401, 403), (method, path, answer.status_code)
    manager, view = rmq
    ctx = manager.context(view)
    try:
        from labctl.services.rabbitmq import Management, vhost_path

        admin = Management(ctx.service(SERVICE))
        assert admin.get(vhost_path("queues", "mine"))["name"] == "mine"  # labctl sees what the learner made
        admin.close()
    finally:
        ctx.close()


def test_check_reports_an_unreachable_broker_as_an_error(run_check, amqp_ctx):
    from dataclasses import replace

    from labctl.check_engine.context import CheckContext

    access = amqp_ctx.service(SERVICE)
    dead = replace(access, ports={5672: 1, 15672: 1})  # nothing listens on port 1
    ctx = CheckContext(amqp_ctx.lab_path, {SERVICE: dead}, None, timeout=3)
    result = run_check({"type": "amqp.queue", "name": "orders"}, ctx=ctx)
    assert status(result) == "error"
    assert "management API" in result.message and "did not answer" in result.message


# ---- amqp.exchange ------------------------------------------------------------------------------

def test_exchange_passes_with_type_and_durability(channel, run_check):
    channel.exchange_declare("shop", "topic", durable=True)
    result = run_check({"type": "amqp.exchange", "name": "shop", "exchange_type": "topic", "durable": True})
    assert status(result) == "passed"
    assert result.message == "exchange shop exists (topic, durable)"


def test_exchange_type_is_checked(channel, run_check):
    channel.exchange_declare("shop", "fanout")
    result = run_check({"type": "amqp.exchange", "name": "shop", "exchange_type": "topic"})
    assert status(result) == "failed"
    assert result.message == ("exchange shop is a fanout exchange; expected topic. "
                              "An exchange's type cannot change: delete it and declare it again")
    assert (result.expected, result.found) == ("topic", "fanout")


def test_exchange_missing_lists_the_others(channel, run_check):
    channel.exchange_declare("shop.events", "direct")
    result = run_check({"type": "amqp.exchange", "name": "shop"})
    assert status(result) == "failed"
    assert result.message == "exchange shop does not exist (exchanges found: shop.events); declare it on vhost /"
    assert result.found == ["shop.events"]
    channel.exchange_delete("shop.events")
    result = run_check({"type": "amqp.exchange", "name": "shop"})
    assert "(only the built-in amq.* exchanges exist)" in result.message


def test_exchange_durability_is_checked(channel, run_check):
    channel.exchange_declare("shop", "direct", durable=False)
    result = run_check({"type": "amqp.exchange", "name": "shop", "durable": True})
    assert status(result) == "failed"
    assert result.message.startswith("exchange shop is not durable; expected durable.")


# ---- amqp.queue ---------------------------------------------------------------------------------

def test_queue_passes_with_arguments_compared_by_value(channel, run_check):
    channel.queue_declare("orders", durable=True, arguments={
        "x-dead-letter-exchange": "shop.dlx", "x-message-ttl": 60000, "x-max-length": 100})
    result = run_check({"type": "amqp.queue", "name": "orders", "durable": True, "arguments": {
        "x-dead-letter-exchange": "shop.dlx", "x-message-ttl": 60000.0, "x-queue-type": "classic"}})
    assert status(result) == "passed", result.message
    assert result.message == "queue orders exists with the expected arguments"


def test_queue_missing_lists_the_others(channel, run_check):
    channel.queue_declare("orders")
    result = run_check({"type": "amqp.queue", "name": "orders.dlq"})
    assert status(result) == "failed"
    assert result.message == "queue orders.dlq does not exist (queues found: orders); declare it on vhost /"
    channel.queue_delete("orders")
    result = run_check({"type": "amqp.queue", "name": "orders.dlq"})
    assert "(there are no queues yet)" in result.message


def test_queue_argument_with_another_value_fails(channel, run_check):
    channel.queue_declare("orders", arguments={"x-message-ttl": 10000})
    result = run_check({"type": "amqp.queue", "name": "orders", "arguments": {"x-message-ttl": 60000}})
    assert status(result) == "failed"
    assert result.message == "queue orders has x-message-ttl 10000; expected 60000"


def test_queue_missing_argument_fails(channel, run_check):
    channel.queue_declare("orders")
    result = run_check({"type": "amqp.queue", "name": "orders", "arguments": {"x-dead-letter-exchange": "dlx"}})
    assert status(result) == "failed"
    assert result.message.startswith('queue orders has no x-dead-letter-exchange argument; expected dlx.')


def test_queue_argument_set_by_a_policy_counts_unless_told_otherwise(amqp_ctx, channel, run_check):
    from labctl.services.rabbitmq import Management, vhost_path

    channel.queue_declare("orders")
    api = Management(amqp_ctx.service(SERVICE))
    api.request("PUT", vhost_path("policies", "dlx"), body={
        "pattern": "^orders$", "definition": {"dead-letter-exchange": "dlx"}, "apply-to": "queues"})
    api.close()
    check = {"type": "amqp.queue", "name": "orders", "arguments": {"x-dead-letter-exchange": "dlx"}}
    deadline = time.monotonic() + 10  # a policy reaches its queues asynchronously
    while status(result := run_check(check)) != "passed" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status(result) == "passed", result.message
    assert status(run_check({**check, "via_policy": False})) == "failed"


def test_queue_durability_is_checked(channel, run_check):
    channel.queue_declare("orders", durable=False)
    result = run_check({"type": "amqp.queue", "name": "orders", "durable": True})
    assert status(result) == "failed"
    assert result.message.startswith("queue orders is not durable; expected durable.")


# ---- amqp.binding -------------------------------------------------------------------------------

def test_binding_passes_with_the_routing_key(channel, run_check):
    channel.exchange_declare("shop", "topic")
    channel.queue_declare("orders")
    channel.queue_bind("orders", "shop", routing_key="order.*")
    result = run_check({"type": "amqp.binding", "exchange": "shop", "queue": "orders", "routing_key": "order.*"})
    assert status(result) == "passed"
    assert result.message == "queue orders is bound to exchange shop with routing key 'order.*'"
    assert status(run_check({"type": "amqp.binding", "exchange": "shop", "queue": "orders"})) == "passed"


def test_binding_with_another_key_fails(channel, run_check):
    channel.exchange_declare("shop", "topic")
    channel.queue_declare("orders")
    channel.queue_bind("orders", "shop", routing_key="order.created")
    result = run_check({"type": "amqp.binding", "exchange": "shop", "queue": "orders", "routing_key": "order.*"})
    assert status(result) == "failed"
    assert result.message == ("queue orders is bound to exchange shop with routing key 'order.created'; "
                              "expected 'order.*'")


def test_binding_missing_names_the_existing_bindings(channel, run_check):
    channel.exchange_declare("shop", "topic")
    channel.exchange_declare("audit", "fanout")
    channel.queue_declare("orders")
    channel.queue_bind("orders", "audit")
    result = run_check({"type": "amqp.binding", "exchange": "shop", "queue": "orders"})
    assert status(result) == "failed"
    assert result.message == ("queue orders is not bound to exchange shop (it is bound to: audit with key 'orders'); "
                              "bind it with a queue_bind")


def test_binding_to_a_missing_exchange_or_queue_fails(channel, run_check):
    channel.queue_declare("orders")
    result = run_check({"type": "amqp.binding", "exchange": "shop", "queue": "orders"})
    assert status(result) == "failed"
    assert result.message == "exchange shop does not exist (only the built-in amq.* exchanges exist)"
    channel.exchange_declare("shop", "topic")
    result = run_check({"type": "amqp.binding", "exchange": "shop", "queue": "order"})
    assert result.message.startswith("queue order does not exist (queues found: orders)")


# ---- amqp.message_count and amqp.consumer_count -------------------------------------------------

def test_message_count_is_exact_right_after_publishing(channel, run_check):
    channel.queue_declare("orders")
    for i in range(3):
        publish(channel, "orders", {"id": i})
    # No wait: the management API would still say 0 here; the passive declare is exact.
    result = run_check({"type": "amqp.message_count", "queue": "orders", "equals": 3})
    assert status(result) == "passed", result.message
    assert result.message == "queue orders has 3 messages ready"
    assert status(run_check({"type": "amqp.message_count", "queue": "orders", "min": 2, "max": 3})) == "passed"


def test_message_count_fails_with_expected_and_found(channel, run_check):
    channel.queue_declare("orders")
    publish(channel, "orders", "one")
    result = run_check({"type": "amqp.message_count", "queue": "orders", "equals": 2})
    assert status(result) == "failed"
    assert result.message == "queue orders has 1 message ready; expected exactly 2"
    result = run_check({"type": "amqp.message_count", "queue": "orders", "max": 0})
    assert result.message == "queue orders has 1 message ready; expected at most 0"
    result = run_check({"type": "amqp.message_count", "queue": "order", "min": 1})
    assert result.message.startswith("queue order does not exist (queues found: orders)")


def test_message_count_needs_a_bound():
    from labctl.check_engine import registry

    with pytest.raises(pydantic.ValidationError, match="give equals, min or max"):
        registry.get("amqp.message_count").model_validate({"queue": "orders"})


def test_consumer_count(rmq, channel, run_check):
    import pika

    channel.queue_declare("orders")
    result = run_check({"type": "amqp.consumer_count", "queue": "orders", "min": 1})
    assert status(result) == "failed"
    assert result.message == ("queue orders has 0 consumers; expected at least 1; "
                              "is your consumer running and subscribed to it?")
    conn = pika.BlockingConnection(pika.URLParameters(rmq[1].env()["AMQP_URL"]))
    try:
        conn.channel().basic_consume("orders", lambda *a: None)
        result = run_check({"type": "amqp.consumer_count", "queue": "orders", "equals": 1})
        assert status(result) == "passed", result.message
        assert result.message == "queue orders has 1 consumer"
    finally:
        conn.close()


def test_counts_of_a_queue_exclusive_to_a_learner_connection(channel, run_check):
    # The broker refuses a passive declare from another connection (405): counts come from the management API.
    channel.queue_declare("replies", exclusive=True)
    channel.basic_consume("replies", lambda *a: None)
    deadline = time.monotonic() + 15  # the management API's statistics lag
    while status(result := run_check({"type": "amqp.consumer_count", "queue": "replies", "equals": 1})) != "passed" \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status(result) == "passed", result.message
    result = run_check({"type": "amqp.message", "queue": "replies"})
    assert status(result) == "error"
    assert result.message.startswith("queue replies is exclusive to another connection")


# ---- amqp.message -------------------------------------------------------------------------------

def test_message_matches_json_headers_and_text(channel, run_check):
    channel.queue_declare("orders")
    publish(channel, "orders", "hello")
    publish(channel, "orders", {"id": 7, "status": "paid", "items": [1, 2]}, source="web", attempt=2)
    assert status(run_check({"type": "amqp.message", "queue": "orders", "body": "hello"})) == "passed"
    result = run_check({"type": "amqp.message", "queue": "orders", "json": {"status": "paid", "id": 7},
                        "headers": {"source": "web", "attempt": 2}})
    assert status(result) == "passed", result.message
    assert result.message == ('queue orders holds a message whose JSON body has {"status": "paid", "id": 7} '
                              'and with headers {"source": "web", "attempt": 2}')
    assert status(run_check({"type": "amqp.message", "queue": "orders", "body_contains": '"paid"'})) == "passed"
    assert status(run_check({"type": "amqp.message", "queue": "orders",
                             "body": {"id": 7, "status": "paid", "items": [1, 2]}})) == "passed"


def test_message_not_found_shows_what_is_there(channel, run_check):
    channel.queue_declare("orders")
    publish(channel, "orders", {"id": 7, "status": "new"}, source="web")
    result = run_check({"type": "amqp.message", "queue": "orders", "json": {"status": "paid"}})
    assert status(result) == "failed"
    assert result.message == ('none of the 1 message in queue orders is one whose JSON body has '
                              '{"status": "paid"}; found \'{"id": 7, "status": "new"}\'')
    result = run_check({"type": "amqp.message", "queue": "orders", "headers": {"source": "cli"}})
    assert status(result) == "failed"
    assert 'with headers {"source": "cli"}; found' in result.message and '(headers {"source": "web"})' in result.message


def test_message_in_an_empty_or_missing_queue_fails(channel, run_check):
    channel.queue_declare("orders")
    result = run_check({"type": "amqp.message", "queue": "orders", "body_contains": "paid"})
    assert status(result) == "failed"
    assert result.message == "queue orders is empty; expected a message whose body contains 'paid'"
    result = run_check({"type": "amqp.message", "queue": "order", "body_contains": "paid"})
    assert result.message.startswith("queue order does not exist (queues found: orders)")
    channel.basic_consume("orders", lambda *a: None)
    result = run_check({"type": "amqp.message", "queue": "orders"})
    assert result.message == "queue orders is empty (1 consumer may have taken them); expected a message"


def test_message_check_leaves_every_message_in_the_queue(channel, run_check):
    channel.queue_declare("orders")
    for i in range(5):
        publish(channel, "orders", {"id": i})
    assert status(run_check({"type": "amqp.message", "queue": "orders", "json": {"id": 4}})) == "passed"
    assert status(run_check({"type": "amqp.message", "queue": "orders", "json": {"id": 99}})) == "failed"
    assert ready(channel, "orders") == 5
    bodies = []
    for _ in range(5):
        method, _, body = channel.basic_get("orders", auto_ack=True)
        assert method is not None
        bodies.append(json.loads(body)["id"])
    assert sorted(bodies) == [0, 1, 2, 3, 4]


# ---- the driver: run steps, seed, reset ---------------------------------------------------------

def test_driver_seed_and_restore(rmq, amqp_ctx, channel):
    from labctl.core.model import Step
    from labctl.services import driver_for

    driver = driver_for("rabbitmq")
    access = amqp_ctx.service(SERVICE)
    assert driver.is_seeded(access), "start must mark the service seeded"
    seed = [Step("run", TEST_LABS / "rabbitmq-only" / "seed" / "broker.yaml", SERVICE)]
    driver.seed(access, seed)
    assert ready(channel, "orders") == 2
    assert ready(channel, "orders.dlq") == 0
    method, props, body = channel.basic_get("orders", auto_ack=True)
    assert json.loads(body) == {"id": 1, "total": 9.5}
    assert props.headers == {"source": "seed"} and props.content_type == "application/json"
    # A learner's changes, then reset.
    channel.queue_declare("mine")
    channel.exchange_declare("mine.x", "direct")
    channel.queue_purge("orders")
    driver.restore(access, seed)
    assert ready(channel, "orders") == 2
    from labctl.services.rabbitmq import Management, vhost_path

    api = Management(access)
    try:
        assert sorted(q["name"] for q in api.get(vhost_path("queues"))) == ["orders", "orders.dlq"]
        names = {e["name"] for e in api.get(vhost_path("exchanges"))}
        assert "mine.x" not in names and {"shop", "shop.dlx", "amq.topic"} <= names
        bound = api.get(vhost_path("queues", "orders") + "/bindings")
        assert [(b["source"], b["routing_key"]) for b in bound if b["source"]] == [("shop", "order.*")]
    finally:
        api.close()
    # The lab's own seed is empty: labctl reset leaves nothing but the marker.
    rmq[0].reset(rmq[1].instance)
    with pytest.raises(Exception):
        ready(channel, "orders")
    assert driver.is_seeded(access)


def test_driver_run_step_errors_name_the_file(amqp_ctx, tmp_path):
    from labctl.core.errors import LabctlError
    from labctl.core.model import Step
    from labctl.services import driver_for

    driver = driver_for("rabbitmq")
    access = amqp_ctx.service(SERVICE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues:\n  - {name: q, durabel: true}\n")
    with pytest.raises(LabctlError, match=r"bad.yaml: queues.0.durabel: Extra inputs are not permitted"):
        driver.apply(access, Step("run", bad, SERVICE))
    lost = tmp_path / "lost.yaml"
    lost.write_text("messages:\n  - {exchange: amq.direct, routing_key: nowhere, body: hi}\n")
    with pytest.raises(LabctlError, match=r"lost.yaml: message 1 \(exchange amq.direct, routing key 'nowhere'\) "
                                          r"reached no queue"):
        driver.apply(access, Step("run", lost, SERVICE))
    clash = tmp_path / "clash.yaml"
    clash.write_text("queues:\n  - {name: q, arguments: {x-message-ttl: 5}}\n  - {name: q}\n")
    with pytest.raises(LabctlError, match=r"clash.yaml: RabbitMQ's management API answered 400"):
        driver.apply(access, Step("run", clash, SERVICE))


def test_data_survives_stop_and_a_recreated_container(engine, tmp_path):
    import docker
    import pika

    manager = make_manager(tmp_path / "home", lab_dirs=(TEST_LABS,))
    name = new_instance_name("rmq-keep")
    try:
        manager.start("rabbitmq-only", name=name, workspace=tmp_path / "ws", ephemeral=True)
        url = manager.view(name).env()["AMQP_URL"]
        with pika.BlockingConnection(pika.URLParameters(url)) as conn:
            ch = conn.channel()
            ch.queue_declare("kept", durable=True)
            ch.basic_publish("", "kept", b"persistent", pika.BasicProperties(delivery_mode=2))
        manager.stop(name)
        # A new container on the same volume (as when its port was taken while stopped): the node name is fixed.
        client = docker.from_env(timeout=30)
        for container in client.containers.list(all=True, filters={"label": f"io.labctl.instance={name}"}):
            container.remove(force=True)
        again = manager.start("rabbitmq-only", name=name)
        assert not again.seeded, "a re-created container must find its data, not be seeded again"
        with pika.BlockingConnection(pika.URLParameters(again.view.env()["AMQP_URL"])) as conn:
            assert conn.channel().queue_declare("kept", passive=True).method.message_count == 1
    finally:
        manager.destroy(name)


def test_lab_self_test(engine, tmp_path):
    from labctl.core.selftest import run_self_test

    manager = make_manager(tmp_path / "home", lab_dirs=(TEST_LABS,))
    report = run_self_test(manager, "rabbitmq-only")
    assert report.error is None, report.error
    assert report.ok, [f"{c.name}: {c.message}" for c in report.cases if not c.ok]
