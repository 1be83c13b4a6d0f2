"""Redis checks on keys: existence, types, strings, expiry, hashes, key counts, configuration.

Lists, sets and sorted sets are in redis_collections.py."""
from __future__ import annotations

import difflib
import itertools
import re
import threading
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from labctl.checks.base import Check
from labctl.checks.bounds import CountBounds
from labctl.checks.context import CheckContext
from labctl.checks.registry import register
from labctl.checks.result import CheckError, Outcome, failed, passed
from labctl.services.redis import connect, unavailable

# ---- helpers ------------------------------------------------------------------------------------


def _as_text(value: Any) -> Any:
    """Redis stores strings: YAML's 42 or 1.5 mean "42" and "1.5". true/false are surely a mistake."""
    if isinstance(value, bool):
        raise ValueError("Redis stores text: quote it (\"true\") if the value is the word")
    if isinstance(value, (int, float)):
        return str(value)
    return value


# WithJsonSchema, not json_schema_input_type: that needs pydantic 2.9 and we support 2.6.
Text = Annotated[str, BeforeValidator(_as_text), WithJsonSchema({"type": ["string", "number"]})]
TYPE_NAMES = ("string", "list", "set", "zset", "hash", "stream")
SHOWN = 10  # items quoted in a message before "..."


class _Clients:
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


