"""Shared pieces of the benchmarks run by bench/run: environment, timed labctl runs, clean-up, memory, tables.

Every labctl run here is a real process (`python -m labctl ...`), timed from spawn to exit, with a time
limit. Its peak RSS, when asked for, is read through GNU time (/usr/bin/time, a 2 MiB C program), or else
a minimal Python launcher: Linux charges a child the peak RSS of the process that forked it (the mm it
shared until exec), so os.wait4 on a child of this 80 MiB bench process would report 80 MiB. Every instance a benchmark
makes is named bench-*, lives under a temporary LABCTL_HOME and is removed by `labctl destroy`, then by its
io.labctl.instance label if destroy failed, in a finally block.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_LABS = ROOT / "bench" / "labs"
TEST_LABS = ROOT / "tests" / "labs"
CMD_TIMEOUT = 300  # seconds: no labctl or docker run of a benchmark may take longer
PYTHON = os.environ.get("BENCH_PYTHON") or sys.executable

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values) -> float:
    return statistics.median(list(values))


def new_name(prefix: str = "bench") -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@dataclass
class Run:
    seconds: float
    code: int
    max_rss_kib: int
    output: str


class Bench:
    """A temporary LABCTL_HOME, the environment labctl runs with, and the instances to remove at the end."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="labctl-bench-"))
        labs = os.pathsep.join(str(p) for p in (BENCH_LABS, TEST_LABS))
        self.env = dict(os.environ, LABCTL_HOME=str(self.home), LABCTL_LABS_DIR=labs, LABCTL_QUIET="")
        self.env.pop("LABCTL_INSTANCE", None)
        self.pycache_note = "Python bytecode cache: as in the caller's environment."
        self.instances: set[str] = set()
        self._lock = threading.Lock()
        self._client = None

    def use_bytecode_cache(self) -> None:
        """Let labctl's processes read and write compiled bytecode, as an installed package does.

        With PYTHONDONTWRITEBYTECODE=1 (set on the development machine) an editable checkout recompiles its ~60 modules on every
        command. The cache goes to a private PYTHONPYCACHEPREFIX (nothing is written into the repository),
        filled once here: labctl and site-packages compiled, then a few commands run for the stdlib.
        """
        prefix = self.home / "pycache"
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(prefix)
        log("filling a private bytecode cache (once, about 10 s)")
        code = ("import compileall, sys, sysconfig; p = sysconfig.get_paths(); "
                "[compileall.compile_dir(d, quiet=2, workers=0) for d in sorted({p['purelib'], p['platlib']}) + sys.argv[1:]]")
        timed([PYTHON, "-W", "ignore", "-c", code, str(ROOT / "labctl")], self.env)
        for args in (["--help"], ["list"], ["lab", "validate"], ["status", "--name", "bench-none"]):
            timed([PYTHON, "-m", "labctl", *args], self.env)
        self.pycache_note = ("Python bytecode cache: on, in a private PYTHONPYCACHEPREFIX filled before measuring "
                             "(PYTHONDONTWRITEBYTECODE unset for labctl's processes).")

    # -- engine ---------------------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            import docker

            self._client = docker.from_env(timeout=120)
        return self._client

    def settings(self):
        from labctl.core.settings import Settings

        return Settings.from_environ(self.env)

    # -- labctl processes -----------------------------------------------------------------------
    def labctl(self, *args: str, ok=(0,), timeout: float = CMD_TIMEOUT, rss: bool = False) -> Run:
        """Run `python -m labctl ARGS` and time it; raise unless its exit code is in ok."""
        run = timed([PYTHON, "-m", "labctl", *args], self.env, timeout, rss=rss)
        if run.code not in ok:
            raise RuntimeError(f"labctl {' '.join(args)} exited {run.code}:\n{run.output[-2000:]}")
        return run

    def start(self, lab: str, name: str, rss: bool = False) -> Run:
        with self._lock:
            self.instances.add(name)
        return self.labctl("-q", "start", lab, "--name", name, rss=rss)

    def destroy(self, name: str) -> Run:
        run = self.labctl("-q", "destroy", "--name", name, "--yes")
        with self._lock:
            self.instances.discard(name)
        return run

    def containers_of(self, name: str) -> list:
        return self.client.containers.list(all=True, filters={"label": f"io.labctl.instance={name}"})

    def cleanup(self, names=None) -> None:
        """Destroy the instances (all this bench made, by default), at most 8 at once; never raises."""
        names = sorted(self.instances if names is None else names)
        if not names:
            return
        log(f"cleaning up {len(names)} instance(s): {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() else None
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(self._destroy_quietly, names))
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)

    def _destroy_quietly(self, name: str) -> None:
        try:
            self.destroy(name)
            return
        except Exception as exc:  # fall back to the labels
            log(f"labctl destroy {name} failed ({str(exc).splitlines()[0]}); removing by label")
        try:
            flt = {"label": f"io.labctl.instance={name}"}
            for c in self.client.containers.list(all=True, filters=flt):
                c.remove(force=True, v=True)
            for n in self.client.networks.list(filters=flt):
                n.remove()
            for v in self.client.volumes.list(filters=flt):
                v.remove(force=True)
        except Exception as exc:
            log(f"could not remove {name}: {exc}")
        with self._lock:
            self.instances.discard(name)

    def close(self) -> None:
        self.cleanup()
        shutil.rmtree(self.home, ignore_errors=True)


