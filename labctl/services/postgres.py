"""PostgreSQL from the host: connect, probe, run SQL files, keep and restore a pristine copy."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Mapping

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import first_line
from labctl.services.base import ServiceDriver

PRISTINE_DB = "labctl_pristine"


def credentials(access: ServiceAccess) -> tuple[str, str, str]:
    env = access.environment
    user = env.get("POSTGRES_USER", "postgres")
    return user, env.get("POSTGRES_PASSWORD", ""), env.get("POSTGRES_DB", user)


def connect(access: ServiceAccess, *, timeout: float = 10.0, dbname: str | None = None, autocommit: bool = True):
    """An open psycopg connection. Raises ServiceUnavailable when the server does not answer."""
    import psycopg

    user, password, default_db = credentials(access)
    try:
        return psycopg.connect(
            host=access.host,
            port=access.port,
            user=user,
            password=password,
            dbname=dbname or default_db,
            connect_timeout=max(1, int(timeout)),
            autocommit=autocommit,
            options=f"-c statement_timeout={int(timeout * 1000)}",
            application_name="labctl",
        )
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(
            f"PostgreSQL at {access.host}:{access.port} did not accept a connection: {first_line(exc)}"
        ) from exc


def maintenance_db(access: ServiceAccess) -> str:
    """A database to connect to while the lab's own one is copied, dropped or re-created."""
    return "template1" if credentials(access)[2] == "postgres" else "postgres"




def run_sql_file(access: ServiceAccess, path: Path, *, timeout: float = 60.0) -> None:
    """Run every statement of a SQL file in one transaction. Raises LabctlError naming the file."""
    import psycopg

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabctlError(f"cannot read {path}: {exc.strerror}") from exc
    conn = connect(access, timeout=timeout, autocommit=False)
    try:
        with conn.transaction():
            # No parameters: psycopg sends the text as one simple query, so several statements run.
            conn.execute(text.encode())
    except psycopg.Error as exc:
        raise LabctlError(f"{path.name}: PostgreSQL refused it: {first_line(exc)}") from exc
    finally:
        conn.close()


class PostgresDriver(ServiceDriver):
    kind = "postgres"
    title = "PostgreSQL"
    step_actions = frozenset({"sql", "run"})
    run_file = "a SQL file"

    def probe(self, access: ServiceAccess) -> None:
        conn = connect(access, timeout=3)
        try:
            conn.execute("SELECT 1").fetchone()
        finally:
            conn.close()

    def apply(self, access: ServiceAccess, step: Step) -> None:
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        run_sql_file(access, step.source)

    def client_hint(self, urls: Mapping[str, str]) -> str | None:
        url = next(iter(urls.values()), "")
        return f'psql "{url}"' if url else None

    def host_client(self, urls: Mapping[str, str]) -> list[str] | None:
        url = next(iter(urls.values()), "")
        return ["psql", url] if url and shutil.which("psql") else None

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
        """Re-create the lab database empty, then run every seed file in one transaction."""
        import psycopg

        user, _, db = credentials(access)
        if not self._is_empty(access):
            # A start was interrupted half-way through seeding: begin again from nothing.
            conn = connect(access, dbname=maintenance_db(access), timeout=60)
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{db}" OWNER "{user}"')
            finally:
                conn.close()
        if not steps:
            return
        conn = connect(access, timeout=120, autocommit=False)
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

    @staticmethod
    def _is_empty(access: ServiceAccess) -> bool:
        """True when the lab database holds no relation of its own (a brand-new container)."""
        import psycopg

        try:
            conn = connect(access, timeout=10)
        except ServiceUnavailable:
            return False  # e.g. the database itself is missing: re-create it
        try:
            return not conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')"
            ).fetchone()[0]
        except psycopg.Error:
            return False
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
        user, _, db = credentials(access)
        conn = connect(access, dbname=maintenance_db(access), timeout=60)
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}" TEMPLATE {PRISTINE_DB} OWNER "{user}"')
        finally:
            conn.close()

