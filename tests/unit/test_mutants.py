"""Mutants made from reference solutions: each a plausible mistake in one place, named stably."""
from __future__ import annotations

import pytest

from labctl.core.mutants.sql_text import round_trip, sql_mutants
from labctl.core.mutants.text_mutants import line_mutants

pytest.importorskip("sqlglot")

QUERY = ("SELECT c.name, count(o.id) FROM customers c JOIN orders o ON o.customer_id = c.id "
         "WHERE o.status <> 'cancelled' AND o.total >= 10 GROUP BY c.id, c.name HAVING count(o.id) >= 2 "
         "ORDER BY sum(o.total) DESC, c.name LIMIT 5")


def _by_operator(statements, engine="postgres"):
    return {m.operator: m.text for m in sql_mutants(statements, engine)}


def test_a_query_gets_each_kind_of_mistake_once_per_place():
    made = _by_operator([QUERY])
    assert {"drop-order-by-1", "drop-sort-key-1", "reverse-sort-key-1", "reverse-sort-key-2", "flip-comparison-1",
            "flip-comparison-2", "flip-comparison-3", "drop-where-1", "drop-condition-1", "drop-condition-2",
            "drop-having-1", "join-type-1", "join-on-true-1", "drop-limit-1", "count-star-1",
            "change-string-1"} <= set(made)
    assert "ORDER BY" not in made["drop-order-by-1"]
    flipped = [text for op, text in made.items() if op.startswith("flip-comparison")]
    assert any("o.status = 'cancelled'" in t for t in flipped)
    assert any("o.total > 10" in t for t in flipped)
    assert any("o.customer_id <> c.id" in t for t in flipped)
    assert "LEFT JOIN orders" in made["join-type-1"]
    assert any("WHERE o.total >= 10 GROUP BY" in t for op, t in made.items() if op.startswith("drop-condition"))
    assert "LIMIT" not in made["drop-limit-1"]


def test_every_mutant_differs_from_the_reference_and_from_each_other():
    texts = [m.text for m in sql_mutants([QUERY], "postgres")]
    assert round_trip(QUERY, "postgres") + ";\n" not in texts
    assert len(texts) == len(set(texts))


def test_mutant_names_are_stable_between_runs():
    assert [m.operator for m in sql_mutants([QUERY], "postgres")] == [m.operator for m in sql_mutants([QUERY], "postgres")]


def test_ddl_mutants_drop_each_constraint_and_shift_the_check_boundary():
    ddl = "CREATE TABLE orders (id serial PRIMARY KEY, total numeric(10,2) NOT NULL CHECK (total >= 0))"
    made = _by_operator([ddl])
    dropped = [text for op, text in made.items() if op.startswith("drop-constraint")]
    assert any("PRIMARY KEY" not in t for t in dropped)
    assert any("NOT NULL CHECK" not in t and "CHECK" in t for t in dropped)
    assert any("total > 0" in t for t in made.values())
    assert any("total >= 1" in t for t in made.values())


def test_a_view_becomes_a_table_or_a_materialized_view_and_an_index_partial_or_hash():
    made = _by_operator(["CREATE VIEW v AS SELECT id FROM t", "CREATE INDEX t_a ON t (a)"])
    assert made["s1-view-as-table"].startswith("CREATE TABLE v AS SELECT id FROM t")
    assert made["s1-view-as-materialized-view"].startswith("CREATE MATERIALIZED VIEW v AS")
    assert "WHERE a = 42" in made["s2-partial-index"]
    assert "USING hash (a)" in made["s2-hash-index"]
    assert made["drop-statement-2"] == "CREATE VIEW v AS SELECT id FROM t;\n"


def test_a_statement_sqlglot_cannot_read_is_only_dropped_whole():
    body = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$"
    made = _by_operator([body, "SELECT 1"])
    assert [op for op in made if op.startswith("s1-")] == []
    assert "drop-statement-1" in made


def test_line_mutants_drop_swap_and_change_literals_but_never_comments():
    text = "# set up\nSET counter 10\nEXPIRE counter 60\n\nHSET user:1 name \"Ada\"\n"
    made = {m.operator: m.text for m in line_mutants(text)}
    assert made["drop-line-2"] == "# set up\nEXPIRE counter 60\n\nHSET user:1 name \"Ada\"\n"
    assert made["swap-lines-2-3"].splitlines()[1:3] == ["EXPIRE counter 60", "SET counter 10"]
    assert "EXPIRE counter 61" in made["line-3-number-1-plus-one"]
    assert "SET counter 9" in made["line-2-number-1-minus-one"]
    assert 'name "Adax"' in made["line-5-string-1"]
    assert not any(op.startswith("drop-line-1") for op in made)
    assert "user:2" not in "".join(made.values())  # numbers inside key names are names, not literals


def test_structured_mutants_change_items_keys_and_values_but_not_key_order_or_assertions():
    from labctl.core.mutants.text_mutants import structured_mutants

    text = "requests:\n  - {method: GET, path: /a, expect: 200}\n  - {method: POST, path: /b, json: {n: 1}, expect: 201}\n"
    made = {m.operator: m.text for m in structured_mutants(text, skip_keys=frozenset({"expect"}))}
    assert "requests.0:drop-item" in made and "requests.0:swap-with-next" in made
    assert "path: /ax" in made["requests.0.path:change-string"]
    assert "n: 2" in made["requests.1.json.n:plus-one"]
    assert "requests.1.json:drop-key" in made
    assert not [op for op in made if "expect" in op]
    assert list(structured_mutants("not: [valid")) == []


def test_plumbing_lines_a_lab_names_are_never_mutated():
    text = "set -eu\ngit config user.name 'Lee'\ngit switch -c feature\ngit push -u origin feature\n"
    made = [m.operator for m in line_mutants(text, fixed=("set -eu", "git config *"))]
    assert "drop-line-1" not in made and "drop-line-2" not in made and "line-2-string-1" not in made
    assert {"drop-line-3", "drop-line-4", "swap-lines-3-4"} <= set(made)


def test_a_plumbing_sql_statement_is_only_dropped_whole():
    statements = ["CREATE TABLE books (id int PRIMARY KEY)",
                  "INSERT INTO knex_migrations (name, batch)\n  VALUES ('create_books.js', 1)"]
    assert [op for op in _by_operator(statements) if op.startswith("s2-")]  # mutated when not plumbing
    made = {m.operator for m in sql_mutants(statements, "postgres", fixed=("insert into knex_migrations *",))}
    assert "drop-statement-2" in made and not [op for op in made if op.startswith("s2-")]
    assert [op for op in _by_operator(statements) if op.startswith("s1-")]


def test_numbers_and_strings_in_a_trailing_comment_are_not_mutated():
    made = [m.operator for m in line_mutants("git switch -q main   # as after task 2, 'see'\necho '#1 fan' 3\n")]
    assert not [op for op in made if op.startswith("line-1-number") or op.startswith("line-1-string")]
    assert "line-2-string-1" in made and "line-2-number-1-plus-one" in made  # '#1' is inside quotes: no comment
