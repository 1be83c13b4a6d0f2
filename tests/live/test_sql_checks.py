"""Live tests of the SQL check family (checks/sql/) against a real PostgreSQL container."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import pydantic
import pytest
import yaml

from tests.live.conftest import pg_connection

pytestmark = pytest.mark.live


def status(result) -> str:
    return result.status.value


def yaml_rows(text: str) -> list:
    """Expected rows as a lab author writes them in lab.yaml (plain YAML scalars)."""
    return yaml.safe_load(text)


def count(pg_ctx, table: str) -> int:
    return pg_connection(pg_ctx).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def settle_timed_out_checks() -> None:
    """Wait for the threads a timed-out check leaves behind (its worker and the discarded connection's closer).

    A connection opened while they still run may hang or crash the process
    (see test_connection_after_a_timed_out_check_works), which would break the next test's fixture.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and (
                thread.name.startswith("check-") or "_quiet_close" in thread.name):
            thread.join(timeout=10)


# ---- sql.table_exists ---------------------------------------------------------------------------

def test_table_exists_passes_when_table_is_there(sql, run_check):
    sql("CREATE TABLE widgets (id int)")
    result = run_check({"type": "sql.table_exists", "table": "widgets"})
    assert status(result) == "passed"
    assert "table widgets exists" in result.message


