"""The rule of sql.migrated on a record of events, without a database (checks/sql/migrations.py)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def m():
    from labctl.check_families.sql import migrations

    return migrations


class Log:
    """Events as the record holds them, in order; xids and sessions given by the test."""

    def __init__(self, m):
        self.m, self.events = m, []

    def ddl(self, xid, session, tag="CREATE TABLE", objid=100, columns=("id",)):
        self.events.append(self.m.Event(len(self.events) + 1, "t", str(xid), session, "ddl", tag, objid,
                                        tuple(columns) if columns is not None else None, None, None, None))
        return self.events[-1]

    def history(self, xid, session, table, row, operation="INSERT", objid=900):
        self.events.append(self.m.Event(len(self.events) + 1, "t", str(xid), session, "history", None, objid, None,
                                        table, operation, row))
        return self.events[-1]


def tables(m, *names):
    return {m.TOOLS[n].table: m.TOOLS[n] for n in (names or m.TOOLS)}


def test_history_written_in_the_same_transaction_links(m):
    log = Log(m)
    made = log.ddl(10, "s1")
    log.history(10, "s1", "alembic_version", {"version_num": "a1"})
    assert m._linked(log.events, made, tables(m))


def test_a_later_write_in_the_session_links_only_for_tools_that_record_afterwards(m):
    for tool, table, row, linked in [
        ("prisma", "_prisma_migrations", {"migration_name": "1", "finished_at": None}, True),
        ("django", "django_migrations", {"app": "library", "name": "0001"}, True),
        ("alembic", "alembic_version", {"version_num": "a1"}, False),
        ("knex", "knex_migrations", {"name": "1.js"}, False),
    ]:
        log = Log(m)
        made = log.ddl(10, "s1")
        log.history(11, "s1", table, row)
        assert m._linked(log.events, made, tables(m)) is linked, tool


def test_a_write_in_another_session_or_a_builtin_django_app_does_not_link(m):
    log = Log(m)
    made = log.ddl(10, "s1")
    log.history(11, "s2", "django_migrations", {"app": "library", "name": "0001"})
    assert not m._linked(log.events, made, tables(m))
    log = Log(m)
    made = log.ddl(10, "s1")
    log.history(11, "s1", "django_migrations", {"app": "auth", "name": "0001_initial"})
    log.history(12, "s1", "django_migrations", {"app": "library", "name": "0001"})
    assert not m._linked(log.events, made, tables(m))  # the next write is Django's own app's


def test_a_column_is_the_command_after_which_it_last_appeared(m):
    log = Log(m)
    created = log.ddl(10, "s1", columns=("id",))
    log.ddl(11, "s1", tag="ALTER TABLE", columns=("id", "slug"))
    log.ddl(12, "s1", tag="ALTER TABLE", columns=("id",))
    again = log.ddl(13, "s1", tag="ALTER TABLE", columns=("id", "slug"))
    log.ddl(14, "s1", tag="ALTER TABLE", objid=101, columns=("other",))
    assert m._column_added(log.events, 100, created, "slug") is again
    assert m._column_added(log.events, 100, created, "missing") is None


def test_counting_keeps_each_migrations_latest_write(m):
    log = Log(m)
    log.history(1, "s", "alembic_version", {"version_num": "a1"})
    log.history(2, "s", "alembic_version", {"version_num": "a2"}, operation="UPDATE")
    log.history(3, "s", "knex_migrations", {"name": "1.js"}, objid=901)
    log.history(4, "s", "knex_migrations", {"name": "1.js"}, operation="DELETE", objid=901)  # rolled back
    log.history(5, "s", "django_migrations", {"app": "auth", "name": "0001_initial"}, objid=902)
    log.history(6, "s", "_prisma_migrations", {"migration_name": "p1", "finished_at": None}, objid=903)
    log.history(7, "s", "knex_migrations", {"name": "2.js"}, objid=999)  # a history table dropped since
    count, keys = m._applied(log.events, tables(m), {900, 901, 902, 903})
    assert (count, sorted(keys)) == (2, ["a1", "a2"])


def test_every_tool_is_recorded_by_the_service(m):
    from labctl.services import postgres_ddl_log

    assert {t.table for t in m.TOOLS.values()} == set(postgres_ddl_log.HISTORY_TABLES)
    assert set(m.TOOLS) == set(m.ToolName.__args__)
