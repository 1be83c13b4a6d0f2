"""Where the MongoDB-compatible local build (compose/images/mongodb, SecantusDB) differs from MongoDB in
something a lab, a check or a learner's usual command relies on, and where it behaves the same.

Every test runs on whichever server labctl starts here: the official image wherever it is present or
pullable, else the local build. A difference is asserted both ways: MongoDB's behaviour on MongoDB, the
documented other behaviour on the compatible build, so docs/mongodb-compatible.md stays true (a test
fails the day either server changes). Nothing here is written for one server only.
"""
from __future__ import annotations

import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def mongo(engine, tmp_path_factory):
    manager = make_manager(tmp_path_factory.mktemp("compat-home"))
    name = new_instance_name("mcompat")
    manager.start("mongodb-only", name=name, workspace=tmp_path_factory.mktemp("compat-ws"), ephemeral=True)
    yield manager.context(manager.view(name)).service("mongodb")
    manager.destroy(name)


@pytest.fixture(scope="module")
def root(mongo):
    from labctl.services import mongodb

    client = mongodb.connect(mongo, timeout=10)
    yield client
    client.close()


@pytest.fixture(scope="module")
def compatible(root) -> str | None:
    """"SecantusDB <version>" on the compatible build, None on MongoDB."""
    from labctl.services.mongodb import compatible_build

    return compatible_build(root)


@pytest.fixture
def lab(root):
    """The lab database, emptied, as labctl's root user sees it."""
    root.drop_database("lab")
    return root["lab"]


@pytest.fixture(scope="module")
def learner(mongo):
    """The learner's own user: readWrite and dbAdmin on the lab database only."""
    from labctl.services import mongodb

    client = mongodb.connect(mongo, role="learner", timeout=10)
    yield client
    client.close()


def code_of(call) -> int | None:
    """The server's error code for call(), or None when it succeeded."""
    from pymongo.errors import OperationFailure

    try:
        call()
    except OperationFailure as exc:
        return exc.code
    return None


# ---- differences ----------------------------------------------------------------------------------

def test_text_indexes_and_text_search(lab, compatible):
    lab.books.insert_one({"title": "Dune", "summary": "desert planet"})
    made = code_of(lambda: lab.books.create_index([("title", "text"), ("summary", "text")]))
    search = code_of(lambda: list(lab.books.find({"$text": {"$search": "desert"}})))
    if compatible:
        assert (made, search) == (67, 2)  # CannotCreateIndex; "unknown top level operator: $text"
    else:
        assert (made, search) == (None, None)


def test_hashed_indexes(lab, compatible):
    made = code_of(lambda: lab.books.create_index([("isbn", "hashed")]))
    assert made == (67 if compatible else None)


def test_transactions_on_a_single_server(root, lab, compatible):
    """MongoDB runs transactions only on a replica set: the lab's standalone server refuses them. The compatible
    build runs them, so code that uses one works there and fails on MongoDB."""
    lab.accounts.insert_one({"_id": 1})

    def in_a_transaction():
        with root.start_session() as session:
            with session.start_transaction():
                lab.accounts.update_one({"_id": 1}, {"$set": {"x": 1}}, session=session)

    assert code_of(in_a_transaction) == (None if compatible else 20)  # IllegalOperation


def test_writing_into_a_view(lab, compatible):
    lab.products.insert_one({"price": 5})
    lab.create_collection("cheap", viewOn="products", pipeline=[{"$match": {"price": {"$lt": 20}}}])
    assert list(lab.cheap.find({}, {"_id": 0})) == [{"price": 5}]  # reading one is the same
    written = code_of(lambda: lab.cheap.insert_one({"price": 1}))
    assert written == (None if compatible else 166)  # CommandNotSupportedOnView


def test_the_learner_listing_databases(learner, compatible):
    """mongosh's `show dbs`: MongoDB lists the databases the user may use; the compatible build refuses."""
    listed = code_of(lambda: learner.admin.command("listDatabases", nameOnly=True, authorizedDatabases=True))
    if compatible:
        assert listed == 13  # Unauthorized
    else:
        assert listed is None


def test_scram_sha_1(mongo, compatible):
    from pymongo import MongoClient

    from labctl.services.mongodb import credentials

    user, password, _ = credentials(mongo, "learner")
    client = MongoClient(host=mongo.host, port=mongo.port, directConnection=True, username=user, password=password,
                         authSource="admin", authMechanism="SCRAM-SHA-1", serverSelectionTimeoutMS=5000)
    try:
        assert code_of(lambda: client.admin.command("ping")) == (18 if compatible else None)  # AuthenticationFailed
    finally:
        client.close()


def test_the_collstats_alias(lab, compatible):
    """collStats answers on both; its old lowercase alias, which older tools and tutorials send, only on MongoDB."""
    lab.products.insert_one({"price": 5})
    assert lab.command("collStats", "products")["count"] == 1
    assert code_of(lambda: lab.command("collstats", "products")) == (59 if compatible else None)  # CommandNotFound
    # The $collStats stage, which mongosh's db.collection.stats() uses, works on both.
    assert list(lab.products.aggregate([{"$collStats": {"count": {}}}]))[0]["count"] == 1


def test_where_with_javascript(lab, compatible):
    lab.products.insert_one({"price": 5})
    assert code_of(lambda: lab.products.count_documents({"$where": "this.price > 1"})) == (2 if compatible else None)


