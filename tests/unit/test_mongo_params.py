"""MongoDB without a server: catalog entry, operation files, extended JSON, check parameters, comparisons."""
from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pydantic
import pytest
from bson import Decimal128, ObjectId

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.core.access import ServiceAccess
from labctl.core.catalog import load_service
from labctl.services import driver_for, mongodb
from tests.conftest import TEST_LABS


@pytest.fixture(scope="module")
def mongo():
    from labctl.check_families.mongo import common

    return common


# ---- catalog and test lab --------------------------------------------------------------------------

def test_catalog_entry_is_pinned_with_a_compatible_local_build_said_as_such():
    spec = load_service("mongodb")
    assert spec.image == "mongo:7.0.14"
    assert spec.image_policy == "pull-or-build" and spec.build_context.name == "mongodb"
    assert "MongoDB-compatible server (SecantusDB), not MongoDB" in spec.local_build_note
    assert spec.kind == "mongodb" and spec.ports == (27017,)
    assert spec.volumes[0].target == "/data/db"
    # The learner's own user in the URL; the root user is labctl's.
    assert spec.urls["MONGODB_URL"] == ("mongodb://{LABCTL_LEARNER_USER}:{LABCTL_LEARNER_PASSWORD}"
                                        "@{host}:{port}/{MONGO_INITDB_DATABASE}?authSource=admin")
    assert set(spec.secrets) == {"MONGO_INITDB_ROOT_PASSWORD", "LABCTL_LEARNER_PASSWORD"}
    assert spec.shell[0] == "mongosh" and spec.shell[-1] == "{MONGO_INITDB_DATABASE}"
    assert type(driver_for("mongodb")).__name__ == "MongoDriver"


def test_test_lab_loads_and_its_checks_default_to_the_mongodb_service():
    from labctl.core.loader import LabLoader

    lab = LabLoader([TEST_LABS]).load("mongodb-only")
    assert [c.check.service for c in lab.tasks[0].checks] == ["mongodb", "mongodb"]
    assert lab.seed[0].action == "run" and lab.seed[0].service == "mongodb"
    ops = mongodb.parse_operations(lab.seed[0].source)
    assert ops[0]["documents"][0]["_id"] == ObjectId("64b000000000000000000001")
    assert ops[0]["documents"][1]["published"] == dt.datetime(1961, 6, 1)
    assert ops[1]["keys"] == [("title", 1)]


# ---- extended JSON and operation files ----------------------------------------------------------

def test_from_extended_converts_nested_values():
    value = mongodb.from_extended({"a": [{"$oid": "64b000000000000000000001"}],
                                   "when": {"$date": "2024-01-02T03:04:05Z"}, "n": {"$numberDecimal": "1.5"},
                                   "q": {"$gt": 5}, "day": dt.date(2024, 1, 2),
                                   "aware": dt.datetime(2024, 1, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))})
    assert value["a"] == [ObjectId("64b000000000000000000001")]
    assert value["when"] == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert value["n"] == Decimal128("1.5")
    assert value["q"] == {"$gt": 5}
    assert value["day"] == dt.datetime(2024, 1, 2)
    assert value["aware"] == dt.datetime(2024, 1, 2, 3)


def test_from_extended_rejects_a_bad_object_id():
    with pytest.raises(ValueError, match="bad extended JSON"):
        mongodb.from_extended({"_id": {"$oid": "nope"}})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name, text, words", [
    ("ops.yaml", "insert: books", "must hold a list of operations"),
    ("ops.yaml", "- {frobnicate: books}", "operation 1: needs exactly one of insert"),
    ("ops.yaml", "- {insert: books, drop: books, documents: []}", "needs exactly one of"),
    ("ops.yaml", "- {insert: books}", "insert needs documents"),
    ("ops.yaml", "- {insert: books, documents: [], extra: 1}", "unknown key 'extra' for insert"),
    ("ops.yaml", "- {insert: books, documents: [1, 2]}", "documents must be a list of mappings"),
    ("ops.yaml", "- {insert: '', documents: []}", "insert must name a collection"),
    ("ops.yaml", "- {createIndex: books, keys: [[title, 2]]}", "direction must be 1, -1, text"),
    ("ops.yaml", "- {command: nope}", "command must be a mapping"),
    ("ops.yaml", "- {updateOne: books, filter: {}}", "updateOne needs update"),
    ("ops.yaml", "- {insert: b, documents: [{_id: {$oid: zz}}]}", "operation 1: bad extended JSON"),
    ("ops.json", "[{\"insert\": ", "ops.json is not valid JSON"),
    ("ops.yaml", "- [unclosed", "ops.yaml is not valid YAML"),
])
def test_operation_files_are_validated(tmp_path, name, text, words):
    with pytest.raises(mongodb.OperationFileError) as info:
        mongodb.parse_operations(write(tmp_path, name, text))
    assert words in str(info.value)


