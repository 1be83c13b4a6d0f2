"""All of labctl's benchmarks in one run, each figure beside its floor measured in the same run (see bench/run)."""
from __future__ import annotations

import argparse
import sys
import time

from common import Bench, log, machine

SECTIONS = ("start", "three", "cli", "reset", "memory", "scale", "authoring", "apps", "box")
TITLES = {
    "start": "1. labctl start databases-101 against its floor",
    "three": "2. PostgreSQL + Redis + RabbitMQ in one lab against the slowest alone",
    "cli": "3. Everyday commands against docker ps",
    "reset": "4. labctl reset against destroy + start",
    "memory": "5. Memory",
    "scale": "6. Many instances at once",
    "authoring": "7. labctl lab mutate against labctl lab test, per lab",
    "apps": "8. The learner's app started and stopped by labctl against its floor",
    "box": "9. The Linux box seen from outside and rebooted, against asking it inside",
}


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers")


def _sections(text: str) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return chosen


def _labs(text: str) -> list[str]:
    if text.strip():
        return [x.strip() for x in text.split(",") if x.strip()]
    from labctl.core.loader import LabLoader

    return LabLoader().ids()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per start/reset figure, median reported (1-20)")
    parser.add_argument("--runs", type=int, default=10, help="runs per command in the cli section (1-50)")
    parser.add_argument("--only", type=_sections, default=list(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--no-pycache", action="store_true",
                        help="run labctl with the caller's bytecode settings (default: a private, pre-filled cache)")
    parser.add_argument("--scale", type=_ints, default=[1, 5, 10, 20], help="instance counts (default 1,5,10,20)")
    parser.add_argument("--labs", default="", help="labs for the authoring section (default: every bundled lab)")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be between 1 and 50")
    if not args.scale or not all(1 <= n <= 40 for n in args.scale):
        parser.error("--scale sizes must be between 1 and 40")

    from cli_bench import bench_cli
    from lab_bench import bench_memory, bench_reset, bench_start, bench_three
    from authoring_bench import bench_authoring
    from scale_bench import bench_scale
    from app_bench import bench_apps
    from box_bench import bench_box

    bench = Bench()
    floors: dict[str, float] = {}
    jobs = {
        "start": lambda: bench_start(bench, args.rounds, floors),
        "three": lambda: bench_three(bench, args.rounds, floors),
        "cli": lambda: bench_cli(bench, args.runs),
        "reset": lambda: bench_reset(bench, args.rounds),
        "memory": lambda: bench_memory(bench, args.rounds),
        "scale": lambda: bench_scale(bench, args.scale),
        "authoring": lambda: bench_authoring(bench, _labs(args.labs)),
        "apps": lambda: bench_apps(max(args.rounds, 5)),
        "box": lambda: bench_box(bench, max(args.rounds, 5)),
    }
    failed = []
    began = time.monotonic()
    try:
        if not args.no_pycache:
            bench.use_bytecode_cache()
        print(f"Machine: {machine(bench)}; {time.strftime('%Y-%m-%d')}; --rounds {args.rounds}, --runs {args.runs}. "
              f"{bench.pycache_note}\n", flush=True)
        for key in SECTIONS:
            if key not in args.only:
                continue
            log(f"== {TITLES[key]}")
            try:
                body = jobs[key]()
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                failed.append(key)
                log(f"{key} failed: {exc}")
                body = f"Failed: {str(exc).strip().splitlines()[0]}"
            print(f"## {TITLES[key]}\n\n{body}\n", flush=True)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        bench.close()
        log(f"done in {time.monotonic() - began:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
