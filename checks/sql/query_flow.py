"""The learner's query file, compared with the reference on the live data and on hidden probe data: the
engine-independent half of sql.query_file and mysql.query_file (each engine's dialect does the rest)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from labctl.check_engine import rows
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.core.text import NotUtf8Error, read_learner_text

from .dialect import Fault
from .flow import SqlCheck, lost_connection

# ---- query_file ---------------------------------------------------------------------------------

class QueryProbe(BaseModel):
    """Hidden probe data for a query task: rows added, changed or removed inside a transaction that is rolled
    back, so that a classic mistake changes the answer. Never shown to the learner."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case: str = Field(min_length=3, description="What kind of row it adds, as the learner is told when their "
                                                "result is wrong on it: 'a customer with no orders'.")
    sql: str = Field(min_length=1, description="The statements that make the probe data (run as the checks' role, "
                                               "rolled back). Use ids no real row has (negative ones) and "
                                               "OVERRIDING SYSTEM VALUE, so no sequence value is used up.")


class QueryFile(SqlCheck):
    workspace_paths = ("file",)
    lab_paths = ("reference_file",)

    file: str = Field(min_length=1, description="The learner's query, relative to the workspace.")
    reference: str | None = Field(None, description="The reference query.")
    reference_file: str | None = Field(None, description="A file in the lab folder holding the reference query.")
    ordered: bool = False
    probes: list[QueryProbe] = Field(default_factory=list, description="Hidden probe data: the learner's query and "
                                     "the reference must also agree on each.")
    must_read_tables: bool = Field(True, description="Fail a query that reads no table (an answer typed in).")

    @model_validator(mode="after")
    def _one_reference(self) -> "QueryFile":
        if (self.reference is None) == (self.reference_file is None):
            raise ValueError("give exactly one of reference or reference_file")
        return self

    def describe(self) -> str:
        return f"your query in {self.file} returns the expected result"

    def run(self, ctx: CheckContext) -> Outcome:
        dialect = self.dialect
        path = ctx.workspace_file(self.file)
        if not path.is_file():
            return failed(f"{self.file} is missing from your workspace ({ctx.workspace}); create it and write your query there",
                          expected=self.file, found=None)
        try:
            statements = dialect.split(read_learner_text(path))
        except NotUtf8Error as exc:
            return failed(str(exc), expected="UTF-8 text", found="other bytes")
        if not statements:
            return failed(f"{self.file} has no query yet; write one SELECT statement in it", expected="a query", found="an empty file")
        if len(statements) > 1:
            return failed(f"{self.file} holds {len(statements)} statements; keep exactly one query in it",
                          expected="one statement", found=statements, evidence=";\n".join(statements))
        learner_sql = statements[0]
        reference_text = self.reference if self.reference is not None else self.lab_file(ctx, self.reference_file).read_text(encoding="utf-8")
        reference = ";".join(dialect.split(reference_text))
        conn = dialect.connection(ctx, self.service)
        try:
            expected = dialect.read_only(conn, reference)
        except dialect.errors() as exc:
            if dialect.classify(exc) in (Fault.TIMEOUT, Fault.CONNECTION_LOST):
                raise lost_connection(dialect, exc) from exc
            # The reference depends on the learner's earlier tasks (their tables); say so plainly.
            return failed(f"the expected result cannot be computed yet ({dialect.message(exc)}); finish the earlier tasks first",
                          evidence=reference_text)
        try:
            found = dialect.read_only(conn, learner_sql)
        except dialect.errors() as exc:
            return self._refused(ctx, exc, learner_sql, on_probe=None)
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
        if not diff.same:
            return failed(
                rows.explain(diff, len(got_rows), len(exp_rows), what="your query's result"),
                expected=[rows.show(rows.normalize_row(r)) for r in exp_rows[:50]],
                found=[rows.show(rows.normalize_row(r)) for r in got_rows[:50]], evidence=learner_sql,
            )
        typed_in = self._typed_in(conn, learner_sql, reference)
        if typed_in:
            return typed_in
        for probe in self.probes:
            wrong = self._on_probe(ctx, conn, probe, reference, learner_sql)
            if wrong:
                return wrong
        more = f", and on {len(self.probes)} other set{'s' if len(self.probes) != 1 else ''} of data" if self.probes else ""
        return passed(f"your query in {self.file} returns the expected {len(got_rows)} rows{more}", evidence=learner_sql)

    def _refused(self, ctx: CheckContext, exc: BaseException, learner_sql: str, *, on_probe: QueryProbe | None) -> Outcome:
        """The failure for a learner's query the engine refused (on the live data, or on a probe's)."""
        dialect = self.dialect
        fault = dialect.classify(exc)
        if fault is Fault.CONNECTION_LOST:
            raise lost_connection(dialect, exc) from exc
        where = "" if on_probe is None else f" on other data ({on_probe.case})"
        if fault is Fault.TIMEOUT:
            return failed(f"your query in {self.file} ran longer than {ctx.timeout:g}s{where} and was stopped", evidence=learner_sql)
        if fault is Fault.READ_ONLY:
            return failed(f"{self.file} must only read data (SELECT); it tried to change something", evidence=learner_sql)
        return failed(f"{dialect.title} refused your query in {self.file}{where}: {dialect.message(exc)}", evidence=learner_sql)

    def _typed_in(self, conn: Any, learner_sql: str, reference: str) -> Outcome | None:
        """A failure when the learner's query reads no table while the reference does: its answer is typed in."""
        if not self.must_read_tables:
            return None
        dialect = self.dialect
        try:
            if dialect.reads_tables(conn, learner_sql) is not False or dialect.reads_tables(conn, reference) is not True:
                return None
        except dialect.errors() as exc:
            if dialect.classify(exc) in (Fault.TIMEOUT, Fault.CONNECTION_LOST):
                raise lost_connection(dialect, exc) from exc
            return None  # a plan the engine cannot show: the probes still judge the query
        return failed(f"your query in {self.file} reads no table: its answer is typed in (constants or VALUES), so it "
                      "would stay the same when the data changes. Select the rows from the tables instead",
                      expected="a query that reads the tables", found="constants", evidence=learner_sql)

    def _on_probe(self, ctx: CheckContext, conn: Any, probe: QueryProbe, reference: str, learner_sql: str) -> Outcome | None:
        """A failure when the learner's query and the reference disagree on the probe's data; None when they agree.
        The probe's rows are never shown: the message says what kind of data broke the answer."""
        dialect = self.dialect
        try:
            with dialect.probe_data(conn, probe.sql) as run:
                try:
                    expected = run(reference)
                except dialect.errors() as exc:
                    if dialect.classify(exc) in (Fault.TIMEOUT, Fault.CONNECTION_LOST):
                        raise lost_connection(dialect, exc) from exc
                    raise CheckError(f"the reference query fails on the probe data ({probe.case}): "
                                     f"{dialect.message(exc)}; this is a bug in the lab") from exc
                try:
                    found = run(learner_sql)
                except dialect.errors() as exc:
                    return self._refused(ctx, exc, learner_sql, on_probe=probe)
        except dialect.errors() as exc:
            # The probe data did not fit the learner's tables: an earlier task is not as it asks.
            if dialect.classify(exc) in (Fault.TIMEOUT, Fault.CONNECTION_LOST):
                raise lost_connection(dialect, exc) from exc
            return failed(f"labctl could not add its own test data to your tables ({dialect.message(exc)}); make sure "
                          "your tables are exactly as the earlier tasks ask, then check again", evidence=learner_sql)
        if expected is None or found is None:
            raise CheckError(f"the probe data ({probe.case}) left no result to compare; this is a bug in the lab")
        diff = rows.compare(found[1], expected[1], ordered=self.ordered)
        if diff.same:
            return None
        return failed(
            f"your query gives the right answer on the current data, but not on other data: with {probe.case}, "
            + rows.explain(diff, len(found[1]), len(expected[1]), what="its result", show_rows=False)
            + ". Make it right for any rows the tables could hold, not only today's",
            evidence=learner_sql,
        )
