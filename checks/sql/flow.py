"""The engine-independent half of the SQL checks: what each one asks, compares and says (the query file's
in query_flow.py). A family registers subclasses that name their engine's Dialect (sql.* PostgreSQL,
mysql.* MariaDB)."""
from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from labctl.check_engine import rows
from labctl.check_engine.base import Check
from labctl.check_engine.bounds import CountBounds
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable

from .dialect import Dialect, Fault, Query

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_$]*$"
# Types that take a size or precision: said as "numeric (any size)" when a check accepts any.
_SIZED = frozenset({"numeric", "decimal", "character varying", "varchar", "character", "char", "bit", "bit varying",
                    "varbinary", "binary"})

# ---- helpers ------------------------------------------------------------------------------------


class SqlCheck(Check):
    """A check on a SQL engine. The registered subclass sets `dialect`."""

    dialect: ClassVar[Dialect]


def lab_query(ctx: CheckContext, check: SqlCheck, query: str, params: Any = None) -> list[tuple]:
    """Run lab-authored SQL (catalog queries, counts). Errors are the lab's or the service's, not the learner's."""
    dialect = check.dialect
    conn = dialect.connection(ctx, check.service)
    try:
        return dialect.fetch(conn, query, params)
    except dialect.errors() as exc:
        fault = dialect.classify(exc)
        if fault is Fault.TIMEOUT:
            raise CheckError(f"the check's query took too long: {dialect.message(exc)}") from exc
        if fault is Fault.CONNECTION_LOST:
            raise lost_connection(dialect, exc) from exc
        raise CheckError(f"the check's query failed: {dialect.message(exc)}") from exc


