"""MariaDB from the host (PyMySQL): connect, probe, run SQL files, seed as root, reset by replaying the seed."""
from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from labctl.core.text import NotUtf8Error, first_line, read_learner_text
from labctl.services.base import ServiceDriver

# labctl's own state (the seeded marker) lives in a database of its own, so the learner's holds
# only lab data; the learner's account has no privilege on it and does not even see it.
STATE_DB = "labctl"
ER_EMPTY_QUERY = 1065  # a file of comments only
ER_NO_SUCH_THREAD = 1094  # a session that ended before KILL reached it
ER_BAD_DB = 1049
ER_NO_SUCH_TABLE = 1146


def _env(access: ServiceAccess, name: str) -> str:
    # The official image reads MARIADB_<name>, or MYSQL_<name> when that is not set.
    env = access.environment
    return env.get(f"MARIADB_{name}") or env.get(f"MYSQL_{name}", "")


def credentials(access: ServiceAccess, role: str = "learner") -> tuple[str, str, str]:
    """(user, password, database) of the learner's account, the checks' (LABCTL_CHECKER_*: reads and writes
    the lab's database, nothing else) or root (labctl's own bookkeeping)."""
    env = access.environment
    user, database = _env(access, "USER"), _env(access, "DATABASE")
    if role == "checker" and env.get("LABCTL_CHECKER_USER"):
        return env["LABCTL_CHECKER_USER"], env.get("LABCTL_CHECKER_PASSWORD", ""), database
    if role == "root" or not user:
        return "root", _env(access, "ROOT_PASSWORD"), database
    return user, _env(access, "PASSWORD"), database


def _account(user: str) -> str:
    return "'" + user.replace("'", "''") + "'@'%'"


def _secret(password: str) -> str:
    return "'" + password.replace("\\", "\\\\").replace("'", "''") + "'"


def error_text(exc: BaseException) -> str:
    """MariaDB's own message: PyMySQL errors are (code, message) pairs."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], str) and args[1]:
        return first_line(args[1])
    return first_line(exc)


def error_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def connect(access: ServiceAccess, *, role: str = "learner", timeout: float = 10.0, database: str | None = None,
            multi_statements: bool = False) -> Any:
    """An open autocommit PyMySQL connection as `role`, whose statements stop after `timeout` seconds.

    The learner and the checks on the lab's database, root on none unless given. Raises ServiceUnavailable
    when the server does not answer or refuses the login.
    """
    import pymysql
    from pymysql.constants import CLIENT

    user, password, db = credentials(access, role)
    if role == "root":
        db = database
    try:
        return pymysql.connect(
            host=access.host, port=access.port, user=user, password=password, database=db or None,
            charset="utf8mb4", autocommit=True, connect_timeout=max(1, int(timeout)),
            # The server stops a statement at the timeout; the socket timeouts only catch a server that hangs.
            init_command=f"SET SESSION max_statement_time = {float(timeout):g}",
            read_timeout=timeout + 10, write_timeout=timeout + 10,
            client_flag=CLIENT.MULTI_STATEMENTS if multi_statements else 0,
            program_name="labctl",
        )
    except pymysql.err.MySQLError as exc:
        raise ServiceUnavailable(
            f"MariaDB at {access.host}:{access.port} did not accept a connection: {error_text(exc)}"
        ) from exc


def execute_text(conn: Any, text: str) -> None:
    """Run every statement of a SQL text in order (the server splits it), reading every result.

    Raises PyMySQL's error for the first statement MariaDB refuses; the statements before it stay done.
    """
    import pymysql

    with conn.cursor() as cur:
        try:
            cur.execute(text)  # no arguments: PyMySQL sends the text as it is, `%` and all
            while cur.nextset():
                pass
        except pymysql.err.MySQLError as exc:
            if error_code(exc) != ER_EMPTY_QUERY:
                raise


def read_sql(path: Path) -> str:
    try:
        return read_learner_text(path)
    except OSError as exc:
        raise LabctlError(f"cannot read {path}: {exc.strerror}") from exc
    except NotUtf8Error as exc:
        raise LabctlError(str(exc)) from None


def run_sql_file(access: ServiceAccess, path: Path, *, timeout: float = 60.0) -> None:
    """Run a SQL file's statements in order on the lab database, as the learner. Raises LabctlError naming the file.

    MariaDB commits DDL as it runs it, so unlike PostgreSQL a file that fails half-way is not undone.
    """
    import pymysql

    text = read_sql(path)
    conn = connect(access, timeout=timeout, multi_statements=True)
    try:
        execute_text(conn, text)
    except pymysql.err.MySQLError as exc:
        raise LabctlError(f"{path.name}: MariaDB refused it: {error_text(exc)}") from exc
    finally:
        conn.close()


def _client_argv(program: str, url: str) -> list[str] | None:
    """The mariadb/mysql client's arguments for a mysql:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname:
        return None
    argv = [program, "-h", parts.hostname]
    if parts.hostname == "localhost":
        argv.append("--protocol=TCP")  # else the client looks for a local socket, not the published port
    if parts.port:
        argv += ["-P", str(parts.port)]
    if parts.username:
        argv += ["-u", unquote(parts.username)]
    if parts.password:
        argv.append(f"-p{unquote(parts.password)}")  # -p takes its value attached, or it prompts
    database = unquote(parts.path.lstrip("/"))
    return argv + [database] if database else argv


