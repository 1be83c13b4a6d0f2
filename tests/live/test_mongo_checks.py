"""Live tests of the MongoDB driver and check family (checks/mongo/) against a live server: the official
image wherever it is present or pullable, else the MongoDB-compatible local build (compose/images/mongodb),
exactly as `labctl start` chooses. Nothing here is written for one or the other.
"""
from __future__ import annotations

import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def mongo(engine, tmp_path_factory):
    """(manager, view) of a running mongodb-only instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("mongo-home"))
    name = new_instance_name("mongo")
    manager.start("mongodb-only", name=name, workspace=tmp_path_factory.mktemp("mongo-ws"), ephemeral=True)
    yield manager, manager.view(name)
    manager.destroy(name)


@pytest.fixture
def access(mongo):
    manager, view = mongo
    return manager.context(view).service("mongodb")


@pytest.fixture
def db(access):
    """The lab database (`lab`), emptied before each test."""
    from labctl.services import mongodb

    client = mongodb.connect(access, timeout=10)
    client.drop_database("lab")
    yield client["lab"]
    client.close()


@pytest.fixture
def run_check(mongo, db):
    """Validate a check from its lab.yaml form and run it: run_check({"type": ..., ...}) -> CheckResult."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    manager, view = mongo
    ctx = manager.context(view)

    def run(entry: dict):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", "mongodb")
        check = cls.model_validate(params)
        task = Task("t", "t", view.lab.path, ("h",), (), (), ())
        return run_one(task, CheckSpec(cls.type_name, check, 0), ctx)

    yield run
    ctx.close()


def status(result) -> str:
    return result.status.value


# ---- the driver ---------------------------------------------------------------------------------

def test_started_instance_is_seeded_with_the_marker_outside_the_lab_database(mongo, access):
    from labctl.services import mongodb

    manager, view = mongo
    assert mongodb.MongoDriver().is_seeded(access)
    client = mongodb.connect(access)
    try:
        assert client["labctl"]["seeded"].find_one({"_id": "lab"}) is not None
        assert "labctl" not in client["lab"].list_collection_names()
    finally:
        client.close()
    url = view.env()["MONGODB_URL"]
    assert url.startswith("mongodb://learner:") and not url.startswith("mongodb://learner:learner@")


def test_the_learner_works_in_the_lab_database_only(mongo, access):
    """The learner's user (the URL's) owns the lab database's data and indexes; the rest is labctl's."""
    from pymongo import MongoClient, errors

    manager, view = mongo
    with MongoClient(view.env()["MONGODB_URL"], serverSelectionTimeoutMS=5000) as client:
        client["lab"]["mine"].insert_one({"x": 1})
        client["lab"]["mine"].create_index("x")
        client["lab"]["mine"].drop()
        for attempt in (lambda: client["labctl"]["seeded"].delete_many({}),
                        lambda: client["admin"].command("createUser", "me", pwd="x", roles=["root"]),
                        lambda: client["other"]["t"].insert_one({"x": 1})):
            with pytest.raises(errors.OperationFailure):
                attempt()


def test_seed_restore_and_solution_steps(mongo, access, db):
    from labctl.core.errors import LabctlError
    from labctl.services import mongodb

    manager, view = mongo
    driver = mongodb.MongoDriver()
    driver.seed(access, list(view.lab.seed))
    assert sorted(d["title"] for d in db["books"].find()) == ["Dune", "Solaris"]
    assert db["books"].index_information()["title_1"]["unique"] is True
    assert "validator" in db.command("listCollections", filter={"name": "members"})["cursor"]["firstBatch"][0]["options"]

    db["books"].insert_one({"title": "Mine"})
    db["scratch"].insert_one({"x": 1})
    manager.reset(view.instance)
    assert sorted(d["title"] for d in db["books"].find()) == ["Dune", "Solaris"]
    assert "scratch" not in db.list_collection_names()

    manager.apply_steps(view, view.lab.tasks[0].solution)
    emma = db["books"].find_one({"title": "Emma"})
    assert emma["year"] == 1815 and emma["added"].isoformat() == "2024-05-01T10:00:00"

    with pytest.raises(LabctlError) as info:
        driver.apply(access, view.lab.tasks[0].solution[0])  # Emma again: the unique index refuses it
    assert str(info.value).startswith("add-book.json, operation 1 (insert): MongoDB refused it: ")
    assert "duplicate key" in str(info.value)


