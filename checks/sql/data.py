"""SQL checks on PostgreSQL, the data half: row counts, table contents, learners' query files, predicates."""
from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from labctl.check_engine import rows
from labctl.check_engine.base import Check
from labctl.check_engine.bounds import CountBounds
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.core.text import first_line

from .common import TableCheck, column_names, connection, lab_query, missing_table, psycopg_module
from .split import split_sql

# ---- sql.row_count ------------------------------------------------------------------------------

@register("sql.row_count", service_kind="postgres")
class RowCount(TableCheck, CountBounds):
    where_: str | None = Field(None, alias="where", description="A SQL condition, e.g. country = 'FR'.")
    message: str | None = Field(None, description="Said to the learner when the count is wrong.")

    def _expected(self) -> str:
        return self.bounds_text()

    def describe(self) -> str:
        cond = f" where {self.where_}" if self.where_ else ""
        return f"{self.where} has {self._expected()} rows{cond}"

    def run(self, ctx: CheckContext) -> Outcome:
        from psycopg import sql

        missing = missing_table(ctx, self, self.schema_, self.table)
        if missing:
            return missing
        query = sql.SQL("SELECT count(*) FROM {}").format(self.relation())
        if self.where_:
            query = query + sql.SQL(" WHERE ") + sql.SQL(self.where_)
        evidence = f"SELECT count(*) FROM {self.where}" + (f" WHERE {self.where_}" if self.where_ else "")
        count = lab_query(ctx, self, query)[0][0]
        ok = self.within(count)
        cond = f" where {self.where_}" if self.where_ else ""
        if ok:
            return passed(f"{self.where} has {count} rows{cond}", evidence=evidence)
        prefix = f"{self.message}: " if self.message else ""
        return failed(f"{prefix}{self.where} has {count} rows{cond}; expected {self._expected()}",
                      expected=self._expected(), found=count, evidence=evidence)


# ---- sql.rows_equal -----------------------------------------------------------------------------

@register("sql.rows_equal", service_kind="postgres")
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
        from psycopg import sql

        missing = missing_table(ctx, self, self.schema_, self.table)
        if missing:
            return missing
        names = set(column_names(ctx, self).values())
        absent = [c for c in self.columns if c not in names]
        if absent:
            return failed(f"{self.where} has no column {', '.join(absent)}", expected=self.columns, found=sorted(names))
        query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, self.columns)), self.relation())
        text = f"SELECT {', '.join(self.columns)} FROM {self.where}"
        if self.where_:
            query += sql.SQL(" WHERE ") + sql.SQL(self.where_)
            text += f" WHERE {self.where_}"
        if self.ordered and self.order_by:
            query += sql.SQL(" ORDER BY ") + sql.SQL(self.order_by)
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


# ---- sql.query_file -----------------------------------------------------------------------------

