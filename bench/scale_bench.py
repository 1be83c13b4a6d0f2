"""N instances of databases-101 started together (concurrent `labctl start` processes), then all checked.

The floor is N bare `docker run`s of the same postgres image started together, each polled with
SELECT 1 until it answers (start_bench.floor, one engine client per thread). Instances are named
bench-scale-<i> and are all destroyed afterwards, even on an error or Ctrl-C.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from common import Bench, instances_memory, log, mib, ratio, table
from lab_bench import floor_together

LAB = "databases-101"
MAX_N = 40


def _together(fn, items, n):
    """Run fn on every item at once; (wall seconds, results or exceptions)."""
    def safe(item):
        try:
            return fn(item)
        except Exception as exc:  # counted as a failure, reported
            return exc

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(safe, items))
    return time.monotonic() - started, results


def one_scale(bench: Bench, n: int) -> list[str]:
    names = [f"bench-scale-{i}" for i in range(1, n + 1)]
    busy = [x for x in names if bench.containers_of(x)]
    if busy:
        raise RuntimeError(f"instances {', '.join(busy)} already exist on this engine; remove them first")
    log(f"scale N={n}: floor, {n} bare postgres containers together")
    floor_s = floor_together(bench, ["postgres"] * n)
    try:
        log(f"scale N={n}: {n} x labctl start {LAB} together")
        start_s, starts = _together(lambda x: bench.start(LAB, x), names, n)
        started = [x for x, r in zip(names, starts) if not isinstance(r, Exception)]
        for x, r in zip(names, starts):
            if isinstance(r, Exception):
                log(f"start {x} failed: {str(r).strip().splitlines()[-1][:300]}")
        log(f"scale N={n}: {len(started)} x labctl check together")
        check_s, checks = _together(lambda x: bench.labctl("-q", "check", "--name", x, ok=(0, 3)), started, n)
        check_fail = sum(isinstance(r, Exception) for r in checks)
        time.sleep(3)
        mem = instances_memory(bench, started)
        per_mem = sum(mem.values()) / len(mem) if mem else 0
    finally:
        log(f"scale N={n}: destroying {n} instances")
        t = time.monotonic()
        bench.cleanup(names)
        destroy_s = time.monotonic() - t
    total = start_s + check_s
    failed = n - len(started)
    return [str(n), f"{start_s:.1f} s", f"{floor_s:.1f} s", ratio(start_s, floor_s), f"{check_s:.1f} s",
            f"{total:.1f} s", f"{total / n:.2f} s", mib(per_mem), f"{destroy_s:.1f} s",
            f"{failed} start, {check_fail} check"]


def bench_scale(bench: Bench, sizes: list[int]) -> str:
    rows = []
    for n in sizes:
        if not 1 <= n <= MAX_N:
            raise ValueError(f"--scale sizes must be between 1 and {MAX_N}")
        rows.append(one_scale(bench, n))
    return (table(["N", "start all", "floor: N docker run + SELECT 1", "ratio", "check all", "total (start + check)",
                   "per instance", "container memory per instance", "destroy all", "failures"], rows)
            + "\n\nOne round per N. The N `labctl start` (then `labctl check`) processes run at once; memory is "
              "read 3 s after the checks.")