def lost_connection(dialect: Dialect, exc: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable(f"lost the connection to {dialect.title}: {dialect.message(exc)}")


def catalog(ctx: CheckContext, check: SqlCheck) -> Query:
    """The query function a dialect reads its catalog through."""
    return lambda query, params=None: lab_query(ctx, check, query, params)


class TableCheck(SqlCheck):
    table: str = Field(min_length=1, pattern=NAME_PATTERN)
    # Each family declares its own default (PostgreSQL "public"; MySQL None: the service's database).
    schema_: str | None = Field(None, alias="schema", pattern=NAME_PATTERN)

    @property
    def where(self) -> str:
        """The table as learners name it: schema-qualified only when the check names another schema."""
        default = type(self).model_fields["schema_"].default
        return self.table if self.schema_ == default else f"{self.schema_}.{self.table}"

    def schema_name(self, ctx: CheckContext) -> str:
        return self.schema_ if self.schema_ is not None else self.dialect.default_schema(ctx, self.service)


def missing_table(ctx: CheckContext, check: TableCheck) -> Outcome | None:
    """A failure when the check's table (or view) is not there, naming what is; None when it is."""
    schema, query = check.schema_name(ctx), catalog(ctx, check)
    if check.dialect.relation_kind(query, schema, check.table) is not None:
        return None
    existing = check.dialect.tables(query, schema)
    seen = f"tables found: {', '.join(existing)}" if existing else "there are no tables yet"
    return failed(
        f"table {check.where} does not exist ({seen})",
        expected=f"a table named {check.table}", found=existing,
    )


# ---- table_exists -------------------------------------------------------------------------------

class TableExists(TableCheck):
    kind: Literal["table", "view", "materialized view", "any"] = "table"

    def describe(self) -> str:
        return f"{'relation' if self.kind == 'any' else self.kind} {self.where} exists"

    def run(self, ctx: CheckContext) -> Outcome:
        schema = self.schema_name(ctx)
        actual = self.dialect.relation_kind(catalog(ctx, self), schema, self.table)
        evidence = self.dialect.relation_evidence(schema, self.table)
        if actual is None:
            missing = missing_table(ctx, self)
            assert missing is not None
            return failed(missing.message, expected=missing.expected, found=missing.found, evidence=evidence)
        if self.kind != "any" and actual != self.kind:
            return failed(f"{self.where} is a {actual}; expected a {self.kind}", expected=self.kind, found=actual, evidence=evidence)
        return passed(f"{actual} {self.where} exists", evidence=evidence)


# ---- columns ------------------------------------------------------------------------------------

class ColumnRule(BaseModel):
    """What a check asks of one column. Families subclass it to word the descriptions for their engine."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    type: str | list[str] | None = None
    nullable: bool | None = None
    default: str | list[str] | None = None
    auto_increment: bool | None = None

    def accepted_types(self, dialect: Dialect) -> list[str]:
        if self.type is None:
            return []
        return [dialect.normalize_type(t) for t in ([self.type] if isinstance(self.type, str) else self.type)]

    def type_accepted(self, dialect: Dialect, found: str) -> bool:
        """Whether a column's type is one of the accepted ones. A type given without a size or precision
        (numeric, varchar, timestamptz) accepts any (numeric(10,2), varchar(40), timestamp(3) with time zone);
        one given with it (numeric(10,2)) accepts exactly that."""
        actual = dialect.normalize_type(found)
        for accepted in self.accepted_types(dialect):
            if actual == accepted or ("(" not in accepted and _without_size(actual) == accepted):
                return True
        return False


def _without_size(type_name: str) -> str:
    return re.sub(r"\(\s*\d+\s*(?:,\s*\d+\s*)?\)", "", type_name)


class Columns(TableCheck):
    columns: list[ColumnRule] = Field(min_length=1)
    exact: bool = Field(False, description="No other columns allowed.")

    def describe(self) -> str:
        return f"{self.where} has columns {', '.join(c.name for c in self.columns)}"

    def run(self, ctx: CheckContext) -> Outcome:
        missing = missing_table(ctx, self)
        if missing:
            return missing
        dialect, schema = self.dialect, self.schema_name(ctx)
        evidence = dialect.columns_evidence(self.where, schema, self.table)
        actual = {c.name: c for c in dialect.columns(catalog(ctx, self), schema, self.table)}
        for col in self.columns:
            if col.name not in actual:
                return failed(
                    f"{self.where} has no column {col.name} (columns found: {', '.join(actual) or 'none'})",
                    expected=col.name, found=list(actual), evidence=evidence,
                )
            found = actual[col.name]
            accepted = col.accepted_types(dialect)
            if accepted and not col.type_accepted(dialect, found.type):
                want = " or ".join(t if "(" in t else f"{t} (any size)" if t in _SIZED else t for t in accepted)
                return failed(
                    f"column {self.table}.{col.name} has type {found.type}; expected {want}",
                    expected=want, found=found.type, evidence=evidence,
                )
            if col.nullable is not None and col.nullable == found.not_null:
                if col.nullable:
                    message = f"column {self.table}.{col.name} is NOT NULL; it should accept NULL"
                else:
                    message = f"column {self.table}.{col.name} accepts NULL; it should be NOT NULL"
                return failed(message, expected="NULL allowed" if col.nullable else "NOT NULL",
                              found="NOT NULL" if found.not_null else "NULL allowed", evidence=evidence)
            default = found.default
            accepted_defaults = [col.default] if isinstance(col.default, str) else (col.default or [])
            if accepted_defaults and not any(d.lower() in default.lower() for d in accepted_defaults):
                want = " or ".join(accepted_defaults)
                return failed(
                    f"column {self.table}.{col.name} has default {default or '(none)'}; expected one with {want}",
                    expected=want, found=default or None, evidence=evidence,
                )
            if col.auto_increment is not None and found.auto_increment != col.auto_increment:
                message = (f"column {self.table}.{col.name} does not generate its values; {dialect.auto_increment_hint}"
                           if col.auto_increment else f"column {self.table}.{col.name} should not generate its own values")
                return failed(message, expected=col.auto_increment, found=found.auto_increment, evidence=evidence)
        if self.exact:
            extra = [name for name in actual if name not in {c.name for c in self.columns}]
            if extra:
                return failed(
                    f"{self.where} has columns that are not asked for: {', '.join(extra)}",
                    expected=[c.name for c in self.columns], found=list(actual), evidence=evidence,
                )
        return passed(f"{self.where} has the expected columns", evidence=evidence)


# ---- row_count ----------------------------------------------------------------------------------

class RowCount(TableCheck, CountBounds):
    where_: str | None = Field(None, alias="where", description="A SQL condition, e.g. country = 'FR'.")
    message: str | None = Field(None, description="Said to the learner when the count is wrong.")

    def describe(self) -> str:
        cond = f" where {self.where_}" if self.where_ else ""
        return f"{self.where} has {self.bounds_text()} rows{cond}"

    def run(self, ctx: CheckContext) -> Outcome:
        missing = missing_table(ctx, self)
        if missing:
            return missing
        cond = f" WHERE {self.where_}" if self.where_ else ""
        query = f"SELECT count(*) FROM {self.dialect.relation(self.schema_name(ctx), self.table)}{cond}"
        evidence = f"SELECT count(*) FROM {self.where}{cond}"
        count = lab_query(ctx, self, query)[0][0]
        expected = self.bounds_text()
        said = f" where {self.where_}" if self.where_ else ""
        if self.within(count):
            return passed(f"{self.where} has {count} rows{said}", evidence=evidence)
        prefix = f"{self.message}: " if self.message else ""
        return failed(f"{prefix}{self.where} has {count} rows{said}; expected {expected}",
                      expected=expected, found=count, evidence=evidence)


# ---- rows_equal ---------------------------------------------------------------------------------

class RowsEqual(TableCheck):
    columns: list[str] = Field(min_length=1)
    where_: str | None = Field(None, alias="where")
    expected: list[list[Any]]
    ordered: bool = False
    order_by: str | None = Field(None, description="SQL ORDER BY clause used when ordered is true.")
    message: str | None = Field(None, description="Said to the learner before the difference.")

    def describe(self) -> str:
        return f"{self.where} contains the expected rows"

    def run(self, ctx: CheckContext) -> Outcome:
        missing = missing_table(ctx, self)
        if missing:
            return missing
        dialect, schema = self.dialect, self.schema_name(ctx)
        names = {c.name for c in dialect.columns(catalog(ctx, self), schema, self.table)}
        absent = [c for c in self.columns if c not in names]
        if absent:
            return failed(f"{self.where} has no column {', '.join(absent)}", expected=self.columns, found=sorted(names))
        query = f"SELECT {', '.join(map(dialect.quote, self.columns))} FROM {dialect.relation(schema, self.table)}"
        text = f"SELECT {', '.join(self.columns)} FROM {self.where}"
        if self.where_:
            query += f" WHERE {self.where_}"
            text += f" WHERE {self.where_}"
        if self.ordered and self.order_by:
            query += f" ORDER BY {self.order_by}"
            text += f" ORDER BY {self.order_by}"
        found = lab_query(ctx, self, query)
        diff = rows.compare(found, self.expected, ordered=self.ordered)
        if diff.same:
            return passed(f"{self.where} holds the expected {len(found)} rows", evidence=text)
        what = self.where + (f" (where {self.where_})" if self.where_ else "")
        prefix = f"{self.message}: " if self.message else ""
        return failed(
            prefix + rows.explain(diff, len(found), len(self.expected), what=what),
            expected=[rows.show(rows.normalize_row(r)) for r in self.expected],
            found=[rows.show(rows.normalize_row(r)) for r in found[:50]], evidence=text,
        )


# ---- predicate ----------------------------------------------------------------------------------

class Predicate(SqlCheck):
    sql: str = Field(min_length=1, description="A query whose first column of the first row is true when the task is done.")
    message: str = Field(min_length=1, description="Said to the learner when the predicate is false.")
    description: str | None = None
    setup: str | None = Field(None, description="Statements run first in the same rolled-back transaction: hidden "
                              "probe data the query then looks at (new rows a view must follow). Never shown.")

    def describe(self) -> str:
        return self.description or "custom condition"

    def run(self, ctx: CheckContext) -> Outcome:
        dialect = self.dialect
        conn = dialect.connection(ctx, self.service)
        try:
            # Rolled back, so a predicate may probe behaviour (try an UPDATE) without changing anything.
            if self.setup:
                with dialect.probe_data(conn, self.setup, read_only=False) as run:
                    result = run(self.sql)
                row = result[1][0] if result and result[1] else None
            else:
                row = dialect.first_row_rolled_back(conn, self.sql)
        except dialect.errors() as exc:
            fault = dialect.classify(exc)
            if fault in (Fault.TIMEOUT, Fault.CONNECTION_LOST):
                raise lost_connection(dialect, exc) from exc
            if fault in (Fault.UNDEFINED_TABLE, Fault.UNDEFINED_NAME):
                # The learner's table, column or function is not there yet: their gap, not the lab's.
                return failed(f"{self.message} ({dialect.message(exc)})", evidence=self.sql)
            if self.setup:
                # The probe rows did not fit the learner's tables, or their object refused them: not the lab's bug.
                return failed(f"{self.message} (with labctl's own test rows added: {dialect.message(exc)})",
                              evidence=self.sql)
            raise CheckError(f"the check's query failed: {dialect.message(exc)}") from exc
        if row and row[0]:
            return passed(self.describe(), evidence=self.sql)
        return failed(self.message, expected=True, found=row[0] if row else None, evidence=self.sql)