class MariaDBDriver(ServiceDriver):
    kind = "mariadb"
    title = "MariaDB"
    step_actions = frozenset({"sql", "run"})
    run_file = "a SQL file"
    sql_dialect = "mysql"

    def statements(self, text: str) -> list[str]:
        from labctl.services.mariadb_statements import split_mysql

        return split_mysql(text)

    def probe(self, access: ServiceAccess) -> None:
        conn = connect(access, timeout=3)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
        finally:
            conn.close()

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """A solution's or a submission's SQL runs as the learner, with the learner's rights only."""
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        run_sql_file(access, step.source)

    def on_ready(self, access: ServiceAccess) -> None:
        """The accounts as this instance made them, at every start and reset: the learner's password (the
        learner may have changed it), and the checks' account with rows and routines of the lab's database."""
        env = access.environment
        learner, learner_password, db = credentials(access)
        conn = connect(access, role="root", timeout=30)
        try:
            if learner != "root":
                execute_text(conn, f"ALTER USER IF EXISTS {_account(learner)} "
                                   f"IDENTIFIED BY {_secret(learner_password)}")
            if env.get("LABCTL_CHECKER_USER"):
                checker, checker_password, _ = credentials(access, "checker")
                account = _account(checker)
                execute_text(conn, f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {_secret(checker_password)}")
                execute_text(conn, f"ALTER USER {account} IDENTIFIED BY {_secret(checker_password)}")
                execute_text(conn, "GRANT SELECT, INSERT, UPDATE, DELETE, SHOW VIEW, EXECUTE ON "
                                   f"`{db.replace('`', '``')}`.* TO {account}")
        finally:
            conn.close()

    def holds_data(self, access: ServiceAccess) -> bool:
        """A table or view in the lab's database."""
        _, _, db = credentials(access)
        conn = connect(access, role="root", timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s)", (db,))
                return bool(cur.fetchone()[0])
        finally:
            conn.close()

    def client_hint(self, urls: Mapping[str, str]) -> str | None:
        argv = _client_argv("mariadb", next(iter(urls.values()), ""))
        return shlex.join(argv) if argv else None

    def host_client(self, urls: Mapping[str, str]) -> list[str] | None:
        url = next(iter(urls.values()), "")
        for program in ("mariadb", "mysql"):  # older client packages install only `mysql`
            if shutil.which(program):
                return _client_argv(program, url)
        return None

    def is_seeded(self, access: ServiceAccess) -> bool:
        import pymysql

        _, _, db = credentials(access)
        conn = connect(access, role="root", timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT 1 FROM {STATE_DB}.seeded WHERE db = %s", (db,))
                return cur.fetchone() is not None
        except pymysql.err.MySQLError as exc:
            if error_code(exc) in (ER_BAD_DB, ER_NO_SUCH_TABLE):
                return False  # no start ever finished
            raise ServiceUnavailable(f"MariaDB could not say whether it is seeded: {error_text(exc)}") from exc
        finally:
            conn.close()

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Re-create the lab database empty (a start may have been cut short half-way), then run the seed files."""
        self._fresh_database(access, steps)

    def snapshot(self, access: ServiceAccess) -> None:
        """Mark the service seeded. MariaDB has no template databases: reset replays the seed files instead."""
        _, _, db = credentials(access)
        conn = connect(access, role="root", timeout=60)
        try:
            execute_text(conn, f"CREATE DATABASE IF NOT EXISTS {STATE_DB}")
            execute_text(conn, f"CREATE TABLE IF NOT EXISTS {STATE_DB}.seeded "
                               "(db VARCHAR(64) PRIMARY KEY, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            with conn.cursor() as cur:
                cur.execute(f"REPLACE INTO {STATE_DB}.seeded (db) VALUES (%s)", (db,))
        finally:
            conn.close()

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        self._fresh_database(access, seed or [])
        self.on_ready(access)

    def _fresh_database(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Drop and re-create the lab database, then run every seed file in it as root.

        As root, so a seed may do what the learner's account may not (e.g. define routines with a definer).
        """
        import pymysql

        user, _, db = credentials(access)
        if not db:
            raise LabctlError("the MariaDB service names no database (MARIADB_DATABASE)",
                              "This is a bug in the lab's compose file; tell its author.")
        name = "`" + db.replace("`", "``") + "`"
        conn = connect(access, role="root", timeout=120, multi_statements=True)
        try:
            # Another session's open transaction would hold DROP DATABASE on its metadata lock:
            # end the learner's sessions first, as PostgreSQL's DROP DATABASE ... WITH (FORCE) does.
            self._end_sessions(conn, user)
            # Anything else holding a lock makes the DROP fail after a while, not wait for a year (the default).
            execute_text(conn, "SET SESSION lock_wait_timeout = 30")
            execute_text(conn, f"DROP DATABASE IF EXISTS {name}")
            execute_text(conn, f"CREATE DATABASE {name}")
            conn.select_db(db)
            for step in steps:
                try:
                    execute_text(conn, read_sql(step.source))
                except pymysql.err.MySQLError as exc:
                    raise LabctlError(f"the lab's seed file {step.source.name} failed: {error_text(exc)}",
                                      "This is a bug in the lab; tell its author.") from exc
        except pymysql.err.MySQLError as exc:
            raise LabctlError(f"MariaDB could not re-create the database {db}: {error_text(exc)}") from exc
        finally:
            conn.close()

    @staticmethod
    def _end_sessions(conn: Any, user: str) -> None:
        import pymysql

        with conn.cursor() as cur:
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s AND ID <> CONNECTION_ID()",
                        (user,))
            for (session,) in cur.fetchall():
                try:
                    cur.execute(f"KILL CONNECTION {int(session)}")
                except pymysql.err.MySQLError as exc:
                    if error_code(exc) != ER_NO_SUCH_THREAD:
                        raise
