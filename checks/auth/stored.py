"""What the learner's app stored, read from the lab's PostgreSQL without knowing its schema.

Every ordinary table outside the system schemas (and outside labctl's own, and extensions') is searched for
rows where a text-like column equals a test user's email (case-insensitively), or where any text-like,
bytea, JSON or array column holds the password or an unsalted digest of it (weak.needles); a row with the
email but no hash is followed one foreign key away (a credentials table keyed by the user's id). Rows come
back as to_jsonb, so every column of any type is read the same way. Each query is bounded: at most
MAX_TABLES tables, MAX_ROWS rows per table, and the connection's statement timeout.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .judge import Cell, Row

Query = Callable[..., list[tuple]]

MAX_TABLES = 200
MAX_ROWS = 20
MAX_LINKS = 20
LABCTL_SCHEMAS = ("labctl_audit",)

_TABLES = """
SELECT n.nspname::text, c.relname::text, c.oid::bigint,
       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE t.typcategory = 'S'), '{}'),
       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE t.typcategory IN ('S', 'U', 'A')), '{}'),
       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE t.typname = 'bytea'), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind = 'r'
  AND n.nspname <> ALL(%s) AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
GROUP BY n.nspname, c.relname, c.oid
ORDER BY n.nspname <> 'public', n.nspname, c.relname
LIMIT %s
"""

_FOREIGN_KEYS = """
SELECT con.conrelid::bigint, con.confrelid::bigint,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i)
FROM pg_constraint con
WHERE con.contype = 'f' AND (con.conrelid = %s OR con.confrelid = %s)
ORDER BY con.oid
LIMIT %s
"""


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _param_safe(sql_text: str) -> str:
    """An identifier put into a query that has parameters: a % in it must not read as a placeholder."""
    return sql_text.replace("%", "%%")


def shown_ident(name: str) -> str:
    """An identifier as a learner writes it: bare when it needs no quotes."""
    simple = name.isidentifier() and name == name.lower() and name.isascii()
    return name if simple else ident(name)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    oid: int
    text_columns: tuple[str, ...]  # where an email can be
    searched_columns: tuple[str, ...]  # where the password can be
    bytea_columns: frozenset[str] = frozenset()

    @property
    def shown(self) -> str:
        """As learners name it: users, or app.users outside public."""
        name = shown_ident(self.name)
        return name if self.schema == "public" else f"{shown_ident(self.schema)}.{name}"

    @property
    def sql(self) -> str:
        return _param_safe(f"{ident(self.schema)}.{ident(self.name)}")


@dataclass(frozen=True)
class FoundRow:
    table: Table
    ctid: str
    row: Row


def row_from_json(table: Table, data: dict[str, Any], via: str | None = None) -> Row:
    """A row read with to_jsonb: bytea columns ("\\x...") become their bytes (and their text when it is UTF-8);
    JSON columns give a cell per string inside them (data.password_hash)."""
    cells: list[Cell] = []
    for column, value in data.items():
        if column in table.bytea_columns and isinstance(value, str) and value.startswith("\\x"):
            try:
                raw = bytes.fromhex(value[2:])
            except ValueError:
                raw = None
            text = value
            if raw is not None:
                try:
                    decoded = raw.decode("utf-8")
                    text = decoded if decoded.isprintable() else value
                except UnicodeDecodeError:
                    pass
            cells.append(Cell(table.shown, column, text, raw))
        else:
            cells.extend(Cell(table.shown, path, text) for path, text in _leaves(column, value))
    return Row(table.shown, tuple(cells), via)


def _leaves(path: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [leaf for key, inner in value.items() for leaf in _leaves(f"{path}.{key}", inner)]
    if isinstance(value, list):
        return [leaf for i, inner in enumerate(value) for leaf in _leaves(f"{path}[{i}]", inner)]
    if value is None:
        return []
    return [(path, value if isinstance(value, str) else json.dumps(value))]


def tables(query: Query) -> list[Table]:
    """The learner's tables, public first."""
    found = query(_TABLES, (list(LABCTL_SCHEMAS), MAX_TABLES))
    return [Table(schema, name, int(oid), tuple(text), tuple(searched), frozenset(binary))
            for schema, name, oid, text, searched, binary in found]


def _scan_sql(table: Table) -> str:
    by_email = " OR ".join(f"lower(t.{_param_safe(ident(c))}::text) = ANY(%(emails)s)" for c in table.text_columns)
    hay = "concat_ws(' ', " + ", ".join(f"t.{_param_safe(ident(c))}::text" for c in table.searched_columns) + ")"
    by_password = (f"EXISTS (SELECT 1 FROM unnest(%(needles)s::text[]) AS k(n) WHERE strpos(lower({hay}), k.n) > 0)"
                   if table.searched_columns else "false")
    return (f"SELECT t.ctid::text, to_jsonb(t)::text FROM ONLY {table.sql} t "
            f"WHERE {by_email or 'false'} OR {by_password} LIMIT {MAX_ROWS}")


