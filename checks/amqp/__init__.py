"""The amqp.* checks on RabbitMQ: exchanges, queues, bindings, messages and consumers."""
from . import broker  # noqa: F401  (importing a module registers its check types)
