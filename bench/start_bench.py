"""Start-up time of labctl against its floor, side by side in one run, printed as a Markdown table.

The floor for one service is a bare `docker run` of the very image labctl would use (port published
on 127.0.0.1) plus a client polling the same protocol probe until it answers. labctl's figure is the
wall time of `labctl start LAB` as a user runs it (a fresh instance, images present), from process
start to exit. A multi-service lab is compared with the slowest of its services alone.

Usage: python bench/start_bench.py [--rounds N] [--lab LAB ...]
Every round starts and removes its own containers (labelled, or named bench-floor-*); nothing else is touched.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_LABS = ROOT / "tests" / "labs"
sys.path.insert(0, str(ROOT))

from labctl.core.access import ServiceAccess  # noqa: E402
from labctl.core.catalog import load_service  # noqa: E402
from labctl.core.events import discard  # noqa: E402
from labctl.core.loader import LabLoader  # noqa: E402
from labctl.core.settings import Settings  # noqa: E402
from labctl.runtime.docker import DockerRuntime  # noqa: E402
from labctl.services import driver_for  # noqa: E402

POLL = 0.05
TIMEOUT = 180


def floor(client, catalog: str, settings: Settings) -> float:
    """Seconds from `docker run` to the first successful probe, for the image labctl would use."""
    with floor_container(client, catalog, settings) as (_, seconds):
        return seconds


@contextmanager
def floor_container(client, catalog: str, settings: Settings):
    """Yield (container, seconds to first successful probe); the container is removed on exit."""
    spec = load_service(catalog)
    image = DockerRuntime(settings).images.resolve(spec, settings.image_source, discard)
    name = f"bench-floor-{catalog}-{secrets.token_hex(3)}"
    env = dict(spec.environment)
    env.update(driver_for(spec.kind).prepare(name, spec, settings.home))
    started = time.monotonic()
    container = client.containers.run(
        image, command=list(spec.command) if spec.command else None, name=name, detach=True, environment=env,
        ports={f"{p}/tcp": ("127.0.0.1", None) for p in spec.ports}, labels={"io.labctl.bench": "floor"},
    )
    try:
        container.reload()
        while not container.attrs["NetworkSettings"]["Ports"]:
            if container.status == "exited" or time.monotonic() > started + TIMEOUT:
                raise RuntimeError(f"{catalog} floor container published no port ({container.status})")
            time.sleep(0.01)
            container.reload()
        ports = {int(k.split("/")[0]): int(v[0]["HostPort"]) for k, v in container.attrs["NetworkSettings"]["Ports"].items() if v}
        access = ServiceAccess(catalog, spec.kind, "127.0.0.1", ports, env, spec.main_port, name, settings.home)
        probe = driver_for(spec.kind)
        deadline = started + TIMEOUT
        while True:
            try:
                probe.probe(access)
                seconds = time.monotonic() - started
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{catalog} floor did not answer within {TIMEOUT}s")
                time.sleep(POLL)
        yield container, seconds
    finally:
        container.remove(force=True, v=True)


def labctl_start(lab: str, env: dict[str, str]) -> float:
    """Seconds for `labctl -q start LAB --name <fresh>` to exit 0; the instance is destroyed afterwards."""
    name = f"bench-{secrets.token_hex(3)}"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "labctl", "-q", "start", lab, "--name", name], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    subprocess.run([sys.executable, "-m", "labctl", "-q", "destroy", name, "--yes"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="measurements per figure (median reported)")
    parser.add_argument("--lab", action="append", help="labs to measure (default: every single-service test "
                                                      "lab and the four-service lab whose images can be had)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    env = dict(os.environ, LABCTL_LABS_DIR=str(TEST_LABS), LABCTL_HOME=str(Path("/tmp") / f"labctl-bench-{os.getpid()}"))
    settings = Settings.from_environ(env)
    runtime = DockerRuntime(settings)
    client = runtime.client
    loader = LabLoader([TEST_LABS])
    labs = args.lab or [lab for lab in ("pg-only", "redis-only", "rabbitmq-only", "linuxbox-only", "four-services")
                        if lab in loader.ids()]
    rows = []
    floors: dict[str, float] = {}
    alone: dict[str, float] = {}  # labctl start of a single-service lab, per catalog service
    for lab_id in labs:
        lab = loader.load(lab_id)
        catalogs = sorted({s.catalog for s in lab.services.values()})
        for catalog in catalogs:
            if catalog not in floors:
                floors[catalog] = statistics.median(floor(client, catalog, settings) for _ in range(args.rounds))
        reference = max(floors[c] for c in catalogs)
        measured = statistics.median(labctl_start(lab_id, env) for _ in range(args.rounds))
        slowest = max(catalogs, key=floors.get)
        if len(catalogs) == 1:
            alone[slowest] = measured
            rows.append((lab_id, slowest, measured, "floor", reference))
            continue
        rows.append((lab_id, ", ".join(catalogs), measured, f"floor of the slowest ({slowest})", reference))
        if slowest in alone:
            rows.append((lab_id, ", ".join(catalogs), measured, f"labctl start of {slowest} alone", alone[slowest]))
    info = runtime.available()
    print(f"Machine: {info.cpus} CPUs, {info.memory_bytes / 1024 ** 3:.0f} GiB, {info.name} {info.version} "
          f"({info.storage_driver}), Python {sys.version.split()[0]}; median of {args.rounds} rounds.\n")
    print("| lab | services | labctl start | compared with | that figure | ratio |")
    print("|---|---|---|---|---|---|")
    for lab_id, services, measured, what, reference in rows:
        print(f"| {lab_id} | {services} | {measured:.2f} s | {what} | {reference:.2f} s | {measured / reference:.2f}× |")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    finally:  # the temporary LABCTL_HOME of this run (its instances are already destroyed)
        import shutil

        shutil.rmtree(Path("/tmp") / f"labctl-bench-{os.getpid()}", ignore_errors=True)