# ---- mongo.collection_exists --------------------------------------------------------------------

def test_collection_exists_passes_and_fails_listing_others(db, run_check):
    result = run_check({"type": "mongo.collection_exists", "collection": "books"})
    assert status(result) == "failed"
    assert result.message == "database lab has no collection books (it has no collections yet)"
    db["book"].insert_one({"x": 1})
    result = run_check({"type": "mongo.collection_exists", "collection": "books"})
    assert result.message == "database lab has no collection books (collections found: book)"
    db["books"].insert_one({"x": 1})
    result = run_check({"type": "mongo.collection_exists", "collection": "books"})
    assert status(result) == "passed"
    assert result.message == "collection books exists in lab"


def test_collection_exists_without_collection_checks_the_database(db, run_check):
    result = run_check({"type": "mongo.collection_exists"})
    assert status(result) == "failed"
    assert result.message.startswith("database lab does not exist yet; MongoDB creates it when you first insert")
    db["anything"].insert_one({})
    assert status(run_check({"type": "mongo.collection_exists"})) == "passed"


# ---- mongo.count --------------------------------------------------------------------------------

def test_count_passes_and_fails_with_expected_and_found(db, run_check):
    db["books"].insert_many([{"year": 1965}, {"year": 1815}, {"year": 1961}])
    result = run_check({"type": "mongo.count", "collection": "books", "equals": 3})
    assert status(result) == "passed"
    assert result.message == "books has 3 documents"
    result = run_check({"type": "mongo.count", "collection": "books", "filter": {"year": {"$gt": 1900}}, "min": 3})
    assert status(result) == "failed"
    assert result.message == 'books matching {"year": {"$gt": 1900}} has 2 documents; expected at least 3'
    assert result.found == 2


def test_count_filter_with_extended_json(db, run_check):
    from bson import ObjectId

    db["books"].insert_one({"_id": ObjectId("64b000000000000000000001")})
    check = {"type": "mongo.count", "collection": "books", "filter": {"_id": {"$oid": "64b000000000000000000001"}}, "equals": 1}
    assert status(run_check(check)) == "passed"


def test_count_on_a_missing_collection(run_check):
    result = run_check({"type": "mongo.count", "collection": "books", "equals": 0})
    assert status(result) == "failed"
    assert result.message == "database lab has no collection books (it has no collections yet)"


# ---- mongo.document -----------------------------------------------------------------------------

def test_document_passes_on_dotted_paths(db, run_check):
    db["books"].insert_one({"title": "Dune", "author": {"name": "Herbert"}, "tags": ["sf", "classic"], "price": 9.0})
    result = run_check({"type": "mongo.document", "collection": "books", "filter": {"title": "Dune"},
                        "fields": {"author.name": "Herbert", "tags.1": "classic", "price": 9}})
    assert status(result) == "passed", result.message


def test_document_fails_naming_the_field_and_showing_the_document(db, run_check):
    db["books"].insert_one({"_id": 1, "title": "Dune", "year": 1966})
    result = run_check({"type": "mongo.document", "collection": "books", "filter": {"title": "Dune"}, "fields": {"year": 1965}})
    assert status(result) == "failed"
    assert result.message == ('in the document books matching {"title": "Dune"}, year is 1966; expected 1965 '
                              '(document found: {"_id": 1, "title": "Dune", "year": 1966})')
    result = run_check({"type": "mongo.document", "collection": "books", "filter": {"title": "Dune"}, "fields": {"isbn": "x"}})
    assert result.message.startswith('the document books matching {"title": "Dune"} has no field isbn; expected isbn: "x"')


def test_document_fails_when_nothing_matches(db, run_check):
    db["books"].insert_one({"title": "Emma"})
    result = run_check({"type": "mongo.document", "collection": "books", "filter": {"title": "Dune"}})
    assert status(result) == "failed"
    assert result.message == 'no document in books matching {"title": "Dune"} (the collection has 1 document)'


# ---- mongo.index --------------------------------------------------------------------------------

def test_index_passes_on_a_compound_unique_index(db, run_check):
    db["books"].create_index([("author", 1), ("year", -1)], unique=True)
    result = run_check({"type": "mongo.index", "collection": "books", "keys": [["author", 1], ["year", -1]], "unique": True})
    assert status(result) == "passed", result.message
    assert result.message == "books has index author_1_year_-1 on (author 1, year -1)"


