"""Redis checks on collections: lists, sets and sorted sets (the key checks are in keys.py)."""
from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .common import SHOWN, Restorable, Text, command_line, items_text, number_text, quoted

# ---- redis.list, redis.set ----------------------------------------------------------------------

class _CollectionCheck(Restorable):
    equals: list[Text] | None = Field(None, min_length=1, description="Exactly these items.")
    contains: list[Text] | None = Field(None, min_length=1, description="At least these items.")

    @model_validator(mode="after")
    def _one(self):
        if (self.equals is None) == (self.contains is None):
            raise ValueError("give exactly one of equals or contains")
        return self


@register("redis.list", service_kind="redis")
class ListItems(_CollectionCheck):
    """equals: the whole list, in order (LRANGE 0 -1); contains: items that must be somewhere in it."""

    def restore_commands(self) -> list[str] | None:
        return None if self.equals is None else [command_line("RPUSH", self.key, *self.equals)]

    def describe(self) -> str:
        verb = "is" if self.equals is not None else "contains"
        return f"list {self._key(self.key)} {verb} {items_text(self.equals or self.contains or [])}"

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "list")
        if problem:
            return problem
        name = self._key(self.key)
        if self.contains is not None:
            pipe = client.pipeline(transaction=False)
            for item in self.contains:
                pipe.lpos(self.key, item)
            missing = [item for item, pos in zip(self.contains, pipe.execute()) if pos is None]
            head = client.lrange(self.key, 0, SHOWN)
            evidence = f"LPOS {self.key} ITEM"
            if missing:
                return failed(f"list {name} does not contain {', '.join(quoted(m) for m in missing)} "
                              f"(it holds {items_text(head)})", expected=self.contains, found=head, evidence=evidence)
            return passed(f"list {name} contains {items_text(self.contains)}", evidence=evidence)
        want = self.equals or []
        length = client.llen(self.key)
        evidence = f"LRANGE {self.key} 0 -1"
        if length != len(want):
            head = client.lrange(self.key, 0, SHOWN)
            return failed(f"list {name} has {length} items {items_text(head)}; expected {len(want)} {items_text(want)}",
                          expected=want, found=head, evidence=evidence)
        found = client.lrange(self.key, 0, -1)
        if found == want:
            return passed(f"list {name} is {items_text(want)}", evidence=evidence)
        index = next(i for i, (a, b) in enumerate(zip(found, want)) if a != b)
        return failed(f"list {name} is {items_text(found)}; expected {items_text(want)} "
                      f"(item {index} is {quoted(found[index])}, expected {quoted(want[index])})",
                      expected=want, found=found, evidence=evidence)


@register("redis.set", service_kind="redis")
class SetMembers(_CollectionCheck):
    """equals: exactly these members (any order); contains: members it must have."""

    def restore_commands(self) -> list[str] | None:
        return None if self.equals is None else [command_line("SADD", self.key, *sorted(set(self.equals)))]

    def describe(self) -> str:
        verb = "is" if self.equals is not None else "contains"
        return f"set {self._key(self.key)} {verb} {items_text(sorted(self.equals or self.contains or []))}"

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "set")
        if problem:
            return problem
        name = self._key(self.key)
        if self.contains is not None:
            evidence = f"SMISMEMBER {self.key} {' '.join(self.contains)}"
            flags = client.smismember(self.key, self.contains)
            missing = [m for m, present in zip(self.contains, flags) if not present]
            if missing:
                return failed(f"set {name} lacks {', '.join(quoted(m) for m in missing)}",
                              expected=self.contains, found=missing, evidence=evidence)
            return passed(f"set {name} contains {items_text(sorted(self.contains))}", evidence=evidence)
        want = set(self.equals or [])
        found = client.smembers(self.key)
        evidence = f"SMEMBERS {self.key}"
        missing, extra = sorted(want - found), sorted(found - want)
        if not missing and not extra:
            return passed(f"set {name} is {items_text(sorted(want))}", evidence=evidence)
        problems = ([f"lacks {', '.join(quoted(m) for m in missing)}"] if missing else []) + (
            [f"has members not asked for: {', '.join(quoted(m) for m in extra[:SHOWN])}"] if extra else [])
        return failed(f"set {name} {' and '.join(problems)}", expected=sorted(want), found=sorted(found)[:100],
                      evidence=evidence)


# ---- redis.sorted_set ---------------------------------------------------------------------------

def _member(value: Any) -> Any:
    """[member, score] or [member] or just member; a score of null means any score."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (value, None)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return (value[0], None)
    return value


_MEMBER_SCHEMA = {"anyOf": [
    {"type": ["string", "number"]},
    {"type": "array", "minItems": 1, "maxItems": 2,
     "prefixItems": [{"type": ["string", "number"]}, {"type": ["number", "null"]}]},
]}


@register("redis.sorted_set", service_kind="redis")
class SortedSetMembers(Restorable):
    members: list[Annotated[tuple[Text, float | None],
                            BeforeValidator(_member), WithJsonSchema(_MEMBER_SCHEMA)]] = Field(
        min_length=1, description="[[member, score], ...], lowest score first; a bare member accepts any score.")
    ordered: bool = Field(True, description="The members must rank in this order (lowest score first).")

    @field_validator("members")
    @classmethod
    def _unique(cls, members):
        names = [m for m, _ in members]
        if len(set(names)) != len(names):
            raise ValueError("a member is listed twice")
        return members

    @model_validator(mode="after")
    def _consistent(self) -> "SortedSetMembers":
        # Redis ranks by score, then by member: an order the scores contradict could never pass.
        scored = [(s, m) for m, s in self.members if s is not None]
        if self.ordered and scored != sorted(scored):
            raise ValueError("with ordered: true, list members lowest score first (ties by name), "
                             "or set ordered: false")
        return self

    def describe(self) -> str:
        return f"sorted set {self._key(self.key)} holds {', '.join(m for m, _ in self.members)}"

    def restore_commands(self) -> list[str] | None:
        if any(s is None for _, s in self.members):
            return None
        return [command_line("ZADD", self.key, *[w for m, s in self.members for w in (number_text(s), m)])]

    def inspect(self, client) -> Outcome:
        problem = self._typed(client, self.key, "zset")
        if problem:
            return problem
        name = self._key(self.key)
        found = client.zrange(self.key, 0, -1, withscores=True)
        evidence = f"ZRANGE {self.key} 0 -1 WITHSCORES"
        scores = dict(found)
        want = dict(self.members)
        problems = []
        missing = [m for m in want if m not in scores]
        extra = [m for m, _ in found if m not in want]
        if missing:
            problems.append(f"lacks {', '.join(missing)}")
        if extra:
            problems.append(f"has members not asked for: {', '.join(extra[:SHOWN])}")
        for member, score in self.members:
            if member in scores and score is not None and not math.isclose(scores[member], score, abs_tol=1e-9):
                problems.append(f"{member} has score {number_text(scores[member])}, expected {number_text(score)}")
        shown = [f"{m} {number_text(s)}" for m, s in found[:50]]
        if not problems and self.ordered and [m for m, _ in found] != [m for m, _ in self.members]:
            problems.append(f"ranks [{', '.join(m for m, _ in found)}] from lowest to highest score; "
                            f"expected [{', '.join(m for m, _ in self.members)}]")
        if not problems:
            return passed(f"sorted set {name} holds the expected members", evidence=evidence)
        return failed(f"sorted set {name}: {'; '.join(problems)}",
                      expected=[[m, s] for m, s in self.members], found=shown, evidence=evidence)
