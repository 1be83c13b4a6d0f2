"""Every bundled lab's self-test: checks fail before each solution, pass after, near misses fail, variants pass."""
from __future__ import annotations

import pytest

from labctl.core.loader import LabLoader
from labctl.core.selftest import run_self_test
from tests.conftest import make_manager, unobtainable_image_reason

pytestmark = pytest.mark.live


@pytest.mark.parametrize("lab_id", LabLoader().ids())
def test_lab_self_test(lab_id, tmp_path):
    manager = make_manager(tmp_path / "home", lab_dirs=())
    reason = unobtainable_image_reason(manager.loader.load(lab_id))
    if reason:
        pytest.skip(reason)
    report = run_self_test(manager, lab_id)
    problems = [f"{c.name}: {c.message}" for c in report.cases if not c.ok]
    assert report.error is None, report.error
    assert not problems, "\n".join(problems)
    assert report.ok
    lab = manager.loader.load(lab_id)
    assert len(report.cases) == 2 * len(lab.tasks) + len(lab.near_misses) + len(lab.variants)
