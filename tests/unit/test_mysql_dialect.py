"""The pure parts of the mysql.* family and the MariaDB driver: type names, statement splitting, what a
read-only run never sends, error classes, quoting, the client command line."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def mysql():
    from labctl.check_families import mysql

    return mysql


@pytest.mark.parametrize("given, normal", [
    ("INTEGER", "int"), ("int(11)", "int"), ("int(10) unsigned", "int unsigned"), ("INT UNSIGNED", "int unsigned"),
    ("bigint(20) unsigned", "bigint unsigned"), ("serial", "bigint unsigned"), ("int zerofill", "int unsigned zerofill"),
    ("boolean", "tinyint(1)"), ("bool", "tinyint(1)"), ("tinyint(1)", "tinyint(1)"), ("tinyint(4)", "tinyint"),
    ("DECIMAL(10, 2)", "decimal(10,2)"), ("numeric(10,2)", "decimal(10,2)"), ("decimal", "decimal(10,0)"),
    ("dec(12)", "decimal(12,0)"), ("Varchar ( 100 )", "varchar(100)"), ("character varying(100)", "varchar(100)"),
    ("char", "char(1)"), ("character(2)", "char(2)"), ("double precision", "double"), ("real", "double"),
    ("float", "float"), ("json", "longtext"), ("year(4)", "year"), ("datetime(0)", "datetime"),
    ("timestamp(3)", "timestamp(3)"), ("TEXT", "text"), ("ENUM('a', 'B')", "enum('a','B')"),
])
def test_normalize_type(mysql, given, normal):
    from labctl.check_families.mysql.type_names import normalize_type

    assert normalize_type(given) == normal


def test_types_that_differ_stay_different(mysql):
    from labctl.check_families.mysql.type_names import normalize_type

    pairs = [("int", "bigint"), ("int", "int unsigned"), ("varchar(100)", "varchar(50)"), ("decimal(10,2)", "decimal(12,2)"),
             ("tinyint(1)", "tinyint"), ("timestamp(3)", "timestamp"), ("float", "double"), ("char(2)", "varchar(2)")]
    for a, b in pairs:
        assert normalize_type(a) != normalize_type(b), (a, b)


@pytest.mark.parametrize("text, statements", [
    ("", []),
    ("# Task 3: write your query here\n", []),
    ("-- don't forget the ; at the end\nSELECT 1;\n", ["SELECT 1"]),
    ("SELECT 1 # that's it; really\n", ["SELECT 1"]),
    ("/* a; b */ SELECT 1", ["SELECT 1"]),
    ("SELECT 1--1", ["SELECT 1--1"]),  # `--` with no space after it is not a comment
    ("SELECT 1 --\nFROM dual", ["SELECT 1  \nFROM dual"]),  # `--` then a newline is a comment
    ("SELECT 'a;b' FROM t;", ["SELECT 'a;b' FROM t"]),
    ("SELECT 'it''s; fine'", ["SELECT 'it''s; fine'"]),
    ("SELECT 'it\\'s; fine'", ["SELECT 'it\\'s; fine'"]),
    ('SELECT "odd;name"', ['SELECT "odd;name"']),
    ("SELECT `odd;name` FROM `t``;`", ["SELECT `odd;name` FROM `t``;`"]),
    ("SELECT `a\\`; SELECT 2", ["SELECT `a\\`", "SELECT 2"]),  # no backslash escapes in identifiers
    ("SELECT $$x;y$$", ["SELECT $$x", "y$$"]),  # no dollar quotes in MariaDB
    ("/*! DROP TABLE t */", ["/*! DROP TABLE t */"]),  # MariaDB runs what an executable comment holds
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT 1;;;", ["SELECT 1"]),
])
def test_split_mysql(mysql, text, statements):
    from labctl.services.mariadb_statements import split_mysql

    assert split_mysql(text) == statements


@pytest.mark.parametrize("statement, sent", [
    ("SELECT 1", True), ("  (SELECT 1) UNION (SELECT 2)", True), ("with x as (select 1) select * from x", True),
    ("SHOW TABLES", True), ("SELEC 1", True), ("DO 1", True),
    ("DROP TABLE t", False), ("create table t (a int)", False), ("(DELETE FROM t)", False), ("TRUNCATE t", False),
    ("SET max_statement_time = 0", False), ("USE mysql", False), ("CALL p()", False), ("COMMIT", False),
    ("LOCK TABLES t WRITE", False), ("/*! DROP TABLE t */", False), ("", False),
])
def test_what_a_read_only_run_never_sends(mysql, statement, sent):
    from labctl.check_families.mysql.dialect import may_send

    assert may_send(statement) is sent


@pytest.mark.parametrize("kind, code, text, fault", [
    ("OperationalError", 1969, "Query execution was interrupted (max_statement_time exceeded)", "TIMEOUT"),
    ("OperationalError", 2013, "Lost connection to MySQL server during query", "CONNECTION_LOST"),
    ("OperationalError", 1927, "Connection was killed", "CONNECTION_LOST"),
    ("InterfaceError", 0, "", "CONNECTION_LOST"),
    ("OperationalError", 1792, "Cannot execute statement in a READ ONLY transaction", "READ_ONLY"),
    ("ProgrammingError", 1146, "Table 'lab.t' doesn't exist", "UNDEFINED_TABLE"),
    ("OperationalError", 1054, "Unknown column 'x' in 'SELECT'", "UNDEFINED_NAME"),
    ("OperationalError", 1305, "FUNCTION lab.f does not exist", "UNDEFINED_NAME"),
    ("ProgrammingError", 1064, "You have an error in your SQL syntax", "REFUSED"),
    ("OperationalError", 1045, "Access denied for user 'learner'@'%'", "REFUSED"),
])
def test_errors_are_classified_by_mariadb_error_number(mysql, kind, code, text, fault):
    import pymysql

    from labctl.check_families.mysql.dialect import MYSQL
    from labctl.check_families.sql.dialect import Fault

    exc = getattr(pymysql.err, kind)(code, text)
    assert MYSQL.classify(exc) is Fault[fault]
    assert isinstance(exc, MYSQL.errors())
    assert MYSQL.message(exc) == (text or "(0, '')")  # MariaDB's words, not PyMySQL's (code, text) pair


def test_a_statement_not_sent_is_a_read_only_fault(mysql):
    from labctl.check_families.mysql.dialect import MYSQL, NotReadOnly
    from labctl.check_families.sql.dialect import Fault

    with pytest.raises(NotReadOnly) as info:
        MYSQL.read_only(None, "DROP TABLE people")  # refused before any connection is used
    assert MYSQL.classify(info.value) is Fault.READ_ONLY
    assert isinstance(info.value, MYSQL.errors())


def test_quoting_and_relations(mysql):
    from labctl.check_families.mysql.dialect import MYSQL

    assert MYSQL.quote("odd`name") == "`odd``name`"
    assert MYSQL.relation("lab", "books") == "`lab`.`books`"


def test_every_mysql_type_runs_on_mariadb_with_its_sql_counterparts_parameters(mysql):
    from labctl.check_engine import registry

    types = {name: cls for name, cls in registry.all_types().items() if name.startswith("mysql.")}
    assert sorted(types) == ["mysql.columns", "mysql.predicate", "mysql.query_file", "mysql.row_count",
                             "mysql.rows_equal", "mysql.table_exists"]
    for name, cls in types.items():
        assert cls.service_kind == "mariadb"
        counterpart = registry.get("sql." + name.split(".", 1)[1])
        assert list(cls.model_fields) == list(counterpart.model_fields), name
    # In MySQL a database is the schema: none named means the service's own.
    assert types["mysql.table_exists"].model_validate({"table": "t"}).where == "t"
    assert types["mysql.table_exists"].model_validate({"table": "t", "schema": "other"}).where == "other.t"


def test_client_hint_and_host_client_come_from_the_url(monkeypatch):
    from labctl.services import driver_for

    driver = driver_for("mariadb")
    urls = {"DATABASE_URL": "mysql://learner:learner@127.0.0.1:33061/lab"}
    assert driver.client_hint(urls) == "mariadb -h 127.0.0.1 -P 33061 -u learner -plearner lab"
    assert driver.client_hint({"DATABASE_URL": "mysql://us%40er:p%20w@localhost:3306/lab"}) == \
        "mariadb -h localhost --protocol=TCP -P 3306 -u us@er '-pp w' lab"
    assert driver.client_hint({}) is None
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}" if name == "mysql" else None)
    assert driver.host_client(urls) == ["mysql", "-h", "127.0.0.1", "-P", "33061", "-u", "learner", "-plearner", "lab"]
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert driver.host_client(urls) is None
