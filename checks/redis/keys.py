"""Redis checks on keys: existence, types, strings, expiry, hashes, key counts, configuration.

Lists, sets and sorted sets are in structures.py."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from labctl.check_engine.bounds import CountBounds
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import SHOWN, TYPE_NAMES, KeyCheck, RedisCheck, Restorable, Text, command_line, quoted

# ---- redis.key_exists, redis.key_type ---------------------------------------------------------

@register("redis.key_exists", service_kind="redis")
class KeyExists(KeyCheck):
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
class KeyType(KeyCheck):
    # Not `type`: that key names the check type in lab.yaml.
    kind: Literal[TYPE_NAMES] = Field(description="string, list, set, zset, hash or stream.")

    def describe(self) -> str:
        return f"key {self._key(self.key)} is a {self.kind}"

    def inspect(self, client) -> Outcome:
        return self._typed(client, self.key, self.kind) or passed(self.describe(), evidence=f"TYPE {self.key}")


# ---- redis.string_value, redis.ttl --------------------------------------------------------------

@register("redis.string_value", service_kind="redis")
class StringValue(Restorable):
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
        return quoted(self.equals) if self.equals is not None else f"a value matching /{self.matches}/"

    def restore_commands(self) -> list[str] | None:
        return None if self.equals is None else [command_line("SET", self.key, self.equals)]

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
            return passed(f"key {self._key(self.key)} holds {quoted(value)}", evidence=evidence)
        return failed(f"key {self._key(self.key)} is {quoted(value)}; expected {self._wanted()}",
                      expected=self.equals if self.equals is not None else self.matches, found=value, evidence=evidence)


@register("redis.ttl", service_kind="redis")
class KeyTtl(KeyCheck):
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
class HashFields(Restorable):
    fields: dict[str, Text] = Field(min_length=1, description="field: value pairs the hash must hold.")
    # Exact by default: a check of some fields passed a copy that lost the others (a migration that
    # dropped a field). A lab that means "at least these" says exact: false.
    exact: bool = Field(True, description="No other fields allowed (the default); false: at least these fields.")

    def describe(self) -> str:
        return f"hash {self._key(self.key)} has {'exactly ' if self.exact else ''}the fields {', '.join(self.fields)}"

    def restore_commands(self) -> list[str] | None:
        pairs = [word for item in self.fields.items() for word in item]
        return [command_line("HSET", self.key, *pairs)] if self.exact else None

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "hash")
        if problem:
            return problem
        found = client.hgetall(self.key)
        evidence = f"HGETALL {self.key}"
        problems = []
        for name, want in self.fields.items():
            if name not in found:
                problems.append(f"no field {name} (expected {quoted(want)})")
            elif found[name] != want:
                problems.append(f"field {name} is {quoted(found[name])}, expected {quoted(want)}")
        extra = [name for name in found if name not in self.fields]
        if self.exact and extra:
            problems.append(f"fields that are not asked for: {', '.join(sorted(extra))}")
        if not problems:
            return passed(f"hash {self._key(self.key)} has the expected fields", evidence=evidence)
        return failed(f"hash {self._key(self.key)}: {'; '.join(problems)}",
                      expected=dict(self.fields), found=found, evidence=evidence)


# ---- redis.key_count ----------------------------------------------------------------------------

@register("redis.key_count", service_kind="redis")
class KeyCount(RedisCheck, CountBounds):
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
class ConfigValue(RedisCheck):
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
        return failed(f"{self.parameter} is {quoted(found)}; expected {quoted(self.equals)} "
                      f"(change it with CONFIG SET {self.parameter} {self.equals})",
                      expected=self.equals, found=found, evidence=evidence)
