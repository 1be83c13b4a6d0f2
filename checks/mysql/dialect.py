"""MariaDB's dialect for the shared SQL checks: PyMySQL, information_schema, MariaDB error codes, backticks."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from labctl.check_engine.context import CheckContext
from labctl.services.mariadb import connect, credentials, error_code, error_text

from ..sql.dialect import Column, Dialect, Fault, ProbeRun, Query
from labctl.services.mariadb_statements import split_mysql
from .type_names import normalize_type

# MariaDB's error numbers (and the client library's 2xxx ones) the checks tell apart.
_TIMEOUT = {1969, 3024}  # max_statement_time exceeded (MariaDB); max_execution_time (MySQL)
_LOST = {1053, 1927, 2003, 2006, 2013, 2055}  # shutting down, connection killed, gone away, lost
_READ_ONLY = {1792}  # cannot execute statement in a READ ONLY transaction
_UNDEFINED_TABLE = {1049, 1109, 1146}  # unknown database, unknown table, no such table
_UNDEFINED_NAME = {1054, 1305, 1630}  # unknown column, no such function or procedure

# Statements a read-only run never sends. MariaDB runs DDL inside a READ ONLY transaction (it commits
# the transaction first), so a DROP TABLE would not be stopped by one; SET and USE would change the
# checks' own session; CALL may run DDL. DML is here too, though the READ ONLY transaction refuses it.
# Anything else (a query, or a typo the server will name) is sent, read-only, and rolled back.
_NEVER_SENT = frozenset(
    "alter analyze backup begin binlog cache call change check checksum commit create deallocate delete drop "
    "execute flush grant handler insert install kill load lock optimize prepare purge release rename repair "
    "replace reset revoke rollback savepoint set shutdown start stop truncate uninstall unlock update use xa".split()
)


class NotReadOnly(Exception):
    """A statement the read-only run does not send, because MariaDB could not keep it from changing something."""


def may_send(statement: str) -> bool:
    """False for a statement a read-only run must not send: it starts with a word of _NEVER_SENT, or with no
    word at all (e.g. a /*! ... */ comment, whose content MariaDB runs)."""
    m = re.match(r"[\s(]*([A-Za-z_]+)", statement)
    return bool(m) and m.group(1).lower() not in _NEVER_SENT


def _rollback(conn: Any) -> None:
    import pymysql

    try:
        conn.rollback()
    except pymysql.err.MySQLError:
        pass  # the connection is gone: the server rolled back, and the error being raised says why


class MySqlDialect(Dialect):
    title = "MariaDB"
    auto_increment_hint = "use AUTO_INCREMENT"

    def connection(self, ctx: CheckContext, service: str | None) -> Any:
        # As the checks' own account: rows of the lab's database, nothing of labctl's, not the learner's login
        # (whose password the learner may change).
        return ctx.connection(service, lambda access: connect(access, role="checker", timeout=ctx.timeout))

    def errors(self) -> tuple[type[BaseException], ...]:
        import pymysql

        return (pymysql.err.MySQLError, NotReadOnly)

    def classify(self, exc: BaseException) -> Fault:
        import pymysql

        if isinstance(exc, NotReadOnly):
            return Fault.READ_ONLY
        if isinstance(exc, pymysql.err.InterfaceError):  # the connection was closed under it
            return Fault.CONNECTION_LOST
        code = error_code(exc)
        for codes, fault in ((_TIMEOUT, Fault.TIMEOUT), (_LOST, Fault.CONNECTION_LOST), (_READ_ONLY, Fault.READ_ONLY),
                             (_UNDEFINED_TABLE, Fault.UNDEFINED_TABLE), (_UNDEFINED_NAME, Fault.UNDEFINED_NAME)):
            if code in codes:
                return fault
        return Fault.REFUSED

    def message(self, exc: BaseException) -> str:
        return error_text(exc)

    def fetch(self, conn: Any, query: str, params: Any = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(query, params)  # without params PyMySQL sends the text as it is
            return list(cur.fetchall())

    def read_only(self, conn: Any, query: str) -> tuple[list[str], list[tuple]] | None:
        if not may_send(query):
            raise NotReadOnly(f"{query.split(None, 1)[0] if query.split() else 'it'} may change something")
        # Always rolled back, and read-only: a learner's query can never change their data here.
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")
            try:
                cur.execute(query)
                if cur.description is None:
                    return None
                return [d[0] for d in cur.description], list(cur.fetchall())
            finally:
                _rollback(conn)

    def first_row_rolled_back(self, conn: Any, query: str) -> tuple | None:
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION")
            try:
                cur.execute(query)
                return cur.fetchone() if cur.description is not None else None
            finally:
                _rollback(conn)

    def split(self, text: str) -> list[str]:
        return split_mysql(text)

    @contextmanager
    def probe_data(self, conn: Any, changes: str, *, read_only: bool = True) -> Iterator[ProbeRun]:
        # MariaDB cannot make a transaction read-only once it wrote: the learner's query is held to the same
        # words as a read-only run (may_send), and everything is rolled back.
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION")
            try:
                for statement in split_mysql(changes):
                    cur.execute(statement)

                def run(query: str) -> tuple[list[str], list[tuple]] | None:
                    if read_only and not may_send(query):
                        raise NotReadOnly(f"{query.split(None, 1)[0] if query.split() else 'it'} may change something")
                    cur.execute("SAVEPOINT labctl_probe")
                    try:
                        cur.execute(query)
                        if cur.description is None:
                            return None
                        return [d[0] for d in cur.description], list(cur.fetchall())
                    finally:
                        cur.execute("ROLLBACK TO SAVEPOINT labctl_probe")

                yield run
            finally:
                _rollback(conn)

    def default_schema(self, ctx: CheckContext, service: str | None) -> str:
        if service is None:  # the loader names the service of every check; a hand-made check may not
            return ""
        return credentials(ctx.service(service))[2]

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def normalize_type(self, text: str) -> str:
        return normalize_type(text)

    # information_schema compares names without case; MariaDB on Linux does not (people is not People),
    # so every lookup keeps only the exact name.

    def relation_kind(self, query: Query, schema: str, table: str) -> str | None:
        found = query("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                      "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (schema, table))
        kinds = [kind for name, kind in found if name == table]
        if not kinds:
            return None
        # A system-versioned table is a table with its history kept.
        return {"BASE TABLE": "table", "SYSTEM VERSIONED": "table", "VIEW": "view"}.get(kinds[0], "other")

    def tables(self, query: Query, schema: str) -> list[str]:
        found = query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                      "AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')", (schema,))
        return sorted(r[0] for r in found)

    def columns(self, query: Query, schema: str, table: str) -> list[Column]:
        found = query(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (schema, table),
        )
        # COLUMN_DEFAULT is the text 'NULL' for a nullable column without a default (MariaDB 10.2.7+),
        # a quoted literal ('new') for a string default, an expression (current_timestamp()) otherwise.
        return [Column(name, typ, nullable == "NO", "" if default in (None, "NULL") else default,
                       "auto_increment" in extra.lower())
                for owner, name, typ, nullable, default, extra in found if owner == table]

    def relation_evidence(self, schema: str, table: str) -> str:
        return (f"SELECT TABLE_TYPE FROM information_schema.TABLES "
                f"WHERE TABLE_SCHEMA = '{schema}' AND TABLE_NAME = '{table}'")

    def columns_evidence(self, where: str, schema: str, table: str) -> str:
        return (f"SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS "
                f"WHERE TABLE_SCHEMA = '{schema}' AND TABLE_NAME = '{table}'")


MYSQL = MySqlDialect()
