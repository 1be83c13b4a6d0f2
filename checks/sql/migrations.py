"""sql.migrated: tables and columns built through a migration tool, proved from the database's own record.

labctl records every schema change and every write to a migration tool's history table, with its
transaction and session (labctl/services/postgres_ddl_log.py). A table (or a column) counts as migrated when
the transaction that created it also wrote the tool's history (Alembic, Knex, Flyway, TypeORM...), or, for
the tools that record a migration after it, the next write to a history table in the same session is that
tool's (Prisma marks a migration finished after its script; Django records one after its deferred SQL;
Sequelize runs without a transaction; golang-migrate clears its dirty flag afterwards).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import Field, field_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.services import postgres_ddl_log as ddl_log

from . import flow
from .common import POSTGRES

Row = dict[str, Any]

# Django's own apps: their migrations say nothing about the learner's schema.
DJANGO_BUILTIN_APPS = frozenset({"admin", "auth", "contenttypes", "sessions", "messages", "staticfiles", "sites"})


def _text(row: Row, *keys: str) -> str | None:
    values = [row.get(k) for k in keys]
    return None if any(v is None for v in values) else "/".join(str(v) for v in values)


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "t", "1")


@dataclass(frozen=True)
class Tool:
    """A migration tool as its history table shows it."""

    title: str
    table: str
    key: Callable[[Row], str | None]  # which migration a history row is about
    applied: Callable[[Row], bool] = lambda r: True  # the row says the migration is applied
    mine: Callable[[Row], bool] = lambda r: True  # the row is about the learner's schema (not a framework's own)
    apply_hint: str = field(default="")
    # The tool may record a migration in a later transaction of the session that ran it (not in the same one).
    records_after: bool = False


TOOLS: dict[str, Tool] = {
    "alembic": Tool("Alembic", "alembic_version", lambda r: _text(r, "version_num"), apply_hint="alembic upgrade head"),
    "django": Tool("Django", "django_migrations", lambda r: _text(r, "app", "name"),
                   mine=lambda r: r.get("app") not in DJANGO_BUILTIN_APPS, apply_hint="python manage.py migrate",
                   records_after=True),  # after the migration's deferred SQL (foreign keys, indexes)
    "prisma": Tool("Prisma", "_prisma_migrations", lambda r: _text(r, "migration_name"),
                   applied=lambda r: r.get("finished_at") is not None and r.get("rolled_back_at") is None,
                   apply_hint="npx prisma migrate dev", records_after=True),  # marked finished after the script
    "knex": Tool("Knex", "knex_migrations", lambda r: _text(r, "name"), apply_hint="npx knex migrate:latest"),
    "sequelize": Tool("Sequelize", "SequelizeMeta", lambda r: _text(r, "name"), records_after=True),  # no transaction
    "typeorm": Tool("TypeORM", "migrations", lambda r: _text(r, "name")),
    "flyway": Tool("Flyway", "flyway_schema_history", lambda r: _text(r, "script"),
                   applied=lambda r: _true(r.get("success")) and r.get("type") not in ("SCHEMA", "BASELINE", "DELETE")),
    "schema-migrations": Tool("golang-migrate, Rails, Ecto or dbmate", "schema_migrations", lambda r: _text(r, "version"),
                              applied=lambda r: not _true(r.get("dirty")),
                              records_after=True),  # golang-migrate: dirty, the migration, then clean
    "goose": Tool("goose", "goose_db_version", lambda r: _text(r, "version_id"),
                  applied=lambda r: _true(r.get("is_applied")) and str(r.get("version_id")) != "0"),
    "ef-core": Tool("Entity Framework Core", "__EFMigrationsHistory", lambda r: _text(r, "MigrationId")),
    "liquibase": Tool("Liquibase", "databasechangelog", lambda r: _text(r, "id", "author", "filename")),
    "mikro-orm": Tool("MikroORM", "mikro_orm_migrations", lambda r: _text(r, "name")),
    "drizzle": Tool("Drizzle", "__drizzle_migrations", lambda r: _text(r, "hash")),
    "kysely": Tool("Kysely", "kysely_migration", lambda r: _text(r, "name")),
    "node-pg-migrate": Tool("node-pg-migrate", "pgmigrations", lambda r: _text(r, "name")),
    "diesel": Tool("Diesel", "__diesel_schema_migrations", lambda r: _text(r, "version")),
}
assert {t.table for t in TOOLS.values()} == set(ddl_log.HISTORY_TABLES)

ToolName = Literal["alembic", "django", "prisma", "knex", "sequelize", "typeorm", "flyway", "schema-migrations",
                   "goose", "ef-core", "liquibase", "mikro-orm", "drizzle", "kysely", "node-pg-migrate", "diesel"]
_CREATE_TAGS = ("CREATE TABLE", "CREATE TABLE AS", "SELECT INTO")
_OBJECT = re.compile(r"^([A-Za-z_][A-Za-z0-9_$]*)(?:\.([A-Za-z_][A-Za-z0-9_$]*))?$")


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    xid: str
    session: str
    kind: str
    command_tag: str | None
    objid: int | None
    columns: tuple[str, ...] | None
    history_table: str | None
    operation: str | None
    row: Row | None


_MECHANISM_SQL = f"""
SELECT
  EXISTS (SELECT 1 FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
          WHERE n.nspname = '{ddl_log.SCHEMA}' AND o.rolsuper),
  EXISTS (SELECT 1 FROM pg_event_trigger t JOIN pg_proc p ON p.oid = t.evtfoid
          JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = t.evtowner
          WHERE t.evtname = '{ddl_log.DDL_TRIGGER}' AND t.evtevent = 'ddl_command_end' AND t.evtenabled IN ('O', 'A')
            AND n.nspname = '{ddl_log.SCHEMA}' AND p.proname = 'record_ddl' AND o.rolsuper)
