"""PostgreSQL from the host: three roles, probe, run SQL files, keep and restore a pristine copy.

- admin (POSTGRES_USER, a superuser): labctl's own bookkeeping only (roles, seeding, the pristine copy,
  reset). It never runs anything a learner wrote.
- learner (LABCTL_LEARNER_USER): an ordinary role that owns the lab's database and what is in it; the
  learner's DATABASE_URL, solutions and graded submissions use it. CREATEDB when LABCTL_LEARNER_CREATEDB
  is true (a lab whose tool needs a shadow database).
- checker (LABCTL_CHECKER_USER): what checks connect as; not a superuser: it reads and probes every table
  (pg_read_all_data, pg_write_all_data, in transactions that are rolled back) and sees through row security.

labctl's own sessions (admin, checker) pin their environment when they open (the search path with pg_catalog
first, read-write transactions, the statement timeout), so nothing a learner sets on their role or their
database (ALTER ROLE / DATABASE ... SET) changes what labctl sees. The passwords are made per instance
(core/instance_secrets.py); instances made before keep their single superuser (LABCTL_LEGACY).

A lab that sets LABCTL_RECORD_DDL gets every schema change recorded by an event trigger labctl's superuser
owns (postgres_ddl_log.py), made at each start, at seeding and at reset.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Mapping

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import NotUtf8Error, first_line, read_learner_text
from labctl.services import postgres_ddl_log
from labctl.services.base import ServiceDriver

PRISTINE_DB = "labctl_pristine"
ROLES = ("admin", "learner", "checker")
# Per role, the environment variables of its name and password (admin's are the image's own).
_ROLE_ENV = {"admin": ("POSTGRES_USER", "POSTGRES_PASSWORD"),
             "learner": ("LABCTL_LEARNER_USER", "LABCTL_LEARNER_PASSWORD"),
             "checker": ("LABCTL_CHECKER_USER", "LABCTL_CHECKER_PASSWORD")}
# What no learner setting may change in labctl's sessions: options given at connection start win over
# ALTER ROLE / ALTER DATABASE ... SET.
_PINNED = ("search_path=pg_catalog,public", "default_transaction_read_only=off", "lock_timeout=0",
           "idle_in_transaction_session_timeout=0", "default_transaction_isolation=read\\ committed",
           "transaction_isolation=read\\ committed")


def credentials(access: ServiceAccess, role: str = "admin") -> tuple[str, str, str]:
    """(user, password, database) of one of the three roles; the admin's for an instance with one role only."""
    env = access.environment
    if not separate_roles(access):
        role = "admin"  # an instance made before labctl separated roles: its one superuser for everything
    user_key, password_key = _ROLE_ENV[role]
    user = env.get(user_key, "postgres")
    return user, env.get(password_key, ""), env.get("POSTGRES_DB", user)


def connect(access: ServiceAccess, *, role: str = "admin", timeout: float = 10.0, dbname: str | None = None,
            autocommit: bool = True):
    """An open psycopg connection as `role`, its environment pinned. Raises ServiceUnavailable when the server
    does not answer or refuses the role."""
    import psycopg

    user, password, default_db = credentials(access, role)
    # labctl's own sessions are pinned; the learner's role runs the learner's work, with the learner's settings.
    pinned = _PINNED if role != "learner" or not separate_roles(access) else ()
    options = " ".join(f"-c {o}" for o in (*pinned, f"statement_timeout={int(timeout * 1000)}"))
    try:
        conn = psycopg.connect(host=access.host, port=access.port, user=user, password=password,
                               dbname=dbname or default_db, connect_timeout=max(1, int(timeout)),
                               autocommit=autocommit, options=options, application_name="labctl")
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(
            f"PostgreSQL at {access.host}:{access.port} did not accept a connection: {first_line(exc)}"
        ) from exc
    if pinned:
        _drop_learner_settings(conn)
    return conn


