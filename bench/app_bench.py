"""The learner's app as labctl starts and stops it (core/app_process.py), against its floor: the same server
started with subprocess and ended with one signal, its exit waited for. Every self-test case of an app lab
starts and stops an app, so a slow stop is paid dozens of times per lab.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import log, median, ratio, table

SERVER = """import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), BaseHTTPRequestHandler).serve_forever()
"""


def _floor(script: Path, port: int) -> tuple[float, float]:
    """(start, stop) seconds of the bare server: spawned, answering; one SIGTERM, exited."""
    from labctl.core.app_process import answers

    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not answers(f"http://127.0.0.1:{port}", timeout=0.2):
        time.sleep(0.01)
    up = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return up - started, time.monotonic() - up


def _labctl(script: Path, port: int, command: str) -> tuple[float, float]:
    from labctl.core.app_process import start_app

    started = time.monotonic()
    app = start_app(command.format(python=sys.executable, script=script), script.parent, f"http://127.0.0.1:{port}")
    up = time.monotonic()
    app.stop()
    return up - started, time.monotonic() - up


def bench_apps(rounds: int) -> str:
    from labctl.core.app_process import free_port

    with tempfile.TemporaryDirectory(prefix="bench-app-") as folder:
        script = Path(folder) / "server.py"
        script.write_text(SERVER)
        kinds = {
            "floor: subprocess + SIGTERM + wait": lambda port: _floor(script, port),
            "labctl, `python server.py` (through sh -c)": lambda port: _labctl(script, port, "{python} {script}"),
            "labctl, `exec python server.py`": lambda port: _labctl(script, port, "exec {python} {script}"),
        }
        figures: dict[str, tuple[float, float]] = {}
        for name, run in kinds.items():
            starts, stops = [], []
            for i in range(rounds):
                log(f"apps: {name}, round {i + 1}/{rounds}")
                start, stop = run(free_port())
                starts.append(start)
                stops.append(stop)
            figures[name] = (median(starts), median(stops))
    floor_start, floor_stop = figures["floor: subprocess + SIGTERM + wait"]
    rows = [[name, f"{start:.3f}", ratio(start, floor_start), f"{stop:.3f}", ratio(stop, floor_stop) if floor_stop else "n/a"]
            for name, (start, stop) in figures.items()]
    return (table(["app", "start (s)", "× floor", "stop (s)", "× floor"], rows)
            + f"\n\nMedians of {rounds} rounds; a Python standard-library HTTP server on 127.0.0.1.")