"""


@register("sql.migrated", service_kind="postgres")
class Migrated(flow.SqlCheck):
    """Tables and columns built by a migration tool: the transaction that made each one wrote the tool's
    history (or, for Prisma, Django, Sequelize and golang-migrate, which record a migration afterwards, their
    next history write in that session followed it), and the history records at least min_migrations
    migrations. Needs `LABCTL_RECORD_DDL: "true"` in the PostgreSQL service's environment."""

    dialect = POSTGRES
    objects: list[str] = Field(min_length=1, description="Tables (books) and columns (books.stock) that must come "
                                                         "from a migration.")
    schema_: str = Field("public", alias="schema", pattern=flow.NAME_PATTERN)
    min_migrations: int = Field(1, ge=0, description="Migrations the tools' history must record, at least "
                                                     "(Django's own apps' not counted).")
    tools: list[ToolName] = Field(default_factory=lambda: list(TOOLS),
                                  description="Migration tools accepted (default: every one labctl knows).")
    message: str | None = Field(None, description="Said to the learner before what is missing.")

    @field_validator("objects")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _OBJECT.match(name):
                raise ValueError(f"{name!r} is neither a table (books) nor a column (books.stock)")
        return value

    def describe(self) -> str:
        return f"{', '.join(self.objects)} built through migrations (at least {self.min_migrations} recorded)"

    def run(self, ctx: CheckContext) -> Outcome:
        query = flow.catalog(ctx, self)
        self._require_record(ctx, query)
        events = _events(query)
        tools = [TOOLS[name] for name in self.tools]
        tables = {t.table: t for t in tools}
        evidence = (f"labctl's record of schema changes and history writes ({ddl_log.SCHEMA}.events, "
                    "readable by labctl only)")
        prefix = f"{self.message}: " if self.message else ""
        # The history tables there now: what a dropped one recorded no longer counts.
        live = {oid for (oid,) in query("SELECT oid FROM pg_class WHERE relname = ANY(%s) AND relkind IN ('r', 'p')",
                                        (list(tables),))}
        for name in self.objects:
            problem = self._object_problem(query, events, tables, live, name)
            if problem:
                return failed(prefix + problem, expected="made by a migration", found=name, evidence=evidence)
        count, keys = _applied(events, tables, live)
        if count < self.min_migrations:
            listed = f" ({', '.join(keys)})" if keys else ""
            return failed(
                f"{prefix}your migration tool's history records {count} applied migration(s){listed}; this task "
                f"needs at least {self.min_migrations}: write each change as a new migration and apply it with your "
                "tool (edited or hand-made changes do not add one)",
                expected=f">= {self.min_migrations} migrations", found=count, evidence=evidence)
        return passed(f"{', '.join(self.objects)} came from migrations; the history records {count} migration(s)",
                      evidence=evidence)

    # -- the record itself

    def _require_record(self, ctx: CheckContext, query) -> None:
        schema_owned, trigger = query(_MECHANISM_SQL)[0]
        if schema_owned and trigger:
            return
        access = ctx.service(self.service) if self.service else None
        if access is not None and not ddl_log.enabled(access):
            raise CheckError(f"sql.migrated needs labctl to record schema changes: the lab must set "
                             f"{ddl_log.ENABLE_ENV}: \"true\" in its PostgreSQL service's environment (a bug in the lab)")
        raise CheckError(
            "labctl does not record schema changes in this lab's database (the lab was started with an older "
            "labctl, or the database was dropped and made again), so it cannot tell what your migrations built. "
            "Run `labctl reset` (your tables are emptied), then apply your migrations again")

    def _object_problem(self, query, events: list[Event], tables: dict[str, Tool], live: set[int],
                        name: str) -> str | None:
        table, column = _OBJECT.match(name).groups()
        found = query("SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname = %s AND c.relname = %s", (self.schema_, table))
        where = table if self.schema_ == "public" else f"{self.schema_}.{table}"
        if not found or found[0][1] not in ("r", "p"):
            return f"table {where} does not exist"
        oid = found[0][0]
        created = [e for e in events if e.kind == "ddl" and e.objid == oid and e.command_tag in _CREATE_TAGS
                   and e.columns is not None]
        if not created:
            installed = query(f"SELECT min(at)::timestamptz(0)::text FROM {ddl_log.SCHEMA}.installed")[0][0]
            return (f"labctl has no record of how {where} was created: it was made before labctl began recording "
                    f"schema changes in this database ({installed or 'recently'}). Run `labctl reset`, then apply "
                    "your migrations again")
        made = created[-1]
        what = f"table {where}"
        if column:
            made = _column_added(events, oid, made, column)
            if made is None:
                return f"{where} has no column {column}"
            what = f"column {where}.{column}"
        if _linked(events, made, tables):
            return None
        return _not_migrated(what, made, [e for e in events if e.objid in live], tables)


