"""Live tests of the Redis service: its driver (run steps, seed, reset, persistence) and the redis.* checks."""
from __future__ import annotations

import socket

import pydantic
import pytest

from labctl.check_engine.context import CheckContext
from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.core.model import Step
from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def redis_lab(engine, tmp_path_factory):
    """(manager, instance name) of a running redis-only instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("redis-home"))
    name = new_instance_name("redis")
    manager.start("redis-only", name=name, workspace=tmp_path_factory.mktemp("redis-ws"), ephemeral=True)
    yield manager, name
    manager.destroy(name)


@pytest.fixture
def rctx(redis_lab):
    manager, name = redis_lab
    ctx = manager.context(manager.view(name))
    yield ctx
    ctx.close()


@pytest.fixture
def r(rctx):
    """The learner's client on db 0 of an emptied server (every database flushed before each test)."""
    from labctl.services.redis import connect

    client = connect(rctx.service("redis"), role="learner")
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def run_check(rctx, redis_lab, r):
    """Validate a check from its lab.yaml form and run it: run_check({"type": ..., ...}) -> CheckResult."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    manager, name = redis_lab
    lab_path = manager.view(name).lab.path

    def run(entry: dict, ctx: CheckContext | None = None):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", "redis")
        check = cls.model_validate(params)
        task = Task("t", "t", lab_path, ("h",), (), (), ())
        return run_one(task, CheckSpec(cls.type_name, check, 0), ctx or rctx)

    return run


def validate(entry: dict):
    from labctl.check_engine import registry

    params = dict(entry)
    return registry.get(params.pop("type")).model_validate(params)


def outcome(result) -> tuple[str, str]:
    return result.status.value, result.message


# ---- redis.key_exists ---------------------------------------------------------------------------

def test_key_exists_passes_and_fails_listing_keys(r, run_check):
    r.set("greeting", "hi")
    assert outcome(run_check({"type": "redis.key_exists", "key": "greeting"})) == ("passed", "key greeting exists")
    status, message = outcome(run_check({"type": "redis.key_exists", "key": "greting"}))
    assert status == "failed"
    assert message == "key greting does not exist (did you mean greeting?); expected it to exist"
    status, message = outcome(run_check({"type": "redis.key_exists", "key": "user:1"}))
    assert (status, message) == ("failed", "key user:1 does not exist (keys found: greeting); expected it to exist")
    r.mset({f"k{i}": i for i in range(7)})
    assert run_check({"type": "redis.key_exists", "key": "user:1"}).message == (
        "key user:1 does not exist (keys found: greeting, k0, k1, k2, k3, ...); expected it to exist")


def test_key_exists_absent(r, run_check):
    assert run_check({"type": "redis.key_exists", "key": "old", "absent": True}).status.value == "passed"
    r.rpush("old", "x")
    status, message = outcome(run_check({"type": "redis.key_exists", "key": "old", "absent": True}))
    assert status == "failed"
    assert message == "key old still exists (a list); it should be gone (deleted or expired)"


def test_key_exists_on_an_empty_database_and_another_db(r, run_check, rctx):
    status, message = outcome(run_check({"type": "redis.key_exists", "key": "k", "db": 2}))
    assert (status, message) == ("failed", "key k (db 2) does not exist (the database has no keys); expected it to exist")
    from labctl.services.redis import connect

    other = connect(rctx.service("redis"), role="learner", db=2)
    other.set("k", "v")
    other.close()
    assert run_check({"type": "redis.key_exists", "key": "k", "db": 2}).status.value == "passed"
    assert run_check({"type": "redis.key_exists", "key": "k"}).status.value == "failed"


# ---- redis.key_type -----------------------------------------------------------------------------

def test_key_type(r, run_check):
    r.zadd("leaderboard", {"alice": 10})
    assert outcome(run_check({"type": "redis.key_type", "key": "leaderboard", "kind": "zset"})) == (
        "passed", "key leaderboard is a zset")
    r.delete("leaderboard")
    r.rpush("leaderboard", "alice")
    result = run_check({"type": "redis.key_type", "key": "leaderboard", "kind": "zset"})
    assert outcome(result) == ("failed", "key leaderboard is a list; expected a zset")
    assert (result.expected, result.found, result.evidence) == ("zset", "list", "TYPE leaderboard")


def test_key_type_rejects_unknown_kinds():
    with pytest.raises(pydantic.ValidationError):
        validate({"type": "redis.key_type", "key": "k", "kind": "sortedset"})


# ---- redis.string_value -------------------------------------------------------------------------

def test_string_value_equals(r, run_check):
    r.set("greeting", "hello world")
    r.set("visits", "42")
    assert run_check({"type": "redis.string_value", "key": "greeting", "equals": "hello world"}).status.value == "passed"
    # YAML's 42 is the string "42" to Redis.
    assert run_check({"type": "redis.string_value", "key": "visits", "equals": 42}).status.value == "passed"
    assert outcome(run_check({"type": "redis.string_value", "key": "greeting", "equals": "hello"})) == (
        "failed", 'key greeting is "hello world"; expected "hello"')


def test_string_value_matches_and_wrong_type(r, run_check):
    r.set("token", "abc-123")
    assert run_check({"type": "redis.string_value", "key": "token", "matches": r"[a-z]+-\d+"}).status.value == "passed"
    assert outcome(run_check({"type": "redis.string_value", "key": "token", "matches": r"\d+"})) == (
        "failed", r'key token is "abc-123"; expected a value matching /\d+/')
    r.hset("h", "a", "1")
    assert outcome(run_check({"type": "redis.string_value", "key": "h", "equals": "1"})) == (
        "failed", "key h is a hash; expected a string")


def test_string_value_parameters_are_validated():
    for bad in ({}, {"equals": "a", "matches": "a"}, {"matches": "("}, {"equals": True}):
        with pytest.raises(pydantic.ValidationError):
            validate({"type": "redis.string_value", "key": "k", **bad})


# ---- redis.ttl ----------------------------------------------------------------------------------

def test_ttl(r, run_check):
    check = {"type": "redis.ttl", "key": "session:42", "min": 60, "max": 3600}
    r.set("session:42", "x", ex=1800)
    status, message = outcome(run_check(check))
    assert status == "passed" and message.startswith("session:42 expires in 1")
    r.persist("session:42")
    assert outcome(run_check(check)) == (
        "failed", "session:42 has no expiry; expected a TTL between 60 and 3600 s "
                  "(set one with EXPIRE session:42 SECONDS, or SET ... EX SECONDS)")
    r.expire("session:42", 30)
    assert outcome(run_check(check)) == ("failed", "session:42 expires in 30 s; expected a TTL between 60 and 3600 s")
    r.delete("session:42")
    assert run_check(check).message.startswith("key session:42 does not exist")


def test_ttl_needs_a_bound():
    with pytest.raises(pydantic.ValidationError):
        validate({"type": "redis.ttl", "key": "k"})
    with pytest.raises(pydantic.ValidationError):
        validate({"type": "redis.ttl", "key": "k", "min": 10, "max": 5})


# ---- redis.hash ---------------------------------------------------------------------------------

def test_hash(r, run_check):
    r.hset("user:1", mapping={"name": "Ada", "born": "1815", "city": "London"})
    check = {"type": "redis.hash", "key": "user:1", "fields": {"name": "Ada", "born": 1815, "city": "London"}}
    assert outcome(run_check(check)) == ("passed", "hash user:1 has the expected fields")
    wrong = {"type": "redis.hash", "key": "user:1", "fields": {"name": "Ada Lovelace", "email": "ada@example.org"},
             "exact": False}
    result = run_check(wrong)
    assert outcome(result) == (
        "failed", 'hash user:1: field name is "Ada", expected "Ada Lovelace"; no field email (expected "ada@example.org")')
    assert result.found == {"name": "Ada", "born": "1815", "city": "London"}


def test_hash_is_exact_unless_told(r, run_check):
    """A copy that kept some fields and lost one (a migration that dropped country) used to pass."""
    r.hset("user:1", mapping={"name": "Ada", "born": "1815"})
    some = {"type": "redis.hash", "key": "user:1", "fields": {"name": "Ada"}}
    assert outcome(run_check(some)) == ("failed", "hash user:1: fields that are not asked for: born")
    assert run_check({**some, "exact": False}).status.value == "passed"
    whole = {"type": "redis.hash", "key": "user:1", "fields": {"name": "Ada", "born": 1815, "country": "GB"}}
    assert outcome(run_check(whole)) == ("failed", 'hash user:1: no field country (expected "GB")')


# ---- restore: true (data the lab started with) --------------------------------------------------

def test_restore_gives_the_commands_that_put_seeded_data_back(r, run_check):
    tags = {"type": "redis.set", "key": "p:1:tags", "equals": ["summer", "on sale"], "restore": True}
    r.sadd("p:1:tags", "summer", "on sale")
    assert outcome(run_check(tags)) == ("passed", 'set p:1:tags is ["on sale", "summer"]')
    r.delete("p:1:tags")  # what SINTERSTORE with the destination last does when the result is empty
    status, message = outcome(run_check(tags))
    assert status == "failed"
    assert message.startswith("key p:1:tags does not exist")
    assert message.endswith('. This is data the lab started with: if it is lost, put it back with '
                            '`SADD p:1:tags "on sale" summer` (no labctl reset needed)')
    r.sadd("p:1:tags", "winter")  # wrong content: deleted first, then made again
    assert run_check(tags).message.endswith(
        'put it back with `DEL p:1:tags`, then `SADD p:1:tags "on sale" summer` (no labctl reset needed)')
    assert "put it back" not in run_check({**tags, "restore": False}).message


def test_restore_for_strings_hashes_lists_and_sorted_sets(r, run_check):
    r.set("promo", "86400")
    assert run_check({"type": "redis.string_value", "key": "promo", "equals": "SPRING10", "restore": True}).message == (
        'key promo is "86400"; expected "SPRING10". This is data the lab started with: if it is lost, '
        "put it back with `SET promo SPRING10` (no labctl reset needed)")
    r.hset("user:1", mapping={"name": "Ada Lovelace"})
    assert run_check({"type": "redis.hash", "key": "user:1", "fields": {"name": "Ada Lovelace", "country": "GB"},
                      "restore": True}).message.endswith(
        'put it back with `DEL user:1`, then `HSET user:1 name "Ada Lovelace" country GB` (no labctl reset needed)')
    assert run_check({"type": "redis.list", "key": "jobs", "equals": ["a", "b c"], "restore": True}).message.endswith(
        'put it back with `RPUSH jobs a "b c"` (no labctl reset needed)')
    assert run_check({"type": "redis.sorted_set", "key": "board", "members": [["ada", 80], ["bob", 120.5]],
                      "restore": True}).message.endswith("put it back with `ZADD board 80 ada 120.5 bob` (no labctl reset needed)")


def test_restore_needs_a_whole_value():
    for bad in ({"type": "redis.set", "key": "k", "contains": ["a"]},
                {"type": "redis.hash", "key": "k", "fields": {"a": 1}, "exact": False},
                {"type": "redis.string_value", "key": "k", "matches": "a+"},
                {"type": "redis.sorted_set", "key": "k", "members": ["a"]}):
        with pytest.raises(pydantic.ValidationError, match="whole expected value"):
            validate({**bad, "restore": True})


# ---- redis.list ---------------------------------------------------------------------------------

def test_list_equals(r, run_check):
    r.rpush("queue", "a", "b", "c")
    assert outcome(run_check({"type": "redis.list", "key": "queue", "equals": ["a", "b", "c"]})) == (
        "passed", 'list queue is ["a", "b", "c"]')
    assert outcome(run_check({"type": "redis.list", "key": "queue", "equals": ["c", "b", "a"]})) == (
        "failed", 'list queue is ["a", "b", "c"]; expected ["c", "b", "a"] (item 0 is "a", expected "c")')
    assert outcome(run_check({"type": "redis.list", "key": "queue", "equals": ["a", "b"]})) == (
        "failed", 'list queue has 3 items ["a", "b", "c"]; expected 2 ["a", "b"]')


def test_list_contains(r, run_check):
    r.rpush("queue", "a", "b", "c")
    assert run_check({"type": "redis.list", "key": "queue", "contains": ["c", "a"]}).status.value == "passed"
    assert outcome(run_check({"type": "redis.list", "key": "queue", "contains": ["a", "x", "y"]})) == (
        "failed", 'list queue does not contain "x", "y" (it holds ["a", "b", "c"])')
    with pytest.raises(pydantic.ValidationError):
        validate({"type": "redis.list", "key": "queue"})


# ---- redis.set ----------------------------------------------------------------------------------

def test_set_equals(r, run_check):
    r.sadd("tags", "redis", "cache", "nosql")
    assert run_check({"type": "redis.set", "key": "tags", "equals": ["nosql", "redis", "cache"]}).status.value == "passed"
    result = run_check({"type": "redis.set", "key": "tags", "equals": ["redis", "cache", "db"]})
    assert outcome(result) == ("failed", 'set tags lacks "db" and has members not asked for: "nosql"')


def test_set_contains(r, run_check):
    r.sadd("tags", "redis", "cache")
    assert outcome(run_check({"type": "redis.set", "key": "tags", "contains": ["cache"]})) == (
        "passed", 'set tags contains ["cache"]')
    assert outcome(run_check({"type": "redis.set", "key": "tags", "contains": ["cache", "db"]})) == (
        "failed", 'set tags lacks "db"')
    r.delete("tags")
    r.rpush("tags", "redis")
    assert outcome(run_check({"type": "redis.set", "key": "tags", "contains": ["redis"]})) == (
        "failed", "key tags is a list; expected a set")


# ---- redis.sorted_set ---------------------------------------------------------------------------

def test_sorted_set_members_and_scores(r, run_check):
    r.zadd("leaderboard", {"alice": 10, "bob": 5, "carol": 7.5})
    check = {"type": "redis.sorted_set", "key": "leaderboard",
             "members": [["bob", 5], ["carol", 7.5], ["alice", 10]]}
    assert outcome(run_check(check)) == ("passed", "sorted set leaderboard holds the expected members")
    r.zadd("leaderboard", {"alice": 12, "dave": 1})
    r.zrem("leaderboard", "carol")
    result = run_check(check)
    assert outcome(result) == (
        "failed", "sorted set leaderboard: lacks carol; has members not asked for: dave; alice has score 12, expected 10")
    assert result.found == ["dave 1", "bob 5", "alice 12"]


def test_sorted_set_order_without_scores(r, run_check):
    r.zadd("ranking", {"alice": 3, "bob": 1, "carol": 2})
    ordered = {"type": "redis.sorted_set", "key": "ranking", "members": ["bob", "carol", "alice"]}
    assert run_check(ordered).status.value == "passed"
    wrong = {"type": "redis.sorted_set", "key": "ranking", "members": ["alice", "bob", "carol"]}
    assert outcome(run_check(wrong)) == (
        "failed", "sorted set ranking: ranks [bob, carol, alice] from lowest to highest score; "
                  "expected [alice, bob, carol]")
    assert run_check({**wrong, "ordered": False}).status.value == "passed"


def test_sorted_set_parameters_are_validated():
    with pytest.raises(pydantic.ValidationError, match="lowest score first"):
        validate({"type": "redis.sorted_set", "key": "k", "members": [["a", 10], ["b", 5]]})
    validate({"type": "redis.sorted_set", "key": "k", "members": [["a", 10], ["b", 5]], "ordered": False})
    with pytest.raises(pydantic.ValidationError, match="twice"):
        validate({"type": "redis.sorted_set", "key": "k", "members": ["a", "a"]})


# ---- redis.key_count ----------------------------------------------------------------------------

def test_key_count(r, run_check):
    r.mset({"user:1": "a", "user:2": "b", "user:3": "c", "other": "x"})
    assert outcome(run_check({"type": "redis.key_count", "pattern": "user:*", "equals": 3})) == (
        "passed", "3 keys match user:*")
    assert run_check({"type": "redis.key_count", "min": 4, "max": 4}).status.value == "passed"
    assert outcome(run_check({"type": "redis.key_count", "pattern": "user:*", "equals": 5})) == (
        "failed", "3 keys match user:*; expected 5 (found: user:1, user:2, user:3)")
    assert outcome(run_check({"type": "redis.key_count", "pattern": "session:*", "min": 1})) == (
        "failed", "0 keys match session:*; expected at least 1")


def test_key_count_scans_many_keys(r, run_check):
    r.mset({f"item:{i}": i for i in range(2500)})
    assert run_check({"type": "redis.key_count", "pattern": "item:*", "equals": 2500}).status.value == "passed"
    assert run_check({"type": "redis.key_count", "pattern": "item:*", "max": 2000}).message.startswith(
        "2500 keys match item:*; expected at most 2000 (found: item:0, item:1, item:10,")


# ---- redis.config -------------------------------------------------------------------------------

def test_config(r, run_check):
    assert outcome(run_check({"type": "redis.config", "parameter": "appendonly", "equals": "yes"})) == (
        "passed", "appendonly is yes")
    assert outcome(run_check({"type": "redis.config", "parameter": "maxmemory-policy", "equals": "allkeys-lru"})) == (
        "failed", 'maxmemory-policy is "noeviction"; expected "allkeys-lru" '
                  "(change it with CONFIG SET maxmemory-policy allkeys-lru)")
    r.config_set("maxmemory", "100mb")
    try:
        assert run_check({"type": "redis.config", "parameter": "maxmemory", "equals": "100mb"}).status.value == "passed"
        assert run_check({"type": "redis.config", "parameter": "maxmemory", "equals": "100m"}).status.value == "failed"
    finally:
        r.config_set("maxmemory", "0")


def test_config_unknown_parameter_is_the_labs_error(r, run_check):
    # Old names are aliases Redis still answers to.
    assert run_check({"type": "redis.config", "parameter": "hash-max-ziplist-entries", "equals": 512}).status.value == "passed"
    assert outcome(run_check({"type": "redis.config", "parameter": "no-such-thing", "equals": "1"})) == (
        "error", "Redis has no configuration parameter 'no-such-thing'; this is a bug in the lab")


# ---- errors -------------------------------------------------------------------------------------

def test_a_service_that_does_not_answer_is_an_error(run_check, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    access = ServiceAccess("redis", "redis", "127.0.0.1", {6379: port}, {}, 6379)
    ctx = CheckContext(tmp_path, {"redis": access}, None, timeout=2)
    result = run_check({"type": "redis.key_exists", "key": "k"}, ctx)
    ctx.close()
    assert result.status.value == "error"
    assert result.message.startswith(f"Redis at 127.0.0.1:{port} did not answer")


# ---- the driver ---------------------------------------------------------------------------------

def test_run_step_applies_a_file_of_commands(r, rctx, tmp_path):
    from labctl.services.redis import RedisDriver as Driver

    commands = tmp_path / "setup.redis"
    commands.write_text('# a comment\n\nSET greeting "hello world"\n  HSET user:1 name \'Ada L\' born 1815\n'
                        "RPUSH queue a b c\nEXPIRE greeting 600\n", encoding="utf-8")
    Driver().apply(rctx.service("redis"), Step("run", commands, "redis"))
    assert r.get("greeting") == "hello world"
    assert r.hgetall("user:1") == {"name": "Ada L", "born": "1815"}
    assert r.lrange("queue", 0, -1) == ["a", "b", "c"]
    assert 0 < r.ttl("greeting") <= 600


def test_run_step_errors_name_the_file_and_line(r, rctx, tmp_path):
    from labctl.services.redis import RedisDriver as Driver

    bad = tmp_path / "bad.redis"
    bad.write_text("SET a 1\nRPUSH a x\nSET b 2\n", encoding="utf-8")
    with pytest.raises(LabctlError, match=r"bad\.redis, line 2: Redis refused `RPUSH a x`: WRONGTYPE"):
        Driver().apply(rctx.service("redis"), Step("run", bad, "redis"))
    unclosed = tmp_path / "unclosed.redis"
    unclosed.write_text('SET a 1\n\nSET b "oops\n', encoding="utf-8")
    with pytest.raises(LabctlError, match=r"unclosed\.redis, line 3: cannot read the command"):
        Driver().apply(rctx.service("redis"), Step("run", unclosed, "redis"))
    with pytest.raises(LabctlError, match="use `run:`"):
        Driver().apply(rctx.service("redis"), Step("sql", bad, "redis"))


def test_reset_restores_the_seed_after_the_learner_flushed_everything(redis_lab, rctx, r):
    manager, name = redis_lab
    r.set("mine", "1")
    r.function_flush()
    r.flushall()
    manager.reset(name)
    assert sorted(r.keys("*")) == ["greeting", "user:1"]
    assert r.get("greeting") == "hello world"
    assert r.hgetall("user:1") == {"name": "Ada Lovelace", "born": "1815"}


@pytest.mark.parametrize("command", [
    ("ACL", "SETUSER", "labctl", "off"), ("CONFIG", "RESETSTAT"), ("CONFIG", "REWRITE"),
    ("SHUTDOWN", "NOSAVE"), ("DEBUG", "SLEEP", "0"), ("MODULE", "LIST"), ("REPLICAOF", "203.0.113.1", "6379"),
    ("CLIENT", "PAUSE", "100000"), ("CLIENT", "KILL", "TYPE", "normal"),
])
def test_the_learner_cannot_change_the_server_or_reach_outside_it(r, command):
    import redis

    # Refused by the learner's rights, or (DEBUG, MODULE) by Redis's own rule for everyone.
    with pytest.raises(redis.exceptions.ResponseError, match="no permissions|not allowed"):
        r.execute_command(*command)


def test_what_the_learner_may_do_to_their_own_data_still_works(r):
    import redis

    r.set("k", "v")
    assert r.config_get("appendonly") == {"appendonly": "yes"}
    with pytest.raises(redis.exceptions.ResponseError, match="protected config"):
        r.config_set("dir", "/tmp")  # Redis's own rule: no file written where it was not meant to be
    assert r.execute_command("ACL", "WHOAMI") == "default"
    r.function_load("#!lua name=mine\nredis.register_function('f', function() return 1 end)")
    assert r.fcall("f", 0) == 1
    r.function_flush()
    assert r.flushdb() and r.dbsize() == 0


def test_the_learners_url_has_the_instances_own_password(redis_lab, r):
    import redis

    manager, name = redis_lab
    url = manager.view(name).services[0].urls["REDIS_URL"]
    password = url.split("default:", 1)[1].split("@", 1)[0]
    assert len(password) >= 20 and password != "learner"
    with redis.Redis.from_url(url) as client:
        assert client.ping()
    with redis.Redis.from_url(url.replace(password, "learner")) as client, \
            pytest.raises(redis.exceptions.AuthenticationError):
        client.ping()


def test_solution_makes_the_task_pass(redis_lab, r):
    manager, name = redis_lab
    view = manager.view(name)
    assert manager.check(name)[1][0].status.value == "failed"
    manager.apply_steps(view, view.lab.tasks[0].solution)
    assert manager.check(name)[1][0].status.value == "passed"


def test_stop_start_keeps_data_even_after_function_flush(engine, tmp_path):
    """An earlier labctl took a missing marker function for "never seeded" and re-seeded: all keys gone."""
    from labctl.services.redis import connect

    manager = make_manager(tmp_path / "home")
    name = new_instance_name("redis-keep")
    try:
        assert manager.start("redis-only", name=name, workspace=tmp_path / "ws").seeded
        ctx = manager.context(manager.view(name))
        client = connect(ctx.service("redis"), role="learner")
        client.set("mine", "kept")
        client.delete("greeting")
        client.function_flush()
        client.close()
        manager.stop(name)
        again = manager.start("redis-only", name=name)
        assert not again.seeded, "a second start must not re-seed (it would wipe the learner's work)"
        client = connect(manager.context(again.view).service("redis"), role="learner")
        assert client.get("mine") == "kept"
        assert client.exists("greeting") == 0
        client.close()
    finally:
        manager.destroy(name)
