"""MongoDB checks on a collection's shape: indexes (compound, unique, TTL, text) and validators."""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.services import mongodb as service

from .common import CollectionCheck, ExtendedDict, plain, show, translated

# ---- mongo.index ---------------------------------------------------------------------------------

def index_signature(index: dict) -> list[tuple[str, Any]]:
    """An index's keys as [(field, direction)], with a text index's _fts/_ftsx pair replaced by its fields."""
    out: list[tuple[str, Any]] = []
    for field, direction in index.get("key", {}).items():
        if field == "_fts":
            out.extend((f, "text") for f in sorted(index.get("weights", {})))
        elif field != "_ftsx":
            out.append((field, plain(direction)))
    return out


def _text_sorted(keys: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    # The order of the fields inside one text index means nothing; the position of the text part does.
    text = sorted(k for k in keys if k[1] == "text")
    out, placed = [], False
    for k in keys:
        if k[1] == "text":
            if not placed:
                out.extend(text)
                placed = True
        else:
            out.append(k)
    return out


def show_keys(keys: list[tuple[str, Any]]) -> str:
    return "(" + ", ".join(f"{f} {d}" for f, d in keys) + ")"


def _refuse_on_compatible_build(db, kinds: set[str]) -> None:
    """A check for an index kind the MongoDB-compatible build cannot make can't tell right from wrong
    there: it says so (an error, never a pass or a fail) and how to get MongoDB."""
    lacking = sorted(kinds & service.INDEX_KINDS_NEEDING_MONGODB)
    if not lacking:
        return
    with translated("asking which server this is"):
        server = service.compatible_build(db.client)
    if server:
        raise CheckError(f"this check needs MongoDB: the lab runs on {server}, a MongoDB-compatible server that has "
                         f"no {' or '.join(lacking)} indexes. Get the official image (`labctl images pull` where a registry "
                         "is reachable, or `labctl images load` from a workshop bundle): a lab started after that runs "
                         "on MongoDB (docs/mongodb-compatible.md).")


@register("mongo.index", service_kind="mongodb")
class Index(CollectionCheck):
    keys: list[tuple[str, int | str]] = Field(min_length=1, description="[[field, 1 | -1 | text | 2dsphere | hashed], ...] in order.")
    unique: bool | None = None
    expire_after_seconds: int | None = Field(None, ge=0, description="A TTL index with this expiry.")

    @field_validator("keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return service.index_keys(value)

    def describe(self) -> str:
        return f"{self.collection} has an index on {show_keys(list(self.keys))}"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.{self.collection}.getIndexes()"
        _refuse_on_compatible_build(db, {d for _, d in self.keys if isinstance(d, str)})
        with translated("listing the indexes"):
            indexes = list(db[self.collection].list_indexes())
        want = _text_sorted([(f, plain(d)) for f, d in self.keys])
        found = {ix["name"]: _text_sorted(index_signature(ix)) for ix in indexes}
        summary = [f"{name} {show_keys(keys)}" for name, keys in found.items()]
        match = next((ix for ix in indexes if found[ix["name"]] == want), None)
        if match is None:
            return failed(f"{self.collection} has no index on {show_keys(want)}; indexes found: {', '.join(summary)}",
                          expected=show_keys(want), found=summary, evidence=evidence)
        name = match["name"]
        if self.unique is not None and bool(match.get("unique")) != self.unique:
            return failed(f"index {name} on {self.collection} is {'not ' if self.unique else ''}unique; "
                          f"it should {'' if self.unique else 'not '}be (create it with {{unique: {str(self.unique).lower()}}})",
                          expected={"unique": self.unique}, found={"unique": bool(match.get("unique"))}, evidence=evidence)
        if self.expire_after_seconds is not None:
            ttl = match.get("expireAfterSeconds")
            if ttl is None or plain(ttl) != self.expire_after_seconds:
                now = "has no expiry (it is not a TTL index)" if ttl is None else f"expires documents after {plain(ttl)}s"
                return failed(f"index {name} on {self.collection} {now}; expected expireAfterSeconds {self.expire_after_seconds}",
                              expected={"expireAfterSeconds": self.expire_after_seconds},
                              found={"expireAfterSeconds": plain(ttl)}, evidence=evidence)
        return passed(f"{self.collection} has index {name} on {show_keys(want)}", evidence=evidence)


# ---- mongo.validator -----------------------------------------------------------------------------

DOCUMENT_VALIDATION_FAILURE = 121


def _try_insert(collection, document: dict, what: str) -> Any:
    """The _id of the inserted document, or None when the validator refused it."""
    from pymongo import errors

    with translated(what):
        try:
            return collection.insert_one(document).inserted_id
        except errors.WriteError as exc:
            if exc.code == DOCUMENT_VALIDATION_FAILURE:
                return None
            raise


def _remove(collection, inserted: Any) -> None:
    # No transactions on a standalone server: take the test document out again by its _id.
    with translated("removing the test document"):
        collection.delete_one({"_id": inserted})


@register("mongo.validator", service_kind="mongodb")
class Validator(CollectionCheck):
    present: bool = True
    rejects: list[ExtendedDict] = Field(default_factory=list,
                                        description="Documents the validator must refuse (each is tried, and removed if accepted).")
    accepts: list[ExtendedDict] = Field(default_factory=list,
                                        description="Documents the validator must accept, such as the values at a boundary "
                                                    "(each is inserted, then removed).")

    @model_validator(mode="after")
    def _consistent(self) -> "Validator":
        if not self.present and (self.rejects or self.accepts):
            raise ValueError(f"{'rejects' if self.rejects else 'accepts'} needs present: true")
        return self

    def describe(self) -> str:
        return f"{self.collection} {'has' if self.present else 'has no'} validator"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.getCollectionInfos({{name: '{self.collection}'}})"
        with translated("reading the collection's options"):
            info = next(iter(db.list_collections(filter={"name": self.collection})), {})
        options = info.get("options", {})
        validator = options.get("validator")
        if not self.present:
            if validator:
                return failed(f"{self.collection} has a validator; it should have none",
                              expected=None, found=plain(validator), evidence=evidence)
            return passed(f"{self.collection} has no validator", evidence=evidence)
        if not validator:
            return failed(f"{self.collection} has no validator; add one (createCollection or collMod with a validator)",
                          expected="a validator", found=None, evidence=evidence)
        collection = db[self.collection]
        for raw in self.rejects:
            inserted = _try_insert(collection, service.from_extended(raw), "trying a document the validator should refuse")
            if inserted is None:
                continue
            _remove(collection, inserted)
            action = options.get("validationAction", "error")
            why = " (its validationAction is warn, so it only logs: set it to error)" if action == "warn" else ""
            return failed(f"the validator of {self.collection} accepted {show(raw)}; it should refuse it{why}",
                          expected="refused", found="accepted", evidence=f"{evidence}; insertOne({show(raw)})")
        for raw in self.accepts:
            inserted = _try_insert(collection, service.from_extended(raw), "trying a document the validator should accept")
            if inserted is not None:
                _remove(collection, inserted)
                continue
            return failed(f"the validator of {self.collection} refused {show(raw)}; it should accept it "
                          f"(is one of its rules stricter than asked?)",
                          expected="accepted", found="refused", evidence=f"{evidence}; insertOne({show(raw)})")
        tried = []
        if self.rejects:
            tried.append(f"it refuses the {len(self.rejects)} invalid document{'s' if len(self.rejects) != 1 else ''}")
        if self.accepts:
            tried.append(f"accepts the {len(self.accepts)} valid one{'s' if len(self.accepts) != 1 else ''}"
                         if self.rejects else
                         f"it accepts the {len(self.accepts)} valid document{'s' if len(self.accepts) != 1 else ''}")
        return passed(f"{self.collection} has a validator" + ("; " + " and ".join(tried) if tried else ""), evidence=evidence)
