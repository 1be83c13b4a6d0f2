"""Every bundled lab's mutants: wrong answers made from its references must each fail their task (or be
marked equivalent in lab.yaml, with the reason). Labs run three at a time, each within its budget."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from labctl.core.loader import LabLoader
from labctl.core.mutate import run_mutation
from tests.conftest import make_manager, unobtainable_image_reason

pytestmark = pytest.mark.live
pytest.importorskip("sqlglot")

# Seconds one lab's mutation run may take here (docs/performance.md has the measured times); a run past it
# is stopped and counts as an error.
BUDGET_SECONDS = 420.0
# Labs whose every case is a real deploy on the box (a push, the project's tests, a graceful reload, polling
# the site for the pushed marker) cost about 9 s a case: measured, not padded.
LAB_BUDGET_SECONDS = {"cicd-101": 900.0}


def test_no_lab_lets_an_unmarked_mutant_pass(tmp_path):
    loader = LabLoader()
    runnable, skipped = [], {}
    for lab_id in loader.ids():
        reason = unobtainable_image_reason(loader.load(lab_id))
        if reason:
            skipped[lab_id] = reason
        else:
            runnable.append(lab_id)

    def one(lab_id: str):
        manager = make_manager(tmp_path / lab_id, lab_dirs=())
        return run_mutation(manager, lab_id, timeout=LAB_BUDGET_SECONDS.get(lab_id, BUDGET_SECONDS))

    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(one, runnable))
    problems = []
    for report in reports:
        print(f"{report.lab}: {report.count('killed')} killed, {report.count('equivalent')} equivalent, "
              f"{report.count('stillborn')} stillborn in {report.duration:.0f}s")
        if report.error:
            problems.append(f"{report.lab}: {report.error}")
        problems += [f"{report.lab}: {p}" for p in report.problems]
        problems += [f"{report.lab}: {m.id} ({m.description}) passes its task" for m in report.survivors]
        if report.skipped:
            skipped[report.lab] = report.skipped
    for lab_id, reason in skipped.items():
        print(f"{lab_id}: skipped: {reason}")
    assert not problems, "\n".join(problems)
    assert len(reports) == len(loader.ids())  # every lab runs here (mongodb-101 on the compatible build)
