"""Live tests of the mysql.* checks, the MariaDB driver and the mariadb-only test lab, on a real container."""
from __future__ import annotations

import time

import docker
import pymysql
import pytest
import yaml

from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live

LAB = TEST_LABS / "mariadb-only"


@pytest.fixture(scope="session")
def mdb(engine, tmp_path_factory):
    """(manager, instance name) of a running mariadb-only instance for the whole session."""
    manager = make_manager(tmp_path_factory.mktemp("mdb-home"))
    name = new_instance_name("mdb")
    manager.start("mariadb-only", name=name, workspace=tmp_path_factory.mktemp("mdb-workspace"), ephemeral=True)
    yield manager, name
    manager.destroy(name)


@pytest.fixture
def driver():
    from labctl.services import driver_for

    return driver_for("mariadb")


@pytest.fixture
def mdb_ctx(mdb, driver):
    """A CheckContext on an empty lab database (re-created, without its seed, before each test)."""
    manager, name = mdb
    ctx = manager.context(manager.view(name))
    driver.restore(ctx.service("mariadb"), [])
    yield ctx
    ctx.close()


@pytest.fixture
def access(mdb_ctx):
    return mdb_ctx.service("mariadb")


@pytest.fixture
def sql(access):
    """Run setup SQL (several statements) as the learner on the clean lab database."""
    from labctl.services import mariadb

    def run(text: str) -> None:
        conn = mariadb.connect(access, multi_statements=True)
        try:
            mariadb.execute_text(conn, text)
        finally:
            conn.close()

    return run


@pytest.fixture
def scalar(access):
    """The first value of a query run as the learner."""
    from labctl.services import mariadb

    def run(query: str):
        conn = mariadb.connect(access)
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                return cur.fetchone()[0]
        finally:
            conn.close()

    return run


