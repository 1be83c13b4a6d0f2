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
    """(manager, view) of a running pg-only instance for the whole session."""
    manager = make_manager(tmp_path_factory.mktemp("pg-home"))
    name = new_instance_name("pg")
    workspace = tmp_path_factory.mktemp("pg-workspace")
    manager.start("pg-only", name=name, workspace=workspace, ephemeral=True)
    view = manager.view(name)
    yield manager, view
    manager.destroy(name)


@pytest.fixture
def pg_ctx(pg):
    """A CheckContext on a clean database (public schema emptied before each test)."""
    manager, view = pg
    ctx = manager.context(view)
    conn = pg_connection(ctx)
    conn.execute("DROP SCHEMA public CASCADE")
    conn.execute("CREATE SCHEMA public")
    yield ctx
    ctx.close()


@pytest.fixture
def sql(pg_ctx):
    """Run setup SQL on the clean test database."""
    conn = pg_connection(pg_ctx)

    def run(statement: str) -> None:
        conn.execute(statement.encode())

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
