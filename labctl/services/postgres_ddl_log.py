"""labctl's record of schema changes in a lab's PostgreSQL database, for labs that ask for it
(`LABCTL_RECORD_DDL: "true"` in the service's environment): the evidence `sql.migrated` reads.

An event trigger, made by labctl's superuser, records every DDL command (ddl_command_end) and every dropped
object (sql_drop): its command tag, its object, the table's columns after it, the transaction (xid8), the
session (backend pid and start) and the time. When a table named like a migration tool's history table is
created (alembic_version, django_migrations, _prisma_migrations, knex_migrations...), a row trigger is put on
it that records every write to it the same way. Everything goes into labctl_audit.events: a schema owned by
labctl's superuser, where the learner has no rights (the checker reads it through pg_read_all_data).

The functions are SECURITY DEFINER with a pinned search path, and catch their own errors: a learner's DDL
never fails because of them (at worst a change goes unrecorded, which a check reads as "not proven").
"""
from __future__ import annotations

from labctl.core.access import ServiceAccess

SCHEMA = "labctl_audit"
ENABLE_ENV = "LABCTL_RECORD_DDL"
DDL_TRIGGER = "labctl_record_ddl"
DROP_TRIGGER = "labctl_record_drops"
HISTORY_TRIGGER = "labctl_record_history"

# The history tables of the migration tools sql.migrated knows (their writes are recorded).
HISTORY_TABLES = (
    "alembic_version", "django_migrations", "_prisma_migrations", "knex_migrations", "SequelizeMeta",
    "migrations", "flyway_schema_history", "schema_migrations", "goose_db_version", "__EFMigrationsHistory",
    "databasechangelog", "mikro_orm_migrations", "__drizzle_migrations", "kysely_migration", "pgmigrations",
    "__diesel_schema_migrations",
)


def enabled(access: ServiceAccess) -> bool:
    """Whether the lab asks labctl to record schema changes in this service."""
    return access.environment.get(ENABLE_ENV, "false").lower() in ("1", "true", "yes")


def _install_sql(checker: str | None) -> str:
    names = ", ".join("'" + n + "'" for n in HISTORY_TABLES)
    grant = (f'GRANT USAGE ON SCHEMA {SCHEMA} TO "{checker}";\n'
             f'GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO "{checker}";\n') if checker else ""
    return f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC;
CREATE TABLE IF NOT EXISTS {SCHEMA}.installed (at timestamptz NOT NULL DEFAULT now());
INSERT INTO {SCHEMA}.installed SELECT WHERE NOT EXISTS (SELECT 1 FROM {SCHEMA}.installed);
CREATE TABLE IF NOT EXISTS {SCHEMA}.events (
    seq             bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    xid             xid8 NOT NULL,
    session         text NOT NULL,
    kind            text NOT NULL,  -- ddl, drop, history
    command_tag     text,
    object_type     text,
    object_identity text,
    objid           oid,
    columns         text[],         -- a table's columns after the command
    history_table   text,
    operation       text,           -- INSERT, UPDATE, DELETE (history)
    row_data        jsonb           -- the history row written (the old one for DELETE)
);
REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM PUBLIC;
{grant}
CREATE OR REPLACE FUNCTION {SCHEMA}.session_key() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_backend_pid()::text || '@' || coalesce(
    (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()), '')
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.record_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cmd record;
  cols text[];
  rel_name name;
  rel_kind "char";
BEGIN
  FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    cols := NULL;
    rel_name := NULL;
    rel_kind := NULL;
    IF cmd.classid = 'pg_class'::regclass AND cmd.objsubid = 0 THEN
      SELECT c.relname, c.relkind INTO rel_name, rel_kind FROM pg_class c WHERE c.oid = cmd.objid;
      IF rel_kind IN ('r', 'p') THEN
        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols FROM pg_attribute a
        WHERE a.attrelid = cmd.objid AND a.attnum > 0 AND NOT a.attisdropped;
      END IF;
    END IF;
    INSERT INTO {SCHEMA}.events (xid, session, kind, command_tag, object_type, object_identity, objid, columns)
    VALUES (pg_current_xact_id(), {SCHEMA}.session_key(), 'ddl', cmd.command_tag, cmd.object_type,
            cmd.object_identity, cmd.objid, cols);
    IF rel_kind IN ('r', 'p') AND rel_name IN ({names}) AND NOT cmd.in_extension
       AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = cmd.objid AND t.tgname = '{HISTORY_TRIGGER}') THEN
      EXECUTE format('CREATE TRIGGER {HISTORY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON %s '
                     'FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history()', cmd.objid::regclass);
    END IF;
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'labctl could not record this schema change: %', SQLERRM;
END
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.record_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO {SCHEMA}.events (xid, session, kind, command_tag, object_type, object_identity, objid)
  SELECT pg_current_xact_id(), {SCHEMA}.session_key(), 'drop', tg_tag, d.object_type, d.object_identity, d.objid
  FROM pg_event_trigger_dropped_objects() d;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'labctl could not record what was dropped: %', SQLERRM;
END
$$;

CREATE OR REPLACE FUNCTION {SCHEMA}.record_history() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO {SCHEMA}.events (xid, session, kind, object_identity, objid, history_table, operation, row_data)
  VALUES (pg_current_xact_id(), {SCHEMA}.session_key(), 'history', format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
          TG_RELID, TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'labctl could not record a write to %: %', TG_TABLE_NAME, SQLERRM;
  RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION {SCHEMA}.session_key(), {SCHEMA}.record_ddl(), {SCHEMA}.record_drop(),
                       {SCHEMA}.record_history() FROM PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '{DDL_TRIGGER}') THEN
    CREATE EVENT TRIGGER {DDL_TRIGGER} ON ddl_command_end EXECUTE FUNCTION {SCHEMA}.record_ddl();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '{DROP_TRIGGER}') THEN
    CREATE EVENT TRIGGER {DROP_TRIGGER} ON sql_drop EXECUTE FUNCTION {SCHEMA}.record_drop();
  END IF;
END
$$;
-- Also in sessions with session_replication_role = replica (only a superuser can set it anyway).
ALTER EVENT TRIGGER {DDL_TRIGGER} ENABLE ALWAYS;
ALTER EVENT TRIGGER {DROP_TRIGGER} ENABLE ALWAYS;

-- History tables made before the record began (an instance started by an earlier labctl): their next writes count.
DO $$
DECLARE
  rel oid;
BEGIN
  FOR rel IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname IN ({names}) AND c.relkind IN ('r', 'p')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema', '{SCHEMA}')
               AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '{HISTORY_TRIGGER}')
  LOOP
    EXECUTE format('CREATE TRIGGER {HISTORY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history()', rel::regclass);
  END LOOP;
END
$$;
"""


def install(access: ServiceAccess, *, timeout: float = 60.0) -> None:
    """Make (or make again, idempotently) the recording in the lab's database, as labctl's superuser.
    Raises ServiceUnavailable when the database does not answer, psycopg.Error when PostgreSQL refuses."""
    from labctl.services.postgres import connect, credentials, separate_roles

    checker = credentials(access, "checker")[0] if separate_roles(access) else None
    conn = connect(access, timeout=timeout, autocommit=False)
    try:
        with conn.transaction():
            conn.execute(_install_sql(checker).encode())
    finally:
        conn.close()
