"""Live fixtures: a running PostgreSQL instance shared by the SQL check tests, torn down by label."""
from __future__ import annotations

import pytest

from tests.conftest import make_manager, new_instance_name


def pg_connection(ctx):
    """The check run's cached connection to the test lab's PostgreSQL, as the sql.* checks get it."""
    from labctl.check_families.sql.common import connection

    return connection(ctx, "postgres")


@pytest.fixture(scope="session")
def pg(engine, tmp_path_factory):
    """(manager, view) of a running pg-only instance for the whole session.

    Made when a module first asks for it. tests/live/test_engine_restart.py restarts the engine, which stops
    every container: a module that uses this instance must sort after it (test_password_storage_checks.py,
    test_postgres_roles.py, test_sql_*.py), or find it stopped."""
    manager = make_manager(tmp_path_factory.mktemp("pg-home"))
    name = new_instance_name("pg")
    workspace = tmp_path_factory.mktemp("pg-workspace")
    manager.start("pg-only", name=name, workspace=workspace, ephemeral=True)
    view = manager.view(name)
    yield manager, view
    manager.destroy(name)


@pytest.fixture(scope="session")
def learner_db(pg):
    """A connection as the learner's role: what the learner's own work runs as (the checks use another)."""
    from labctl.services import postgres

    manager, view = pg
    ctx = manager.context(view)
    conn = postgres.connect(ctx.service("postgres"), role="learner", timeout=30)
    ctx.close()
    yield conn
    conn.close()


@pytest.fixture
def pg_ctx(pg, learner_db):
    """A CheckContext on a clean database (public schema emptied before each test, by its owner, the learner)."""
    manager, view = pg
    learner_db.execute("DROP SCHEMA public CASCADE")
    learner_db.execute("CREATE SCHEMA public")
    ctx = manager.context(view)
    yield ctx
    ctx.close()


@pytest.fixture
def sql(pg_ctx, learner_db):
    """Run setup SQL on the clean test database, as the learner would."""

    def run(statement: str) -> None:
        learner_db.execute(statement.encode())

    return run


@pytest.fixture
def run_check(pg_ctx, pg):
    """Validate a check from its lab.yaml form and run it: run_check({"type": ..., ...}) -> CheckResult."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    def run(entry: dict, *, workspace=None):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", "postgres")
        check = cls.model_validate(params)
        task = Task("t", "t", pg[1].lab.path, ("h",), (), (), ())
        if workspace is not None:
            pg_ctx.workspace = workspace
        return run_one(task, CheckSpec(cls.type_name, check, 0), pg_ctx)

    return run