@register("sql.query_file", service_kind="postgres")
class QueryFile(Check):
    workspace_paths = ("file",)
    lab_paths = ("reference_file",)

    file: str = Field(min_length=1, description="The learner's query, relative to the workspace.")
    reference: str | None = Field(None, description="The reference query.")
    reference_file: str | None = Field(None, description="A file in the lab folder holding the reference query.")
    ordered: bool = False

    @model_validator(mode="after")
    def _one_reference(self) -> "QueryFile":
        if (self.reference is None) == (self.reference_file is None):
            raise ValueError("give exactly one of reference or reference_file")
        return self

    def describe(self) -> str:
        return f"your query in {self.file} returns the expected result"

    def run(self, ctx: CheckContext) -> Outcome:
        psycopg = psycopg_module()
        path = ctx.workspace_file(self.file)
        if not path.is_file():
            return failed(f"{self.file} is missing from your workspace ({ctx.workspace}); create it and write your query there",
                          expected=self.file, found=None)
        statements = split_sql(path.read_text(encoding="utf-8", errors="replace"))
        if not statements:
            return failed(f"{self.file} has no query yet; write one SELECT statement in it", expected="a query", found="an empty file")
        if len(statements) > 1:
            return failed(f"{self.file} holds {len(statements)} statements; keep exactly one query in it",
                          expected="one statement", found=statements, evidence=";\n".join(statements))
        learner_sql = statements[0]
        reference = self.reference if self.reference is not None else self.lab_file(ctx, self.reference_file).read_text(encoding="utf-8")
        conn = connection(ctx, self.service)
        try:
            expected = self._read_only(conn, ";".join(split_sql(reference)))
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
        except psycopg.Error as exc:
            # The reference depends on the learner's earlier tasks (their tables); say so plainly.
            return failed(f"the expected result cannot be computed yet ({first_line(exc)}); finish the earlier tasks first",
                          evidence=reference)
        try:
            found = self._read_only(conn, learner_sql)
        except psycopg.errors.QueryCanceled:  # a subclass of OperationalError: test it first
            return failed(f"your query in {self.file} ran longer than {ctx.timeout:g}s and was stopped", evidence=learner_sql)
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
        except psycopg.errors.ReadOnlySqlTransaction:
            return failed(f"{self.file} must only read data (SELECT); it tried to change something", evidence=learner_sql)
        except psycopg.Error as exc:
            return failed(f"PostgreSQL refused your query in {self.file}: {first_line(exc)}", evidence=learner_sql)
        if found is None:
            return failed(f"{self.file} returns no rows at all; it should be a SELECT", evidence=learner_sql)
        exp_cols, exp_rows = expected
        got_cols, got_rows = found
        if len(got_cols) != len(exp_cols):
            return failed(
                f"your query returns {len(got_cols)} column{'s' if len(got_cols) != 1 else ''} ({', '.join(got_cols)}); "
                f"expected {len(exp_cols)} ({', '.join(exp_cols)})",
                expected=exp_cols, found=got_cols, evidence=learner_sql,
            )
        diff = rows.compare(got_rows, exp_rows, ordered=self.ordered)
        if diff.same:
            return passed(f"your query in {self.file} returns the expected {len(got_rows)} rows", evidence=learner_sql)
        return failed(
            rows.explain(diff, len(got_rows), len(exp_rows), what="your query's result"),
            expected=[rows.show(rows.normalize_row(r)) for r in exp_rows[:50]],
            found=[rows.show(rows.normalize_row(r)) for r in got_rows[:50]], evidence=learner_sql,
        )

    @staticmethod
    def _read_only(conn, query: str):
        # Always rolled back, and read-only: a learner's query can never change their data here.
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            cur = conn.execute(query.encode())
            if cur.description is None:
                return None
            return [d.name for d in cur.description], cur.fetchall()


# ---- sql.predicate ------------------------------------------------------------------------------

@register("sql.predicate", service_kind="postgres")
class Predicate(Check):
    sql: str = Field(min_length=1, description="A query whose first column of the first row is true when the task is done.")
    message: str = Field(min_length=1, description="Said to the learner when the predicate is false.")
    description: str | None = None

    def describe(self) -> str:
        return self.description or "custom condition"

    def run(self, ctx: CheckContext) -> Outcome:
        psycopg = psycopg_module()
        conn = connection(ctx, self.service)
        try:
            # Rolled back, so a predicate may probe behaviour (try an UPDATE) without changing anything.
            with conn.transaction(force_rollback=True):
                row = conn.execute(self.sql.encode()).fetchone()
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
        except psycopg.errors.UndefinedTable as exc:
            return failed(f"{self.message} ({first_line(exc)})", evidence=self.sql)
        except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedFunction) as exc:
            # The learner's table, column or function is not there yet: their gap, not the lab's.
            return failed(f"{self.message} ({first_line(exc)})", evidence=self.sql)
        except psycopg.Error as exc:
            raise CheckError(f"the check's query failed: {first_line(exc)}") from exc
        if row and row[0]:
            return passed(self.describe(), evidence=self.sql)
        return failed(self.message, expected=True, found=row[0] if row else None, evidence=self.sql)
