"""What the authoring tools cost per lab: `labctl lab test` and `labctl lab mutate`, side by side.

The floor of a mutant is a self-test case: both reset the instance, replay the earlier tasks' solutions,
apply one answer and check one task (a query-file mutant skips the reset and replay, so it can cost less).
The budget is the per-lab limit CI gives a mutation run (tests/live/test_lab_mutants.py).
"""
from __future__ import annotations

import json

from common import Bench, log, ratio, table, verdict

BUDGET_SECONDS = 420.0  # keep in step with tests/live/test_lab_mutants.py


def bench_authoring(bench: Bench, labs: list[str]) -> str:
    rows = []
    for lab in labs:
        log(f"authoring: labctl lab test {lab}")
        test = bench.labctl("lab", "test", lab, "--json", ok=(0, 3), timeout=1800)
        report = json.loads(test.output[test.output.index("["):])[0]
        if report.get("skipped"):
            rows.append([lab, "skipped", "", "", "", "", "", ""])
            continue
        cases = len(report["cases"])
        log(f"authoring: labctl lab mutate {lab}")
        mutate = bench.labctl("lab", "mutate", lab, "--json", ok=(0, 3), timeout=1800)
        mreport = json.loads(mutate.output[mutate.output.index("["):])[0]
        outcomes = [m["outcome"] for m in mreport["mutants"]]
        tried = sum(1 for o in outcomes if o != "equivalent")
        per_case = test.seconds / max(cases, 1)
        per_mutant = mutate.seconds / max(tried, 1)
        rows.append([
            lab, f"{cases} in {test.seconds:.0f} s", f"{per_case:.2f} s",
            f"{outcomes.count('killed')}/{outcomes.count('survived')}/{outcomes.count('equivalent')}/"
            f"{outcomes.count('stillborn')} in {mutate.seconds:.0f} s",
            f"{per_mutant:.2f} s", ratio(per_mutant, per_case), f"{BUDGET_SECONDS:.0f} s",
            verdict(mutate.seconds <= BUDGET_SECONDS and not outcomes.count("survived")),
        ])
    return table(["lab", "self-test cases", "per case (floor)", "mutants killed/survived/equivalent/stillborn",
                  "per mutant", "per mutant / per case", "budget", "within budget, no survivor"], rows)