def _events(query) -> list[Event]:
    rows = query(f"SELECT seq, at::timestamptz(0)::text, xid::text, session, kind, command_tag, objid, columns, "
                 f"history_table, operation, row_data FROM {ddl_log.SCHEMA}.events ORDER BY seq")
    return [Event(seq, at, xid, session, kind, tag, objid, tuple(columns) if columns is not None else None,
                  history, operation, row) for seq, at, xid, session, kind, tag, objid, columns, history, operation, row
            in rows]


def _column_added(events: list[Event], oid: int, created: Event, column: str) -> Event | None:
    """The command after which the column last appeared on the table (since the table was created)."""
    added, had = None, False
    for e in events:
        if e.seq < created.seq or e.kind != "ddl" or e.objid != oid or e.columns is None:
            continue
        has = column in e.columns
        if has and not had:
            added = e
        had = has
    return added if had else None


def _tool_write(e: Event, tables: dict[str, Tool]) -> bool:
    """A write that records a migration of the learner's, by an accepted tool."""
    tool = tables.get(e.history_table or "")
    return (e.kind == "history" and tool is not None and e.operation in ("INSERT", "UPDATE")
            and e.row is not None and tool.mine(e.row))


def _linked(events: list[Event], made: Event, tables: dict[str, Tool]) -> bool:
    """The command's transaction wrote the tool's history; or, for a tool that records a migration after it
    (Prisma, Django, Sequelize, golang-migrate), the next history write in its session after that transaction
    is that tool's. Alembic, Knex, Flyway... always write it in the migration's transaction: for them a
    write that only follows (SQLAlchemy's create_all, then alembic stamp on the same connection) proves nothing."""
    same = [e for e in events if e.xid == made.xid]
    if any(_tool_write(e, tables) for e in same):
        return True
    last = max(e.seq for e in same)
    later = [e for e in events if e.session == made.session and e.seq > last and e.kind == "history"]
    return bool(later) and _tool_write(later[0], tables) and tables[later[0].history_table or ""].records_after


def _applied(events: list[Event], tables: dict[str, Tool], live: set[int]) -> tuple[int, list[str]]:
    """How many of the learner's migrations the accepted tools' history tables (those that still exist: `live`)
    record as applied (each one's latest write: not deleted, applied), and their names."""
    latest: dict[tuple[str, str], Event] = {}
    for e in events:
        tool = tables.get(e.history_table or "") if e.kind == "history" else None
        if tool is None or e.row is None or e.objid not in live:
            continue
        key = tool.key(e.row)
        if key is not None and tool.mine(e.row):
            latest[(tool.table, key)] = e
    keys = [key for (table, key), e in latest.items()
            if e.operation != "DELETE" and tables[table].applied(e.row or {})]
    return len(keys), keys


def _not_migrated(what: str, made: Event, events: list[Event], tables: dict[str, Tool]) -> str:
    """Why the command that made `what` proves nothing, from the writes to the history tables there now."""
    history = [e for e in events if e.kind == "history" and e.history_table in tables]
    mine = [e for e in history if _tool_write(e, tables)]
    if not history:
        seen = ("no migration tool has written its history in this database (a table made in psql, or with "
                "prisma db push or an ORM's sync, leaves none)")
    elif not mine:
        seen = ("the only migrations recorded are Django's own apps' (admin, auth, contenttypes, sessions...), "
                "not your app's")
    else:
        seen = ("your tool's history was written in other transactions only (a migration that is empty or "
                "about something else, or a version stamped by hand, does not make the table)")
    hints = [t.apply_hint for t in tables.values() if t.apply_hint]
    how = f" ({', '.join(hints)})" if hints else ""
    return (f"{what} was not created by a migration: the transaction that ran {made.command_tag} at {made.at} "
            f"wrote nothing to a migration tool's history; {seen}. Write a migration that makes it and apply it "
            f"with your tool{how}; drop what you made by hand first (or `labctl reset`)")