def _drop_learner_settings(conn) -> None:
    """Every other setting the session took from ALTER DATABASE / ALTER ROLE ... SET (the learner owns the
    database and may set anything a user may: DateStyle, transform_null_equals, gin_fuzzy_search_limit...)
    goes back to the server's built-in value. The pinned ones came from the connection's options and win
    already (their source is 'client')."""
    import psycopg

    try:
        conn.execute("SELECT set_config(name, coalesce(boot_val, ''), false) FROM pg_settings "
                     "WHERE source IN ('database', 'user', 'database user')")
        if not conn.autocommit:
            conn.commit()  # settings made in a transaction last only if it commits
    except psycopg.Error as exc:
        conn.close()
        raise ServiceUnavailable(f"PostgreSQL would not reset the session's settings: {first_line(exc)}") from exc


def maintenance_db(access: ServiceAccess) -> str:
    """A database to connect to while the lab's own one is copied, dropped or re-created."""
    return "template1" if credentials(access)[2] == "postgres" else "postgres"


def separate_roles(access: ServiceAccess) -> bool:
    """False for an instance made before labctl separated its roles (one superuser for all)."""
    return "LABCTL_LEGACY" not in access.environment and "LABCTL_LEARNER_USER" in access.environment


def run_sql_file(access: ServiceAccess, path: Path, *, role: str = "learner", timeout: float = 60.0) -> None:
    """Run every statement of a SQL file in one transaction, as `role`. Raises LabctlError naming the file."""
    import psycopg

    try:
        text = read_learner_text(path)
    except OSError as exc:
        raise LabctlError(f"cannot read {path}: {exc.strerror}") from exc
    except NotUtf8Error as exc:
        raise LabctlError(str(exc)) from None
    conn = connect(access, role=role, timeout=timeout, autocommit=False)
    try:
        with conn.transaction():
            # No parameters: psycopg sends the text as one simple query, so several statements run.
            conn.execute(text.encode())
    except psycopg.Error as exc:
        raise LabctlError(f"{path.name}: PostgreSQL refused it: {first_line(exc)}") from exc
    finally:
        conn.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresDriver(ServiceDriver):
    kind = "postgres"
    title = "PostgreSQL"
    step_actions = frozenset({"sql", "run"})
    run_file = "a SQL file"
    sql_dialect = "postgres"

    def statements(self, text: str) -> list[str]:
        from labctl.services.postgres_statements import split_sql

        return split_sql(text)

    def probe(self, access: ServiceAccess) -> None:
        conn = connect(access, timeout=3)
        try:
            conn.execute("SELECT 1").fetchone()
        finally:
            conn.close()

    def on_ready(self, access: ServiceAccess) -> None:
        """A lab that asks for it gets its schema changes recorded from now on (postgres_ddl_log.py); on an
        instance made before labctl recorded them, this starts the record at this start."""
        import psycopg

        if not postgres_ddl_log.enabled(access):
            return
        try:
            postgres_ddl_log.install(access)
        except (ServiceUnavailable, psycopg.Error):
            # E.g. the learner dropped their database: seed or reset makes it again, recording included.
            pass

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """A solution's or a submission's SQL runs as the learner, with the learner's rights only."""
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        run_sql_file(access, step.source, role="learner")

    def client_hint(self, urls: Mapping[str, str]) -> str | None:
        url = next(iter(urls.values()), "")
        return f'psql "{url}"' if url else None

    def host_client(self, urls: Mapping[str, str]) -> list[str] | None:
        url = next(iter(urls.values()), "")
        return ["psql", url] if url and shutil.which("psql") else None

    # -- roles

    def _ensure_roles(self, access: ServiceAccess) -> None:
        """Make (or put back) the learner and checker roles with the instance's passwords and no settings of
        their own, and give the learner the lab's database. Idempotent: a half-done first start, and reset."""
        if not separate_roles(access):
            return
        learner, learner_password, db = credentials(access, "learner")
        checker, checker_password, _ = credentials(access, "checker")
        createdb = access.environment.get("LABCTL_LEARNER_CREATEDB", "false").lower() in ("1", "true", "yes")
        conn = connect(access, dbname=maintenance_db(access), timeout=60)
        try:
            for role, password, attributes in (
                    (learner, learner_password, f"LOGIN NOSUPERUSER NOCREATEROLE {'CREATEDB' if createdb else 'NOCREATEDB'}"),
                    (checker, checker_password, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB BYPASSRLS")):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(f"{verb} ROLE {_quoted(role)} WITH {attributes} PASSWORD {_literal(password)}".encode())
                conn.execute(f"ALTER ROLE {_quoted(role)} RESET ALL".encode())  # no search_path of the learner's
            conn.execute(f"GRANT pg_read_all_data, pg_write_all_data TO {_quoted(checker)}".encode())
            conn.execute(f"ALTER DATABASE {_quoted(db)} OWNER TO {_quoted(learner)}".encode())
            conn.execute(f"ALTER DATABASE {_quoted(db)} RESET ALL".encode())
        finally:
            conn.close()
        conn = connect(access, timeout=60)
        try:
            conn.execute(f"ALTER SCHEMA public OWNER TO {_quoted(learner)}".encode())
        finally:
            conn.close()

    # -- seed, snapshot, reset

    def snapshot(self, access: ServiceAccess) -> None:
        _, _, db = credentials(access)
        conn = connect(access, dbname=maintenance_db(access), timeout=60)
        try:
            conn.execute(f"DROP DATABASE IF EXISTS {PRISTINE_DB}")
            conn.execute(f'CREATE DATABASE {PRISTINE_DB} TEMPLATE "{db}" IS_TEMPLATE true')
            # Nobody works in the pristine copy by mistake.
            conn.execute(f"ALTER DATABASE {PRISTINE_DB} ALLOW_CONNECTIONS false")
        finally:
            conn.close()

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Re-create the lab database empty, make the roles, then run every seed file in one transaction as the
        learner (what the seed makes is the learner's, as if they had made it)."""
        import psycopg

        user, _, db = credentials(access)
        if self.holds_data(access):
            # A start was interrupted half-way through seeding: begin again from nothing.
            conn = connect(access, dbname=maintenance_db(access), timeout=60)
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{db}" OWNER "{user}"')
            finally:
                conn.close()
        self._ensure_roles(access)
        self._record_ddl(access)
        if not steps:
            return
        conn = connect(access, role="learner", timeout=120, autocommit=False)
        try:
            with conn.transaction():
                for step in steps:
                    try:
                        conn.execute(step.source.read_text(encoding="utf-8").encode())
                    except psycopg.Error as exc:
                        raise LabctlError(f"the lab's seed file {step.source.name} failed: {first_line(exc)}",
                                          "This is a bug in the lab; tell its author.") from exc
        finally:
            conn.close()

    def _record_ddl(self, access: ServiceAccess) -> None:
        """The record of schema changes, for a lab that asks for it. Raises LabctlError when PostgreSQL refuses."""
        import psycopg

        if not postgres_ddl_log.enabled(access):
            return
        try:
            postgres_ddl_log.install(access)
        except psycopg.Error as exc:
            raise LabctlError(f"PostgreSQL refused labctl's record of schema changes: {first_line(exc)}") from exc

    def holds_data(self, access: ServiceAccess) -> bool:
        """True when the lab database holds a relation of its own (so it is not a brand-new container)."""
        import psycopg

        try:
            conn = connect(access, timeout=10)
        except ServiceUnavailable:
            return True  # e.g. the database itself is missing: re-create it
        try:
            return bool(conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', %s) AND n.nspname NOT LIKE 'pg_toast%%')",
                (postgres_ddl_log.SCHEMA,)
            ).fetchone()[0])
        except psycopg.Error:
            return True
        finally:
            conn.close()

    def is_seeded(self, access: ServiceAccess) -> bool:
        conn = connect(access, dbname=maintenance_db(access), timeout=10)
        try:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PRISTINE_DB,)).fetchone()
            return row is not None
        finally:
            conn.close()

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        """The lab database from the pristine copy, and the roles as they were made (a learner who changed
        their password or set their role read-only gets the lab back working)."""
        _, _, db = credentials(access)
        owner = credentials(access, "learner")[0]
        pristine = self.is_seeded(access)
        conn = connect(access, dbname=maintenance_db(access), timeout=60)
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            template = PRISTINE_DB if pristine else "template0"
            conn.execute(f'CREATE DATABASE "{db}" TEMPLATE {template} OWNER {_quoted(owner)}'.encode())
        finally:
            conn.close()
        if pristine:
            self._ensure_roles(access)
            self._record_ddl(access)  # the pristine copy has it, unless it was made before labctl recorded
        else:
            # No pristine copy (data found at start that labctl had not loaded): load the starting data now.
            self.seed(access, seed or [])
            self.snapshot(access)
