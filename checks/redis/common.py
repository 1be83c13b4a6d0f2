"""What the Redis checks share: clients per database, the check bases, how values are quoted."""
from __future__ import annotations

import difflib
import itertools
import re
import threading
from dataclasses import replace
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed
from labctl.core.errors import CheckError
from labctl.services.redis import connect, unavailable

# ---- helpers ------------------------------------------------------------------------------------


def as_text(value: Any) -> Any:
    """Redis stores strings: YAML's 42 or 1.5 mean "42" and "1.5". true/false are surely a mistake."""
    if isinstance(value, bool):
        raise ValueError("Redis stores text: quote it (\"true\") if the value is the word")
    if isinstance(value, (int, float)):
        return str(value)
    return value


# WithJsonSchema, not json_schema_input_type: that needs pydantic 2.9 and we support 2.6.
Text = Annotated[str, BeforeValidator(as_text), WithJsonSchema({"type": ["string", "number"]})]
TYPE_NAMES = ("string", "list", "set", "zset", "hash", "stream")
SHOWN = 10  # items quoted in a message before "..."


class Clients:
    """One redis.Redis per database of a service, cached for a check run by ctx.connection()."""

    def __init__(self, access, timeout: float):
        self.access, self.timeout = access, timeout
        self._by_db: dict[int, Any] = {}
        self._lock = threading.Lock()

    def db(self, number: int):
        with self._lock:
            if number not in self._by_db:
                self._by_db[number] = connect(self.access, timeout=self.timeout, db=number)
            return self._by_db[number]

    def close(self) -> None:
        with self._lock:
            clients, self._by_db = list(self._by_db.values()), {}
        for client in clients:
            client.close()


def quoted(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if len(text) <= 60 else f'"{text[:57]}..."'


def items_text(values: list, limit: int = SHOWN) -> str:
    shown = ", ".join(quoted(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def redis_word(value: Any) -> str:
    """One word of a redis-cli command line: as is when it is safe, else double-quoted."""
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9_:@./+=-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command_line(*words: Any) -> str:
    return " ".join(redis_word(w) for w in words)


def number_text(score: float) -> str:
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def nearby_keys(client, key: str) -> str:
    """What the database holds instead: the keys spelled like `key` (typos), else a few of its keys."""
    keys = sorted(itertools.islice(client.scan_iter(count=1000), 5000))
    if not keys:
        return "the database has no keys"
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.75)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return f"keys found: {', '.join(keys[:5])}{', ...' if len(keys) > 5 else ''}"


class RedisCheck(Check):
    db: int = Field(0, ge=0, le=15, description="The database number (SELECT n); 0 unless the lab says otherwise.")

    def run(self, ctx: CheckContext) -> Outcome:
        import redis

        clients = ctx.connection(self.service, lambda access: Clients(access, ctx.timeout))
        try:
            client = clients.db(self.db)
            outcome = self.inspect(client)
            if not outcome.passed and isinstance(self, Restorable) and self.restore:
                outcome = self.with_restore(client, outcome)
            return outcome
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise unavailable(clients.access, exc) from exc
        except redis.ResponseError as exc:
            raise CheckError(f"Redis refused the check's command: {str(exc).strip()}") from exc

    def inspect(self, client) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def _key(self, key: str) -> str:
        return key if self.db == 0 else f"{key} (db {self.db})"

    def _missing(self, client, key: str, wanted: str) -> Outcome:
        return failed(f"key {self._key(key)} does not exist ({nearby_keys(client, key)}); expected {wanted}",
                      expected=wanted, found=None, evidence=f"EXISTS {key}")

    def _typed(self, client, key: str, want: str) -> Outcome | None:
        """A failure when the key is missing or not of type `want`; None when it is."""
        found = client.type(key)
        if found == "none":
            return self._missing(client, key, f"a {want}")
        if found != want:
            return failed(f"key {self._key(key)} is a {found}; expected a {want}",
                          expected=want, found=found, evidence=f"TYPE {key}")
        return None


class KeyCheck(RedisCheck):
    key: str = Field(min_length=1)


class Restorable(KeyCheck):
    """A check whose expected value is whole (every item, field or score): with restore: true, a failure
    says how to put that value back with redis-cli, for data the lab started with that a common mistake
    destroys (a set overwritten by SINTERSTORE with its destination last, a hash re-made without a field)."""

    restore: bool = Field(False, description="The expected value is data the lab started with: when it is wrong "
                                             "or gone, the message gives the redis-cli commands that put it back "
                                             "(no labctl reset needed). Needs a whole expected value.")

    def restore_commands(self) -> list[str] | None:
        """The commands that create the expected value from nothing; None when it is not whole."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _whole(self):
        if self.restore and self.restore_commands() is None:
            raise ValueError("restore: true needs the whole expected value (equals, exact: true, every score)")
        return self

    def with_restore(self, client, outcome: Outcome) -> Outcome:
        commands = self.restore_commands() or []
        if client.exists(self.key) and not commands[0].startswith("SET "):
            commands = [command_line("DEL", self.key)] + commands  # SET replaces a key of any type
        steps = ", then ".join(f"`{c}`" for c in commands)
        return replace(outcome, message=f"{outcome.message}. This is data the lab started with: if it is lost, "
                                        f"put it back with {steps} (no labctl reset needed)")
