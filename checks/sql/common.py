"""What the sql.* checks on PostgreSQL share: their dialect and connection, their tables, column numbers."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from labctl.check_engine.context import CheckContext

from . import flow
from .postgres import POSTGRES, normalize_type, psycopg_module

__all__ = ["POSTGRES", "TableCheck", "column_names", "connection", "normalize_type", "psycopg_module", "qualified"]


def connection(ctx: CheckContext, service: str | None) -> Any:
    """The run's cached autocommit connection to the service (statement timeout = the check timeout)."""
    return POSTGRES.connection(ctx, service)


def qualified(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


class TableCheck(flow.TableCheck):
    dialect = POSTGRES
    schema_: str = Field("public", alias="schema", pattern=flow.NAME_PATTERN)


def column_names(ctx: CheckContext, check: TableCheck) -> dict[int, str]:
    """Column numbers to names: pg_constraint names a key's columns by number."""
    found = flow.lab_query(
        ctx, check,
        "SELECT a.attnum, a.attname FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        (f'"{check.schema_}"."{check.table}"',),
    )
    return {num: name for num, name in found}
