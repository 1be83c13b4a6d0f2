"""MongoDB checks on data: collections, document counts and contents, aggregation results (indexes and
validators are in schema.py)."""
from __future__ import annotations

import itertools
from typing import Any

from pydantic import Field, field_validator

from labctl.check_engine.bounds import CountBounds
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.services import mongodb as service

from .common import (COLLECTION_NAME, MAX_DOCUMENTS, CollectionCheck, ExtendedDict, FilteredCheck, MongoCheck,
                     compare_documents, first_difference, plain, show, translated)

# ---- mongo.collection_exists ---------------------------------------------------------------------

@register("mongo.collection_exists", service_kind="mongodb")
class CollectionExists(MongoCheck):
    collection: str | None = Field(None, min_length=1, pattern=COLLECTION_NAME,
                                   description="Omit it to check that the database exists (has any collection).")

    def describe(self) -> str:
        return f"collection {self.collection} exists" if self.collection else "the database exists"

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        if self.collection is None:
            with translated("listing the databases"):
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
class Count(FilteredCheck, CountBounds):
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
        with translated("counting documents"):
            n = db[self.collection].count_documents(self.query())
        ok = self.within(n)
        noun = f"document{'s' if n != 1 else ''}"
        if ok:
            return passed(f"{self.where()} has {n} {noun}", evidence=evidence)
        return failed(f"{self.where()} has {n} {noun}; expected {self.wanted()}",
                      expected=self.wanted(), found=n, evidence=evidence)


# ---- mongo.document ------------------------------------------------------------------------------

@register("mongo.document", service_kind="mongodb")
class Document(FilteredCheck):
    fields: ExtendedDict = Field(default_factory=dict, description="{dotted.path: expected value}")

    def describe(self) -> str:
        return f"a document in {self.where()}" + (f" with {', '.join(self.fields)}" if self.fields else "")

    def run(self, ctx: CheckContext) -> Outcome:
        db = self.db(ctx)
        missing = self.missing_collection(db, self.collection)
        if missing:
            return missing
        evidence = f"db.{self.collection}.find({show(self.filter)})"
        with translated("finding documents"):
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
class Aggregate(CollectionCheck):
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
        with translated("the check's aggregation"):
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