def test_operation_file_with_every_action(tmp_path):
    ops = mongodb.parse_operations(write(tmp_path, "ops.json", """[
        {"insert": "books", "documents": [{"when": {"$date": "2024-01-01T00:00:00Z"}}]},
        {"createCollection": "members", "validator": {"$jsonSchema": {"required": ["email"]}}},
        {"createIndex": "books", "keys": {"title": 1, "year": -1}, "options": {"unique": true}},
        {"updateOne": "books", "filter": {}, "update": {"$set": {"x": 1}}, "upsert": true},
        {"updateMany": "books", "filter": {}, "update": {"$set": {"x": 2}}},
        {"deleteOne": "books", "filter": {"x": 2}},
        {"deleteMany": "books", "filter": {"x": 2}},
        {"drop": "old", "database": "other"},
        {"command": {"collMod": "members", "validationLevel": "strict"}}
    ]"""))
    assert [next(k for k in op if k in mongodb.OPERATIONS) for op in ops] == [
        "insert", "createCollection", "createIndex", "updateOne", "updateMany", "deleteOne", "deleteMany", "drop", "command"]
    assert ops[0]["documents"][0]["when"] == dt.datetime(2024, 1, 1)
    assert ops[2]["keys"] == [("title", 1), ("year", -1)]


def test_an_empty_operation_file_does_nothing(tmp_path):
    assert mongodb.parse_operations(write(tmp_path, "ops.yaml", "# nothing yet\n")) == []


def test_short_error_drops_the_topology_dump():
    from pymongo.errors import BulkWriteError, OperationFailure, ServerSelectionTimeoutError

    exc = ServerSelectionTimeoutError("127.0.0.1:1: [Errno 111] Connection refused, Timeout: 1.0s, Topology Description: ...")
    assert mongodb.short_error(exc) == "127.0.0.1:1: [Errno 111] Connection refused"
    assert mongodb.short_error(OperationFailure("x", 13, {"errmsg": "not authorized"})) == "not authorized"
    bulk = BulkWriteError({"writeErrors": [{"index": 0, "code": 11000, "errmsg": "E11000 duplicate key error"}]})
    assert mongodb.short_error(bulk) == "E11000 duplicate key error"


