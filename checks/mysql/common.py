"""What the mysql.* table checks share: MariaDB's dialect, and the database standing in for a schema."""
from __future__ import annotations

from pydantic import Field

from ..sql import flow
from .dialect import MYSQL


class TableCheck(flow.TableCheck):
    dialect = MYSQL
    # MySQL has no schemas inside a database: a database is the schema.
    schema_: str | None = Field(None, alias="schema", pattern=flow.NAME_PATTERN,
                                description="The database; defaults to the service's own (MARIADB_DATABASE).")