GNU_TIME = "/usr/bin/time"
LAUNCHER = ("import os, resource, sys; s = os.waitstatus_to_exitcode(os.waitpid(os.spawnvp(os.P_NOWAIT, sys.argv[2], "
            "sys.argv[2:]), 0)[1]); open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN)"
            ".ru_maxrss)); sys.exit(s if s >= 0 else 128 - s)")


def timed(argv: list[str], env: dict[str, str] | None = None, timeout: float = CMD_TIMEOUT, rss: bool = False) -> Run:
    """Run argv to completion; wall seconds, exit code, its output and, with rss, its peak RSS in KiB (else 0)."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss_file:
        if rss and os.access(GNU_TIME, os.X_OK):
            argv = [GNU_TIME, "-q", "-f", "%M", "-o", rss_file.name, *argv]
        elif rss:
            argv = [sys.executable, "-S", "-c", LAUNCHER, rss_file.name, *argv]
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, _ = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        elapsed = time.monotonic() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
        max_rss = int((rss_file.read().strip().splitlines() or ["0"])[-1]) if rss else 0
    if code == -signal.SIGKILL and elapsed >= timeout:
        raise RuntimeError(f"{' '.join(argv[:4])} ... took more than {timeout}s and was killed")
    return Run(elapsed, code, max_rss, output)


# -- container memory -----------------------------------------------------------------------------
def memory_bytes(container) -> int:
    """Memory in use as `docker stats` shows it (page cache that can be dropped left out)."""
    stats = container.stats(stream=False)
    mem = stats.get("memory_stats") or {}
    usage = int(mem.get("usage", 0))
    extra = mem.get("stats") or {}
    inactive = extra.get("total_inactive_file", extra.get("inactive_file", 0))
    return max(usage - int(inactive), 0)


def instances_memory(bench: Bench, names) -> dict[str, int]:
    """Bytes per instance (summed over its containers), read in parallel."""
    containers = [(n, c) for n in names for c in bench.containers_of(n)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda nc: memory_bytes(nc[1]), containers))
    total: dict[str, int] = {n: 0 for n in names}
    for (n, _), value in zip(containers, values):
        total[n] += value
    return total


def mib(value: float) -> str:
    return f"{value / 1024 ** 2:.0f} MiB"


# -- output ---------------------------------------------------------------------------------------
def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}×" if reference else "n/a"


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[ok]


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine(bench: Bench) -> str:
    info = bench.client.info()
    return (f"{info.get('NCPU')} CPUs, {int(info.get('MemTotal', 0)) / 1024 ** 3:.0f} GiB, "
            f"Docker Engine {info.get('ServerVersion')} ({info.get('Driver')}, cgroup v{info.get('CgroupVersion', '?')}), "
            f"Python {sys.version.split()[0]}")