@pytest.fixture
def run_check(mdb_ctx, mdb):
    """Validate a check from its lab.yaml form and run it: run_check({"type": ..., ...}) -> CheckResult."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    def run(entry: dict, *, workspace=None):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", "mariadb")
        check = cls.model_validate(params)
        if workspace is not None:
            mdb_ctx.workspace = workspace
        return run_one(Task("t", "t", LAB, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), mdb_ctx)

    return run


def status(result) -> str:
    return result.status.value


# ---- mysql.table_exists -------------------------------------------------------------------------

def test_table_exists_passes(sql, run_check):
    sql("CREATE TABLE widgets (id int)")
    result = run_check({"type": "mysql.table_exists", "table": "widgets"})
    assert status(result) == "passed"
    assert result.message == "table widgets exists"


def test_table_exists_fails_on_an_empty_database(run_check):
    result = run_check({"type": "mysql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert result.message == "table widgets does not exist (there are no tables yet)"


def test_table_exists_fails_listing_the_tables_there_and_minds_case(sql, run_check):
    sql("CREATE TABLE gadgets (id int); CREATE TABLE Widgets (id int)")
    result = run_check({"type": "mysql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert result.message == "table widgets does not exist (tables found: Widgets, gadgets)"


def test_table_exists_tells_a_view_from_a_table(sql, run_check):
    sql("CREATE TABLE t (id int); CREATE VIEW widgets AS SELECT id FROM t")
    result = run_check({"type": "mysql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert result.message == "widgets is a view; expected a table"
    assert status(run_check({"type": "mysql.table_exists", "table": "widgets", "kind": "view"})) == "passed"


def test_table_exists_in_a_named_database_the_learner_cannot_see(run_check):
    result = run_check({"type": "mysql.table_exists", "schema": "labctl", "table": "seeded"})
    assert status(result) == "failed"  # labctl's marker exists, but not for the learner's account
    assert result.message == "table labctl.seeded does not exist (there are no tables yet)"


# ---- mysql.columns ------------------------------------------------------------------------------

def _columns(*columns, table="users", **extra):
    return {"type": "mysql.columns", "table": table, "columns": list(columns), **extra}


def test_columns_pass_with_type_spellings_nullability_default_and_auto_increment(sql, run_check):
    sql("CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, "
        "price DECIMAL(10, 2), active BOOLEAN DEFAULT TRUE, created_at DATETIME DEFAULT CURRENT_TIMESTAMP)")
    result = run_check(_columns(
        {"name": "id", "type": "integer", "nullable": False, "auto_increment": True},
        {"name": "email", "type": "character varying(100)", "nullable": False},
        {"name": "price", "type": "numeric(10,2)", "nullable": True},
        {"name": "active", "type": "boolean", "default": "1"},
        {"name": "created_at", "type": ["datetime", "timestamp"], "default": "current_timestamp"},
    ))
    assert status(result) == "passed", result.message
    assert result.message == "users has the expected columns"


def test_columns_fail_on_a_missing_column_listing_the_others(sql, run_check):
    sql("CREATE TABLE users (id int, name text)")
    result = run_check(_columns({"name": "email"}))
    assert status(result) == "failed"
    assert result.message == "users has no column email (columns found: id, name)"


def test_columns_fail_on_a_wrong_type(sql, run_check):
    sql("CREATE TABLE users (email text, n int)")
    result = run_check(_columns({"name": "email", "type": "varchar(100)"}))
    assert status(result) == "failed"
    assert result.message == "column users.email has type text; expected varchar(100)"
    result = run_check(_columns({"name": "n", "type": "bigint"}))
    assert result.message == "column users.n has type int(11); expected bigint"


def test_columns_fail_on_nullability_both_ways(sql, run_check):
    sql("CREATE TABLE users (email text, name text NOT NULL)")
    result = run_check(_columns({"name": "email", "nullable": False}))
    assert (status(result), result.message) == ("failed", "column users.email accepts NULL; it should be NOT NULL")
    result = run_check(_columns({"name": "name", "nullable": True}))
    assert (status(result), result.message) == ("failed", "column users.name is NOT NULL; it should accept NULL")


def test_columns_fail_on_a_missing_or_other_default(sql, run_check):
    sql("CREATE TABLE users (created_at datetime, status varchar(10) DEFAULT 'new')")
    result = run_check(_columns({"name": "created_at", "default": "current_timestamp"}))
    assert status(result) == "failed"
    assert result.message == "column users.created_at has default (none); expected one with current_timestamp"
    result = run_check(_columns({"name": "status", "default": "active"}))
    assert result.message == "column users.status has default 'new'; expected one with active"


def test_columns_auto_increment_both_ways(sql, run_check):
    sql("CREATE TABLE users (id int PRIMARY KEY, n int AUTO_INCREMENT UNIQUE)")
    result = run_check(_columns({"name": "id", "auto_increment": True}))
    assert status(result) == "failed"
    assert result.message == "column users.id does not generate its values; use AUTO_INCREMENT"
    result = run_check(_columns({"name": "n", "auto_increment": False}))
    assert result.message == "column users.n should not generate its own values"


def test_columns_exact_fails_on_an_extra_column(sql, run_check):
    sql("CREATE TABLE users (id int, email text, nickname text)")
    result = run_check(_columns({"name": "id"}, {"name": "email"}, exact=True))
    assert status(result) == "failed"
    assert result.message == "users has columns that are not asked for: nickname"
    assert status(run_check(_columns({"name": "id"}, {"name": "email"}))) == "passed"


# ---- mysql.row_count ----------------------------------------------------------------------------

@pytest.fixture
def three_rows(sql):
    sql("CREATE TABLE t (id int, country char(2)); INSERT INTO t VALUES (1, 'FR'), (2, 'FR'), (3, 'DE')")


def _count(**extra):
    return {"type": "mysql.row_count", "table": "t", **extra}


def test_row_count_passes(three_rows, run_check):
    result = run_check(_count(equals=3))
    assert (status(result), result.message) == ("passed", "t has 3 rows")
    result = run_check(_count(where="country = 'FR'", min=2))
    assert (status(result), result.message) == ("passed", "t has 2 rows where country = 'FR'")


def test_row_count_fails_with_the_lab_message(three_rows, run_check):
    result = run_check(_count(equals=5, message="insert the five sample rows"))
    assert status(result) == "failed"
    assert result.message == "insert the five sample rows: t has 3 rows; expected 5"
    assert run_check(_count(where="country LIKE 'D%'", equals=2)).message == "t has 1 rows where country LIKE 'D%'; expected 2"


def test_row_count_broken_where_is_an_error(three_rows, run_check):
    result = run_check(_count(where="country = = 'FR'", equals=1))
    assert status(result) == "error"
    assert result.message.startswith("the check's query failed: You have an error in your SQL syntax")


def test_row_count_slow_query_says_it_took_too_long(three_rows, run_check, mdb_ctx):
    mdb_ctx.close()
    mdb_ctx.timeout = 1  # max_statement_time 1s on the next connection
    result = run_check(_count(where="SLEEP(0.6) = 0", equals=3))
    assert status(result) == "error"
    assert result.message == ("the check's query took too long: "
                              "Query execution was interrupted (max_statement_time exceeded)")


# ---- mysql.rows_equal ---------------------------------------------------------------------------

@pytest.fixture
def abc(sql):
    sql("CREATE TABLE t (id int, name varchar(20)); INSERT INTO t VALUES (2, 'b'), (1, 'a'), (3, 'c')")


def _rows(expected, columns=("id", "name"), table="t", **extra):
    return {"type": "mysql.rows_equal", "table": table, "columns": list(columns), "expected": expected, **extra}


def test_rows_equal_passes_in_any_order_or_ordered(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"]]))
    assert (status(result), result.message) == ("passed", "t holds the expected 3 rows")
    assert status(run_check(_rows([[1, "a"], [2, "b"], [3, "c"]], ordered=True, order_by="id"))) == "passed"


def test_rows_equal_fails_on_a_missing_row_and_on_order(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"], [4, "d"]]))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected 4; 1 expected row missing, e.g. (4, 'd')"
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"]], ordered=True, order_by="`id` DESC"))
    assert result.message == "t has the right rows in the wrong order (first difference at row 1); check your ORDER BY"


def test_rows_equal_fails_on_a_missing_column(abc, run_check):
    result = run_check(_rows([[1, 9.5]], columns=["id", "price"]))
    assert (status(result), result.message) == ("failed", "t has no column price")


def test_rows_equal_decimals_dates_and_accents_match_plain_yaml_values(sql, run_check):
    sql("CREATE TABLE orders (id bigint, amount decimal(10,2), placed date, at datetime, ok boolean, note text);"
        "INSERT INTO orders VALUES (1, 12.50, '2024-01-05', '2024-01-05 10:30:00', true, 'café')")
    expected = yaml.safe_load("- [1, 12.5, 2024-01-05, 2024-01-05 10:30:00, 1, café]")
    result = run_check(_rows(expected, columns=["id", "amount", "placed", "at", "ok", "note"], table="orders"))
    assert status(result) == "passed", result.message
    result = run_check(_rows([[1, 12.51]], columns=["id", "amount"], table="orders"))
    assert status(result) == "failed" and "e.g. (1, 12.5)" in result.message


# ---- mysql.query_file ---------------------------------------------------------------------------

@pytest.fixture
def people(sql):
    sql("CREATE TABLE people (id int, name varchar(20), age int);"
        "INSERT INTO people VALUES (1, 'ada', 36), (2, 'bob', 17), (3, 'cy', 52), (4, 'dee', 12)")


ADULTS = "SELECT id, name FROM people WHERE age >= 18 ORDER BY name"


def _query_file(workspace, text, *, reference=ADULTS, ordered=False, name="answer.sql"):
    if text is not None:
        (workspace / name).write_text(text, encoding="utf-8")
    return {"type": "mysql.query_file", "file": name, "reference": reference, "ordered": ordered}


def test_query_file_passes_with_mysql_comments_and_backticks(people, run_check, tmp_path):
    text = "# adults\n-- only them\nSELECT `id`, /* the */ name\nFROM `people`\nWHERE age > 17;\n"
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "passed", result.message
    assert result.message == "your query in answer.sql returns the expected 2 rows"


@pytest.mark.parametrize("text, reference", [
    ("SELECT 1--1", "SELECT 2"),  # `--` without a space is minus minus, not a comment
    ("SELECT 'a;b', `x;y`.id FROM people AS `x;y` WHERE id = 1", "SELECT 'a;b', 1"),
    ("SELECT 'it\\'s;' AS s", "SELECT 'it''s;'"),
])
def test_query_file_semicolons_inside_quotes_are_one_statement(people, run_check, tmp_path, text, reference):
    result = run_check(_query_file(tmp_path, text, reference=reference), workspace=tmp_path)
    assert status(result) == "passed", result.message


@pytest.mark.parametrize("text", ["", "# later\n", "-- TODO\n/* nothing */;\n"])
def test_query_file_empty_or_comment_only_fails(people, run_check, tmp_path, text):
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert (status(result), result.message) == ("failed", "answer.sql has no query yet; write one SELECT statement in it")


def test_query_file_wrong_rows_columns_and_order_fail(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT id, name FROM people WHERE age > 15"), workspace=tmp_path)
    assert result.message == "your query's result has 3 rows; expected 2; 1 row that should not be there, e.g. (2, 'bob')"
    result = run_check(_query_file(tmp_path, "SELECT name FROM people WHERE age >= 18"), workspace=tmp_path)
    assert result.message == "your query returns 1 column (name); expected 2 (id, name)"
    result = run_check(_query_file(tmp_path, ADULTS + " DESC", ordered=True), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ("your query's result has the right rows in the wrong order "
                              "(first difference at row 1); check your ORDER BY")


def test_query_file_errors_are_the_learners_failures_with_mariadb_message(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELEC id, name FROM people"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("MariaDB refused your query in answer.sql: You have an error in your SQL syntax")
    result = run_check(_query_file(tmp_path, "SELECT id, nam FROM people"), workspace=tmp_path)
    # MariaDB 10.11 says in 'SELECT', older ones in 'field list'
    assert result.message.startswith("MariaDB refused your query in answer.sql: Unknown column 'nam' in ")


@pytest.mark.parametrize("text", ["DELETE FROM people", "DROP TABLE people", "TRUNCATE people", "(drop table people)",
                                  "CREATE TABLE people2 AS SELECT * FROM people", "/*! DROP TABLE people */",
                                  "SET max_statement_time = 0"])
def test_query_file_writes_and_ddl_are_refused_and_nothing_changes(people, run_check, tmp_path, scalar, text):
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "answer.sql must only read data (SELECT); it tried to change something"
    assert scalar("SELECT count(*) FROM people") == 4
    assert scalar("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()") == 1


def test_query_file_a_select_that_writes_through_a_function_is_refused(people, sql, run_check, tmp_path, scalar):
    sql("CREATE FUNCTION purge_people() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM people; RETURN 1; END")
    result = run_check(_query_file(tmp_path, "SELECT purge_people(), 1"), workspace=tmp_path)  # sent: it is a SELECT
    assert (status(result), result.message) == ("failed", "answer.sql must only read data (SELECT); it tried to change something")
    assert scalar("SELECT count(*) FROM people") == 4


def test_query_file_two_statements_are_refused(people, run_check, tmp_path, scalar):
    result = run_check(_query_file(tmp_path, ADULTS + "; DELETE FROM people"), workspace=tmp_path)
    assert (status(result), result.message) == ("failed", "answer.sql holds 2 statements; keep exactly one query in it")
    assert scalar("SELECT count(*) FROM people") == 4


def test_query_file_slow_query_fails_rather_than_blaming_the_service(people, run_check, tmp_path, mdb_ctx):
    mdb_ctx.close()
    mdb_ctx.timeout = 1
    result = run_check(_query_file(tmp_path, "SELECT id, name FROM people WHERE SLEEP(0.6) = 0"), workspace=tmp_path)
    assert (status(result), result.message) == ("failed", "your query in answer.sql ran longer than 1s and was stopped")


def test_query_file_reference_not_computable_yet_fails(run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT 1"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ("the expected result cannot be computed yet (Table 'lab.people' doesn't exist); "
                              "finish the earlier tasks first")


def test_query_file_missing_file_fails(run_check, tmp_path):
    result = run_check(_query_file(tmp_path, None), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == (f"answer.sql is missing from your workspace ({tmp_path}); "
                              "create it and write your query there")


# ---- mysql.predicate ----------------------------------------------------------------------------

def _predicate(sql_text, message="the users table needs an admin", **extra):
    return {"type": "mysql.predicate", "sql": sql_text, "message": message, **extra}


def test_predicate_true_passes_and_false_fails_with_the_lab_message(sql, run_check):
    sql("CREATE TABLE users (name text, admin boolean); INSERT INTO users VALUES ('ada', false)")
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)"))
    assert (status(result), result.message, result.found) == ("failed", "the users table needs an admin", 0)
    sql("UPDATE users SET admin = true")
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)", description="an admin exists"))
    assert (status(result), result.message) == ("passed", "an admin exists")


@pytest.mark.parametrize("query, detail", [
    ("SELECT EXISTS (SELECT 1 FROM users WHERE admin)", "Table 'lab.users' doesn't exist"),
    ("SELECT transfer(1, 2, 10) IS NOT NULL", "FUNCTION lab.transfer does not exist"),
])
def test_predicate_on_what_the_learner_has_not_made_yet_fails(run_check, query, detail):
    result = run_check(_predicate(query))
    assert (status(result), result.message) == ("failed", f"the users table needs an admin ({detail})")


def test_predicate_probe_is_rolled_back(sql, run_check, scalar):
    sql("CREATE TABLE users (name text); INSERT INTO users VALUES ('ada')")
    result = run_check(_predicate("DELETE FROM users RETURNING 1"))
    assert status(result) == "passed", result.message
    assert scalar("SELECT count(*) FROM users") == 1


def test_predicate_broken_lab_sql_is_an_error(run_check):
    result = run_check(_predicate("SELEC 1"))
    assert status(result) == "error"
    assert result.message.startswith("the check's query failed: You have an error in your SQL syntax")


def test_predicate_lost_connection_is_an_error_saying_so(run_check):
    result = run_check(_predicate("KILL CONNECTION CONNECTION_ID()"))
    assert status(result) == "error"
    assert result.message.startswith("lost the connection to MariaDB: ")
    assert "labctl status" in result.message


# ---- the driver ---------------------------------------------------------------------------------

def seed_steps() -> list[Step]:
    return [Step("sql", LAB / "seed" / "01-countries.sql", service="mariadb")]


def test_seeded_marker_is_kept_outside_the_learners_database(mdb, driver, access, scalar):
    assert driver.is_seeded(access)
    assert scalar("SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA") \
        == "information_schema,lab"


def test_is_seeded_reads_the_marker_snapshot_writes(driver, access):
    from labctl.services import mariadb

    root = mariadb.connect(access, role="root")
    try:
        mariadb.execute_text(root, f"DROP DATABASE {mariadb.STATE_DB}")
        assert not driver.is_seeded(access)  # as on a new container: the next start seeds it
        driver.snapshot(access)
        assert driver.is_seeded(access)
        mariadb.execute_text(root, f"DELETE FROM {mariadb.STATE_DB}.seeded")
        assert not driver.is_seeded(access)
    finally:
        driver.snapshot(access)
        root.close()


def test_restore_replays_the_seed_and_drops_the_learners_tables(driver, access, sql, scalar):
    sql("CREATE TABLE junk (id int)")
    driver.restore(access, seed_steps())
    assert scalar("SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()") \
        == "countries"
    assert scalar("SELECT count(*) FROM countries") == 4
    assert driver.is_seeded(access)


def test_restore_ends_a_learner_session_that_holds_a_table(driver, access, sql):
    from labctl.services import mariadb

    sql("CREATE TABLE held (id int)")
    learner = mariadb.connect(access)
    with learner.cursor() as cur:  # an open transaction holds the table's metadata lock
        cur.execute("START TRANSACTION")
        cur.execute("SELECT * FROM held")
    started = time.monotonic()
    driver.restore(access, [])
    assert time.monotonic() - started < 10
    with pytest.raises(pymysql.err.MySQLError):  # its session was ended
        with learner.cursor() as cur:
            cur.execute("SELECT 1")


def test_seed_refuses_a_broken_seed_file_naming_it(driver, access, tmp_path):
    bad = tmp_path / "02-bad.sql"
    bad.write_text("CREATE TABLE ok (id int);\nINSERT INTO nowhere VALUES (1);\n", encoding="utf-8")
    with pytest.raises(LabctlError) as info:
        driver.seed(access, [*seed_steps(), Step("sql", bad, service="mariadb")])
    assert info.value.message == "the lab's seed file 02-bad.sql failed: Table 'lab.nowhere' doesn't exist"
    assert info.value.hint == "This is a bug in the lab; tell its author."


def test_apply_runs_a_file_as_the_learner_and_names_it_when_refused(driver, access, tmp_path, scalar):
    good = tmp_path / "good.sql"
    good.write_text("# two statements\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (CURRENT_USER() LIKE 'learner@%');\n")
    driver.apply(access, Step("run", good, service="mariadb"))
    assert scalar("SELECT id FROM t") == 1
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE DATABASE other;\n")
    with pytest.raises(LabctlError) as info:
        driver.apply(access, Step("sql", bad, service="mariadb"))
    assert info.value.message.startswith("bad.sql: MariaDB refused it: Access denied for user 'learner'@")


def test_probe_answers_and_a_closed_port_is_unavailable(driver, access):
    import socket
    from dataclasses import replace

    driver.probe(access)
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with pytest.raises(ServiceUnavailable, match="did not accept a connection"):
        driver.probe(replace(access, ports={3306: closed}))


def test_client_hint_the_shell_in_the_container_and_loopback_only_unprivileged(mdb, access):
    manager, name = mdb
    view = manager.view(name).services[0]
    password = access.environment["MARIADB_PASSWORD"]
    assert password != "learner" and len(password) >= 20  # the instance's own
    assert view.client_hint == f"mariadb -h 127.0.0.1 -P {access.port} -u learner -p{password} lab"
    container = docker.from_env().containers.get(f"labctl-{name}-mariadb")
    shell = [part.format(**view.spec.environment) for part in view.spec.shell]
    code, output = container.exec_run(shell + ["-N", "-e", "SELECT CURRENT_USER(), DATABASE()"])
    assert code == 0 and output.decode().split() == ["learner@%", "lab"]
    host = container.attrs["HostConfig"]
    assert host["Privileged"] is False and not host.get("CapAdd")
    assert [b["HostIp"] for b in container.attrs["NetworkSettings"]["Ports"]["3306/tcp"]] == ["127.0.0.1"]


# ---- the lab, whole -----------------------------------------------------------------------------

def test_stop_is_quick_and_start_keeps_the_data(engine, tmp_path):
    from labctl.services import mariadb

    manager = make_manager(tmp_path / "home")
    name = new_instance_name("mdb-stop")
    manager.start("mariadb-only", name=name, workspace=tmp_path / "ws", ephemeral=True)
    try:
        ctx = manager.context(manager.view(name))
        conn = mariadb.connect(ctx.service("mariadb"))
        with conn.cursor() as cur:
            cur.execute("INSERT INTO countries VALUES ('NL', 'Netherlands')")
        conn.close()
        started = time.monotonic()
        manager.stop(name)
        assert time.monotonic() - started < 8  # SIGTERM is a clean shutdown, not the 10s kill
        manager.start("mariadb-only", name=name)
        ctx = manager.context(manager.view(name))
        conn = mariadb.connect(ctx.service("mariadb"))
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM countries")
            assert cur.fetchone()[0] == 5
        conn.close()
    finally:
        manager.destroy(name)


def test_the_lab_self_tests(engine, tmp_path):
    from labctl.core.selftest import run_self_test

    report = run_self_test(make_manager(tmp_path / "home"), "mariadb-only")
    assert report.error is None and report.skipped is None
    assert report.ok, [(c.name, c.message) for c in report.cases if not c.ok]
    assert len(report.cases) == 13
    assert [c.name for c in report.cases if c.name.startswith("near miss")] == [
        "near miss books-without-price fails create-books", "near miss books-price-float fails create-books",
        "near miss books-id-not-generated fails create-books", "near miss books-without-primary-key fails create-books",
        "near miss insert-three-books fails insert-books", "near miss cheap-books-wrong-filter fails cheap-books",
        "near miss cheap-books-without-order fails cheap-books",
    ]



def test_a_learner_who_changes_their_password_keeps_checks_working_and_reset_gives_it_back(
        mdb, access, driver, sql, run_check):
    from labctl.services import mariadb

    sql("CREATE TABLE t (id int)")
    sql("SET PASSWORD = PASSWORD('mine')")
    assert run_check({"type": "mysql.table_exists", "table": "t"}).status.value == "passed"  # the checks' own login
    with pytest.raises(ServiceUnavailable):
        mariadb.connect(access).close()
    driver.restore(access, [])
    mariadb.connect(access).close()  # the instance's password again


def test_the_checks_account_sees_the_lab_database_and_nothing_else(access):
    from labctl.services import mariadb

    conn = mariadb.connect(access, role="checker")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            assert {row[0] for row in cur.fetchall()} == {"information_schema", "lab"}
    finally:
        conn.close()


# ---- mysql.query_file: hidden probe data ----------------------------------------------------------

def test_query_file_wrong_at_the_boundary_fails_on_probe_data_and_leaves_no_row(people, run_check, tmp_path, scalar):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE age > 18")
    entry["probes"] = [{"case": "a person aged exactly 18", "sql": "INSERT INTO people VALUES (-1, 'zed-probe', 18)"}]
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "failed"
    assert "with a person aged exactly 18, its result has 2 rows; expected 3" in result.message
    assert "zed-probe" not in result.message
    assert scalar("SELECT count(*) FROM people") == 4


def test_query_file_right_answer_passes_on_probe_data(people, run_check, tmp_path, scalar):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE NOT age < 18 ORDER BY name", ordered=True)
    entry["probes"] = [{"case": "a person aged exactly 18", "sql": "INSERT INTO people VALUES (-1, 'aaa', 18)"}]
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message
    assert scalar("SELECT count(*) FROM people") == 4
