"""MongoDB checks on data: collections, document counts and contents, aggregation results (indexes and
validators are in mongo_schema.py)."""
from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import re
import uuid
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from labctl.checks.base import Check
from labctl.checks.bounds import CountBounds
from labctl.checks.context import CheckContext
from labctl.checks.registry import register
from labctl.checks.result import CheckError, Outcome, ServiceUnavailable, failed, passed
from labctl.services import mongodb as service

# ---- pure helpers (unit-tested without a server) ------------------------------------------------

_NAME = r"^[^$\x00][^\x00]*$"  # MongoDB collection names: no leading $, no NUL
MAX_DOCUMENTS = 1000


def plain(value: Any) -> Any:
    """A JSON-able, comparable form of a BSON or YAML value: ids and dates as text, 2.0 as 2."""
    from bson import Decimal128, ObjectId, Regex

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal128):
        value = value.to_decimal()
    if isinstance(value, (int, float, decimal.Decimal)):
        number = decimal.Decimal(str(value))
        if not number.is_finite():
            return str(number)
        return int(number) if number == number.to_integral_value() else float(number)
    if isinstance(value, dt.datetime):
        # pymongo returns naive UTC datetimes; an aware expected value is compared in UTC.
        if value.tzinfo:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat()
    if isinstance(value, (ObjectId, uuid.UUID)):
        return str(value)
    if isinstance(value, (Regex, re.Pattern)):
        return f"/{value.pattern}/"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def same(found: Any, expected: Any) -> bool:
    """Equal as a learner reads them: 3 == 3.0, an ObjectId equals its hex text, dates compare in UTC."""
    return _key(plain(found)) == _key(plain(expected))


def _key(value: Any) -> str:
    # True and 1 must differ, which json keeps apart; dict key order must not matter.
    return json.dumps(value, sort_keys=True)


