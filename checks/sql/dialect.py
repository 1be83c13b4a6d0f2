"""What the shared SQL checks (flow.py) ask of an engine: one Dialect per engine (postgres.py here,
checks/mysql/dialect.py for MariaDB): its connection, catalog, errors, quoting and type names."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from contextlib import AbstractContextManager
from typing import Any, Callable, ClassVar

from labctl.check_engine.context import CheckContext

# Runs a lab-authored query (catalog lookups, counts) and returns its rows; the flow translates errors.
Query = Callable[[str, Any], list[tuple]]
# Runs one query read-only on probe data: (column names, rows), or None when it returns no result set.
ProbeRun = Callable[[str], "tuple[list[str], list[tuple]] | None"]


class Fault(enum.Enum):
    """What kind of error an engine reported, as the checks tell them apart."""

    TIMEOUT = "timeout"  # the statement ran past the check's timeout and the server stopped it
    CONNECTION_LOST = "connection lost"  # the server went away or does not answer
    READ_ONLY = "read only"  # a read-only run refused a change
    UNDEFINED_TABLE = "undefined table"
    UNDEFINED_NAME = "undefined name"  # a column or function that is not there (yet)
    REFUSED = "refused"  # any other error: syntax, types, constraints, permissions


@dataclass(frozen=True)
class Column:
    """A table column as the engine's catalog describes it."""

    name: str
    type: str  # as the engine prints it: character varying(100), int(11)
    not_null: bool
    default: str  # the default expression as the engine prints it; "" when there is none
    auto_increment: bool


class Dialect:
    """The engine-specific half of the SQL checks. Stateless; one instance per engine."""

    title: ClassVar[str] = ""  # how learners call the engine: "PostgreSQL"
    # Said when a column should generate its own values and does not.
    auto_increment_hint: ClassVar[str] = ""

    # -- connection and errors

    def connection(self, ctx: CheckContext, service: str | None) -> Any:
        """The run's cached autocommit connection (statement timeout = the check timeout)."""
        raise NotImplementedError

    def errors(self) -> tuple[type[BaseException], ...]:
        """The exception classes that mean the engine (or the way to it) reported an error."""
        raise NotImplementedError

    def classify(self, exc: BaseException) -> Fault:
        """What kind of error one of errors() is."""
        raise NotImplementedError

    def message(self, exc: BaseException) -> str:
        """The engine's own message, first line only."""
        raise NotImplementedError

    # -- running statements

    def fetch(self, conn: Any, query: str, params: Any = None) -> list[tuple]:
        """Every row of a lab-authored query (no params: the text is sent as it is)."""
        raise NotImplementedError

    def read_only(self, conn: Any, query: str) -> tuple[list[str], list[tuple]] | None:
        """(column names, rows) of a query run read-only and rolled back; None when it returns no result set."""
        raise NotImplementedError

    def first_row_rolled_back(self, conn: Any, query: str) -> tuple | None:
        """The first row of a query run in a transaction that is always rolled back (it may write)."""
        raise NotImplementedError

    def split(self, text: str) -> list[str]:
        """The statements of a SQL text as the engine reads it, comments removed."""
        raise NotImplementedError

    def probe_data(self, conn: Any, changes: str, *, read_only: bool = True) -> AbstractContextManager[ProbeRun]:
        """A transaction that applies a lab's hidden probe data (`changes`: statements that add, change or
        remove rows) and is always rolled back; it yields a function that runs a query on that data, read-only
        unless read_only is False (a lab's own predicate may probe by writing), each in its own savepoint so a
        query that fails leaves the others working. Applying the changes raises the engine's error."""
        raise NotImplementedError

    def reads_tables(self, conn: Any, query: str) -> bool | None:
        """Whether the query's plan reads any table or view (False: the answer is typed in as constants);
        None when the engine cannot tell."""
        return None

    # -- names and types

    def default_schema(self, ctx: CheckContext, service: str | None) -> str:
        """The schema (PostgreSQL) or database (MySQL) a check means when it names none."""
        raise NotImplementedError

    def quote(self, name: str) -> str:
        """An identifier, quoted."""
        raise NotImplementedError

    def relation(self, schema: str, table: str) -> str:
        return f"{self.quote(schema)}.{self.quote(table)}"

    def normalize_type(self, text: str) -> str:
        """One spelling per type, so a lab's `varchar(100)` matches what the catalog prints."""
        raise NotImplementedError

    # -- the catalog, read through the flow's query function

    def relation_kind(self, query: Query, schema: str, table: str) -> str | None:
        """The relation's kind: "table", "view", "materialized view" or "other"; None when there is none."""
        raise NotImplementedError

    def tables(self, query: Query, schema: str) -> list[str]:
        """The tables and views of a schema, sorted."""
        raise NotImplementedError

    def columns(self, query: Query, schema: str, table: str) -> list[Column]:
        """A table's columns in their order."""
        raise NotImplementedError

    def relation_evidence(self, schema: str, table: str) -> str:
        """The catalog query a learner can run to see what relation_kind saw."""
        raise NotImplementedError

    def columns_evidence(self, where: str, schema: str, table: str) -> str:
        """The catalog query a learner can run to see what columns() saw."""
        raise NotImplementedError
