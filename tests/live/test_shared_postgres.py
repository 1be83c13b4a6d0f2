"""The session's shared PostgreSQL instance comes back when a test finds it stopped (an engine restart stops
every container), with its data, so later modules never depend on the order the files run in."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.live


def test_a_stopped_shared_instance_is_started_again_with_its_data(shared_pg):
    learner = shared_pg.learner()
    learner.execute("CREATE TABLE IF NOT EXISTS survives_stop (n int)")
    learner.execute("INSERT INTO survives_stop VALUES (42)")
    shared_pg.manager.stop(shared_pg.name)
    assert not shared_pg.manager.view(shared_pg.name).ready
    assert shared_pg.view().ready
    assert shared_pg.learner().execute("SELECT n FROM survives_stop").fetchall() == [(42,)]
    shared_pg.learner().execute("DROP TABLE survives_stop")
