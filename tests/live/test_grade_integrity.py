"""Submissions that attack the checks instead of doing the work, graded end to end: each scores what its work
deserves. (On labctl 0.x, where the learner was a superuser and the checks used the learner's search path,
the first graded 10/10 and the second passed its empty query files.)"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.live.test_grade import labctl, submission

pytestmark = pytest.mark.live

# Makes the learner's own pg_constraint, with a forged foreign key, first on every search path it may set.
SHADOW_CATALOG = """
CREATE SCHEMA zz;
CREATE VIEW zz.pg_constraint AS
  SELECT c.oid, c.conname, c.connamespace, c.contype, c.conrelid, c.conkey, c.confrelid, c.confkey, c.confdeltype
  FROM pg_catalog.pg_constraint c
  UNION ALL
  SELECT 0::oid, 'orders_customer_id_fkey'::name, 'public'::regnamespace::oid, 'f'::"char",
         'public.orders'::regclass::oid, ARRAY[2]::int2[], 'public.customers'::regclass::oid, ARRAY[1]::int2[],
         'a'::"char";
DO $$ BEGIN
  EXECUTE format('ALTER ROLE %I SET search_path = zz, pg_catalog, public', current_user);
  EXECUTE format('ALTER DATABASE %I SET search_path = zz, pg_catalog, public', current_database());
END $$;
"""

# `=` and `<>` that are never true, for the types the reference queries compare, first on the search path.
FALSE_OPERATORS = """
CREATE SCHEMA zz;
CREATE FUNCTION zz.never(anyelement, anyelement) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE FUNCTION zz.never_text(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE FUNCTION zz.never_int(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE OPERATOR zz.= (LEFTARG = text, RIGHTARG = text, FUNCTION = zz.never_text);
CREATE OPERATOR zz.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = zz.never_text);
CREATE OPERATOR zz.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = zz.never_int);
CREATE OPERATOR zz.<> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = zz.never_int);
DO $$ BEGIN
  EXECUTE format('ALTER ROLE %I SET search_path = zz, pg_catalog, public', current_user);
  EXECUTE format('ALTER DATABASE %I SET search_path = zz, pg_catalog, public', current_database());
END $$;
"""


def grade(folder: Path, results: Path):
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results))
    return done, json.loads(results.read_text())


def test_a_forged_catalog_view_does_not_pass_the_missing_foreign_key(tmp_path):
    folder = submission(tmp_path, "databases-101", near_miss="orders-without-fk")
    (folder / "sql" / "99-shadow.sql").write_text(SHADOW_CATALOG)
    done, data = grade(folder, tmp_path / "results.json")
    assert done.returncode == 3, done.stdout + done.stderr
    assert not data["notes"], data["notes"]  # the attack itself ran: it simply changes nothing
    failing = [t for t in data["tests"] if t["status"] != "pass"]
    assert [t["task_id"] for t in failing] == ["create-orders"]
    assert "has no foreign key referencing customers" in failing[0]["message"]
    assert data["score"] == 9


def test_operators_that_are_never_true_do_not_make_empty_query_files_pass(tmp_path):
    folder = submission(tmp_path, "databases-101")
    (folder / "sql" / "99-operators.sql").write_text(FALSE_OPERATORS)
    (folder / "sql" / "98-copy.sql").write_text("COPY (SELECT 1) TO PROGRAM 'touch /tmp/owned';\n")
    queries = sorted((folder / "queries").glob("*.sql"))
    assert queries
    for query in queries:  # nothing returned, with whatever columns the reference has
        query.write_text(query.read_text().rstrip().rstrip(";") + " LIMIT 0;\n")
    done, data = grade(folder, tmp_path / "results.json")
    assert done.returncode == 3, done.stdout + done.stderr
    notes = {note["file"]: note["message"] for note in data["notes"]}
    assert "must be superuser or have privileges of the pg_execute_server_program role" in notes.get(
        "sql/98-copy.sql", ""), notes
    assert data["score"] < data["max_score"]
    query_tasks = [t for t in data["tests"] if t["task_id"] in ("select-filter", "join", "aggregate")]
    assert query_tasks and all(t["status"] == "fail" for t in query_tasks), query_tasks
    assert any("named like PostgreSQL's own" in t["message"] for t in data["tests"]), data["tests"]