def test_index_fails_listing_the_indexes_found(db, run_check):
    db["books"].create_index([("year", -1), ("author", 1)])
    result = run_check({"type": "mongo.index", "collection": "books", "keys": [["author", 1], ["year", -1]]})
    assert status(result) == "failed"
    assert result.message == ("books has no index on (author 1, year -1); "
                              "indexes found: _id_ (_id 1), year_-1_author_1 (year -1, author 1)")


def test_index_fails_when_not_unique(db, run_check):
    db["books"].create_index("isbn")
    result = run_check({"type": "mongo.index", "collection": "books", "keys": [["isbn", 1]], "unique": True})
    assert status(result) == "failed"
    assert result.message == "index isbn_1 on books is not unique; it should be (create it with {unique: true})"


def test_index_ttl(db, run_check):
    db["sessions"].create_index("createdAt", expireAfterSeconds=3600)
    ok = run_check({"type": "mongo.index", "collection": "sessions", "keys": [["createdAt", 1]], "expire_after_seconds": 3600})
    assert status(ok) == "passed", ok.message
    result = run_check({"type": "mongo.index", "collection": "sessions", "keys": [["createdAt", 1]], "expire_after_seconds": 60})
    assert result.message == "index createdAt_1 on sessions expires documents after 3600s; expected expireAfterSeconds 60"


def test_index_text(db, run_check):
    """MongoDB: a text index is found whatever the order of its fields. The MongoDB-compatible build has no
    text indexes: the check says it needs MongoDB rather than pass or fail (docs/mongodb-compatible.md)."""
    from pymongo.errors import OperationFailure

    from labctl.services.mongodb import compatible_build

    check = {"type": "mongo.index", "collection": "books", "keys": [["summary", "text"], ["title", "text"]]}
    if compatible_build(db.client):
        db["books"].insert_one({"title": "Dune"})
        with pytest.raises(OperationFailure, match="text indexes are not supported"):
            db["books"].create_index([("title", "text"), ("summary", "text")])
        result = run_check(check)
        assert status(result) == "error"
        assert result.message.startswith("this check needs MongoDB: the lab runs on SecantusDB ")
        return
    db["books"].create_index([("title", "text"), ("summary", "text")])
    text = run_check(check)
    assert status(text) == "passed", text.message


# ---- mongo.validator ----------------------------------------------------------------------------

SCHEMA = {"$jsonSchema": {"bsonType": "object", "required": ["email"],
                          "properties": {"email": {"bsonType": "string", "pattern": "@"}}}}


def test_validator_passes_when_it_refuses_the_bad_documents(db, run_check):
    db.create_collection("members", validator=SCHEMA)
    result = run_check({"type": "mongo.validator", "collection": "members",
                        "rejects": [{"name": "no email"}, {"email": "not-an-address"}]})
    assert status(result) == "passed", result.message
    assert result.message == "members has a validator; it refuses the 2 invalid documents"
    assert db["members"].count_documents({}) == 0


def test_validator_fails_when_missing(db, run_check):
    db["members"].insert_one({"email": "a@b"})
    result = run_check({"type": "mongo.validator", "collection": "members"})
    assert status(result) == "failed"
    assert result.message == "members has no validator; add one (createCollection or collMod with a validator)"
    assert status(run_check({"type": "mongo.validator", "collection": "members", "present": False})) == "passed"


def test_validator_fails_when_it_accepts_a_bad_document_and_leaves_no_trace(db, run_check):
    db.create_collection("members", validator={"$jsonSchema": {"bsonType": "object", "required": ["email"]}})
    result = run_check({"type": "mongo.validator", "collection": "members", "rejects": [{"email": 42}]})
    assert status(result) == "failed"
    assert result.message == 'the validator of members accepted {"email": 42}; it should refuse it'
    assert db["members"].count_documents({}) == 0


def test_validator_in_warn_mode_is_explained(db, run_check):
    db.create_collection("members", validator=SCHEMA, validationAction="warn")
    result = run_check({"type": "mongo.validator", "collection": "members", "rejects": [{"name": "x"}]})
    assert status(result) == "failed"
    assert result.message.endswith("(its validationAction is warn, so it only logs: set it to error)")
    assert db["members"].count_documents({}) == 0


