"""Redis from the host: connect, probe, run files of Redis commands, seed and reset the keyspace.

Two users (compose/redis.yml starts the server with them): `default`, the learner's, which may run every data
command but nothing that changes the server (ACL, CONFIG SET, DEBUG, MODULE, SHUTDOWN...), and labctl's own
(LABCTL_ADMIN_USER), which checks and bookkeeping use. Whether the data was seeded is kept in the instance's
record, not in Redis, where a learner's FUNCTION FLUSH or FLUSHALL could erase it.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import NotUtf8Error, first_line, read_learner_text
from labctl.services.base import ServiceDriver

# An earlier labctl marked a seeded Redis with this function library: an instance it made is recognised by it.
MARKER_LIBRARY = "labctl"
# Commands sent per round trip while a file runs: big seeds load fast, errors still name their line.
BATCH = 500


def separate_users(access: ServiceAccess) -> bool:
    """False for an instance made before labctl gave Redis users (one user, no password)."""
    return "LABCTL_LEGACY" not in access.environment and bool(access.environment.get("LABCTL_ADMIN_PASSWORD"))


def credentials(access: ServiceAccess, role: str = "admin") -> tuple[str | None, str | None]:
    """(user, password) of labctl's own user ("admin") or the learner's ("learner")."""
    env = access.environment
    if not separate_users(access):
        return None, None
    if role == "learner":
        return "default", env.get("REDISCLI_AUTH") or None
    return env.get("LABCTL_ADMIN_USER", "labctl"), env["LABCTL_ADMIN_PASSWORD"]


def connect(access: ServiceAccess, *, role: str = "admin", timeout: float = 10.0, db: int = 0):
    """A redis.Redis client as `role` (strings decoded). It connects lazily: errors come with the first command."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    user, password = credentials(access, role)
    return redis.Redis(
        host=access.host,
        port=access.port,
        db=db,
        username=user,
        password=password,
        socket_timeout=timeout,
        socket_connect_timeout=min(timeout, 5.0),
        decode_responses=True,
        # No silent retries: a down service is reported once, within the timeout.
        retry=Retry(NoBackoff(), 0),
        client_name="labctl",
    )


def unavailable(access: ServiceAccess, exc: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable(f"Redis at {access.host}:{access.port} did not answer: {first_line(exc)}")


def parse_commands(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, argv) of each command in a file: one per line, shell-like quoting, # comments.

    Raises LabctlError naming the file and line.
    """
    try:
        text = read_learner_text(path)
    except OSError as exc:
        raise LabctlError(f"cannot read {path}: {exc.strerror}") from exc
    except NotUtf8Error as exc:
        raise LabctlError(str(exc)) from None
    commands = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            argv = shlex.split(stripped)
        except ValueError as exc:
            raise LabctlError(f"{path.name}, line {number}: cannot read the command: {exc}") from None
        commands.append((number, argv))
    return commands


def run_file(client, access: ServiceAccess, path: Path) -> None:
    """Send every command of a file, in order. Raises LabctlError naming the file, line and Redis's answer."""
    import redis

    commands = parse_commands(path)
    for start in range(0, len(commands), BATCH):
        batch = commands[start:start + BATCH]
        pipe = client.pipeline(transaction=False)
        for _, argv in batch:
            pipe.execute_command(*argv)
        try:
            answers = pipe.execute(raise_on_error=False)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise unavailable(access, exc) from exc
        for (number, argv), answer in zip(batch, answers):
            if isinstance(answer, redis.ResponseError):
                shown = shlex.join(argv)
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                raise LabctlError(f"{path.name}, line {number}: Redis refused `{shown}`: {first_line(answer)}")


class RedisDriver(ServiceDriver):
    kind = "redis"
    title = "Redis"
    run_file = "a file of Redis commands"

    def probe(self, access: ServiceAccess) -> None:
        # Raises ConnectionError while the port is closed, BusyLoadingError while the AOF loads.
        client = connect(access, timeout=2.0)
        try:
            client.ping()
        finally:
            client.close()

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """A solution's or a submission's commands run as the learner, with the learner's rights only."""
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        client = connect(access, role="learner", timeout=60)
        try:
            run_file(client, access, step.source)
        finally:
            client.close()

    def is_seeded(self, access: ServiceAccess) -> bool:
        """An instance made by an earlier labctl: seeded if its marker library is there."""
        import redis

        client = connect(access, timeout=10)
        try:
            return bool(client.function_list(library=MARKER_LIBRARY))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise unavailable(access, exc) from exc
        finally:
            client.close()

    def holds_data(self, access: ServiceAccess) -> bool:
        """Any key in any database, or any function library."""
        import redis

        client = connect(access, timeout=10)
        try:
            return bool(client.info("keyspace")) or bool(client.function_list())
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise unavailable(access, exc) from exc
        finally:
            client.close()

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Empty every database (and drop functions), then run the seed files."""
        import redis

        client = connect(access, timeout=60)
        try:
            client.function_flush()
            client.flushall()
            for step in steps:
                try:
                    run_file(client, access, step.source)
                except ServiceUnavailable:
                    raise  # Redis stopped answering: not the lab's fault
                except LabctlError as exc:
                    raise LabctlError(f"the lab's seed failed: {exc}", "This is a bug in the lab; tell its author.") from exc
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise unavailable(access, exc) from exc
        except redis.ResponseError as exc:
            raise LabctlError(f"Redis refused to reset its data: {first_line(exc)}") from exc
        finally:
            client.close()

    # No snapshot: restore replays the seed files, which is as fast as copying for lab-sized data.

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        self.seed(access, list(seed or []))
