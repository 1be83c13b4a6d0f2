"""The Linux box seen from outside and rebooted (runtime/docker/observing.py, linux.reboot), against the floor of
each: the same question asked inside the box with exec, and a bare `docker restart` until SSH answers.

Looking from outside costs more than asking the box (a container per observation, a tar header per path);
this section says how much, since a lab's check pays it for every file, process and socket it looks at.
"""
from __future__ import annotations

import socket
import time

from common import TEST_LABS, Bench, log, median, new_name, ratio, table

LAB = "linuxbox-only"
SERVICE = "linuxbox"


def _ssh_banner(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                if conn.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the box's SSH did not answer within the deadline")


def _timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def bench_box(bench: Bench, rounds: int) -> str:
    from labctl.check_engine import registry
    from labctl.core.loader import LabLoader
    from labctl.core.manager import LabManager
    from labctl.runtime.docker import DockerRuntime

    settings = bench.settings()
    manager = LabManager(settings, DockerRuntime(settings), LabLoader([TEST_LABS]))
    name = new_name("bench-box")
    bench.instances.add(name)
    log(f"box: starting {LAB}")
    manager.start(LAB, name=name, ephemeral=True)
    runtime = manager.runtime
    try:
        view = manager.view(name)
        ctx = manager.context(view)
        port = ctx.service(SERVICE).ports[22]
        reboot = registry.get("linux.reboot").model_validate({"service": SERVICE})
        kinds = {
            "a file's mode, owner and content": (
                lambda: runtime.exec(name, SERVICE, ["stat", "-c", "%a %U", "/etc/passwd"], timeout=30),
                lambda: runtime.read_path(name, SERVICE, "/etc/passwd", max_bytes=1_000_000)),
            "every process (ps)": (
                lambda: runtime.exec(name, SERVICE, ["ps", "-eo", "pid=,uid=,args="], timeout=30),
                lambda: runtime.observe(name, SERVICE, ["ps", "-eo", "pid=,uid=,args="], timeout=30)),
            "every listening socket (ss)": (
                lambda: runtime.exec(name, SERVICE, ["ss", "-Hltnpe"], timeout=30),
                lambda: runtime.observe(name, SERVICE, ["ss", "-Hltnpe"], timeout=30)),
            "a reboot, until SSH answers (and the enabled units started)": (
                lambda: (runtime.client.api.restart(f"labctl-{name}-{SERVICE}", timeout=10),
                         _ssh_banner(port, time.monotonic() + 60)),
                lambda: reboot.run(ctx)),
        }
        rows = []
        for what, (floor, outside) in kinds.items():
            floors, ours = [], []
            for i in range(rounds):
                log(f"box: {what}, round {i + 1}/{rounds}")
                floors.append(_timed(floor))
                ours.append(_timed(outside))
            rows.append([what, f"{median(floors):.3f}", f"{median(ours):.3f}", ratio(median(ours), median(floors))])
        ctx.close()
    finally:
        manager.destroy(name)
        bench.instances.discard(name)
    return (table(["question", "floor: inside the box (s)", "labctl, from outside (s)", "× floor"], rows)
            + f"\n\nMedians of {rounds} rounds on one linuxbox-only instance. The floor of a reboot is `docker restart` "
              "until the SSH banner; linux.reboot also waits for the box's service manager to say the enabled units "
              "have started, and for labctl's SSH login.")
