"""PostgreSQL's dialect for the shared SQL checks: psycopg, pg_catalog, SQLSTATE classes, format_type names."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from labctl.check_engine.context import CheckContext
from labctl.core.errors import Unverifiable
from labctl.core.text import first_line

from .dialect import Column, Dialect, Fault, ProbeRun, Query
from labctl.services.postgres_statements import split_sql

_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallserial": "smallint",
    "bool": "boolean",
    "float8": "double precision", "float": "double precision", "float4": "real",
    "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
    "timetz": "time with time zone", "time": "time without time zone",
    "varchar": "character varying", "char": "character", "decimal": "numeric",
}


def normalize_type(text: str) -> str:
    """'VARCHAR(100)' -> 'character varying(100)', 'decimal(10, 2)' -> 'numeric(10,2)', 'serial' -> 'integer'."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*,\s*", ",", t)
    t = re.sub(r"\s*\)", ")", t)
    m = re.fullmatch(r"([a-z0-9 ]+?)(\(\d+(?:,\d+)?\))?(\[\])?", t)
    if not m:
        return t
    base, size, array = m.group(1), m.group(2) or "", m.group(3) or ""
    base = _TYPE_ALIASES.get(base, base)
    if base in ("timestamp", "timestamp without time zone", "timestamp with time zone") and size:
        # format_type writes timestamp(3) without time zone
        base = base.replace("timestamp", f"timestamp{size}", 1)
        size = ""
    return f"{base}{size}{array}"


def psycopg_module():
    """psycopg, imported when a check first needs it (it is slow to import)."""
    import psycopg

    return psycopg


# Functions and operators outside pg_catalog that bear the name of one of PostgreSQL's own (extensions'
# members aside: a learner cannot write those). pg_catalog comes first on the checks' search path, but a
# function or operator whose argument types match better wins wherever it is (`public.=(varchar, varchar)`
# over the built-in text `=`), so one of these could change what any check's SQL, or a reference query, means.
_SHADOWING = """
SELECT kind, signature FROM (
  SELECT 'function' AS kind,
         format('%I.%I(%s)', (SELECT nspname FROM pg_namespace WHERE oid = p.pronamespace), p.proname,
                pg_get_function_identity_arguments(p.oid)) AS signature, p.oid AS oid, 'pg_proc'::regclass AS class
  FROM pg_proc p
  WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    AND EXISTS (SELECT 1 FROM pg_proc b WHERE b.pronamespace = 'pg_catalog'::regnamespace AND b.proname = p.proname)
  UNION ALL
  SELECT 'operator', format('%I.%s(%s, %s)', (SELECT nspname FROM pg_namespace WHERE oid = o.oprnamespace),
                            o.oprname,
                            CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END,
                            format_type(o.oprright, NULL)), o.oid, 'pg_operator'::regclass
  FROM pg_operator o
  WHERE o.oprnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    AND EXISTS (SELECT 1 FROM pg_operator b WHERE b.oprnamespace = 'pg_catalog'::regnamespace
                AND b.oprname = o.oprname)
) s
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = s.class AND d.objid = s.oid AND d.deptype = 'e')
ORDER BY 1, 2 LIMIT 6
"""


def refuse_shadowing(conn: Any) -> None:
    """Raise Unverifiable when the database holds a function or operator named like one of PostgreSQL's own."""
    rows = conn.execute(_SHADOWING).fetchall()
    if not rows:
        return
    listed = ", ".join(f"{kind} {signature}" for kind, signature in rows[:5]) + (", ..." if len(rows) > 5 else "")
    raise Unverifiable(
        f"your database defines {listed}, named like PostgreSQL's own: it could change what every query means, "
        "so nothing can be checked while it exists. Drop it or give it another name "
        "(DROP FUNCTION ... / DROP OPERATOR ...), then check again")


def _plan_reads_a_relation(node: Any) -> bool:
    """Whether a JSON plan (or any part of it) scans a table, a view's tables or a materialized view."""
    if isinstance(node, dict):
        return "Relation Name" in node or any(_plan_reads_a_relation(v) for v in node.values())
    if isinstance(node, list):
        return any(_plan_reads_a_relation(v) for v in node)
    return False


