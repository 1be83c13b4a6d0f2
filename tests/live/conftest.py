"""Live fixtures: a running PostgreSQL instance shared by the SQL check tests, torn down by label."""
from __future__ import annotations

import pytest

from tests.conftest import make_manager, new_instance_name


def pg_connection(ctx):
    """The check run's cached connection to the test lab's PostgreSQL, as the sql.* checks get it."""
    from labctl.check_families.sql.common import connection

    return connection(ctx, "postgres")


class SharedPostgres:
    """A pg-only instance shared by the session's SQL tests, brought back when found stopped: an engine
    restart (tests/live/test_engine_restart.py) stops every container, whichever module made it first."""

    def __init__(self, manager, name: str, workspace):
        self.manager, self.name, self.workspace = manager, name, workspace
        self.manager.start("pg-only", name=name, workspace=workspace, ephemeral=True)
        self._learner = None

    def view(self):
        view = self.manager.view(self.name)
        if not view.ready:
            self.manager.start("pg-only", name=self.name, workspace=self.workspace, ephemeral=True)
            view = self.manager.view(self.name)
            self._close_learner()  # its server went away with the container
        return view

    def learner(self):
        """A connection as the learner's role: what the learner's own work runs as (the checks use another)."""
        if self._learner is None or self._learner.closed:
            self._learner = self.new_learner_connection()
        return self._learner

    def new_learner_connection(self):
        """A connection of its own as the learner's role, as a learner's app makes with DATABASE_URL; the
        caller closes it."""
        from labctl.services import postgres

        ctx = self.manager.context(self.view())
        try:
            return postgres.connect(ctx.service("postgres"), role="learner", timeout=30)
        finally:
            ctx.close()

    def _close_learner(self) -> None:
        if self._learner is not None:
            self._learner.close()
            self._learner = None

    def destroy(self) -> None:
        self._close_learner()
        self.manager.destroy(self.name)


@pytest.fixture(scope="session")
def shared_pg(engine, tmp_path_factory):
    """The session's shared PostgreSQL instance, made when a module first asks for it."""
    shared = SharedPostgres(make_manager(tmp_path_factory.mktemp("pg-home")), new_instance_name("pg"),
                            tmp_path_factory.mktemp("pg-workspace"))
    yield shared
    shared.destroy()


@pytest.fixture
def pg(shared_pg):
    """(manager, view) of the shared pg-only instance, running."""
    return shared_pg.manager, shared_pg.view()


@pytest.fixture
def learner_db(shared_pg):
    """A connection as the learner's role, to the shared instance."""
    return shared_pg.learner()


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