def test_table_exists_fails_on_empty_database(run_check):
    result = run_check({"type": "sql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert "table widgets does not exist (there are no tables yet)" in result.message


def test_table_exists_fails_and_lists_other_tables(sql, run_check):
    sql("CREATE TABLE gadgets (id int); CREATE TABLE widget (id int)")
    result = run_check({"type": "sql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert "table widgets does not exist (tables found: gadgets, widget)" in result.message
    assert result.found == ["gadgets", "widget"]


def test_table_exists_fails_for_a_view_when_a_table_is_expected(sql, run_check):
    sql("CREATE TABLE t (id int); CREATE VIEW widgets AS SELECT id FROM t")
    result = run_check({"type": "sql.table_exists", "table": "widgets"})
    assert status(result) == "failed"
    assert result.message == "widgets is a view; expected a table"


def test_table_exists_view_kind_passes_for_a_view_and_fails_for_a_table(sql, run_check):
    sql("CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t")
    assert status(run_check({"type": "sql.table_exists", "table": "v", "kind": "view"})) == "passed"
    result = run_check({"type": "sql.table_exists", "table": "t", "kind": "view"})
    assert status(result) == "failed"
    assert result.message == "t is a table; expected a view"


def test_table_exists_kind_any_accepts_a_view(sql, run_check):
    sql("CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t")
    assert status(run_check({"type": "sql.table_exists", "table": "v", "kind": "any"})) == "passed"


def test_table_exists_in_another_schema(sql, run_check):
    sql("DROP SCHEMA IF EXISTS inv CASCADE; CREATE SCHEMA inv; CREATE TABLE public.items (id int)")
    try:
        result = run_check({"type": "sql.table_exists", "schema": "inv", "table": "items"})
        assert status(result) == "failed"
        assert "table inv.items does not exist" in result.message
        sql("CREATE TABLE inv.items (id int)")
        result = run_check({"type": "sql.table_exists", "schema": "inv", "table": "items"})
        assert status(result) == "passed"
        assert "inv.items" in result.message
    finally:
        sql("DROP SCHEMA IF EXISTS inv CASCADE")


# ---- sql.columns --------------------------------------------------------------------------------

def _columns(*columns, table="users", **extra):
    return {"type": "sql.columns", "table": table, "columns": list(columns), **extra}


def test_columns_pass_with_name_type_and_nullability(sql, run_check):
    sql("CREATE TABLE users (id integer NOT NULL, email text, created_at timestamptz DEFAULT now())")
    result = run_check(_columns(
        {"name": "id", "type": "integer", "nullable": False},
        {"name": "email", "type": "text", "nullable": True},
        {"name": "created_at", "type": "timestamptz", "default": "now()"},
    ))
    assert status(result) == "passed", result.message
    assert result.message == "users has the expected columns"


def test_columns_fail_on_missing_table(run_check):
    result = run_check(_columns({"name": "id"}))
    assert status(result) == "failed"
    assert "table users does not exist" in result.message


def test_columns_fail_on_missing_column_listing_found_ones(sql, run_check):
    sql("CREATE TABLE users (id int, name text)")
    result = run_check(_columns({"name": "email"}))
    assert status(result) == "failed"
    assert result.message == "users has no column email (columns found: id, name)"


def test_columns_fail_on_wrong_type(sql, run_check):
    sql("CREATE TABLE users (email text)")
    result = run_check(_columns({"name": "email", "type": "varchar(100)"}))
    assert status(result) == "failed"
    assert result.message == "column users.email has type text; expected character varying(100)"


def test_columns_fail_on_wrong_varchar_length(sql, run_check):
    sql("CREATE TABLE users (email varchar(50))")
    result = run_check(_columns({"name": "email", "type": "varchar(100)"}))
    assert status(result) == "failed"
    assert "has type character varying(50); expected character varying(100)" in result.message


def test_columns_type_list_accepts_any_listed_type(sql, run_check):
    sql("CREATE TABLE users (email text)")
    assert status(run_check(_columns({"name": "email", "type": ["varchar(100)", "text"]}))) == "passed"
    result = run_check(_columns({"name": "email", "type": ["varchar(100)", "citext"]}))
    assert status(result) == "failed"
    assert "expected character varying(100) or citext" in result.message


@pytest.mark.parametrize("spec", ["varchar(100)", "character varying(100)", "VARCHAR(100)", "Varchar ( 100 )"])
def test_columns_varchar_aliases(sql, run_check, spec):
    sql("CREATE TABLE users (email varchar(100))")
    result = run_check(_columns({"name": "email", "type": spec}))
    assert status(result) == "passed", result.message


@pytest.mark.parametrize("spec", ["numeric(10,2)", "decimal(10, 2)", "DECIMAL(10,2)", "numeric( 10 , 2 )"])
def test_columns_numeric_aliases(sql, run_check, spec):
    sql("CREATE TABLE prices (amount numeric(10,2))")
    result = run_check(_columns({"name": "amount", "type": spec}, table="prices"))
    assert status(result) == "passed", result.message


def test_columns_numeric_precision_mismatch_fails(sql, run_check):
    sql("CREATE TABLE prices (amount numeric(12,2))")
    result = run_check(_columns({"name": "amount", "type": "decimal(10, 2)"}, table="prices"))
    assert status(result) == "failed"
    assert "has type numeric(12,2); expected numeric(10,2)" in result.message


@pytest.mark.parametrize("declared, spec", [
    ("int", "integer"), ("bigint", "int8"), ("boolean", "bool"), ("double precision", "float8"),
    ("timestamp", "timestamp without time zone"), ("timestamptz", "timestamp with time zone"),
    ("timestamp(3)", "timestamp(3)"), ("char(2)", "character(2)"), ("int[]", "integer[]"),
])
def test_columns_other_type_aliases(sql, run_check, declared, spec):
    sql(f"CREATE TABLE t (c {declared})")
    result = run_check(_columns({"name": "c", "type": spec}, table="t"))
    assert status(result) == "passed", result.message


def test_columns_serial_is_integer_and_auto_increment(sql, run_check):
    sql("CREATE TABLE users (id serial PRIMARY KEY)")
    result = run_check(_columns({"name": "id", "type": "serial", "auto_increment": True}))
    assert status(result) == "passed", result.message
    assert status(run_check(_columns({"name": "id", "type": "integer", "auto_increment": True}))) == "passed"


@pytest.mark.parametrize("identity", ["GENERATED ALWAYS AS IDENTITY", "GENERATED BY DEFAULT AS IDENTITY"])
def test_columns_identity_counts_as_auto_increment(sql, run_check, identity):
    sql(f"CREATE TABLE users (id integer {identity} PRIMARY KEY)")
    result = run_check(_columns({"name": "id", "type": "integer", "auto_increment": True}))
    assert status(result) == "passed", result.message


def test_columns_plain_integer_fails_auto_increment(sql, run_check):
    sql("CREATE TABLE users (id integer PRIMARY KEY)")
    result = run_check(_columns({"name": "id", "auto_increment": True}))
    assert status(result) == "failed"
    assert result.message == "column users.id does not generate its values; use SERIAL or GENERATED ALWAYS AS IDENTITY"


def test_columns_auto_increment_false_fails_on_serial(sql, run_check):
    sql("CREATE TABLE users (id serial)")
    result = run_check(_columns({"name": "id", "auto_increment": False}))
    assert status(result) == "failed"
    assert result.message == "column users.id should not generate its own values"


def test_columns_fail_when_nullable_column_should_be_not_null(sql, run_check):
    sql("CREATE TABLE users (email text)")
    result = run_check(_columns({"name": "email", "nullable": False}))
    assert status(result) == "failed"
    assert result.message == "column users.email accepts NULL; it should be NOT NULL"


def test_columns_fail_when_not_null_column_should_accept_null(sql, run_check):
    sql("CREATE TABLE users (email text NOT NULL)")
    result = run_check(_columns({"name": "email", "nullable": True}))
    assert status(result) == "failed"
    assert result.message == "column users.email is NOT NULL; it should accept NULL"


def test_columns_fail_on_missing_default(sql, run_check):
    sql("CREATE TABLE users (created_at timestamptz)")
    result = run_check(_columns({"name": "created_at", "default": "now()"}))
    assert status(result) == "failed"
    assert result.message == "column users.created_at has default (none); expected one with now()"


def test_columns_fail_on_other_default(sql, run_check):
    sql("CREATE TABLE users (status text DEFAULT 'new')")
    result = run_check(_columns({"name": "status", "default": "active"}))
    assert status(result) == "failed"
    assert "has default 'new'::text; expected one with active" in result.message


def test_columns_default_list_accepts_any(sql, run_check):
    sql("CREATE TABLE users (created_at timestamptz DEFAULT CURRENT_TIMESTAMP)")
    assert status(run_check(_columns({"name": "created_at", "default": ["now()", "CURRENT_TIMESTAMP"]}))) == "passed"
    result = run_check(_columns({"name": "created_at", "default": ["now()", "clock_timestamp()"]}))
    assert status(result) == "failed"
    assert result.message == ("column users.created_at has default CURRENT_TIMESTAMP; "
                              "expected one with now() or clock_timestamp()")


def test_columns_exact_fails_on_extra_column(sql, run_check):
    sql("CREATE TABLE users (id int, email text, nickname text)")
    result = run_check(_columns({"name": "id"}, {"name": "email"}, exact=True))
    assert status(result) == "failed"
    assert result.message == "users has columns that are not asked for: nickname"
    assert status(run_check(_columns({"name": "id"}, {"name": "email"}))) == "passed"


def test_columns_exact_passes_with_exactly_the_columns(sql, run_check):
    sql("CREATE TABLE users (id int, email text)")
    assert status(run_check(_columns({"name": "email"}, {"name": "id"}, exact=True))) == "passed"


# ---- sql.constraint -----------------------------------------------------------------------------

def _constraint(kind, columns=None, table="t", **extra):
    entry = {"type": "sql.constraint", "table": table, "kind": kind, **extra}
    if columns is not None:
        entry["columns"] = columns
    return entry


def test_primary_key_passes(sql, run_check):
    sql("CREATE TABLE t (id int PRIMARY KEY, name text)")
    result = run_check(_constraint("primary_key", ["id"]))
    assert status(result) == "passed"
    assert result.message == "t(id) has its primary key"


def test_primary_key_fails_when_absent(sql, run_check):
    sql("CREATE TABLE t (id int, name text)")
    result = run_check(_constraint("primary_key", ["id"]))
    assert status(result) == "failed"
    assert result.message == "t(id) has no primary key"


def test_primary_key_fails_on_other_column_naming_it(sql, run_check):
    sql("CREATE TABLE t (id int, code text PRIMARY KEY)")
    result = run_check(_constraint("primary_key", ["id"]))
    assert status(result) == "failed"
    assert result.message == "t(id) has no primary key; found: PRIMARY KEY (code)"


def test_composite_primary_key_any_column_order(sql, run_check):
    sql("CREATE TABLE t (a int, b int, PRIMARY KEY (a, b))")
    assert status(run_check(_constraint("primary_key", ["b", "a"]))) == "passed"
    result = run_check(_constraint("primary_key", ["a"]))
    assert status(result) == "failed"
    assert "found: PRIMARY KEY (a, b)" in result.message


def test_constraint_fails_on_missing_table(run_check):
    result = run_check(_constraint("primary_key", ["id"]))
    assert status(result) == "failed"
    assert "table t does not exist" in result.message


CUSTOMERS_ORDERS = (
    "CREATE TABLE customers (id int PRIMARY KEY, code text UNIQUE);"
    "CREATE TABLE people (id int PRIMARY KEY);"
)


def _fk(**extra):
    return _constraint("foreign_key", ["customer_id"], table="orders", **extra)


def test_foreign_key_passes(sql, run_check):
    sql(CUSTOMERS_ORDERS + "CREATE TABLE orders (id int, customer_id int REFERENCES customers(id))")
    result = run_check(_fk(references={"table": "customers", "columns": ["id"]}))
    assert status(result) == "passed", result.message
    assert result.message == "orders(customer_id) references customers"


def test_foreign_key_fails_when_absent(sql, run_check):
    sql(CUSTOMERS_ORDERS + "CREATE TABLE orders (id int, customer_id int)")
    result = run_check(_fk(references={"table": "customers"}))
    assert status(result) == "failed"
    assert result.message == "orders(customer_id) has no foreign key referencing customers"


def test_foreign_key_fails_on_wrong_target_table(sql, run_check):
    sql(CUSTOMERS_ORDERS + "CREATE TABLE orders (id int, customer_id int REFERENCES people(id))")
    result = run_check(_fk(references={"table": "customers"}))
    assert status(result) == "failed"
    assert result.message == "the foreign key on orders(customer_id) is not right: it references people, not customers"


def test_foreign_key_fails_on_wrong_target_column(sql, run_check):
    sql(CUSTOMERS_ORDERS.replace("code text UNIQUE", "code int UNIQUE")
        + "CREATE TABLE orders (id int, customer_id int REFERENCES customers(code))")
    result = run_check(_fk(references={"table": "customers", "columns": ["id"]}))
    assert status(result) == "failed"
    assert "it references customers(code), not (id)" in result.message


def test_foreign_key_on_delete_passes(sql, run_check):
    sql(CUSTOMERS_ORDERS + "CREATE TABLE orders (id int, customer_id int REFERENCES customers ON DELETE CASCADE)")
    result = run_check(_fk(references={"table": "customers"}, on_delete="cascade"))
    assert status(result) == "passed", result.message


@pytest.mark.parametrize("declared, wanted, actual", [
    ("", "cascade", "NO ACTION"),
    ("ON DELETE SET NULL", "cascade", "SET NULL"),
    ("ON DELETE CASCADE", "restrict", "CASCADE"),
])
def test_foreign_key_on_delete_fails(sql, run_check, declared, wanted, actual):
    sql(CUSTOMERS_ORDERS + f"CREATE TABLE orders (id int, customer_id int REFERENCES customers {declared})")
    result = run_check(_fk(references={"table": "customers"}, on_delete=wanted))
    assert status(result) == "failed"
    assert f"it is ON DELETE {actual}, expected ON DELETE {wanted.upper()}" in result.message


def test_foreign_key_in_another_schema(sql, run_check):
    sql("DROP SCHEMA IF EXISTS shop CASCADE; CREATE SCHEMA shop;"
        "CREATE TABLE shop.customers (id int PRIMARY KEY); CREATE TABLE customers (id int PRIMARY KEY);"
        "CREATE TABLE orders (customer_id int REFERENCES shop.customers)")
    try:
        assert status(run_check(_fk(references={"table": "customers", "schema": "shop"}))) == "passed"
        result = run_check(_fk(references={"table": "customers"}))
        assert status(result) == "failed"
        assert "it references shop.customers, not customers" in result.message
    finally:
        sql("DROP SCHEMA IF EXISTS shop CASCADE")


def test_unique_constraint_passes(sql, run_check):
    sql("CREATE TABLE t (id int, email text UNIQUE)")
    result = run_check(_constraint("unique", ["email"]))
    assert status(result) == "passed"
    assert result.message == "t(email) has its unique constraint"


def test_unique_passes_through_a_unique_index(sql, run_check):
    sql("CREATE TABLE t (id int, email text); CREATE UNIQUE INDEX t_email_key ON t (email)")
    result = run_check(_constraint("unique", ["email"]))
    assert status(result) == "passed"
    assert result.message == "t(email) is unique (through a unique index)"


def test_unique_fails_with_only_a_plain_index(sql, run_check):
    sql("CREATE TABLE t (id int, email text); CREATE INDEX ON t (email)")
    result = run_check(_constraint("unique", ["email"]))
    assert status(result) == "failed"
    assert result.message == "t(email) has no unique constraint"


def test_unique_fails_with_a_partial_unique_index(sql, run_check):
    sql("CREATE TABLE t (id int, email text, active bool); CREATE UNIQUE INDEX ON t (email) WHERE active")
    result = run_check(_constraint("unique", ["email"]))
    assert status(result) == "failed"
    assert result.message == "t(email) has no unique constraint"


def test_unique_fails_on_a_wider_unique_constraint(sql, run_check):
    sql("CREATE TABLE t (id int, org int, email text, UNIQUE (org, email))")
    result = run_check(_constraint("unique", ["email"]))
    assert status(result) == "failed"
    assert result.message == "t(email) has no unique constraint; found: UNIQUE (org, email)"


def test_unique_not_satisfied_by_an_expression_index_with_the_column(sql, run_check):
    sql("CREATE TABLE t (id int, email text); CREATE UNIQUE INDEX ON t (lower(email), id)")
    # id alone is not unique here: (a@x, 1) and (b@x, 1) may both be inserted
    sql("INSERT INTO t VALUES (1, 'a@x'), (1, 'b@x')")
    result = run_check(_constraint("unique", ["id"]))
    assert status(result) == "failed"
    assert result.message == "t(id) has no unique constraint"


def test_check_constraint_passes_when_rows_are_rejected(sql, run_check):
    sql("CREATE TABLE products (name text, price numeric CHECK (price > 0))")
    result = run_check(_constraint("check", table="products", rejects=[
        "INSERT INTO products VALUES ('free', 0)", "INSERT INTO products VALUES ('neg', -1)"]))
    assert status(result) == "passed", result.message
    assert result.message == "products refuses the rows it should"


def test_check_constraint_fails_when_a_row_is_accepted_and_rolls_it_back(sql, run_check, pg_ctx):
    sql("CREATE TABLE products (name text, price numeric CHECK (price >= 0))")
    result = run_check(_constraint("check", table="products", rejects=[
        "INSERT INTO products VALUES ('neg', -1)", "INSERT INTO products VALUES ('free', 0)"]))
    assert status(result) == "failed"
    assert result.message == ("products accepted a row it should refuse; add a CHECK constraint "
                              "(the statement was rolled back)")
    assert result.evidence == "INSERT INTO products VALUES ('free', 0)"
    assert count(pg_ctx, "products") == 0


def test_check_constraint_fails_when_refused_by_something_else_than_a_check(sql, run_check):
    sql("CREATE TABLE products (name text, price numeric NOT NULL)")
    result = run_check(_constraint("check", table="products", rejects=["INSERT INTO products VALUES ('x', NULL)"]))
    assert status(result) == "failed"
    assert result.message.startswith("products refused a row it should refuse, but not with a CHECK constraint (")
    assert 'null value in column "price"' in result.message
    assert result.message.endswith("; add the CHECK constraint the task asks for")


def test_check_constraint_with_broken_lab_statement_is_an_error(sql, run_check):
    sql("CREATE TABLE products (name text, price numeric CHECK (price > 0))")
    result = run_check(_constraint("check", table="products", rejects=["INSERT INTO products VALUES ("]))
    assert status(result) == "error"
    assert "syntax error" in result.message


def test_not_null_passes(sql, run_check):
    sql("CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL)")
    result = run_check(_constraint("not_null", ["id", "email"]))
    assert status(result) == "passed"
    assert result.message == "id, email NOT NULL on t"


def test_not_null_fails_on_nullable_column(sql, run_check):
    sql("CREATE TABLE t (id int NOT NULL, email text)")
    result = run_check(_constraint("not_null", ["id", "email"]))
    assert status(result) == "failed"
    assert result.message == "column t.email accepts NULL; it should be NOT NULL"


def test_not_null_fails_on_missing_column(sql, run_check):
    sql("CREATE TABLE t (id int NOT NULL)")
    result = run_check(_constraint("not_null", ["email"]))
    assert status(result) == "failed"
    assert result.message == "t has no column email"


# ---- sql.index ----------------------------------------------------------------------------------

def _index(columns, table="t", **extra):
    return {"type": "sql.index", "table": table, "columns": columns, **extra}


def test_index_passes(sql, run_check):
    sql("CREATE TABLE t (id int, email text); CREATE INDEX t_email_idx ON t (email)")
    result = run_check(_index(["email"]))
    assert status(result) == "passed"
    assert result.message == "index t_email_idx covers t(email)"


def test_index_fails_when_absent_listing_existing_ones(sql, run_check):
    sql("CREATE TABLE t (id int PRIMARY KEY, email text)")
    result = run_check(_index(["email"]))
    assert status(result) == "failed"
    assert result.message == "no index on t(email); indexes found: t_pkey (id)"


def test_index_fails_with_no_index_at_all(sql, run_check):
    sql("CREATE TABLE t (id int, email text)")
    result = run_check(_index(["email"]))
    assert status(result) == "failed"
    assert result.message == "no index on t(email); indexes found: none"


def test_index_column_order_matters(sql, run_check):
    sql("CREATE TABLE t (a int, b int); CREATE INDEX t_a_b_idx ON t (a, b)")
    assert status(run_check(_index(["a", "b"]))) == "passed"
    result = run_check(_index(["b", "a"]))
    assert status(result) == "failed"
    assert result.message == "no index on t(b, a); indexes found: t_a_b_idx (a, b)"


def test_index_unique_flag_passes(sql, run_check):
    sql("CREATE TABLE t (email text); CREATE UNIQUE INDEX t_email_key ON t (email)")
    assert status(run_check(_index(["email"], unique=True))) == "passed"


def test_index_unique_flag_fails_on_plain_index(sql, run_check):
    sql("CREATE TABLE t (email text); CREATE INDEX t_email_idx ON t (email)")
    result = run_check(_index(["email"], unique=True))
    assert status(result) == "failed"
    assert result.message == "index t_email_idx on t(email) is not unique; expected a unique index"


def test_index_non_unique_flag_fails_on_unique_index(sql, run_check):
    sql("CREATE TABLE t (email text); CREATE UNIQUE INDEX t_email_key ON t (email)")
    result = run_check(_index(["email"], unique=False))
    assert status(result) == "failed"
    assert result.message == "index t_email_key on t(email) is unique; expected a non-unique index"


def test_index_primary_key_counts_as_index(sql, run_check):
    sql("CREATE TABLE t (id int PRIMARY KEY)")
    assert status(run_check(_index(["id"], unique=True))) == "passed"


def test_index_unique_found_among_several_indexes_on_same_columns(sql, run_check):
    sql("CREATE TABLE t (email text); CREATE INDEX t_email_idx ON t (email); "
        "CREATE UNIQUE INDEX t_email_key ON t (email)")
    result = run_check(_index(["email"], unique=True))
    assert status(result) == "passed", result.message


def test_index_expression_key_is_not_the_plain_column(sql, run_check):
    sql("CREATE TABLE t (id int, email text); CREATE INDEX t_expr_idx ON t (lower(email), id)")
    result = run_check(_index(["id"]))
    assert status(result) == "failed"
    assert result.message == "no index on t(id); indexes found: t_expr_idx (lower(email), id)"


def test_index_include_columns_are_not_key_columns(sql, run_check):
    sql("CREATE TABLE t (a int, b int); CREATE INDEX t_a_idx ON t (a) INCLUDE (b)")
    result = run_check(_index(["a", "b"]))
    assert status(result) == "failed"
    assert result.message == "no index on t(a, b); indexes found: t_a_idx (a)"
    assert status(run_check(_index(["a"]))) == "passed"


# ---- sql.row_count ------------------------------------------------------------------------------

def _count(table="t", **extra):
    return {"type": "sql.row_count", "table": table, **extra}


@pytest.fixture
def three_rows(sql):
    sql("CREATE TABLE t (id int, country text); INSERT INTO t VALUES (1, 'FR'), (2, 'FR'), (3, 'DE')")


def test_row_count_equals_passes(three_rows, run_check):
    result = run_check(_count(equals=3))
    assert status(result) == "passed"
    assert result.message == "t has 3 rows"


def test_row_count_equals_fails(three_rows, run_check):
    result = run_check(_count(equals=4))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected 4"
    assert (result.expected, result.found) == ("4", 3)


def test_row_count_zero_on_empty_table(sql, run_check):
    sql("CREATE TABLE t (id int)")
    assert status(run_check(_count(equals=0))) == "passed"
    result = run_check(_count(min=1))
    assert status(result) == "failed"
    assert result.message == "t has 0 rows; expected at least 1"


def test_row_count_min_max(three_rows, run_check):
    assert status(run_check(_count(min=3))) == "passed"
    assert status(run_check(_count(max=3))) == "passed"
    assert status(run_check(_count(min=1, max=5))) == "passed"
    result = run_check(_count(max=2))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected at most 2"
    result = run_check(_count(min=4, max=10))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected between 4 and 10"


def test_row_count_where(three_rows, run_check):
    result = run_check(_count(where="country = 'FR'", equals=2))
    assert status(result) == "passed"
    assert result.message == "t has 2 rows where country = 'FR'"
    result = run_check(_count(where="country = 'DE'", equals=2))
    assert status(result) == "failed"
    assert result.message == "t has 1 rows where country = 'DE'; expected 2"


def test_row_count_custom_message_prefix(three_rows, run_check):
    result = run_check(_count(equals=5, message="insert the five sample users"))
    assert status(result) == "failed"
    assert result.message == "insert the five sample users: t has 3 rows; expected 5"


def test_row_count_missing_table_fails(run_check):
    result = run_check(_count(equals=1))
    assert status(result) == "failed"
    assert "table t does not exist" in result.message


def test_row_count_slow_query_says_it_took_too_long(three_rows, run_check, pg_ctx):
    pg_ctx.close()
    pg_ctx.timeout = 1  # statement_timeout 1s on the next connection
    try:
        result = run_check(_count(where="pg_sleep(1.5) IS NOT NULL", equals=3))
    finally:
        settle_timed_out_checks()
    assert status(result) == "error"
    assert result.message.startswith("the check's query took too long: canceling statement due to statement timeout")


def test_row_count_broken_where_is_an_error(three_rows, run_check):
    result = run_check(_count(where="country = = 'FR'", equals=1))
    assert status(result) == "error"
    assert result.message.startswith("the check's query failed: syntax error")


# ---- sql.rows_equal -----------------------------------------------------------------------------

def _rows(expected, columns=("id", "name"), table="t", **extra):
    return {"type": "sql.rows_equal", "table": table, "columns": list(columns), "expected": expected, **extra}


@pytest.fixture
def abc(sql):
    sql("CREATE TABLE t (id int, name text); INSERT INTO t VALUES (2, 'b'), (1, 'a'), (3, 'c')")


def test_rows_equal_unordered_passes(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"]]))
    assert status(result) == "passed"
    assert result.message == "t holds the expected 3 rows"


def test_rows_equal_fails_on_missing_row(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"], [4, "d"]]))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected 4; 1 expected row missing, e.g. (4, 'd')"


def test_rows_equal_fails_on_extra_row(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"]]))
    assert status(result) == "failed"
    assert result.message == "t has 3 rows; expected 2; 1 row that should not be there, e.g. (3, 'c')"


def test_rows_equal_fails_on_wrong_value(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "B"], [3, "c"]]))
    assert status(result) == "failed"
    assert "1 row that should not be there, e.g. (2, 'b')" in result.message
    assert "1 expected row missing, e.g. (2, 'B')" in result.message


def test_rows_equal_counts_duplicates(sql, run_check):
    sql("CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'a'), (1, 'a')")
    result = run_check(_rows([[1, "a"]]))
    assert status(result) == "failed"
    assert "t has 2 rows; expected 1" in result.message


def test_rows_equal_with_where(abc, run_check):
    assert status(run_check(_rows([[2, "b"], [3, "c"]], where="id > 1"))) == "passed"
    result = run_check(_rows([[1, "a"]], where="id > 1"))
    assert status(result) == "failed"
    assert result.message.startswith("t (where id > 1) has 2 rows; expected 1; ")
    assert "1 expected row missing, e.g. (1, 'a')" in result.message


def test_rows_equal_custom_message_prefix(abc, run_check):
    result = run_check(_rows([[1, "a"]], message="keep only the first customer"))
    assert status(result) == "failed"
    assert result.message.startswith("keep only the first customer: t has 3 rows; expected 1")


def test_rows_equal_ordered_with_order_by_passes(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"]], ordered=True, order_by="id"))
    assert status(result) == "passed", result.message


def test_rows_equal_ordered_fails_on_wrong_order(abc, run_check):
    result = run_check(_rows([[1, "a"], [2, "b"], [3, "c"]], ordered=True, order_by="id DESC"))
    assert status(result) == "failed"
    assert result.message == ("t has the right rows in the wrong order (first difference at row 1); "
                              "check your ORDER BY")


def test_rows_equal_missing_column_fails(abc, run_check):
    result = run_check(_rows([[1, 9.5]], columns=["id", "price"]))
    assert status(result) == "failed"
    assert result.message == "t has no column price"


def test_rows_equal_missing_table_fails(run_check):
    result = run_check(_rows([[1, "a"]]))
    assert status(result) == "failed"
    assert "table t does not exist" in result.message


def test_rows_equal_numeric_and_dates_match_plain_yaml_values(sql, run_check):
    sql("CREATE TABLE orders (id bigint, amount numeric(10,2), total numeric(10,2), placed date, at timestamp,"
        " ok boolean, note text);"
        "INSERT INTO orders VALUES (1, 12.50, 20.00, '2024-01-05', '2024-01-05 10:30:00', true, NULL)")
    expected = yaml_rows("""
        - [1, 12.5, 20, 2024-01-05, 2024-01-05 10:30:00, true, null]
    """)
    result = run_check(_rows(expected, columns=["id", "amount", "total", "placed", "at", "ok", "note"],
                             table="orders"))
    assert status(result) == "passed", result.message


def test_rows_equal_quoted_yaml_date_matches_too(sql, run_check):
    sql("CREATE TABLE orders (id int, placed date); INSERT INTO orders VALUES (1, '2024-01-05')")
    expected = yaml_rows("""- [1, "2024-01-05"]""")
    assert status(run_check(_rows(expected, columns=["id", "placed"], table="orders"))) == "passed"


def test_rows_equal_numeric_value_mismatch_fails(sql, run_check):
    sql("CREATE TABLE orders (id int, amount numeric(10,2)); INSERT INTO orders VALUES (1, 12.51)")
    result = run_check(_rows(yaml_rows("- [1, 12.5]"), columns=["id", "amount"], table="orders"))
    assert status(result) == "failed"
    assert "e.g. (1, 12.51)" in result.message
    assert "e.g. (1, 12.5)" in result.message


def test_rows_equal_date_mismatch_fails(sql, run_check):
    sql("CREATE TABLE orders (id int, placed date); INSERT INTO orders VALUES (1, '2024-01-06')")
    result = run_check(_rows(yaml_rows("- [1, 2024-01-05]"), columns=["id", "placed"], table="orders"))
    assert status(result) == "failed"
    assert "'2024-01-06'" in result.message and "'2024-01-05'" in result.message


def test_rows_equal_broken_where_is_an_error(abc, run_check):
    result = run_check(_rows([[1, "a"]], where="id >"))
    assert status(result) == "error"
    assert result.message.startswith("the check's query failed:")


# ---- sql.query_file -----------------------------------------------------------------------------

@pytest.fixture
def people(sql):
    sql("CREATE TABLE people (id int, name text, age int);"
        "INSERT INTO people VALUES (1, 'ada', 36), (2, 'bob', 17), (3, 'cy', 52), (4, 'dee', 12)")


ADULTS = "SELECT id, name FROM people WHERE age >= 18 ORDER BY name"


def _query_file(workspace, text, *, reference=ADULTS, ordered=False, name="answer.sql"):
    if text is not None:
        (workspace / name).write_text(text, encoding="utf-8")
    return {"type": "sql.query_file", "file": name, "reference": reference, "ordered": ordered}


def test_query_file_passes(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "-- adults\nSELECT id, name\nFROM people\nWHERE age > 17;\n")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message
    assert result.message == "your query in answer.sql returns the expected 2 rows"


def test_query_file_passes_with_block_comment_and_trailing_semicolons(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "/* my answer\n spanning lines */ SELECT id, name FROM people WHERE age >= 18;;\n")
    assert status(run_check(entry, workspace=tmp_path)) == "passed"


def test_query_file_missing_file_fails(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, None), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("answer.sql is missing from your workspace (")
    assert str(tmp_path) in result.message


@pytest.mark.parametrize("text", ["", "   \n\n", "-- TODO: write the query\n", "/* later */\n;\n",
                                  "-- I don't know yet\n"])
def test_query_file_empty_or_comment_only_fails(people, run_check, tmp_path, text):
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "answer.sql has no query yet; write one SELECT statement in it"


def test_query_file_syntax_error_is_a_failure_with_postgres_message(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELEC id, name FROM people"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == 'PostgreSQL refused your query in answer.sql: syntax error at or near "SELEC"'


def test_query_file_unknown_column_is_a_failure(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT id, nam FROM people"), workspace=tmp_path)
    assert status(result) == "failed"
    assert 'PostgreSQL refused your query in answer.sql: column "nam" does not exist' in result.message


def test_query_file_extra_rows_fail(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT id, name FROM people WHERE age > 15"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ("your query's result has 3 rows; expected 2; "
                              "1 row that should not be there, e.g. (2, 'bob')")


def test_query_file_missing_rows_fail(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT id, name FROM people WHERE age > 40"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "your query's result has 1 row; expected 2; 1 expected row missing, e.g. (1, 'ada')"


def test_query_file_no_rows_fail(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT id, name FROM people WHERE false"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("your query's result has 0 rows; expected 2")


def test_query_file_wrong_column_count_fails(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT name FROM people WHERE age >= 18"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "your query returns 1 column (name); expected 2 (id, name)"


def test_query_file_unordered_accepts_any_order(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE age >= 18 ORDER BY name DESC")
    assert status(run_check(entry, workspace=tmp_path)) == "passed"


def test_query_file_ordered_passes_in_order(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE age >= 18 ORDER BY name", ordered=True)
    assert status(run_check(entry, workspace=tmp_path)) == "passed"


def test_query_file_ordered_fails_on_wrong_order(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE age >= 18 ORDER BY name DESC", ordered=True)
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ("your query's result has the right rows in the wrong order "
                              "(first difference at row 1); check your ORDER BY")


def test_query_file_write_is_refused_and_data_unchanged(people, run_check, tmp_path, pg_ctx):
    result = run_check(_query_file(tmp_path, "DELETE FROM people"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "answer.sql must only read data (SELECT); it tried to change something"
    assert count(pg_ctx, "people") == 4


def test_query_file_writable_cte_is_refused_and_data_unchanged(people, run_check, tmp_path, pg_ctx):
    text = "WITH gone AS (DELETE FROM people WHERE age >= 18 RETURNING id, name) SELECT id, name FROM gone"
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "failed"
    assert "must only read data" in result.message
    assert count(pg_ctx, "people") == 4


@pytest.mark.parametrize("text", [
    "SELECT id, name FROM people WHERE age >= 18; SELECT 1",
    "SELECT id, name FROM people WHERE age >= 18;\nDELETE FROM people;",
    "COMMIT; DELETE FROM people",
])
def test_query_file_two_statements_are_refused_and_data_unchanged(people, run_check, tmp_path, pg_ctx, text):
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "answer.sql holds 2 statements; keep exactly one query in it"
    assert count(pg_ctx, "people") == 4


def test_query_file_semicolon_inside_a_string_literal_is_one_statement(sql, run_check, tmp_path):
    sql("CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, 'a;b'), (2, 'c')")
    entry = _query_file(tmp_path, "SELECT id FROM notes WHERE body = 'a;b'",
                        reference="SELECT id FROM notes WHERE id = 1")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_trailing_comment_with_apostrophe_is_one_statement(people, run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE age >= 18; -- that's all\n")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_quoted_semicolons_and_comments_are_one_statement(run_check, tmp_path):
    text = 'SELECT 1 AS "x;y", $$a;b$$ AS d, \'it\'\'s;\' AS s -- c;d\n/* e;f */;\n'
    entry = _query_file(tmp_path, text, reference="SELECT 1, 'a;b', 'it''s;'")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_escape_string_with_semicolon_is_one_statement(run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT E'a\\';b' AS s", reference="SELECT 'a'';b'")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_nested_block_comment_is_one_statement(run_check, tmp_path):
    entry = _query_file(tmp_path, "SELECT 1 /* outer /* inner */ still a comment; */", reference="SELECT 1")
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_slow_learner_query_fails_rather_than_blaming_the_service(people, run_check, tmp_path, pg_ctx):
    pg_ctx.close()
    pg_ctx.timeout = 1  # the check timeout setting: statement_timeout 1s on the next connection
    entry = _query_file(tmp_path, "SELECT id, name FROM people WHERE pg_sleep(3) IS NOT NULL")
    try:
        result = run_check(entry, workspace=tmp_path)
    finally:
        settle_timed_out_checks()
    assert status(result) == "failed", result.message
    assert result.message == "your query in answer.sql ran longer than 1s and was stopped"


def test_query_file_non_select_statement_fails(people, run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SET search_path = public"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == "answer.sql returns no rows at all; it should be a SELECT"


def test_query_file_reference_not_computable_yet_fails(run_check, tmp_path):
    result = run_check(_query_file(tmp_path, "SELECT 1"), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ('the expected result cannot be computed yet (relation "people" does not exist); '
                              "finish the earlier tasks first")


def test_query_file_reference_file_from_the_lab_folder(people, run_check, tmp_path, pg_ctx):
    lab = tmp_path / "lab"
    workspace = tmp_path / "ws"
    lab.mkdir()
    workspace.mkdir()
    (lab / "ref.sql").write_text(ADULTS + ";\n", encoding="utf-8")
    pg_ctx.lab_path = lab
    (workspace / "answer.sql").write_text("SELECT id, name FROM people WHERE age >= 18", encoding="utf-8")
    entry = {"type": "sql.query_file", "file": "answer.sql", "reference_file": "ref.sql"}
    assert status(run_check(entry, workspace=workspace)) == "passed"
    (workspace / "answer.sql").write_text("SELECT id, name FROM people", encoding="utf-8")
    result = run_check(entry, workspace=workspace)
    assert status(result) == "failed"
    assert "has 4 rows; expected 2" in result.message


# ---- sql.predicate ------------------------------------------------------------------------------

def _predicate(sql_text, message="the users table needs an admin", **extra):
    return {"type": "sql.predicate", "sql": sql_text, "message": message, **extra}


def test_predicate_true_passes(sql, run_check):
    sql("CREATE TABLE users (name text, admin bool); INSERT INTO users VALUES ('ada', true)")
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)", description="an admin exists"))
    assert status(result) == "passed"
    assert result.message == "an admin exists"


def test_predicate_false_fails_with_lab_message(sql, run_check):
    sql("CREATE TABLE users (name text, admin bool); INSERT INTO users VALUES ('bob', false)")
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)"))
    assert status(result) == "failed"
    assert result.message == "the users table needs an admin"
    assert result.found is False


@pytest.mark.parametrize("query", ["SELECT NULL::bool", "SELECT true WHERE false"])
def test_predicate_null_or_no_row_fails(run_check, query):
    result = run_check(_predicate(query))
    assert status(result) == "failed"
    assert result.message == "the users table needs an admin"
    assert result.found is None


def test_predicate_undefined_table_fails_not_errors(run_check):
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)"))
    assert status(result) == "failed"
    assert result.message == 'the users table needs an admin (relation "users" does not exist)'


def test_predicate_undefined_column_fails_not_errors(sql, run_check):
    sql("CREATE TABLE users (name text)")
    result = run_check(_predicate("SELECT EXISTS (SELECT 1 FROM users WHERE admin)"))
    assert status(result) == "failed"
    assert result.message == 'the users table needs an admin (column "admin" does not exist)'


def test_predicate_probe_is_rolled_back(sql, run_check, pg_ctx):
    sql("CREATE TABLE users (name text); INSERT INTO users VALUES ('ada')")
    result = run_check(_predicate("WITH gone AS (DELETE FROM users RETURNING 1) SELECT count(*) = 1 FROM gone"))
    assert status(result) == "passed"
    assert count(pg_ctx, "users") == 1


def test_predicate_invalid_lab_sql_is_an_error(run_check):
    result = run_check(_predicate("SELEC 1"))
    assert status(result) == "error"
    assert result.message == 'the check\'s query failed: syntax error at or near "SELEC"'


def test_predicate_runtime_error_is_an_error(run_check):
    result = run_check(_predicate("SELECT 1 / 0 = 1"))
    assert status(result) == "error"
    assert result.message == "the check's query failed: division by zero"


def test_predicate_timeout_is_an_error_saying_the_service_did_not_answer(run_check):
    started = time.monotonic()
    try:
        result = run_check(_predicate("SELECT pg_sleep(5) IS NOT NULL", timeout=1))
        elapsed = time.monotonic() - started
    finally:
        settle_timed_out_checks()
    assert status(result) == "error"
    assert result.message.startswith("the postgres service did not answer within 1s")
    assert result.duration < 4
    assert elapsed < 4


def test_next_check_after_a_timeout_can_connect(run_check, pg_ctx):
    pg_ctx.close()
    pg_ctx.timeout = 1  # connect_timeout 1s, so a hung connection attempt fails fast
    try:
        # no statement_timeout on the connection the slow check uses: the runner gives up first
        pg_connection(pg_ctx).execute("SET statement_timeout = 0")
        timed_out = run_check(_predicate("SELECT pg_sleep(5) IS NOT NULL", timeout=1))
        assert status(timed_out) == "error"
        assert "did not answer" in timed_out.message
        following = run_check(_predicate("SELECT true"))
        assert status(following) == "passed", following.message
    finally:
        settle_timed_out_checks()


_AFTER_TIMEOUT_SCRIPT = """
import json, sys, threading
from dataclasses import asdict
from pathlib import Path
from tests.live.conftest import pg_connection
from labctl.core.instance_records import InstanceRecord
from tests.conftest import make_manager
from labctl.check_engine import registry
from labctl.check_engine.runner import run_check
from labctl.core.model import CheckSpec, Task

manager = make_manager(Path(sys.argv[1]))
# the parent's instance is ephemeral: its record (with the roles' passwords) lives in the parent's memory
manager.records.save(InstanceRecord(**json.loads(sys.argv[3])), ephemeral=True)
view = manager.view(sys.argv[2])
task = Task("t", "t", view.lab.path, ("h",), (), (), ())
slow = registry.get("sql.predicate").model_validate(
    {"sql": "SELECT pg_sleep(5) IS NOT NULL", "message": "m", "service": "postgres", "timeout": 1})
for _ in range(4):
    ctx = manager.context(view)
    pg_connection(ctx).execute("SELECT 1")
    print(run_check(task, CheckSpec("sql.predicate", slow, 0), ctx).status.value, flush=True)
    ctx.close()
    after = manager.context(view)
    after.timeout = 2
    try:
        pg_connection(after).execute("SELECT 1")
        print("connected", flush=True)
    except Exception as exc:
        sys.exit(f"NOT-CONNECTED {exc}")
    after.close()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(10)
"""


def test_connection_after_a_timed_out_check_works(pg, tmp_path):
    """Run in a child process: the bug can crash the interpreter."""
    manager, view = pg
    root = Path(__file__).parents[2]
    script = tmp_path / "after_timeout.py"
    script.write_text(_AFTER_TIMEOUT_SCRIPT, encoding="utf-8")
    child = subprocess.run(
        [sys.executable, str(script), str(manager.settings.home), view.instance,
         json.dumps(asdict(manager.records.get(view.instance)))],
        capture_output=True, text=True, timeout=120, cwd=root, env=dict(os.environ, PYTHONPATH=str(root)),
    )
    assert child.returncode == 0, f"exit {child.returncode}: {child.stdout} {child.stderr[-500:]}"
    assert child.stdout.split() == ["error", "connected"] * 4, child.stdout


def test_predicate_lost_connection_is_an_error(run_check):
    result = run_check(_predicate("SELECT pg_terminate_backend(pg_backend_pid())"))
    assert status(result) == "error"
    assert result.message.startswith("lost the connection to PostgreSQL")
    assert "labctl status" in result.message


# ---- parameter validation (no database needed) --------------------------------------------------

def _validate(type_name: str, params: dict):
    from labctl.check_engine import registry

    cls = registry.get(type_name)
    assert cls is not None
    return cls.model_validate(params)


@pytest.mark.parametrize("type_name, params, fragment", [
    ("sql.constraint", {"table": "t", "kind": "foreign_key", "columns": ["a"]}, "needs references"),
    ("sql.constraint", {"table": "t", "kind": "primary_key"}, "needs columns"),
    ("sql.constraint", {"table": "t", "kind": "not_null"}, "needs columns"),
    ("sql.constraint", {"table": "t", "kind": "check"}, "needs rejects"),
    ("sql.constraint", {"table": "t", "kind": "exclusion", "columns": ["a"]}, "kind"),
    ("sql.constraint", {"table": "t", "kind": "foreign_key", "columns": ["a"], "references": {"table": "p"},
                        "on_delete": "drop"}, "on_delete"),
    ("sql.row_count", {"table": "t"}, "give equals, min or max"),
    ("sql.row_count", {"table": "t", "equals": -1}, "equals"),
    ("sql.query_file", {"file": "a.sql", "reference": "SELECT 1", "reference_file": "r.sql"}, "exactly one"),
    ("sql.query_file", {"file": "a.sql"}, "exactly one"),
    ("sql.columns", {"table": "t", "columns": []}, "columns"),
    ("sql.columns", {"table": "t", "columns": [{"name": "a", "size": 3}]}, "size"),
    ("sql.index", {"table": "t", "columns": []}, "columns"),
    ("sql.table_exists", {"table": "t; DROP TABLE x"}, "table"),
    ("sql.table_exists", {"table": "t", "colour": "red"}, "colour"),
    ("sql.predicate", {"sql": "SELECT true"}, "message"),
    ("sql.rows_equal", {"table": "t", "columns": ["a"]}, "expected"),
])
def test_invalid_parameters_are_refused(type_name, params, fragment):
    with pytest.raises(pydantic.ValidationError) as info:
        _validate(type_name, params)
    assert fragment in str(info.value)


@pytest.mark.parametrize("type_name, params", [
    ("sql.constraint", {"table": "t", "kind": "foreign_key", "columns": ["a"], "references": {"table": "p"}}),
    ("sql.constraint", {"table": "t", "kind": "check", "rejects": ["INSERT INTO t VALUES (-1)"]}),
    ("sql.row_count", {"table": "t", "min": 0}),
    ("sql.query_file", {"file": "a.sql", "reference_file": "r.sql"}),
])
def test_valid_parameters_are_accepted(type_name, params):
    assert _validate(type_name, params).type_name == type_name



def test_predicate_calling_a_function_not_written_yet_fails(run_check):
    result = run_check({"type": "sql.predicate", "sql": "SELECT transfer(1, 2, 10) IS NOT NULL",
                        "message": "write the function transfer(from, to, amount) first"})
    assert result.status.value == "failed"
    assert result.message.startswith("write the function transfer(from, to, amount) first (function transfer(")


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbfSELECT id, name FROM people WHERE age >= 18;\r\n",  # saved by Notepad: BOM and CRLF
    b"-- adults\rSELECT id, name\rFROM people WHERE age >= 18\r",  # classic Mac line ends after a comment
])
def test_query_file_with_a_byte_order_mark_or_windows_line_ends_passes(people, run_check, tmp_path, raw):
    (tmp_path / "answer.sql").write_bytes(raw)
    result = run_check(_query_file(tmp_path, None), workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_that_is_not_utf8_says_so(people, run_check, tmp_path):
    (tmp_path / "answer.sql").write_bytes("SELECT id, name FROM people WHERE name <> 'é'".encode("latin-1"))
    result = run_check(_query_file(tmp_path, None), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("answer.sql is not UTF-8 text (byte 0xe9 at position 43); save it as UTF-8")


# ---- sql.query_file: hidden probe data ------------------------------------------------------------

EIGHTEEN = {"case": "a person aged exactly 18",
            "sql": "INSERT INTO people VALUES (-1, 'zed-probe', 18)"}
SORTS_FIRST = {"case": "a person whose name sorts before the others",
               "sql": "INSERT INTO people VALUES (-2, 'aaa-probe', 40)"}


def _probed(workspace, text, *probes, ordered=False):
    entry = _query_file(workspace, text, ordered=ordered)
    entry["probes"] = list(probes)
    return entry


def test_query_file_right_on_live_data_but_wrong_at_the_boundary_fails_on_probe_data(people, run_check, tmp_path, pg_ctx):
    result = run_check(_probed(tmp_path, "SELECT id, name FROM people WHERE age > 18", EIGHTEEN), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == (
        "your query gives the right answer on the current data, but not on other data: with a person aged exactly 18, "
        "its result has 2 rows; expected 3; 1 expected row missing. "
        "Make it right for any rows the tables could hold, not only today's")
    assert count(pg_ctx, "people") == 4  # the probe row was rolled back


def test_query_file_without_order_by_fails_on_rows_inserted_in_another_order(people, run_check, tmp_path):
    entry = _probed(tmp_path, "SELECT id, name FROM people WHERE age >= 18", SORTS_FIRST, ordered=True)
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "failed"
    assert "with a person whose name sorts before the others, its result has the right rows in the wrong order" in result.message


def test_query_file_probe_data_is_never_shown(people, run_check, tmp_path):
    result = run_check(_probed(tmp_path, "SELECT id, name FROM people WHERE age > 18", EIGHTEEN), workspace=tmp_path)
    shown = json.dumps(asdict(result), default=str)
    assert status(result) == "failed"
    assert "zed-probe" not in shown and "-1" not in shown and "INSERT" not in shown


def test_query_file_right_answer_passes_on_every_probe(people, run_check, tmp_path, pg_ctx):
    entry = _probed(tmp_path, "SELECT p.id, p.name FROM people p WHERE NOT p.age < 18 ORDER BY p.name",
                    EIGHTEEN, SORTS_FIRST, ordered=True)
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "passed", result.message
    assert result.message == "your query in answer.sql returns the expected 2 rows, and on 2 other sets of data"
    assert count(pg_ctx, "people") == 4


@pytest.mark.parametrize("text", ["VALUES (1, 'ada'), (3, 'cy')",
                                  "SELECT 1 AS id, 'ada' AS name UNION ALL SELECT 3, 'cy'"])
def test_query_file_that_types_the_answer_in_fails_saying_so(people, run_check, tmp_path, text):
    result = run_check(_query_file(tmp_path, text), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("your query in answer.sql reads no table: its answer is typed in")


def test_query_file_that_reads_a_view_reads_its_tables(people, sql, run_check, tmp_path):
    sql("CREATE VIEW adults AS SELECT id, name FROM people WHERE age >= 18")
    result = run_check(_query_file(tmp_path, "SELECT * FROM adults"), workspace=tmp_path)
    assert status(result) == "passed", result.message


def test_query_file_refused_only_on_probe_data_says_so(people, run_check, tmp_path):
    text = "SELECT id, name FROM people WHERE age >= 18 AND 100 / (age - 18) IS NOT NULL"
    result = run_check(_probed(tmp_path, text, EIGHTEEN), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message == ("PostgreSQL refused your query in answer.sql on other data (a person aged exactly 18): "
                              "division by zero")


def test_query_file_probe_that_does_not_fit_the_learners_table_is_a_failure(sql, run_check, tmp_path):
    sql("CREATE TABLE people (id int, name text, age int CHECK (age > 30));"
        "INSERT INTO people VALUES (1, 'ada', 36), (3, 'cy', 52)")
    result = run_check(_probed(tmp_path, "SELECT id, name FROM people WHERE age >= 18", EIGHTEEN), workspace=tmp_path)
    assert status(result) == "failed"
    assert result.message.startswith("labctl could not add its own test data to your tables (")
    assert "make sure your tables are exactly as the earlier tasks ask" in result.message


def test_query_file_reference_failing_on_probe_data_is_the_labs_error(people, run_check, tmp_path):
    entry = _probed(tmp_path, "SELECT id, name FROM people WHERE age >= 18",
                    {"case": "a broken probe", "sql": "INSERT INTO people VALUES (-3, 'x', 0)"})
    entry["reference"] = "SELECT id, name FROM people WHERE 1 / age > 0 OR age >= 18"
    result = run_check(entry, workspace=tmp_path)
    assert status(result) == "error"
    assert "this is a bug in the lab" in result.message


def test_query_file_probe_data_cannot_be_written_around_by_the_learners_query(people, run_check, tmp_path, pg_ctx):
    text = "WITH gone AS (DELETE FROM people RETURNING id, name) SELECT id, name FROM gone"
    result = run_check(_probed(tmp_path, text, EIGHTEEN), workspace=tmp_path)
    assert status(result) == "failed"
    assert "must only read data" in result.message
    assert count(pg_ctx, "people") == 4


# ---- types that accept what the instructions accept ------------------------------------------------

@pytest.mark.parametrize("declared", ["numeric(10,2)", "numeric", "decimal(12, 4)"])
def test_columns_numeric_without_precision_accepts_any_precision(sql, run_check, declared):
    sql(f"CREATE TABLE prices (amount {declared})")
    result = run_check(_columns({"name": "amount", "type": "numeric"}, table="prices"))
    assert status(result) == "passed", result.message


@pytest.mark.parametrize("declared", ["varchar(40)", "timestamp(3) with time zone"])
def test_columns_a_type_without_size_accepts_any_size(sql, run_check, declared):
    spec = "varchar" if declared.startswith("varchar") else "timestamptz"
    sql(f"CREATE TABLE t (c {declared})")
    assert status(run_check(_columns({"name": "c", "type": spec}, table="t"))) == "passed"


def test_columns_a_type_without_size_still_refuses_another_type_and_says_any_size(sql, run_check):
    sql("CREATE TABLE prices (amount real)")
    result = run_check(_columns({"name": "amount", "type": "numeric"}, table="prices"))
    assert status(result) == "failed"
    assert result.message == "column prices.amount has type real; expected numeric (any size)"


def test_columns_numeric_with_precision_refuses_bare_numeric(sql, run_check):
    sql("CREATE TABLE prices (amount numeric)")
    result = run_check(_columns({"name": "amount", "type": "numeric(10,2)"}, table="prices"))
    assert status(result) == "failed"
    assert result.message == "column prices.amount has type numeric; expected numeric(10,2)"


# ---- probes that pin the rule: which CHECK refused, both sides of the boundary ----------------------

def _total_check(**extra):
    return _constraint("check", table="orders", columns=["total"],
                       rejects=["INSERT INTO orders VALUES (2, 5, -0.01)"],
                       accepts=["INSERT INTO orders VALUES (3, 5, 0)"], **extra)


def test_check_constraint_on_the_right_column_with_the_right_boundary_passes(sql, run_check):
    sql("CREATE TABLE orders (id int CHECK (id > 0), customer_id int, total numeric CHECK (total >= 0))")
    result = run_check(_total_check())
    assert status(result) == "passed", result.message
    assert result.message == "orders refuses the rows it should and accepts the ones it should"


def test_check_constraint_on_another_column_fails_naming_it(sql, run_check):
    sql("CREATE TABLE orders (id int, customer_id int, total numeric, CONSTRAINT odd CHECK (customer_id <> 5))")
    result = run_check(_total_check())
    assert status(result) == "failed"
    assert result.message == ("orders refused the row only through odd on customer_id, not through a CHECK on total: "
                              "add the CHECK constraint on total the task asks for")


def test_check_constraint_with_the_boundary_off_by_one_fails(sql, run_check):
    sql("CREATE TABLE orders (id int, customer_id int, total numeric CONSTRAINT positive CHECK (total > 0))")
    result = run_check(_total_check())
    assert status(result) == "failed"
    assert result.message.startswith("orders refuses a row it should accept: positive goes too far")


def test_check_constraint_through_a_domain_on_the_column_passes(sql, run_check):
    sql("CREATE DOMAIN money_amount AS numeric CHECK (VALUE >= 0);"
        "CREATE TABLE orders (id int, customer_id int, total money_amount)")
    assert status(run_check(_total_check())) == "passed"


def test_check_constraint_accepts_only_with_check_kind(run_check):
    with pytest.raises(Exception, match="accepts is for check constraints only"):
        run_check(_constraint("unique", ["a"], accepts=["SELECT 1"]))


# ---- the index's method and predicate, the object's kind ---------------------------------------------

def test_index_that_is_partial_fails_saying_so(sql, run_check):
    sql("CREATE TABLE t (id int, visitor_id int); CREATE INDEX t_v ON t (visitor_id) WHERE visitor_id = 42")
    result = run_check(_index(["visitor_id"]))
    assert status(result) == "failed"
    assert result.message == ("index t_v on t(visitor_id) is partial (WHERE visitor_id = 42): it only covers some rows; "
                              "create it without a WHERE clause")
    assert status(run_check(_index(["visitor_id"], partial=True))) == "passed"


def test_index_of_another_method_fails_unless_the_check_accepts_any(sql, run_check):
    sql("CREATE TABLE t (id int, visitor_id int); CREATE INDEX t_v ON t USING hash (visitor_id)")
    result = run_check(_index(["visitor_id"]))
    assert status(result) == "failed"
    assert result.message.startswith("index t_v on t(visitor_id) is a hash index; expected a btree index")
    assert status(run_check(_index(["visitor_id"], method=None))) == "passed"
    assert status(run_check(_index(["visitor_id"], method="hash"))) == "passed"


def test_a_materialized_view_is_not_a_view(sql, run_check):
    sql("CREATE TABLE t (id int); CREATE MATERIALIZED VIEW v AS SELECT id FROM t; CREATE VIEW w AS SELECT id FROM t")
    result = run_check({"type": "sql.table_exists", "table": "v", "kind": "view"})
    assert status(result) == "failed"
    assert result.message == "v is a materialized view; expected a view"
    assert status(run_check({"type": "sql.table_exists", "table": "v", "kind": "materialized view"})) == "passed"
    assert status(run_check({"type": "sql.table_exists", "table": "w", "kind": "view"})) == "passed"