# ---- check parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("type_name, params, words", [
    ("mongo.count", {"collection": "books"}, "give equals, min or max"),
    ("mongo.count", {"collection": "books", "equals": 1, "min": 0}, "give equals, or min/max, not both"),
    ("mongo.count", {"collection": "books", "min": 5, "max": 2}, "min is greater than max"),
    ("mongo.count", {"collection": "books", "equals": -1}, "greater than or equal to 0"),
    ("mongo.count", {"collection": "books", "equals": 1, "filter": {"_id": {"$oid": "zz"}}}, "bad extended JSON"),
    ("mongo.count", {"collection": "$bad", "equals": 1}, "should match pattern"),
    ("mongo.count", {"collection": "books", "equals": 1, "database": "a.b"}, "should match pattern"),
    ("mongo.document", {"collection": "books", "fields": {"d": {"$date": "yesterday"}}}, "bad extended JSON"),
    ("mongo.index", {"collection": "books", "keys": []}, "non-empty list"),
    ("mongo.index", {"collection": "books", "keys": [["title", 2]]}, "direction must be"),
    ("mongo.index", {"collection": "books", "keys": [["title"]]}, "is not a [field, direction] pair"),
    ("mongo.index", {"collection": "books", "keys": [["t", True]]}, "direction must be"),
    ("mongo.validator", {"collection": "m", "present": False, "rejects": [{}]}, "rejects needs present: true"),
    ("mongo.aggregate", {"collection": "b", "pipeline": [], "expected": []}, "at least 1 item"),
    ("mongo.aggregate", {"collection": "b", "pipeline": [{"$match": {}, "$sort": {"a": 1}}], "expected": []},
     "stage 1 must be one {$stage: ...} mapping"),
    ("mongo.aggregate", {"collection": "b", "pipeline": [{"$out": "x"}], "expected": []}, "$out and $merge"),
    ("mongo.collection_exists", {"collection": "b", "extra": 1}, "Extra inputs are not permitted"),
])
def test_check_parameters_are_validated(type_name, params, words):
    cls = registry.get(type_name)
    with pytest.raises(pydantic.ValidationError) as info:
        cls.model_validate(params)
    assert words in str(info.value)


def test_valid_parameters_keep_the_lab_authors_values():
    check = registry.get("mongo.index").model_validate({"collection": "b", "keys": {"title": "text", "year": -1}})
    assert check.keys == [("title", "text"), ("year", -1)]
    check = registry.get("mongo.count").model_validate({"collection": "b", "min": 1, "filter": {"_id": {"$oid": "64b000000000000000000001"}}})
    assert check.filter == {"_id": {"$oid": "64b000000000000000000001"}}
    assert check.query() == {"_id": ObjectId("64b000000000000000000001")}
    assert check.describe() == 'b matching {"_id": {"$oid": "64b000000000000000000001"}} has at least 1 documents'


# ---- comparison and message helpers -------------------------------------------------------------

