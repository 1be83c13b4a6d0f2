"""Benchmarks of whole-lab operations: start (1 and 3 services), reset, and memory.

Each function returns Markdown (a table and a line of context) and removes what it made.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from common import PYTHON, Bench, log, median, memory_bytes, mib, new_name, ratio, table, timed, verdict
from start_bench import floor, floor_container

SETTLE = 5.0  # seconds a lab rests before its memory is read


def _floors(bench: Bench, catalogs, rounds: int, cache: dict[str, float]) -> dict[str, float]:
    settings = bench.settings()
    for catalog in catalogs:
        if catalog not in cache:
            values = []
            for i in range(rounds):
                log(f"floor: docker run {catalog} + probe, round {i + 1}/{rounds}")
                values.append(floor(bench.client, catalog, settings))
            cache[catalog] = median(values)
    return {c: cache[c] for c in catalogs}


def floor_together(bench: Bench, catalogs: list[str]) -> float:
    """Seconds until bare containers of all the catalogs, started at once, each answer their probe."""
    import docker

    settings = bench.settings()

    def one(catalog: str) -> float:
        client = docker.from_env(timeout=300)
        try:
            return floor(client, catalog, settings)
        finally:
            client.close()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(catalogs)) as pool:
        list(pool.map(one, catalogs))
    return time.monotonic() - started


def _start_median(bench: Bench, lab: str, rounds: int) -> float:
    """Median seconds of `labctl -q start LAB` on a fresh instance (removed after each round)."""
    times = []
    for i in range(rounds):
        name = new_name()
        log(f"labctl start {lab} --name {name}, round {i + 1}/{rounds}")
        try:
            times.append(bench.start(lab, name).seconds)
        finally:
            bench.cleanup([name])
    return median(times)


def bench_start(bench: Bench, rounds: int, floors: dict[str, float]) -> str:
    """1. labctl start databases-101 against docker run of the postgres image + SELECT 1 polling."""
    ref = _floors(bench, ["postgres"], rounds, floors)["postgres"]
    measured = _start_median(bench, "databases-101", rounds)
    r = measured / ref
    rows = [["databases-101", "postgres", f"{measured:.2f} s", "docker run + SELECT 1 polling", f"{ref:.2f} s",
             ratio(measured, ref), "≤ 1.20×", verdict(r <= 1.2)]]
    return table(["lab", "services", "labctl start", "floor", "floor time", "ratio", "target", "result"], rows)


def bench_three(bench: Bench, rounds: int, floors: dict[str, float]) -> str:
    """2. A lab of PostgreSQL, Redis and RabbitMQ against the slowest of the three alone."""
    refs = _floors(bench, ["postgres", "redis", "rabbitmq"], rounds, floors)
    slowest = max(refs, key=refs.get)
    measured = _start_median(bench, "three-services", rounds)
    alone_lab = {"postgres": "pg-only", "redis": "redis-only", "rabbitmq": "rabbitmq-only"}[slowest]
    alone = _start_median(bench, alone_lab, rounds)
    rows = [
        ["three-services", f"floor of the slowest ({slowest}): docker run + probe", f"{measured:.2f} s",
         f"{refs[slowest]:.2f} s", ratio(measured, refs[slowest]), "≤ 1.15×", verdict(measured / refs[slowest] <= 1.15)],
        ["three-services", f"labctl start of {alone_lab} ({slowest} alone)", f"{measured:.2f} s", f"{alone:.2f} s",
         ratio(measured, alone), "≤ 1.15×", verdict(measured / alone <= 1.15)],
    ]
    together = []
    for i in range(rounds):
        log(f"floor: the three bare containers started together, round {i + 1}/{rounds}")
        together.append(floor_together(bench, ["postgres", "redis", "rabbitmq"]))
    both = median(together)
    rows.append(["three-services", "the three bare containers started at once (no target)", f"{measured:.2f} s",
                 f"{both:.2f} s", ratio(measured, both), "", ""])
    floors_line = ", ".join(f"{c} {v:.2f} s" for c, v in refs.items())
    return (table(["lab", "compared with", "labctl start", "that figure", "ratio", "target", "result"], rows)
            + f"\n\nFloors of the three services alone in this run: {floors_line}. The last row shows what the "
              "engine and the CPUs cost when the three boot at the same time, without labctl.")


def _dirty(bench: Bench, name: str) -> None:
    """Change the lab's data the way a learner would, so reset has something to undo."""
    for c in bench.containers_of(name):
        code, out = c.exec_run(["sh", "-c", 'psql -v ON_ERROR_STOP=1 -U "${POSTGRES_USER:-learner}" '
                                '-d "${POSTGRES_DB:-lab}" -c "CREATE TABLE bench_dirty AS '
                                'SELECT generate_series(1, 10000) AS i; DELETE FROM countries;"'])
        if code != 0:
            log(f"could not change {name}'s data before reset (exit {code}): {out.decode(errors='replace')[:200]}")


