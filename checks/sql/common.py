"""What the SQL checks on PostgreSQL share: the connection, lab-authored queries, tables and their names."""
from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.core.text import first_line

# ---- helpers ------------------------------------------------------------------------------------

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


def connection(ctx: CheckContext, service: str | None):
    """The run's cached autocommit connection to the service (statement timeout = the check timeout)."""
    from labctl.services import postgres

    return ctx.connection(service, lambda access: postgres.connect(access, timeout=ctx.timeout))


def lab_query(ctx: CheckContext, check: Check, sql: Any, params: Any = None) -> list[tuple]:
    """Run lab-authored SQL (catalog queries, counts). Errors are the lab's or the service's, not the learner's."""
    psycopg = psycopg_module()
    conn = connection(ctx, check.service)
    try:
        return conn.execute(sql, params).fetchall()
    except psycopg.errors.QueryCanceled as exc:  # a subclass of OperationalError: test it first
        raise CheckError(f"the check's query took too long: {first_line(exc)}") from exc
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
    except psycopg.Error as exc:
        raise CheckError(f"the check's query failed: {first_line(exc)}") from exc


def qualified(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def relation_kind(ctx: CheckContext, check: Check, schema: str, table: str) -> str | None:
    found = lab_query(
        ctx, check,
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, table),
    )
    return found[0][0] if found else None


def tables_in(ctx: CheckContext, check: Check, schema: str) -> list[str]:
    found = lab_query(
        ctx, check,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1",
        (schema,),
    )
    return [r[0] for r in found]


def missing_table(ctx: CheckContext, check: Check, schema: str, table: str) -> Outcome | None:
    """A failure when the table (or view) is not there, naming what is; None when it is."""
    if relation_kind(ctx, check, schema, table) is not None:
        return None
    existing = tables_in(ctx, check, schema)
    seen = f"tables found: {', '.join(existing)}" if existing else "there are no tables yet"
    return failed(
        f"table {qualified(schema, table)} does not exist ({seen})",
        expected=f"a table named {table}", found=existing,
    )


class TableCheck(Check):
    table: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$")
    schema_: str = Field("public", alias="schema", pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$")

    @property
    def where(self) -> str:
        return qualified(self.schema_, self.table)

    def relation(self):
        from psycopg import sql

        return sql.Identifier(self.schema_, self.table)


def column_names(ctx: CheckContext, check: TableCheck) -> dict[int, str]:
    found = lab_query(
        ctx, check,
        "SELECT a.attnum, a.attname FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        (f'"{check.schema_}"."{check.table}"',),
    )
    return {num: name for num, name in found}