def test_same_compares_as_a_learner_reads(mongo):
    oid = ObjectId("64b000000000000000000001")
    assert mongo.same(3, 3.0) and mongo.same(Decimal128("2.50"), 2.5)
    assert mongo.same(oid, "64b000000000000000000001")
    assert mongo.same(dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert mongo.same({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1})
    assert not mongo.same(True, 1)
    assert not mongo.same([1, 2], [2, 1])
    assert not mongo.same("1", 1)


def test_lookup_follows_dotted_paths_and_list_indexes(mongo):
    doc = {"a": {"b": [{"c": 1}, {"c": None}]}}
    assert mongo.lookup(doc, "a.b.0.c") == (True, 1)
    assert mongo.lookup(doc, "a.b.1.c") == (True, None)
    assert mongo.lookup(doc, "a.b.2.c") == (False, None)
    assert mongo.lookup(doc, "a.x") == (False, None)


def test_first_difference_names_the_first_differing_field(mongo):
    doc = {"title": "Dune", "author": {"name": "Herbert"}, "year": 1965}
    assert mongo.first_difference(doc, {"title": "Dune", "author.name": "Herbert"}) is None
    assert mongo.first_difference(doc, {"title": "Dune", "year": 1966, "author.name": "X"}) == ("year", True, 1965)
    assert mongo.first_difference(doc, {"isbn": "1"}) == ("isbn", False, None)


def test_compare_documents(mongo):
    found = [{"_id": "fiction", "n": 2}, {"_id": "poetry", "n": 1.0}]
    assert mongo.compare_documents(found, [{"_id": "poetry", "n": 1}, {"_id": "fiction", "n": 2}], ordered=False) is None
    assert mongo.compare_documents(found, [{"_id": "poetry", "n": 1}, {"_id": "fiction", "n": 2}], ordered=True) == (
        'the result has the right documents in the wrong order (first difference at document 1: '
        'found {"_id": "fiction", "n": 2}, expected {"_id": "poetry", "n": 1}); check your $sort')
    assert mongo.compare_documents(found, [{"_id": "fiction", "n": 3}], ordered=False) == (
        'the result has 2 documents; expected 1; 2 documents that should not be there, e.g. {"_id": "fiction", "n": 2}; '
        '1 expected document missing, e.g. {"_id": "fiction", "n": 3}')


def test_compare_documents_ignores_id_unless_expected(mongo):
    found = [{"_id": ObjectId(), "title": "Dune"}]
    assert mongo.compare_documents(found, [{"title": "Dune"}], ordered=True) is None
    assert mongo.compare_documents(found, [{"_id": "x", "title": "Dune"}], ordered=True) is not None


def test_show_is_compact_json_and_cut(mongo):
    assert mongo.show({"_id": ObjectId("64b000000000000000000001"), "at": dt.datetime(2024, 1, 1)}) == (
        '{"_id": "64b000000000000000000001", "at": "2024-01-01T00:00:00"}')
    assert mongo.show({"t": "x" * 500}, limit=20) == '{"t": "xxxxxxxxxx...'


def test_index_signature_reads_text_indexes(mongo):
    from labctl.check_families.mongo import schema as mongo

    text = {"name": "t", "key": {"_fts": "text", "_ftsx": 1, "year": 1.0}, "weights": {"title": 1, "body": 1}}
    assert mongo.index_signature(text) == [("body", "text"), ("title", "text"), ("year", 1)]
    assert mongo._text_sorted([("title", "text"), ("body", "text"), ("year", 1)]) == [
        ("body", "text"), ("title", "text"), ("year", 1)]
    assert mongo.show_keys([("a", 1), ("b", -1)]) == "(a 1, b -1)"


# ---- a server that does not answer --------------------------------------------------------------

def test_no_answer_is_a_service_error_not_a_failure(tmp_path):
    from labctl.check_engine.runner import run_check
    from labctl.core.model import CheckSpec, Task

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    access = ServiceAccess("mongodb", "mongodb", "127.0.0.1", {27017: port},
                           {"MONGO_INITDB_ROOT_USERNAME": "u", "MONGO_INITDB_ROOT_PASSWORD": "p",
                            "MONGO_INITDB_DATABASE": "lab"}, 27017)
    ctx = CheckContext(lab_path=tmp_path, services={"mongodb": access}, workspace=None, timeout=1)
    check = registry.get("mongo.count").model_validate({"service": "mongodb", "collection": "b", "equals": 1})
    try:
        result = run_check(Task("t", "t", tmp_path, ("h",), (), (), ()), CheckSpec("mongo.count", check, 0), ctx)
    finally:
        ctx.close()
    assert result.status.value == "error"
    assert result.message.startswith(f"MongoDB did not answer: 127.0.0.1:{port}: [Errno 111] Connection refused")
    assert "labctl status" in result.message


def test_driver_probe_raises_while_nothing_answers():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    access = ServiceAccess("mongodb", "mongodb", "127.0.0.1", {27017: port}, {}, 27017)
    with pytest.raises(Exception):
        mongodb.MongoDriver().probe(access)


# ---- mongo.validator's insert-and-remove logic, on a fake collection ----------------------------
# (a real server is needed for the rest; tests/live/test_mongo_checks.py covers it where an image exists)

class FakeMembers:
    """A collection whose validator requires an email; with warn, it only logs (accepts everything)."""

    def __init__(self, action: str):
        self.action, self.docs = action, {}

    def insert_one(self, doc):
        from types import SimpleNamespace

        from pymongo.errors import WriteError

        if "email" not in doc and self.action == "error":
            raise WriteError("Document failed validation", 121, {})
        if doc.get("_id") in self.docs:
            raise WriteError("E11000 duplicate key error", 11000, {"errmsg": "E11000 duplicate key error"})
        doc.setdefault("_id", ObjectId())
        self.docs[doc["_id"]] = doc
        return SimpleNamespace(inserted_id=doc["_id"])

    def delete_one(self, query):
        self.docs.pop(query["_id"], None)


class FakeDb:
    name = "lab"

    def __init__(self, validator, action="error"):
        self.options = {"validator": validator, "validationAction": action} if validator else {}
        self.members = FakeMembers(action)

    def list_collection_names(self):
        return ["members"]

    def list_collections(self, filter):
        return iter([{"name": "members", "options": self.options}])

    def __getitem__(self, name):
        return self.members


def run_validator(tmp_path, db: FakeDb, **params):
    from labctl.check_engine.runner import run_check
    from labctl.core.model import CheckSpec, Task

    access = ServiceAccess("mongodb", "mongodb", "127.0.0.1", {27017: 1}, {"MONGO_INITDB_DATABASE": "lab"}, 27017)
    ctx = CheckContext(lab_path=tmp_path, services={"mongodb": access}, workspace=None, timeout=5)
    ctx._connections["mongodb"] = mongodb.CachedClient(type("FakeClient", (), {"__getitem__": lambda self, n: db,
                                                                                "close": lambda self: None})())
    check = registry.get("mongo.validator").model_validate({"service": "mongodb", "collection": "members", **params})
    return run_check(Task("t", "t", tmp_path, ("h",), (), (), ()), CheckSpec("mongo.validator", check, 0), ctx)


REQUIRED_EMAIL = {"$jsonSchema": {"required": ["email"]}}


def test_validator_passes_when_every_bad_document_is_refused(tmp_path):
    db = FakeDb(REQUIRED_EMAIL)
    result = run_validator(tmp_path, db, rejects=[{"name": "a"}, {"name": "b"}])
    assert result.status.value == "passed", result.message
    assert result.message == "members has a validator; it refuses the 2 invalid documents"


def test_validator_fails_when_a_bad_document_is_accepted_and_removes_it(tmp_path):
    db = FakeDb(REQUIRED_EMAIL)
    result = run_validator(tmp_path, db, rejects=[{"name": "a"}, {"email": 42}])
    assert result.status.value == "failed"
    assert result.message == 'the validator of members accepted {"email": 42}; it should refuse it'
    assert db.members.docs == {}


def test_validator_in_warn_mode_says_so(tmp_path):
    db = FakeDb(REQUIRED_EMAIL, action="warn")
    result = run_validator(tmp_path, db, rejects=[{"name": "a"}])
    assert result.message.endswith("(its validationAction is warn, so it only logs: set it to error)")
    assert db.members.docs == {}


def test_validator_missing_or_unwanted(tmp_path):
    result = run_validator(tmp_path, FakeDb(None))
    assert result.status.value == "failed"
    assert result.message == "members has no validator; add one (createCollection or collMod with a validator)"
    assert run_validator(tmp_path, FakeDb(None), present=False).status.value == "passed"
    result = run_validator(tmp_path, FakeDb(REQUIRED_EMAIL), present=False)
    assert result.message == "members has a validator; it should have none"


def test_validator_other_write_errors_are_the_checks_error(tmp_path):
    db = FakeDb(REQUIRED_EMAIL)
    db.members.docs[1] = {"_id": 1, "email": "x"}
    result = run_validator(tmp_path, db, rejects=[{"_id": 1, "email": "y"}])
    assert result.status.value == "error"
    assert result.message == ("trying a document the validator should refuse failed: "
                              "MongoDB said E11000 duplicate key error")


def test_credentials_per_role_and_for_an_instance_made_before_roles():
    from labctl.services.mongodb import credentials

    env = {"MONGO_INITDB_ROOT_USERNAME": "labctl", "MONGO_INITDB_ROOT_PASSWORD": "root-pw",
           "MONGO_INITDB_DATABASE": "lab", "LABCTL_LEARNER_USER": "learner", "LABCTL_LEARNER_PASSWORD": "mine"}
    access = ServiceAccess("mongodb", "mongodb", "127.0.0.1", {27017: 1}, env, 27017)
    assert credentials(access) == ("labctl", "root-pw", "lab")
    assert credentials(access, "learner") == ("learner", "mine", "lab")
    legacy = ServiceAccess("mongodb", "mongodb", "127.0.0.1", {27017: 1},
                           {**env, "MONGO_INITDB_ROOT_USERNAME": "learner", "LABCTL_LEGACY": "1"}, 27017)
    assert credentials(legacy, "learner") == credentials(legacy) == ("learner", "root-pw", "lab")
