"""SQL checks on PostgreSQL, the schema half: tables and columns (their flow shared with other engines,
flow.py), constraints and indexes (PostgreSQL only)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.core.text import first_line

from . import flow
from .common import TableCheck, column_names, connection, psycopg_module, qualified
from .flow import lab_query, missing_table

# ---- sql.table_exists ---------------------------------------------------------------------------

@register("sql.table_exists", service_kind="postgres")
class TableExists(TableCheck, flow.TableExists):
    pass


# ---- sql.columns --------------------------------------------------------------------------------

class ColumnSpec(flow.ColumnRule):
    type: str | list[str] | None = Field(None, description="Accepted type(s), e.g. integer or [varchar(100), text].")
    default: str | list[str] | None = Field(
        None, description="Text the column default must contain, e.g. now(); a list accepts any of them.")
    auto_increment: bool | None = Field(None, description="SERIAL or GENERATED ... AS IDENTITY.")


@register("sql.columns", service_kind="postgres")
class Columns(TableCheck, flow.Columns):
    columns: list[ColumnSpec] = Field(min_length=1)


# ---- sql.constraint -----------------------------------------------------------------------------

class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str = Field(min_length=1)
    columns: list[str] | None = None
    schema_: str = Field("public", alias="schema")


_CONTYPE = {"primary_key": "p", "foreign_key": "f", "unique": "u", "check": "c"}
_KIND_WORDS = {"primary_key": "primary key", "foreign_key": "foreign key", "unique": "unique constraint",
               "check": "check constraint", "not_null": "NOT NULL constraint"}


@register("sql.constraint", service_kind="postgres")
class Constraint(TableCheck):
    kind: Literal["primary_key", "foreign_key", "unique", "check", "not_null"]
    columns: list[str] = Field(default_factory=list)
    references: Reference | None = None
    on_delete: Literal["cascade", "restrict", "set null", "set default", "no action"] | None = None
    rejects: list[str] = Field(default_factory=list, description="For check: statements the constraint must refuse "
                               "(rolled back). With columns, it must be a CHECK on exactly those columns that refuses them.")
    accepts: list[str] = Field(default_factory=list, description="For check: statements the table must accept (rolled "
                               "back): the other side of the boundary, e.g. a total of exactly 0 for CHECK (total >= 0).")

    @model_validator(mode="after")
    def _needs(self) -> "Constraint":
        if self.accepts and self.kind != "check":
            raise ValueError("accepts is for check constraints only")
        if self.kind in ("primary_key", "foreign_key", "unique", "not_null") and not self.columns:
            raise ValueError(f"a {self.kind} constraint check needs columns")
        if self.kind == "foreign_key" and self.references is None:
            raise ValueError("a foreign_key constraint check needs references")
        if self.kind == "check" and not self.rejects:
            raise ValueError("a check constraint check needs rejects: statements it must refuse")
        return self

    def describe(self) -> str:
        cols = f"({', '.join(self.columns)})" if self.columns else ""
        return f"{_KIND_WORDS[self.kind]} on {self.where}{cols}"

    def run(self, ctx: CheckContext) -> Outcome:
        missing = missing_table(ctx, self)
        if missing:
            return missing
        if self.kind == "not_null":
            return self._not_null(ctx)
        if self.kind == "check":
            return self._rejects(ctx)
        names = column_names(ctx, self)
        found = lab_query(
            ctx, self,
            "SELECT con.conname, con.conkey, con.confrelid::regclass::text, con.confkey, con.confdeltype, "
            "pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "WHERE con.conrelid = %s::regclass AND con.contype = %s",
            (f'"{self.schema_}"."{self.table}"', _CONTYPE[self.kind]),
        )
        evidence = f"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{self.where}'::regclass"
        want = sorted(self.columns)
        matching = [row for row in found if sorted(names.get(n, "?") for n in row[1]) == want]
        cols = ", ".join(self.columns)
        if self.kind == "unique" and not matching and self._unique_index(ctx):
            return passed(f"{self.where}({cols}) is unique (through a unique index)", evidence=evidence)
        if not matching:
            others = [row[5] for row in found]
            seen = f"; found: {'; '.join(others)}" if others else ""
            hint = ""
            if self.kind == "foreign_key" and self.references:
                hint = f" referencing {self.references.table}"
            return failed(
                f"{self.where}({cols}) has no {_KIND_WORDS[self.kind]}{hint}{seen}",
                expected=f"{_KIND_WORDS[self.kind]} on ({cols})", found=others, evidence=evidence,
            )
        if self.kind != "foreign_key":
            return passed(f"{self.where}({cols}) has its {_KIND_WORDS[self.kind]}", evidence=evidence)
        return self._foreign_key(ctx, matching, evidence)

    def _foreign_key(self, ctx: CheckContext, matching: list[tuple], evidence: str) -> Outcome:
        ref = self.references
        assert ref is not None
        want_table = qualified(ref.schema_, ref.table)
        problems = []
        for name, _conkey, target, confkey, deltype, definition in matching:
            target_plain = target.replace('"', "")
            if target_plain != want_table:
                problems.append(f"it references {target_plain}, not {want_table}")
                continue
            if ref.columns:
                target_cols = lab_query(
                    ctx, self,
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = ANY(%s)",
                    (f'"{ref.schema_}"."{ref.table}"', list(confkey)),
                )
                if sorted(r[0] for r in target_cols) != sorted(ref.columns):
                    problems.append(f"it references {target_plain}({', '.join(r[0] for r in target_cols)}), not ({', '.join(ref.columns)})")
                    continue
            if self.on_delete:
                actual = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}[deltype]
                if actual != self.on_delete:
                    problems.append(f"it is ON DELETE {actual.upper()}, expected ON DELETE {self.on_delete.upper()}")
                    continue
            return passed(f"{self.where}({', '.join(self.columns)}) references {want_table}", evidence=evidence)
        return failed(
            f"the foreign key on {self.where}({', '.join(self.columns)}) is not right: {'; '.join(problems)}",
            expected=want_table, found=[m[5] for m in matching], evidence=evidence,
        )

    def _unique_index(self, ctx: CheckContext) -> bool:
        found = lab_query(
            ctx, self,
            _INDEX_KEYS_SQL + " WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indpred IS NULL AND NOT i.indisprimary",
            (f'"{self.schema_}"."{self.table}"',),
        )
        return any(sorted(_plain(c) for c in r[2]) == sorted(self.columns) for r in found)

    def _not_null(self, ctx: CheckContext) -> Outcome:
        found = dict(lab_query(
            ctx, self,
            "SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (f'"{self.schema_}"."{self.table}"',),
        ))
        evidence = f"SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = '{self.where}'::regclass"
        for col in self.columns:
            if col not in found:
                return failed(f"{self.where} has no column {col}", expected=col, found=list(found), evidence=evidence)
            if not found[col]:
                return failed(f"column {self.table}.{col} accepts NULL; it should be NOT NULL",
                              expected="NOT NULL", found="NULL allowed", evidence=evidence)
        return passed(f"{', '.join(self.columns)} NOT NULL on {self.where}", evidence=evidence)

    def _rejects(self, ctx: CheckContext) -> Outcome:
        psycopg = psycopg_module()
        conn = connection(ctx, self.service)
        for statement in self.rejects:
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(statement)
            except psycopg.errors.CheckViolation as exc:
                wrong = self._fired_elsewhere(ctx, exc, statement)
                if wrong:
                    return wrong
                continue
            except psycopg.OperationalError as exc:
                raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
            except psycopg.errors.SyntaxError as exc:
                raise CheckError(f"the check's statement is not valid SQL (a bug in the lab): {first_line(exc)}") from exc
            except psycopg.Error as exc:
                # Refused, but not by a CHECK constraint (a foreign key, NOT NULL, a wrong column...):
                # that proves nothing about the CHECK the task asks for.
                return failed(
                    f"{self.where} refused a row it should refuse, but not with a CHECK constraint "
                    f"({first_line(exc)}); add the CHECK constraint the task asks for",
                    expected="refused by a CHECK constraint", found=first_line(exc), evidence=statement,
                )
            on = f" on {', '.join(self.columns)}" if self.columns else ""
            return failed(
                f"{self.where} accepted a row it should refuse; add a CHECK constraint{on} (the statement was rolled back)",
                expected="rejected by a constraint", found="accepted", evidence=statement,
            )
        for statement in self.accepts:
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(statement)
            except psycopg.errors.CheckViolation as exc:
                name = exc.diag.constraint_name or "a CHECK constraint"
                return failed(
                    f"{self.where} refuses a row it should accept: {name} goes too far (its boundary is off: a value "
                    "exactly at the limit the task gives must be allowed); the statement was rolled back",
                    expected="accepted", found=first_line(exc), evidence=statement,
                )
            except psycopg.OperationalError as exc:
                raise ServiceUnavailable(f"lost the connection to PostgreSQL: {first_line(exc)}") from exc
            except psycopg.errors.SyntaxError as exc:
                raise CheckError(f"the check's statement is not valid SQL (a bug in the lab): {first_line(exc)}") from exc
            except psycopg.Error as exc:
                return failed(
                    f"{self.where} refuses a row it should accept ({first_line(exc)}); make sure the table is as the "
                    "task asks", expected="accepted", found=first_line(exc), evidence=statement,
                )
        also = " and accepts the ones it should" if self.accepts else ""
        return passed(f"{self.where} refuses the rows it should{also}", evidence="; ".join(self.rejects + self.accepts))

    def _fired_elsewhere(self, ctx: CheckContext, exc: BaseException, statement: str) -> Outcome | None:
        """A failure when the CHECK that refused the probe is not on the check's columns of its table; None when
        it is (or when the check names no columns)."""
        if not self.columns:
            return None
        diag = exc.diag
        name, table = diag.constraint_name, diag.table_name
        if table == self.table and name:
            found = lab_query(
                ctx, self,
                "SELECT ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = con.conrelid "
                "AND a.attnum = ANY(con.conkey) ORDER BY a.attname) FROM pg_constraint con "
                "WHERE con.conrelid = %s::regclass AND con.conname = %s AND con.contype = 'c'",
                (f'"{self.schema_}"."{self.table}"', name),
            )
            if found and sorted(found[0][0]) == sorted(self.columns):
                return None
            on = f"on {', '.join(found[0][0])}" if found and found[0][0] else "on another column"
        elif diag.datatype_name and not table:
            # A domain's CHECK: it counts when one of the columns has that domain as its type.
            typed = lab_query(
                ctx, self,
                "SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = %s::regclass AND t.typname = %s AND a.attnum > 0",
                (f'"{self.schema_}"."{self.table}"', diag.datatype_name),
            )
            if any(r[0] in self.columns for r in typed):
                return None
            on = f"of the type {diag.datatype_name}"
        else:
            on = f"on {table}" if table else "elsewhere"
        cols = ", ".join(self.columns)
        return failed(
            f"{self.where} refused the row only through {name or 'a CHECK constraint'} {on}, not through a CHECK on "
            f"{cols}: add the CHECK constraint on {cols} the task asks for",
            expected=f"a CHECK constraint on {cols}", found=name, evidence=statement,
        )


# Key columns only (not INCLUDE columns), expressions as PostgreSQL prints them: lower(email), not email.
_INDEX_KEYS_SQL = (
    "SELECT ic.relname, i.indisunique, "
    "ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k) "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
)


def _plain(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') and name.endswith('"') else name


# ---- sql.index ----------------------------------------------------------------------------------

@register("sql.index", service_kind="postgres")
class Index(TableCheck):
    columns: list[str] = Field(min_length=1)
    unique: bool | None = None
    method: str | None = Field("btree", description="The index's access method (btree, hash, gin, gist, brin); "
                               "null accepts any.")
    partial: bool = Field(False, description="Whether a partial index (CREATE INDEX ... WHERE) counts. A partial "
                          "index covers only some rows: by default it does not.")

    def describe(self) -> str:
        return f"index on {self.where}({', '.join(self.columns)})"

    def run(self, ctx: CheckContext) -> Outcome:
        missing = missing_table(ctx, self)
        if missing:
            return missing
        rows = lab_query(
            ctx, self,
            "SELECT ic.relname, i.indisunique, "
            "ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k), "
            "am.amname, pg_get_expr(i.indpred, i.indrelid, true) "
            "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
            "WHERE i.indrelid = %s::regclass ORDER BY ic.relname",
            (f'"{self.schema_}"."{self.table}"',),
        )
        evidence = f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{self.table}'"
        cols = ", ".join(self.columns)
        found = [(name, unique, [_plain(c) for c in columns]) for name, unique, columns, _, _ in rows]
        shaped = {name: (method, predicate) for name, _, _, method, predicate in rows}
        same_columns = [(name, unique) for name, unique, columns in found if columns == self.columns]
        fitting = [(n, u) for n, u in same_columns if (self.method is None or shaped[n][0] == self.method)
                   and (self.partial or shaped[n][1] is None)]
        for name, unique in fitting:
            if self.unique is None or unique == self.unique:
                return passed(f"index {name} covers {self.where}({cols})", evidence=evidence)
        if same_columns and not fitting:
            name = same_columns[0][0]
            method, predicate = shaped[name]
            if not self.partial and predicate is not None:
                return failed(
                    f"index {name} on {self.where}({cols}) is partial (WHERE {predicate}): it only covers some rows; "
                    "create it without a WHERE clause",
                    expected="an index on every row", found=f"WHERE {predicate}", evidence=evidence,
                )
            return failed(
                f"index {name} on {self.where}({cols}) is a {method} index; expected a {self.method} index"
                + (" (the default: CREATE INDEX ... ON table (column), with no USING)" if self.method == "btree" else ""),
                expected=self.method, found=method, evidence=evidence,
            )
        if same_columns:
            name, unique = same_columns[0]
            return failed(
                f"index {name} on {self.where}({cols}) is {'' if unique else 'not '}unique; expected {'a unique' if self.unique else 'a non-unique'} index",
                expected="unique" if self.unique else "not unique", found="unique" if unique else "not unique", evidence=evidence,
            )
        seen = "; ".join(f"{n} ({', '.join(c)})" for n, _, c in found) or "none"
        return failed(
            f"no index on {self.where}({cols}); indexes found: {seen}",
            expected=f"an index on ({cols})", found=[f"{n} ({', '.join(c)})" for n, _, c in found], evidence=evidence,
        )
