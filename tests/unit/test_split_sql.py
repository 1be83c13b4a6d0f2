"""The learner's query file is split the way PostgreSQL would read it."""
import pytest


@pytest.fixture(scope="module")
def split_sql():
    from labctl.services.postgres_statements import split_sql

    return split_sql


@pytest.mark.parametrize("text, statements", [
    ("", []),
    ("-- Task 4: write your query here\n", []),
    ("-- don't forget the ; at the end\nSELECT 1;\n", ["SELECT 1"]),
    ("/* a; b */ SELECT 1", ["SELECT 1"]),
    ("SELECT 'a;b' FROM t;", ["SELECT 'a;b' FROM t"]),
    ("SELECT 'it''s; fine'", ["SELECT 'it''s; fine'"]),
    ('SELECT "odd;name" FROM t', ['SELECT "odd;name" FROM t']),
    ("SELECT $$x;y$$, $t$a;$t$", ["SELECT $$x;y$$, $t$a;$t$"]),
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT 1;;;", ["SELECT 1"]),
])
def test_split_sql(split_sql, text, statements):
    assert split_sql(text) == statements
