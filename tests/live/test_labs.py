"""Every bundled lab's self-test: checks fail before each solution, pass after, near misses fail, variants pass.

The labs run three at a time (as `labctl lab test --all -j 3` does), each on its own throwaway instance and
LABCTL_HOME; each lab's test waits for its own report, so a slow lab holds up only itself."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from labctl.core.loader import LabLoader
from labctl.core.selftest import run_self_test
from tests.conftest import make_manager, unobtainable_image_reason

pytestmark = pytest.mark.live

LAB_IDS = LabLoader().ids()
AT_ONCE = 3


@pytest.fixture(scope="module")
def self_tests(engine, tmp_path_factory):
    """{lab id: the future (skip reason or None, report)} of every lab's self-test, started at once, the
    labs with the most cases first."""
    loader = LabLoader()
    labs = sorted(LAB_IDS, key=lambda i: -_cases(loader.load(i)))
    homes = {lab_id: tmp_path_factory.mktemp(f"selftest-{lab_id}") for lab_id in labs}  # made here: not thread-safe

    def one(lab_id: str):
        manager = make_manager(homes[lab_id] / "home", lab_dirs=())
        reason = unobtainable_image_reason(manager.loader.load(lab_id))
        return (reason, None) if reason else (None, run_self_test(manager, lab_id))

    pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="selftest")
    futures: dict[str, Future] = {lab_id: pool.submit(one, lab_id) for lab_id in labs}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def _cases(lab) -> int:
    return 2 * len(lab.tasks) + len(lab.near_misses) + len(lab.variants)


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_lab_self_test(lab_id, self_tests):
    reason, report = self_tests[lab_id].result()
    if reason:
        pytest.skip(reason)
    problems = [f"{c.name}: {c.message}" for c in report.cases if not c.ok]
    assert report.error is None, report.error
    assert not problems, "\n".join(problems)
    assert report.ok
    assert len(report.cases) == _cases(LabLoader().load(lab_id))