def show(value: Any, limit: int = 200) -> str:
    """A value as compact JSON for a message, cut at `limit` characters."""
    text = json.dumps(plain(value), ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def lookup(document: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path such as address.city or tags.0 (a number indexes a list)."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def first_difference(document: dict, fields: dict[str, Any]) -> tuple[str, bool, Any] | None:
    """The first (path, present, found value) where the document differs from `fields`, or None."""
    for path, expected in fields.items():
        present, value = lookup(document, path)
        if not present or not same(value, expected):
            return path, present, value
    return None


def compare_documents(found: list[dict], expected: list[dict], *, ordered: bool) -> str | None:
    """None when the documents match, else a learner-facing sentence on the first difference.

    _id is compared only when the expected documents name it.
    """
    if not any("_id" in doc for doc in expected):
        found = [{k: v for k, v in doc.items() if k != "_id"} for doc in found]
    got, want = [_key(plain(d)) for d in found], [_key(plain(d)) for d in expected]
    if ordered and got != want and sorted(got) == sorted(want):
        index = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        return (f"the result has the right documents in the wrong order (first difference at document {index + 1}: "
                f"found {show(found[index])}, expected {show(expected[index])}); check your $sort")
    if sorted(got) == sorted(want):
        return None
    parts = []
    if len(got) != len(want):
        parts.append(f"the result has {len(got)} document{'s' if len(got) != 1 else ''}; expected {len(want)}")
    remaining = list(want)
    unexpected = []
    for i, k in enumerate(got):
        if k in remaining:
            remaining.remove(k)
        else:
            unexpected.append(found[i])
    missing = [expected[want.index(k)] for k in remaining]
    if unexpected:
        parts.append(f"{len(unexpected)} document{'s' if len(unexpected) != 1 else ''} that should not be there, "
                     f"e.g. {show(unexpected[0])}")
    if missing:
        parts.append(f"{len(missing)} expected document{'s' if len(missing) != 1 else ''} missing, e.g. {show(missing[0])}")
    return "; ".join(parts)


def _extended(value: Any) -> Any:
    """Validate extended JSON at lab load (the raw value is kept; it is converted again at run time)."""
    service.from_extended(value)
    return value


# A lab.yaml value that may use extended JSON ({"$oid": ...}); checked when the lab loads.
ExtendedDict = Annotated[dict[str, Any], AfterValidator(_extended)]


@contextmanager
def _translated(what: str):
    """pymongo errors -> ServiceUnavailable (no answer) or CheckError (the check's own command failed)."""
    from pymongo import errors

    try:
        yield
    except errors.ConnectionFailure as exc:  # includes AutoReconnect, ServerSelectionTimeoutError
        raise ServiceUnavailable(f"MongoDB did not answer: {service.short_error(exc)}") from exc
    except errors.PyMongoError as exc:
        raise CheckError(f"{what} failed: MongoDB said {service.short_error(exc)}") from exc


# ---- the check base ------------------------------------------------------------------------------

class _MongoCheck(Check):
    database: str | None = Field(None, min_length=1, pattern=r"^[^/\\. \"$\x00]+$",
                                 description="Defaults to the service's MONGO_INITDB_DATABASE.")

    def db(self, ctx: CheckContext):
        assert self.service is not None
        holder = ctx.connection(self.service, lambda access: service.CachedClient(service.connect(access, timeout=ctx.timeout)))
        client = holder.client
        name = self.database or service.credentials(ctx.service(self.service))[2]
        return client[name]

    def collections(self, db) -> list[str]:
        with _translated("listing the collections"):
            return sorted(n for n in db.list_collection_names() if not n.startswith("system."))

    def missing_collection(self, db, collection: str) -> Outcome | None:
        """A failure naming the collections there are when `collection` is not one of them."""
        names = self.collections(db)
        if collection in names:
            return None
        seen = f"collections found: {', '.join(names)}" if names else "it has no collections yet"
        return failed(f"database {db.name} has no collection {collection} ({seen})",
                      expected=collection, found=names, evidence=f"db.getCollectionNames() in {db.name}")


class _CollectionCheck(_MongoCheck):
    collection: str = Field(min_length=1, pattern=_NAME)


class _FilteredCheck(_CollectionCheck):
    filter: ExtendedDict = Field(default_factory=dict, description="A query filter; extended JSON allowed.")

    def query(self) -> dict[str, Any]:
        return service.from_extended(self.filter)

    def where(self) -> str:
        return f"{self.collection}" + (f" matching {show(self.filter)}" if self.filter else "")


# ---- mongo.collection_exists ---------------------------------------------------------------------

@register("mongo.collection_exists", service_kind="mongodb")
class CollectionExists(_MongoCheck):
    collection: str | None = Field(None, min_length=1, pattern=_NAME,
                                   description="Omit it to check that the database exists (has any collection).")

    def describe(self) -> str:
        return f"collection {self.collection} exists" if self.collection else "the database exists"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        if self.collection is None:
            with _translated("listing the databases"):
                names = db.client.list_database_names()
            if db.name in names:
                return passed(f"database {db.name} exists", evidence="show dbs")
            return failed(f"database {db.name} does not exist yet; MongoDB creates it when you first insert a document into it",
                          expected=db.name, found=sorted(names), evidence="show dbs")
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        return passed(f"collection {self.collection} exists in {db.name}", evidence=f"db.getCollectionNames() in {db.name}")


# ---- mongo.count ---------------------------------------------------------------------------------

@register("mongo.count", service_kind="mongodb")
class Count(_FilteredCheck, CountBounds):
    def wanted(self) -> str:
        return self.bounds_text(exactly="exactly ")

    def describe(self) -> str:
        return f"{self.where()} has {self.wanted()} documents"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.{self.collection}.countDocuments({show(self.filter)})"
        with _translated("counting documents"):
            n = db[self.collection].count_documents(self.query())
        ok = self.within(n)
        noun = f"document{'s' if n != 1 else ''}"
        if ok:
            return passed(f"{self.where()} has {n} {noun}", evidence=evidence)
        return failed(f"{self.where()} has {n} {noun}; expected {self.wanted()}",
                      expected=self.wanted(), found=n, evidence=evidence)


# ---- mongo.document ------------------------------------------------------------------------------

@register("mongo.document", service_kind="mongodb")
class Document(_FilteredCheck):
    fields: ExtendedDict = Field(default_factory=dict, description="{dotted.path: expected value}")

    def describe(self) -> str:
        return f"a document in {self.where()}" + (f" with {', '.join(self.fields)}" if self.fields else "")

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.{self.collection}.find({show(self.filter)})"
        with _translated("finding documents"):
            documents = list(db[self.collection].find(self.query()).limit(20))
            total = db[self.collection].estimated_document_count() if not documents else None
        if not documents:
            return failed(f"no document in {self.where()} (the collection has {total} document{'s' if total != 1 else ''})",
                          expected=show(self.filter), found=None, evidence=evidence)
        expected = service.from_extended(self.fields)
        if any(first_difference(doc, expected) is None for doc in documents):
            return passed(f"{self.where()} has the expected values", evidence=evidence)
        doc = documents[0]
        path, present, value = first_difference(doc, expected)  # type: ignore[misc]
        want = show(expected[path])
        if present:
            message = f"in the document {self.where()}, {path} is {show(value)}; expected {want}"
        else:
            message = f"the document {self.where()} has no field {path}; expected {path}: {want}"
        return failed(f"{message} (document found: {show(doc, 300)})", expected={path: plain(expected[path])},
                      found=plain(doc), evidence=evidence)


# ---- mongo.aggregate -----------------------------------------------------------------------------

@register("mongo.aggregate", service_kind="mongodb")
class Aggregate(_CollectionCheck):
    pipeline: list[ExtendedDict] = Field(min_length=1, description="The stages; extended JSON allowed.")
    expected: list[ExtendedDict] = Field(max_length=MAX_DOCUMENTS)
    ordered: bool = False

    @field_validator("pipeline")
    @classmethod
    def _stages(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, stage in enumerate(value):
            if len(stage) != 1 or not next(iter(stage)).startswith("$"):
                raise ValueError(f"stage {i + 1} must be one {{$stage: ...}} mapping")
            if next(iter(stage)) in ("$out", "$merge"):
                raise ValueError("a check must not write: $out and $merge are not allowed")
        return value

    def describe(self) -> str:
        return f"aggregation on {self.collection} gives the expected {len(self.expected)} documents"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.{self.collection}.aggregate({show(self.pipeline, 400)})"
        with _translated("the check's aggregation"):
            with db[self.collection].aggregate(service.from_extended(self.pipeline),
                                               maxTimeMS=int((self.timeout or ctx.timeout) * 1000)) as cursor:
                # Bounded: a learner's collection may be huge, and a result past MAX_DOCUMENTS is wrong anyway.
                found = list(itertools.islice(cursor, MAX_DOCUMENTS + 1))
        expected = service.from_extended(self.expected)
        problem = compare_documents(found, expected, ordered=self.ordered)
        if problem is None:
            return passed(f"the aggregation on {self.collection} gives the expected {len(found)} documents", evidence=evidence)
        return failed(problem, expected=[plain(d) for d in expected[:50]], found=[plain(d) for d in found[:50]],
                      evidence=evidence)
