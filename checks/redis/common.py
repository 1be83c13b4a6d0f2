"""What the Redis checks share: clients per database, the check bases, how values are quoted."""
from __future__ import annotations

import difflib
import itertools
import threading
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

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
            return self.inspect(clients.db(self.db))
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