def scan(query: Query, found_tables: list[Table], emails: list[str], needles: list[str]) -> list[FoundRow]:
    """Rows holding one of the emails, or one of the needles, in every table."""
    out: list[FoundRow] = []
    params = {"emails": [e.lower() for e in emails], "needles": needles}
    for table in found_tables:
        if not table.searched_columns:
            continue
        for ctid, text in query(_scan_sql(table), params):
            out.append(FoundRow(table, ctid, row_from_json(table, json.loads(text))))
    return out


def find(query: Query, emails: list[str], needles: list[str], *, wait: float) -> tuple[list[Table], list[FoundRow]]:
    """Tables and rows, searched again for up to `wait` seconds until every email is found (an app may write
    after it answers)."""
    deadline = time.monotonic() + wait
    while True:
        found_tables = tables(query)
        rows = scan(query, found_tables, emails, needles)
        if all(any(r.row.holds(e) for r in rows) for e in emails) or time.monotonic() >= deadline:
            return found_tables, rows
        time.sleep(0.25)


def linked(query: Query, found_tables: list[Table], start: FoundRow) -> list[Row]:
    """The rows one foreign key away from `start`, either way (a credentials row that references the user)."""
    by_oid = {t.oid: t for t in found_tables}
    out: list[Row] = []
    for child_oid, parent_oid, child_cols, parent_cols in query(
            _FOREIGN_KEYS, (start.table.oid, start.table.oid, MAX_LINKS)):
        child, parent = by_oid.get(int(child_oid)), by_oid.get(int(parent_oid))
        if child is None or parent is None:
            continue
        on = " AND ".join(f"c.{_param_safe(ident(a))} = p.{_param_safe(ident(b))}"
                          for a, b in zip(child_cols, parent_cols))
        directions = []
        if parent.oid == start.table.oid:  # rows that reference the start row
            directions.append((child, "c", "p"))
        if child.oid == start.table.oid:  # the row the start row references
            directions.append((parent, "p", "c"))
        for other, alias, mine in directions:
            sql_text = (f"SELECT {alias}.ctid::text, to_jsonb({alias})::text FROM ONLY {child.sql} c "
                        f"JOIN ONLY {parent.sql} p ON {on} WHERE {mine}.ctid = %s::tid LIMIT {MAX_ROWS}")
            via = f"linked to {start.table.shown} by a foreign key"
            out += [row_from_json(other, json.loads(text), via) for _, text in query(sql_text, (start.ctid,))]
    return out


# ---- evidence: the queries as a learner can run them ----------------------------------------------

def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def email_sql(table: Table, columns: list[str], emails: list[str]) -> str:
    """SELECT * FROM users WHERE lower(email) IN ('a@example.com', 'b@example.com')"""
    wanted = f"= {_literal(emails[0].lower())}" if len(emails) == 1 else \
        "IN (" + ", ".join(_literal(e.lower()) for e in emails) + ")"
    test = " OR ".join(f"lower({shown_ident(c)}) {wanted}" for c in columns) or "false"
    return f"SELECT * FROM {table.shown} WHERE {test}"


def contains_sql(table: Table, column: str, needle: str, *, as_hex: bool = False) -> str:
    """SELECT * FROM logs WHERE strpos(lower(body::text), '...') > 0 (a JSON cell: its column). A bytea column
    is searched as text unless `as_hex` (bytes that are no text, such as a raw digest)."""
    base = column.split(".")[0].split("[")[0]
    # bytea reads as hex with ::text; encode(..., 'escape') keeps its printable bytes as they are
    readable = base in table.bytea_columns and not as_hex
    value = f"encode({shown_ident(base)}, 'escape')" if readable else f"{shown_ident(base)}::text"
    return f"SELECT * FROM {table.shown} WHERE strpos(lower({value}), {_literal(needle.lower())}) > 0"


def psql_line(sql_text: str) -> str:
    """The query as a line to paste, after `eval "$(labctl env)"` (which sets DATABASE_URL)."""
    import shlex

    if any(c in sql_text for c in "!`\\"):
        return f'psql "$DATABASE_URL" -c {shlex.quote(sql_text)}'
    escaped = sql_text.replace("$", "\\$").replace('"', '\\"')
    return f'psql "$DATABASE_URL" -c "{escaped}"'