def bench_reset(bench: Bench, rounds: int) -> str:
    """4. labctl reset databases-101 against labctl destroy + labctl start of the same instance."""
    name = new_name()
    resets, rebuilds = [], []
    try:
        bench.start("databases-101", name)
        for i in range(rounds):
            _dirty(bench, name)
            log(f"labctl reset {name}, round {i + 1}/{rounds}")
            resets.append(bench.labctl("-q", "reset", "--name", name, "--yes").seconds)
            log(f"labctl destroy + start {name}, round {i + 1}/{rounds}")
            d = bench.destroy(name)
            s = bench.start("databases-101", name)
            rebuilds.append(d.seconds + s.seconds)
    finally:
        bench.cleanup([name])
    reset, rebuild = median(resets), median(rebuilds)
    rows = [["databases-101", f"{reset:.2f} s", f"{rebuild:.2f} s", ratio(reset, rebuild), "≤ 0.33× (1/3)",
             verdict(reset / rebuild <= 1 / 3)]]
    return (table(["lab", "labctl reset", "floor: destroy + start", "ratio", "target", "result"], rows)
            + "\n\nBefore each reset a table of 10,000 rows is created and the seeded `countries` rows are deleted.")


def _at_rest(bench: Bench, name: str) -> dict[str, int]:
    time.sleep(SETTLE)
    out = {}
    for c in bench.containers_of(name):
        out[c.labels.get("io.labctl.catalog") or c.labels.get("io.labctl.service", c.name)] = memory_bytes(c)
    return out


def _bare_at_rest(bench: Bench, catalogs) -> dict[str, int]:
    """Memory at rest of bare containers of the images, all up at once."""
    log(f"memory: bare containers at rest: {', '.join(catalogs)}")
    with ExitStack() as stack:
        settings = bench.settings()
        containers = {c: stack.enter_context(floor_container(bench.client, c, settings))[0] for c in catalogs}
        time.sleep(SETTLE)
        return {c: memory_bytes(x) for c, x in containers.items()}


def bench_memory(bench: Bench, rounds: int) -> str:
    """5. labctl's own peak RSS (start, check) and the lab containers' memory at rest, beside their floors."""
    interp = median(timed([PYTHON, "-c", "pass"], rss=True).max_rss_kib for _ in range(3))
    lines = []
    lab_mem, four = {}, {}
    name = new_name()
    try:
        log(f"memory: labctl start databases-101 --name {name}")
        start = bench.start("databases-101", name, rss=True)
        check = bench.labctl("-q", "check", "--name", name, ok=(0, 3), rss=True)
        lab_mem = _at_rest(bench, name)
    finally:
        bench.cleanup([name])
    name = new_name()
    try:
        log(f"memory: labctl start four-services --name {name}")
        bench.start("four-services", name)
        four = _at_rest(bench, name)
    finally:
        bench.cleanup([name])
    rows = [["labctl start databases-101 (peak RSS)", mib(start.max_rss_kib * 1024), mib(interp * 1024),
             ratio(start.max_rss_kib, interp)],
            ["labctl check databases-101 (peak RSS)", mib(check.max_rss_kib * 1024), mib(interp * 1024),
             ratio(check.max_rss_kib, interp)]]
    lab_total, four_total = sum(lab_mem.values()), sum(four.values())
    bare = _bare_at_rest(bench, sorted(four))
    four_floor = sum(bare.values())
    rows.append(["databases-101 containers at rest", mib(lab_total), mib(bare["postgres"]) + " (bare postgres)",
                 ratio(lab_total, bare["postgres"])])
    rows.append(["four-services containers at rest", mib(four_total), mib(four_floor) + " (the 4 images bare)",
                 ratio(four_total, four_floor)])
    detail = ", ".join(f"{k} {mib(v)} (bare {mib(bare[k])})" for k, v in sorted(four.items()))
    lines.append(table(["what", "measured", "floor", "ratio"], rows))
    lines.append(f"\nFloor of labctl's RSS: a bare `python -c pass` of the same interpreter. Containers are read "
                 f"{SETTLE:.0f} s after start, as `docker stats` counts them (page cache left out). "
                 f"four-services per service: {detail}. (five-services needs MongoDB, absent here.)")
    return "\n".join(lines)
