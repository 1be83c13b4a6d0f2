"""PostgreSQL's three roles, live: the learner's work cannot change what the checks see or break labctl's own
bookkeeping (services/postgres.py, checks/sql/postgres.py)."""
from __future__ import annotations

import psycopg
import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live


def checker(pg):
    from labctl.services import postgres

    manager, view = pg
    ctx = manager.context(view)
    try:
        return postgres.connect(ctx.service("postgres"), role="checker", timeout=10)
    finally:
        ctx.close()


def test_the_learner_is_an_ordinary_role_that_owns_the_lab_database(learner_db):
    row = learner_db.execute(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolbypassrls, d.datdba = r.oid FROM pg_roles r, pg_database d "
        "WHERE r.rolname = current_user AND d.datname = current_database()").fetchone()
    assert row == (False, False, False, True)


def test_the_checks_role_is_no_superuser_and_reads_every_table(pg, learner_db, pg_ctx):
    learner_db.execute("CREATE TABLE secret_notes (id int); INSERT INTO secret_notes VALUES (1)")
    learner_db.execute("REVOKE ALL ON secret_notes FROM PUBLIC")
    learner_db.execute("ALTER TABLE secret_notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
    with checker(pg) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        assert conn.execute("SELECT count(*) FROM secret_notes").fetchone() == (1,)  # row security does not hide it


def test_copy_to_program_is_refused_to_the_learner(learner_db):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        learner_db.execute("COPY (SELECT 1) TO PROGRAM 'touch /tmp/owned'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        learner_db.execute("CREATE TABLE t_out (x text); COPY t_out FROM '/etc/passwd'")


def test_settings_the_learner_puts_on_the_database_or_role_do_not_reach_the_checks(pg, learner_db, pg_ctx):
    db = learner_db.execute("SELECT current_database()").fetchone()[0]
    learner_db.execute("CREATE SCHEMA zz")
    statements = [f'ALTER DATABASE "{db}" SET {setting}' for setting in (
        "search_path = zz, pg_catalog, public", "default_transaction_read_only = on", "transform_null_equals = on",
        "DateStyle = 'SQL, DMY'", "statement_timeout = 1")]
    statements.append("ALTER ROLE CURRENT_USER SET search_path = zz")
    try:
        for statement in statements:
            learner_db.execute(statement)
        with checker(pg) as conn:
            shown = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in (
                "search_path", "default_transaction_read_only", "transform_null_equals", "DateStyle")}
            assert shown == {"search_path": "pg_catalog,public", "default_transaction_read_only": "off",
                             "transform_null_equals": "off", "DateStyle": "ISO, MDY"}
            assert conn.execute("SELECT pg_sleep(0.05) IS NOT NULL").fetchone() == (True,)  # no 1 ms timeout
    finally:
        learner_db.execute(f'ALTER DATABASE "{db}" RESET ALL')
        learner_db.execute("ALTER ROLE CURRENT_USER RESET ALL")
        learner_db.execute("DROP SCHEMA zz CASCADE")


def test_a_catalog_table_shadowed_in_the_learners_schema_is_not_what_the_checks_read(learner_db, sql, run_check):
    """A view named pg_constraint that adds a forged foreign key, first on the learner's search path."""
    db = learner_db.execute("SELECT current_database()").fetchone()[0]
    sql("CREATE TABLE customers (id serial PRIMARY KEY); CREATE TABLE orders (id serial, customer_id int)")
    sql("""CREATE SCHEMA zz;
           CREATE VIEW zz.pg_constraint AS
             SELECT c.oid, c.conname, c.conrelid, c.contype, c.conkey, c.confrelid, c.confkey, c.confdeltype
             FROM pg_catalog.pg_constraint c
             UNION ALL SELECT 0::oid, 'forged'::name, 'public.orders'::regclass::oid, 'f'::"char",
                              ARRAY[2]::int2[], 'public.customers'::regclass::oid, ARRAY[1]::int2[], 'a'::"char";
           ALTER ROLE CURRENT_USER SET search_path = zz, pg_catalog, public""")
    learner_db.execute(f'ALTER DATABASE "{db}" SET search_path = zz, pg_catalog, public')
    try:
        result = run_check({"type": "sql.constraint", "table": "orders", "kind": "foreign_key",
                            "columns": ["customer_id"], "references": {"table": "customers"}})
        assert result.status.value == "failed", result.message
        assert "has no foreign key referencing customers" in result.message
    finally:
        learner_db.execute(f'ALTER DATABASE "{db}" RESET ALL')
        learner_db.execute("ALTER ROLE CURRENT_USER RESET ALL")
        learner_db.execute("DROP SCHEMA zz CASCADE")


@pytest.mark.parametrize("definition", [
    # An operator whose argument types match better than the built-in one wins wherever it lives.
    "CREATE FUNCTION public.never(varchar, varchar) RETURNS boolean LANGUAGE sql AS 'SELECT false';"
    "CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.never)",
    "CREATE FUNCTION zz.lower(varchar) RETURNS text LANGUAGE sql AS 'SELECT ''x''::text'",
])
def test_a_function_or_operator_named_like_postgresqls_own_fails_every_check_and_says_why(
        learner_db, sql, run_check, definition):
    sql("CREATE TABLE t (name varchar(20)); INSERT INTO t VALUES ('a')")
    sql("CREATE SCHEMA zz")
    try:
        sql(definition)
        result = run_check({"type": "sql.predicate", "sql": "SELECT count(*) = 1 FROM t WHERE name = 'a'",
                            "message": "m"})
        assert result.status.value == "failed"
        assert "named like PostgreSQL's own" in result.message
        assert "operator public.=(character varying, character varying)" in result.message \
            or "function zz.lower(character varying)" in result.message
    finally:
        learner_db.execute("DROP SCHEMA zz CASCADE")
        learner_db.execute("DROP FUNCTION IF EXISTS public.never(varchar, varchar) CASCADE")
    assert run_check({"type": "sql.predicate", "sql": "SELECT count(*) = 1 FROM t WHERE name = 'a'",
                      "message": "m"}).status.value == "passed"


def test_an_extension_the_learner_may_install_is_not_taken_for_shadowing(learner_db, sql, run_check):
    sql("CREATE EXTENSION IF NOT EXISTS pgcrypto")  # trusted: the database's owner may; gen_random_uuid() twice
    try:
        assert learner_db.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'gen_random_uuid'").fetchone()[0] == 2
        assert run_check({"type": "sql.predicate", "sql": "SELECT true", "message": "m"}).status.value == "passed"
    finally:
        learner_db.execute("DROP EXTENSION pgcrypto")


def test_reset_puts_back_a_learner_role_that_changed_its_password_and_went_read_only(engine, tmp_path):
    manager = make_manager(tmp_path / "home")
    name = new_instance_name("roles")
    manager.start("pg-seeded", name=name, workspace=tmp_path / "ws")
    try:
        view = manager.view(name)
        url = view.services[0].urls["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO marker VALUES (2)")
            db = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
            conn.execute("ALTER ROLE CURRENT_USER SET default_transaction_read_only = on")
            conn.execute("ALTER ROLE CURRENT_USER PASSWORD 'mine'")
        view, results = manager.check(name)
        assert results[0].status.value == "passed", results[0].checks[0].message  # the checks do not care

        manager.reset(name)
        view, results = manager.check(name)
        assert results[0].status.value == "failed" and "marker has 1 rows; expected 2" in results[0].checks[0].message
        with psycopg.connect(url, autocommit=True) as conn:  # the instance's password again, and writable
            conn.execute("INSERT INTO marker VALUES (2)")
        assert manager.check(name)[1][0].status.value == "passed"
    finally:
        manager.destroy(name)
