"""What the MongoDB checks share: value comparison and display, extended JSON, the check bases."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.services import mongodb as service

# ---- pure helpers (unit-tested without a server) ------------------------------------------------

COLLECTION_NAME = r"^[^$\x00][^\x00]*$"  # MongoDB collection names: no leading $, no NUL
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
    return sort_key(plain(found)) == sort_key(plain(expected))


def sort_key(value: Any) -> str:
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
    got, want = [sort_key(plain(d)) for d in found], [sort_key(plain(d)) for d in expected]
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


def extended(value: Any) -> Any:
    """Validate extended JSON at lab load (the raw value is kept; it is converted again at run time)."""
    service.from_extended(value)
    return value


# A lab.yaml value that may use extended JSON ({"$oid": ...}); checked when the lab loads.
ExtendedDict = Annotated[dict[str, Any], AfterValidator(extended)]


@contextmanager
def translated(what: str):
    """pymongo errors -> ServiceUnavailable (no answer) or CheckError (the check's own command failed)."""
    from pymongo import errors

    try:
        yield
    except errors.ConnectionFailure as exc:  # includes AutoReconnect, ServerSelectionTimeoutError
        raise ServiceUnavailable(f"MongoDB did not answer: {service.short_error(exc)}") from exc
    except errors.PyMongoError as exc:
        raise CheckError(f"{what} failed: MongoDB said {service.short_error(exc)}") from exc


# ---- the check base ------------------------------------------------------------------------------

class MongoCheck(Check):
    database: str | None = Field(None, min_length=1, pattern=r"^[^/\\. \"$\x00]+$",
                                 description="Defaults to the service's MONGO_INITDB_DATABASE.")

    def db(self, ctx: CheckContext):
        assert self.service is not None
        holder = ctx.connection(self.service, lambda access: service.CachedClient(service.connect(access, timeout=ctx.timeout)))
        client = holder.client
        name = self.database or service.credentials(ctx.service(self.service))[2]
        return client[name]

    def collections(self, db) -> list[str]:
        with translated("listing the collections"):
            return sorted(n for n in db.list_collection_names() if not n.startswith("system."))

    def missing_collection(self, db, collection: str) -> Outcome | None:
        """A failure naming the collections there are when `collection` is not one of them."""
        names = self.collections(db)
        if collection in names:
            return None
        seen = f"collections found: {', '.join(names)}" if names else "it has no collections yet"
        return failed(f"database {db.name} has no collection {collection} ({seen})",
                      expected=collection, found=names, evidence=f"db.getCollectionNames() in {db.name}")


class CollectionCheck(MongoCheck):
    collection: str = Field(min_length=1, pattern=COLLECTION_NAME)


class FilteredCheck(CollectionCheck):
    filter: ExtendedDict = Field(default_factory=dict, description="A query filter; extended JSON allowed.")

    def query(self) -> dict[str, Any]:
        return service.from_extended(self.filter)

    def where(self) -> str:
        return f"{self.collection}" + (f" matching {show(self.filter)}" if self.filter else "")
