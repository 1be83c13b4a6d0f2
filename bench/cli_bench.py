"""Wall time of the everyday commands (labctl --help, status, check) against `docker ps`.

Each figure is the median of several runs of a new process, as a user types it, against a running
databases-101 instance. `docker ps` (one CLI process, one engine round trip) is the floor; a bare
`python -c pass` of the same interpreter is shown too, as the part no Python CLI can avoid.
"""
from __future__ import annotations

import shutil

from common import PYTHON, Bench, log, median, new_name, ratio, table, timed, verdict

TARGETS = {"--help": 0.150, "status": 0.300, "check": 0.500}  # seconds


def bench_cli(bench: Bench, runs: int) -> str:
    docker = shutil.which("docker") or "docker"
    name = new_name()
    try:
        log(f"cli: labctl start databases-101 --name {name}")
        bench.start("databases-101", name)
        commands = {
            "--help": ["--help"],
            "status": ["status", "--name", name],
            "check": ["-q", "check", "--name", name],
        }
        for args in commands.values():  # warm the page cache once, not counted
            bench.labctl(*args, ok=(0, 3))
        figures: dict[str, float] = {}
        log(f"cli: {runs} runs each of docker ps, python -c pass, labctl --help/status/check")
        docker_ps, bare_python = [], []
        samples: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(runs):  # interleaved, so a noisy moment hits every command alike
            docker_ps.append(_ok(timed([docker, "ps"], bench.env)).seconds)
            bare_python.append(_ok(timed([PYTHON, "-c", "pass"], bench.env)).seconds)
            for key, args in commands.items():
                samples[key].append(bench.labctl(*args, ok=(0, 3)).seconds)
        for key, values in samples.items():
            figures[key] = median(values)
        floor, py = median(docker_ps), median(bare_python)
    finally:
        bench.cleanup([name])
    rows = []
    for key, value in figures.items():
        target = TARGETS[key]
        label = f"labctl {key}" if key == "--help" else f"labctl {key} (databases-101)"
        rows.append([label, f"{value * 1000:.0f} ms", f"{floor * 1000:.0f} ms", ratio(value, floor),
                     f"{py * 1000:.0f} ms", f"< {target * 1000:.0f} ms", verdict(value < target)])
    return (table(["command", "median wall time", "floor: docker ps", "ratio", "python -c pass", "target", "result"], rows)
            + f"\n\nMedian of {runs} runs each, interleaved; `check` runs all 8 tasks of a fresh instance (exit 3).")


def _ok(run):
    if run.code != 0:
        raise RuntimeError(f"floor command failed ({run.code}): {run.output[-500:]}")
    return run