def _q(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if len(text) <= 60 else f'"{text[:57]}..."'


def _items(values: list, limit: int = SHOWN) -> str:
    shown = ", ".join(_q(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def _num(score: float) -> str:
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def _nearby_keys(client, key: str) -> str:
    """What the database holds instead: the keys spelled like `key` (typos), else a few of its keys."""
    keys = sorted(itertools.islice(client.scan_iter(count=1000), 5000))
    if not keys:
        return "the database has no keys"
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.75)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return f"keys found: {', '.join(keys[:5])}{', ...' if len(keys) > 5 else ''}"


class _RedisCheck(Check):
    db: int = Field(0, ge=0, le=15, description="The database number (SELECT n); 0 unless the lab says otherwise.")

    def run(self, ctx: CheckContext) -> Outcome:
        import redis

        clients = ctx.connection(self.service, lambda access: _Clients(access, ctx.timeout))
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
        return failed(f"key {self._key(key)} does not exist ({_nearby_keys(client, key)}); expected {wanted}",
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


class _KeyCheck(_RedisCheck):
    key: str = Field(min_length=1)


# ---- redis.key_exists, redis.key_type ---------------------------------------------------------

@register("redis.key_exists", service_kind="redis")
class KeyExists(_KeyCheck):
    absent: bool = Field(False, description="Require the key NOT to exist (it was deleted or expired).")

    def describe(self) -> str:
        return f"key {self._key(self.key)} {'does not exist' if self.absent else 'exists'}"

    def inspect(self, client) -> Outcome:
        found = client.type(self.key)
        evidence = f"EXISTS {self.key}"
        if self.absent and found != "none":
            return failed(f"key {self._key(self.key)} still exists (a {found}); it should be gone (deleted or expired)",
                          expected="no such key", found=found, evidence=evidence)
        if not self.absent and found == "none":
            return self._missing(client, self.key, "it to exist")
        return passed(self.describe(), evidence=evidence)


@register("redis.key_type", service_kind="redis")
class KeyType(_KeyCheck):
    # Not `type`: that key names the check type in lab.yaml.
    kind: Literal[TYPE_NAMES] = Field(description="string, list, set, zset, hash or stream.")

    def describe(self) -> str:
        return f"key {self._key(self.key)} is a {self.kind}"

    def inspect(self, client) -> Outcome:
        return self._typed(client, self.key, self.kind) or passed(self.describe(), evidence=f"TYPE {self.key}")


# ---- redis.string_value, redis.ttl --------------------------------------------------------------

@register("redis.string_value", service_kind="redis")
class StringValue(_KeyCheck):
    equals: Text | None = None
    matches: str | None = Field(None, description="A regular expression the whole value must match.")

    @model_validator(mode="after")
    def _one(self) -> "StringValue":
        if (self.equals is None) == (self.matches is None):
            raise ValueError("give exactly one of equals or matches")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches is not a valid regular expression: {exc}") from None
        return self

    def _wanted(self) -> str:
        return _q(self.equals) if self.equals is not None else f"a value matching /{self.matches}/"

    def describe(self) -> str:
        return f"key {self._key(self.key)} holds {self._wanted()}"

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "string")
        if problem:
            return problem
        value = client.get(self.key)
        evidence = f"GET {self.key}"
        ok = value == self.equals if self.equals is not None else re.fullmatch(self.matches, value) is not None
        if ok:
            return passed(f"key {self._key(self.key)} holds {_q(value)}", evidence=evidence)
        return failed(f"key {self._key(self.key)} is {_q(value)}; expected {self._wanted()}",
                      expected=self.equals if self.equals is not None else self.matches, found=value, evidence=evidence)


@register("redis.ttl", service_kind="redis")
class KeyTtl(_KeyCheck):
    min: int | None = Field(None, ge=0, description="Seconds.")
    max: int | None = Field(None, ge=0, description="Seconds.")

    @model_validator(mode="after")
    def _bounds(self) -> "KeyTtl":
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both (seconds)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self

    def _wanted(self) -> str:
        if self.min is not None and self.max is not None:
            return f"a TTL between {self.min} and {self.max} s"
        return f"a TTL of at least {self.min} s" if self.min is not None else f"a TTL of at most {self.max} s"

    def describe(self) -> str:
        return f"key {self._key(self.key)} expires ({self._wanted()})"

    def inspect(self, client) -> Outcome:
        ttl = client.ttl(self.key)
        evidence = f"TTL {self.key}"
        if ttl == -2:
            return self._missing(client, self.key, self._wanted())
        if ttl == -1:
            return failed(f"{self._key(self.key)} has no expiry; expected {self._wanted()} "
                          f"(set one with EXPIRE {self.key} SECONDS, or SET ... EX SECONDS)",
                          expected=[self.min, self.max], found="no expiry", evidence=evidence)
        if (self.min is not None and ttl < self.min) or (self.max is not None and ttl > self.max):
            return failed(f"{self._key(self.key)} expires in {ttl} s; expected {self._wanted()}",
                          expected=[self.min, self.max], found=ttl, evidence=evidence)
        return passed(f"{self._key(self.key)} expires in {ttl} s", evidence=evidence)


# ---- redis.hash ---------------------------------------------------------------------------------

@register("redis.hash", service_kind="redis")
class HashFields(_KeyCheck):
    fields: dict[str, Text] = Field(min_length=1, description="field: value pairs the hash must hold.")
    exact: bool = Field(False, description="No other fields allowed.")

    def describe(self) -> str:
        return f"hash {self._key(self.key)} has fields {', '.join(self.fields)}"

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "hash")
        if problem:
            return problem
        found = client.hgetall(self.key)
        evidence = f"HGETALL {self.key}"
        problems = []
        for name, want in self.fields.items():
            if name not in found:
                problems.append(f"no field {name}")
            elif found[name] != want:
                problems.append(f"field {name} is {_q(found[name])}, expected {_q(want)}")
        extra = [name for name in found if name not in self.fields]
        if self.exact and extra:
            problems.append(f"fields that are not asked for: {', '.join(sorted(extra))}")
        if not problems:
            return passed(f"hash {self._key(self.key)} has the expected fields", evidence=evidence)
        return failed(f"hash {self._key(self.key)}: {'; '.join(problems)}",
                      expected=dict(self.fields), found=found, evidence=evidence)


# ---- redis.key_count ----------------------------------------------------------------------------

@register("redis.key_count", service_kind="redis")
class KeyCount(_RedisCheck, CountBounds):
    pattern: str = Field("*", min_length=1, description="A glob pattern as in SCAN MATCH, e.g. session:*.")

    def _expected(self) -> str:
        return self.bounds_text()

    def describe(self) -> str:
        return f"{self._expected()} keys match {self.pattern}" + (f" in db {self.db}" if self.db else "")

    def inspect(self, client) -> Outcome:
        # SCAN, not KEYS: KEYS blocks the server while it walks the whole keyspace.
        keys = sorted(set(client.scan_iter(match=self.pattern, count=1000)))
        count = len(keys)
        evidence = f"SCAN 0 MATCH {self.pattern} COUNT 1000 (to the end)"
        where = f" in db {self.db}" if self.db else ""
        ok = self.within(count)
        noun = "key matches" if count == 1 else "keys match"
        if ok:
            return passed(f"{count} {noun} {self.pattern}{where}", evidence=evidence)
        seen = f" (found: {', '.join(keys[:SHOWN])}{', ...' if count > SHOWN else ''})" if keys else ""
        return failed(f"{count} {noun} {self.pattern}{where}; expected {self._expected()}{seen}",
                      expected=self._expected(), found=count, evidence=evidence)


# ---- redis.config -------------------------------------------------------------------------------

_SIZE = re.compile(r"^(\d+)\s*(b|k|kb|m|mb|g|gb)?$", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def _bytes(text: str) -> int | None:
    m = _SIZE.match(text.strip())
    return int(m.group(1)) * _UNITS[(m.group(2) or "").lower() or None] if m else None


def same_config(found: str, want: str) -> bool:
    """CONFIG GET answers maxmemory in bytes and yes/no in lower case: "100mb" == "104857600", "YES" == "yes"."""
    if found.strip().lower() == want.strip().lower():
        return True
    a, b = _bytes(found), _bytes(want)
    return a is not None and a == b


@register("redis.config", service_kind="redis")
class ConfigValue(_RedisCheck):
    parameter: str = Field(min_length=1, pattern=r"^[A-Za-z0-9-]+$", description="e.g. maxmemory-policy")
    equals: Text = Field(description="Memory sizes may use units: 100mb.")

    def describe(self) -> str:
        return f"Redis setting {self.parameter} is {self.equals}"

    def inspect(self, client) -> Outcome:
        answer = client.config_get(self.parameter)
        evidence = f"CONFIG GET {self.parameter}"
        # No glob characters in the name, so one entry at most (under its new name for an old alias).
        if len(answer) != 1:
            raise CheckError(f"Redis has no configuration parameter {self.parameter!r}; this is a bug in the lab")
        found = next(iter(answer.values()))
        if same_config(found, self.equals):
            return passed(f"{self.parameter} is {found}", evidence=evidence)
        return failed(f"{self.parameter} is {_q(found)}; expected {_q(self.equals)} "
                      f"(change it with CONFIG SET {self.parameter} {self.equals})",
                      expected=self.equals, found=found, evidence=evidence)
