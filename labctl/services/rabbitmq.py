"""RabbitMQ from the host: AMQP and management-API clients, probe, seed files of broker definitions, reset.

Two users: labctl's own administrator (RABBITMQ_DEFAULT_USER, made by the image at the first boot), which
checks and bookkeeping use, and the learner's (LABCTL_LEARNER_USER), made by labctl at every start with
the instance's password, full rights on vhost / and the management and policymaker tags: the learner may
declare, publish, consume and set policies, but not touch users, permissions or other vhosts. Solutions
and graded submissions run as the learner.

The seed and solution file format (broker definitions) is in rabbitmq_definitions.py. Reset deletes every
queue, every exchange not named amq.*, and every policy in vhost /, then runs the seed again. Whether a
service was seeded is kept in the instance's record; an instance made by an earlier labctl is recognised
by its global parameter (labctl-seeded).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from labctl.core.access import ServiceAccess
from labctl.core.errors import CheckError, LabctlError, ServiceNotReadyError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import first_line
from labctl.services.base import ServiceDriver

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
VHOST = "/"
MARKER = "labctl-seeded"
LEARNER_TAGS = "management,policymaker"


def separate_users(access: ServiceAccess) -> bool:
    """False for an instance made before labctl gave the learner a user of their own."""
    env = access.environment
    return "LABCTL_LEGACY" not in env and bool(env.get("LABCTL_LEARNER_USER"))


def credentials(access: ServiceAccess, role: str = "admin") -> tuple[str, str]:
    """(user, password) of labctl's administrator ("admin") or the learner's user ("learner")."""
    env = access.environment
    if role == "learner" and separate_users(access):
        return env["LABCTL_LEARNER_USER"], env.get("LABCTL_LEARNER_PASSWORD", "")
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

    def __init__(self, access: ServiceAccess, *, role: str = "admin", timeout: float = 10.0):
        import requests

        self.port = _host_port(access, MANAGEMENT_PORT, "the management API")
        self.base = f"http://{access.host}:{self.port}/api"
        self.timeout = timeout
        self.user = credentials(access, role)[0]
        self.session = requests.Session()
        self.session.auth = credentials(access, role)
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

def connect(access: ServiceAccess, *, role: str = "admin", timeout: float = 10.0):
    """An open pika BlockingConnection to vhost / as `role`. Raises ServiceUnavailable when the broker refuses it."""
    import pika
    import pika.exceptions

    user, password = credentials(access, role)
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


# ---- the driver ---------------------------------------------------------------------------------

class RabbitMQDriver(ServiceDriver):
    kind = "rabbitmq"
    title = "RabbitMQ"
    run_file = "a YAML file of broker definitions"

    def probe(self, access: ServiceAccess) -> None:
        # Both: AMQP listens before the management plugin has started, and checks need both.
        connect(access, timeout=3).close()
        api = Management(access, timeout=3)
        try:
            api.get("/overview")
        finally:
            api.close()

    def on_ready(self, access: ServiceAccess) -> None:
        """The learner's user, as this instance made it: its password, tags and rights on vhost / only."""
        if not separate_users(access):
            return
        user, password = credentials(access, "learner")

        def ensure(api: Management) -> None:
            api.request("PUT", f"/users/{quote(user, safe='')}", body={"password": password, "tags": LEARNER_TAGS})
            api.request("PUT", f"/permissions/{quote(VHOST, safe='')}/{quote(user, safe='')}",
                        body={"configure": ".*", "write": ".*", "read": ".*"})

        self._call(access, ensure)

    def holds_data(self, access: ServiceAccess) -> bool:
        """Any queue, exchange of the learner's (not amq.* nor the default one) or policy in vhost /."""
        def found(api: Management) -> bool:
            exchanges = [e for e in api.get(vhost_path("exchanges")) or []
                         if e["name"] and not e["name"].startswith("amq.")]
            return bool(api.get(vhost_path("queues")) or exchanges or api.get(vhost_path("policies")))

        return self._call(access, found)

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """A solution's or a submission's definitions are declared as the learner, with the learner's rights."""
        from labctl.services.rabbitmq_definitions import apply_definitions, read_definitions

        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        defs = read_definitions(step.source)

        def run(api: Management) -> None:
            try:
                apply_definitions(api, defs)
            except ServiceUnavailable:
                raise
            except CheckError as exc:
                raise LabctlError(f"{step.source.name}: {exc}") from exc

        self._call(access, run, role="learner")

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
        from labctl.services.rabbitmq_definitions import apply_definitions, clear, read_definitions

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
    def _call(access: ServiceAccess, action, *, role: str = "admin"):
        try:
            api = Management(access, role=role, timeout=30)
            try:
                return action(api)
            finally:
                api.close()
        except ServiceUnavailable as exc:  # core speaks LabctlError
            raise ServiceNotReadyError(str(exc), "Run `labctl status`; `labctl start` brings it back.") from exc
        except CheckError as exc:
            raise LabctlError(str(exc)) from exc