class PostgresDialect(Dialect):
    title = "PostgreSQL"
    auto_increment_hint = "use SERIAL or GENERATED ALWAYS AS IDENTITY"

    def connection(self, ctx: CheckContext, service: str | None) -> Any:
        from labctl.services import postgres

        def opened(access):
            # As the checker role: not a superuser, its session pinned (services/postgres.py).
            conn = postgres.connect(access, role="checker", timeout=ctx.timeout)
            try:
                refuse_shadowing(conn)
            except BaseException:
                conn.close()
                raise
            return conn

        return ctx.connection(service, opened)

    def errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg_module().Error,)

    def classify(self, exc: BaseException) -> Fault:
        psycopg = psycopg_module()
        errors = psycopg.errors
        if isinstance(exc, errors.QueryCanceled):  # a subclass of OperationalError: test it first
            return Fault.TIMEOUT
        if isinstance(exc, psycopg.OperationalError):
            return Fault.CONNECTION_LOST
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return Fault.READ_ONLY
        if isinstance(exc, errors.UndefinedTable):
            return Fault.UNDEFINED_TABLE
        if isinstance(exc, (errors.UndefinedColumn, errors.UndefinedFunction)):
            return Fault.UNDEFINED_NAME
        return Fault.REFUSED

    def message(self, exc: BaseException) -> str:
        return first_line(exc)

    def fetch(self, conn: Any, query: str, params: Any = None) -> list[tuple]:
        return conn.execute(query, params).fetchall()

    def read_only(self, conn: Any, query: str) -> tuple[list[str], list[tuple]] | None:
        # Always rolled back, and read-only: a learner's query can never change their data here.
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            # Bytes and no parameters: sent as one simple query, with no placeholder parsing.
            cur = conn.execute(query.encode())
            if cur.description is None:
                return None
            return [d.name for d in cur.description], cur.fetchall()

    def first_row_rolled_back(self, conn: Any, query: str) -> tuple | None:
        with conn.transaction(force_rollback=True):
            return conn.execute(query.encode()).fetchone()

    @contextmanager
    def probe_data(self, conn: Any, changes: str, *, read_only: bool = True) -> Iterator[ProbeRun]:
        with conn.transaction(force_rollback=True):
            conn.execute(changes.encode())
            if read_only:
                # A transaction may always become read-only (never back): nothing after this line can write.
                conn.execute("SET TRANSACTION READ ONLY")

            def run(query: str) -> tuple[list[str], list[tuple]] | None:
                with conn.transaction(force_rollback=True):
                    cur = conn.execute(query.encode())
                    if cur.description is None:
                        return None
                    return [d.name for d in cur.description], cur.fetchall()

            yield run

    def reads_tables(self, conn: Any, query: str) -> bool | None:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            plan = conn.execute(b"EXPLAIN (FORMAT JSON) " + query.encode()).fetchone()[0]
        return _plan_reads_a_relation(plan)

    def split(self, text: str) -> list[str]:
        return split_sql(text)

    def default_schema(self, ctx: CheckContext, service: str | None) -> str:
        return "public"

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def normalize_type(self, text: str) -> str:
        return normalize_type(text)

    def relation_kind(self, query: Query, schema: str, table: str) -> str | None:
        found = query(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            (schema, table),
        )
        if not found:
            return None
        relkind = found[0][0]
        return {"r": "table", "p": "table", "v": "view", "m": "materialized view"}.get(relkind, "other")

    def tables(self, query: Query, schema: str) -> list[str]:
        found = query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1",
            (schema,),
        )
        return [r[0] for r in found]

    def columns(self, query: Query, schema: str, table: str) -> list[Column]:
        found = query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity "
            "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (f'"{schema}"."{table}"',),
        )
        return [Column(name, typ, notnull, default or "", identity in ("a", "d") or (default or "").startswith("nextval("))
                for name, typ, notnull, default, identity in found]

    def relation_evidence(self, schema: str, table: str) -> str:
        return f"SELECT relkind FROM pg_class WHERE relname = '{table}'"

    def columns_evidence(self, where: str, schema: str, table: str) -> str:
        return (f"SELECT attname, format_type(atttypid, atttypmod), attnotnull, default FROM pg_attribute "
                f"WHERE attrelid = '{where}'::regclass")


POSTGRES = PostgresDialect()