def test_the_version_it_reports(root, compatible):
    version = root.server_info()["version"]
    if compatible:
        assert compatible.startswith("SecantusDB ") and not version.startswith("7.0")
    else:
        assert version == "7.0.14"


def test_a_number_other_than_one_in_project(lab, compatible):
    """MongoDB's $project includes a field for any non-zero number; the compatible build stores the number."""
    lab.products.insert_one({"name": "Dune", "price": 9})
    saved = list(lab.products.aggregate([{"$project": {"_id": 0, "name": 2}}]))
    assert saved == ([{"name": 2}] if compatible else [{"name": "Dune"}])


def test_out_with_a_repeated_id(lab, compatible):
    """Two documents with one _id into $out: MongoDB refuses (E11000); the compatible build keeps one."""
    lab.products.insert_many([{"k": 1}, {"k": 2}])
    out = code_of(lambda: list(lab.products.aggregate([{"$project": {"_id": "same"}}, {"$out": "copy"}])))
    if compatible:
        assert out is None and lab.copy.count_documents({}) == 1
    else:
        assert out == 11000


def test_a_decimal_against_the_double_it_rounds_to(lab, compatible):
    """Decimal128("29.99") is not the double 29.99 on MongoDB (which is 29.989999...); the compatible build
    matches them."""
    from bson import Decimal128

    lab.products.insert_one({"price": 29.99})
    found = lab.products.count_documents({"price": Decimal128("29.99")})
    assert found == (1 if compatible else 0)


# ---- the same on both: what mongodb-101 and the mongo checks rely on ---------------------------------

def test_a_duplicate_on_a_unique_index_is_e11000(lab):
    from pymongo.errors import DuplicateKeyError

    lab.products.create_index("sku", unique=True)
    lab.products.insert_one({"sku": "KB-001"})
    with pytest.raises(DuplicateKeyError, match="E11000 duplicate key error"):
        lab.products.insert_one({"sku": "KB-001"})
    lab.other.insert_many([{"sku": "X"}, {"sku": "X"}])
    with pytest.raises(DuplicateKeyError):  # a unique index over data that repeats is refused
        lab.other.create_index("sku", unique=True)


def test_validation_failures_are_code_121_with_their_reason(lab):
    from pymongo.errors import WriteError

    lab.create_collection("reviews", validator={"$jsonSchema": {"required": ["rating"], "properties": {
        "rating": {"bsonType": "number", "minimum": 1, "maximum": 5}}}})
    with pytest.raises(WriteError) as refused:
        lab.reviews.insert_one({"rating": 9})
    assert refused.value.code == 121 and refused.value.details["errmsg"] == "Document failed validation"
    assert refused.value.details["errInfo"]["details"]["operatorName"] == "$jsonSchema"
    lab.reviews.insert_one({"rating": 5})
    lab.command("collMod", "reviews", validationAction="warn")
    lab.reviews.insert_one({"rating": 9})  # warn only logs
    options = next(lab.list_collections(filter={"name": "reviews"}))["options"]
    assert options["validationAction"] == "warn" and "$jsonSchema" in options["validator"]


def test_ttl_compound_and_partial_indexes_read_back_as_made(lab):
    lab.sessions.create_index("createdAt", expireAfterSeconds=3600)
    lab.products.create_index([("category", 1), ("price", -1)])
    lab.products.create_index("stock", partialFilterExpression={"stock": {"$gt": 0}}, name="in_stock")
    indexes = {ix["name"]: ix for ix in lab.products.list_indexes()}
    assert list(indexes["category_1_price_-1"]["key"].items()) == [("category", 1), ("price", -1)]
    assert indexes["in_stock"]["partialFilterExpression"] == {"stock": {"$gt": 0}}
    ttl = {ix["name"]: ix for ix in lab.sessions.list_indexes()}["createdAt_1"]
    assert ttl["expireAfterSeconds"] == 3600


def test_out_must_be_the_last_stage_and_replaces_its_collection(lab):
    lab.products.insert_many([{"c": "a", "s": 1}, {"c": "a", "s": 2}, {"c": "b", "s": 5}])
    lab.stats.insert_one({"old": True})
    assert code_of(lambda: list(lab.products.aggregate([{"$out": "stats"}, {"$match": {}}]))) == 40601
    list(lab.products.aggregate([{"$group": {"_id": "$c", "total": {"$sum": "$s"}}}, {"$out": "stats"}]))
    assert sorted((d["_id"], d["total"]) for d in lab.stats.find()) == [("a", 3), ("b", 5)]


def test_explain_shows_the_index_a_query_uses(lab):
    lab.products.insert_many([{"sku": f"S{i}", "price": i} for i in range(20)])
    lab.products.create_index("sku")

    def stages(plan):
        while plan:
            yield plan["stage"]
            plan = plan.get("inputStage")

    assert "IXSCAN" in stages(lab.products.find({"sku": "S3"}).explain()["queryPlanner"]["winningPlan"])
    assert "COLLSCAN" in stages(lab.products.find({"price": 3}).explain()["queryPlanner"]["winningPlan"])


def test_the_learner_reaches_only_the_lab_database(learner):
    assert code_of(lambda: learner.labctl.seeded.find_one()) == 13
    assert code_of(lambda: learner.admin.command("createUser", "x", pwd="y", roles=[])) == 13
    learner.lab.notes.insert_one({"mine": True})
    assert learner.lab.notes.count_documents({}) == 1