# ---- mongo.aggregate ----------------------------------------------------------------------------

PIPELINE = [{"$group": {"_id": "$genre", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}]


def test_aggregate_passes_in_any_order_and_fails_on_values(db, run_check):
    db["books"].insert_many([{"genre": "sf"}, {"genre": "sf"}, {"genre": "poetry"}])
    result = run_check({"type": "mongo.aggregate", "collection": "books", "pipeline": PIPELINE,
                        "expected": [{"_id": "poetry", "n": 1}, {"_id": "sf", "n": 2}]})
    assert status(result) == "passed", result.message
    result = run_check({"type": "mongo.aggregate", "collection": "books", "pipeline": PIPELINE,
                        "expected": [{"_id": "sf", "n": 3}, {"_id": "poetry", "n": 1}]})
    assert status(result) == "failed"
    assert result.message == ('1 document that should not be there, e.g. {"_id": "sf", "n": 2}; '
                              '1 expected document missing, e.g. {"_id": "sf", "n": 3}')


def test_aggregate_ordered_fails_on_order(db, run_check):
    db["books"].insert_many([{"genre": "sf"}, {"genre": "sf"}, {"genre": "poetry"}])
    result = run_check({"type": "mongo.aggregate", "collection": "books", "pipeline": PIPELINE, "ordered": True,
                        "expected": [{"_id": "poetry", "n": 1}, {"_id": "sf", "n": 2}]})
    assert status(result) == "failed"
    assert result.message.startswith("the result has the right documents in the wrong order (first difference at document 1")


def test_aggregate_error_in_the_labs_pipeline_is_a_check_error(db, run_check):
    db["books"].insert_one({"genre": "sf"})
    result = run_check({"type": "mongo.aggregate", "collection": "books", "pipeline": [{"$nonsense": {}}], "expected": []})
    assert status(result) == "error"
    assert result.message.startswith("the check's aggregation failed: MongoDB said ")


# ---- mongo.validator: accepts -------------------------------------------------------------------

RATING = {"$jsonSchema": {"bsonType": "object", "required": ["rating"],
                          "properties": {"rating": {"bsonType": "number", "minimum": 1, "maximum": 5}}}}


def test_validator_accepts_the_boundary_values_and_leaves_no_trace(db, run_check):
    db.create_collection("reviews", validator=RATING)
    result = run_check({"type": "mongo.validator", "collection": "reviews",
                        "rejects": [{"rating": 0.0}, {"rating": 6.0}], "accepts": [{"rating": 1.0}, {"rating": 5.0}]})
    assert status(result) == "passed", result.message
    assert result.message == "reviews has a validator; it refuses the 2 invalid documents and accepts the 2 valid ones"
    assert db["reviews"].count_documents({}) == 0


def test_validator_fails_when_it_refuses_a_valid_document(db, run_check):
    db.create_collection("reviews", validator={"$jsonSchema": {"properties": {"rating": {"minimum": 2, "maximum": 5}}}})
    result = run_check({"type": "mongo.validator", "collection": "reviews",
                        "rejects": [{"rating": 6.0}], "accepts": [{"rating": 5.0}, {"rating": 1.0}]})
    assert status(result) == "failed"
    assert result.message == ('the validator of reviews refused {"rating": 1}; it should accept it '
                              '(is one of its rules stricter than asked?)')
    assert db["reviews"].count_documents({}) == 0


def test_validator_accepts_alone_and_needs_a_validator(db, run_check):
    import pydantic

    from labctl.check_engine import registry

    db["reviews"].insert_one({"rating": 3})
    result = run_check({"type": "mongo.validator", "collection": "reviews", "accepts": [{"rating": 1.0}]})
    assert status(result) == "failed"
    assert result.message.startswith("reviews has no validator")
    db["reviews"].drop()
    db.create_collection("reviews", validator=RATING)
    result = run_check({"type": "mongo.validator", "collection": "reviews", "accepts": [{"rating": 1.0}]})
    assert status(result) == "passed", result.message
    assert result.message == "reviews has a validator; it accepts the 1 valid document"
    with pytest.raises(pydantic.ValidationError, match="accepts needs present: true"):
        registry.get("mongo.validator").model_validate({"collection": "reviews", "present": False,
                                                        "accepts": [{"rating": 1.0}]})
