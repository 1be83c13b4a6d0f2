#!/usr/bin/python3
"""labctl's service manager for boxes without systemd: starts, supervises and stops units (the states and log lines
follow systemd's); verbs.py answers systemctl.py on a Unix socket; boot.py starts the enabled units."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, "/usr/local/lib/labctl")
import journal  # noqa: E402
import reaper  # noqa: E402
from execute import SpawnError, describe_exit, environment, spawn  # noqa: E402
from units import canonical, condition_failure, load, wants_links  # noqa: E402

CLEAN_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)


def seconds(text, default):
    """systemd's time spans: 5, 5s, 100ms, 1min 30s, 2h, infinity."""
    if text is None:
        return default
    if text == "infinity":
        return 1e9
    total, number = 0.0, ""
    units = {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "us": 1e-6}
    for word in text.replace(" ", "").replace("min", "m ").replace("ms", "ms ").split() or [text]:
        number = "".join(c for c in word if c.isdigit() or c == ".")
        suffix = word[len(number):] or "s"
        try:
            total += float(number) * units.get(suffix, 1)
        except ValueError:
            return default
    return total


def prefix(line):
    """The special characters before an Exec line's command: '-' ignores its failure, '+' runs it as root..."""
    return line[:len(line) - len(line.lstrip("-@+!:"))]


class Service:
    """A unit's run-time state, as systemctl show reports it."""

    def __init__(self, name):
        self.name = name
        self.file = None  # the UnitFile as loaded (kept until daemon-reload while the unit is referenced)
        self.state, self.sub, self.result = "inactive", "dead", "success"
        self.since = time.time()
        self.main_pid = 0
        self.exec_start = ""
        self.condition = None  # the unmet Condition*= of the last start, if any
        self.main_exit = None  # (pid, "code=exited, status=1/FAILURE") of the last main process
        self.processes = []  # Process lines: (pid, "ExecStartPre=...", "code=exited, status=0/SUCCESS")
        self.n_restarts = 0
        self.starts = []  # start times, for the start limit
        self.leaders = set()  # session/process-group ids of the unit's processes
        self.generation = 0  # bumped by every start and stop: callbacks of an older run do nothing
        self.job = threading.RLock()
        self.exited = threading.Event()

    def set(self, state, sub, result=None):
        if result is not None:
            self.result = result
        self.state, self.sub, self.since = state, sub, time.time()

    @property
    def desc(self):
        return self.file.description if self.file else self.name


class Supervisor:
    def __init__(self):
        self.services = {}
        self.lock = threading.Lock()
        self.booted = False

    # ---- loading ------------------------------------------------------------------------------------

    def service(self, name):
        name = canonical(name)
        with self.lock:
            return self.services.setdefault(name, Service(name))

    def loaded(self, svc, keep=False):
        """svc.file as systemd would use it: kept while the unit is referenced (active, failed, enabled), else read
        again from disk (an unreferenced unit is unloaded, and loaded again on demand)."""
        if svc.file is None or (not keep and svc.state == "inactive" and not wants_links(svc.name)):
            svc.file = load(svc.name)
        return svc.file

    def daemon_reload(self):
        for svc in list(self.services.values()):
            # A running unit whose file was removed stays loaded (not-found), so that it can still be stopped.
            svc.file = load(svc.name) or (svc.file if svc.state not in ("inactive", "failed") else None)

    def log(self, svc, message):
        journal.system(svc.name, message)

    # ---- running commands ---------------------------------------------------------------------------

    def run(self, svc, key, env, timeout=90.0):
        """Run the unit's key= commands in order (ExecStartPre, ExecStop, ...); False at the first failure that is
        not prefixed with '-'."""
        for line in svc.file.all(key):
            try:
                proc, argv = spawn(svc.file, line, env, svc.main_pid or None)
            except SpawnError as exc:
                self.log(svc, "%s: %s" % (svc.name, exc))
                svc.processes.append((0, "%s=%s" % (key, line), "code=exited, status=%s/%s" % (exc.status[0], exc.status[1])))
                if "-" in prefix(line):
                    continue
                return False
            code = reaper.wait(proc.pid, timeout, proc.spawned)
            if code is None:
                self.log(svc, "%s: %s operation timed out. Terminating." % (svc.name, key))
                self.kill(svc, {proc.pid}, signal.SIGKILL)
                code = -signal.SIGKILL
            how, status = describe_exit(code)
            svc.processes.append((proc.pid, "%s=%s" % (key, " ".join(argv)), "code=%s, status=%s" % (how, status)))
            svc.processes = svc.processes[-6:]
            if code != 0 and "-" not in prefix(line):
                self.log(svc, "%s: Control process exited, code=%s, status=%s" % (svc.name, how, status))
                return False
        return True

    # ---- start --------------------------------------------------------------------------------------

    def start(self, name, restart=False, keep=False):
        """(exit code, stderr text) of `systemctl start`. restart: do not wait to see the main process live a little;
        keep: use the unit as loaded even if it went inactive (a restart is one job in systemd)."""
        svc = self.service(name)
        with svc.job:
            unit = self.loaded(svc, keep)
            if unit is None:
                return 5, "Failed to start %s: Unit %s not found.\n" % (svc.name, svc.name)
            errors = unit.errors()
            if errors:
                return 1, "Failed to start %s: Unit %s has a bad unit file setting.\n%s\n" % (
                    svc.name, svc.name, "\n".join(errors))
            if svc.state in ("active", "reloading") or (svc.state == "activating" and svc.sub != "auto-restart"):
                return 0, ""
            unmet = condition_failure(unit)
            svc.condition = unmet
            if unmet:
                svc.set("inactive", "dead")
                self.log(svc, "%s - %s was skipped because of an unmet condition check (%s)." % (svc.name, svc.desc, unmet))
                return 0, ""
            now = time.time()
            window = seconds(unit.get("StartLimitIntervalSec", None, "Unit"), 10.0)
            burst = int(unit.get("StartLimitBurst", "5", "Unit") or 5)
            svc.starts = [t for t in svc.starts if t > now - window]
            if len(svc.starts) >= burst:
                svc.set("failed", "failed", "start-limit-hit")
                self.log(svc, "%s: Start request repeated too quickly." % svc.name)
                self.log(svc, "%s: Failed with result 'start-limit-hit'." % svc.name)
                self.log(svc, "Failed to start %s - %s." % (svc.name, svc.desc))
                return 1, ('Job for %s failed because start of the service was attempted too often.\nSee "systemctl status '
                           '%s" and "journalctl -xeu %s" for details.\nTo force a start use "systemctl reset-failed %s" '
                           'followed by "systemctl start %s" again.\n') % ((svc.name,) * 5)
            svc.starts.append(now)
            svc.generation += 1
            svc.processes, svc.main_exit, svc.main_pid, svc.leaders = [], None, 0, set()
            svc.set("activating", "start-pre" if unit.all("ExecStartPre") else "start")
            self.log(svc, "Starting %s - %s..." % (svc.name, svc.desc))
            ok, result = self._start(svc, unit)
            if not ok:
                self.fail(svc, result)
                self.log(svc, "Failed to start %s - %s." % (svc.name, svc.desc))
                return 1, self.job_failed(svc)
        if restart or unit.get("Type", "simple") not in ("simple", "exec", "notify", "idle"):
            return 0, ""
        # A command that dies at once is reported now (systemd's start would return 0 and leave it failed).
        svc.exited.wait(0.4)
        time.sleep(0.05)
        if svc.state == "failed" or (svc.state == "activating" and svc.sub == "auto-restart"):
            return 1, self.job_failed(svc)
        return 0, ""

    def job_failed(self, svc):
        why = {"exit-code": "the control process exited with error code", "resources": "of unavailable resources or "
               "another system error", "signal": "a fatal signal was delivered to the control process",
               "start-limit-hit": "start of the service was attempted too often"}.get(svc.result, svc.result)
        return ('Job for %s failed because %s.\nSee "systemctl status %s" and "journalctl -xeu %s" for details.\n'
                % (svc.name, why, svc.name, svc.name))

    def _start(self, svc, unit):
        """Run ExecStartPre=, ExecStart=, ExecStartPost=; (ok, result on failure)."""
        try:
            env = environment(unit)
            self.make_directories(unit)
        except SpawnError as exc:
            if exc.status[0]:  # User=/Group= unknown: the command fails as it starts (217/USER, 216/GROUP)
                return self.spawn_failed(svc, exc, (unit.all("ExecStartPre") or unit.all("ExecStart") or ["?"])[0])
            self.log(svc, "%s: %s" % (svc.name, exc))
            self.log(svc, "%s: Failed to spawn 'start' task: No such file or directory" % svc.name)
            return False, "resources"
        if not self.run(svc, "ExecStartPre", env):
            return False, "exit-code"
        kind = unit.get("Type", "simple")
        svc.set("activating", "start")
        if kind == "oneshot":
            if not self.run(svc, "ExecStart", env):
                return False, "exit-code"
            if unit.flag("RemainAfterExit"):
                svc.set("active", "exited", "success")
            else:
                svc.set("inactive", "dead", "success")
                self.log(svc, "%s: Deactivated successfully." % svc.name)
            self.log(svc, "Finished %s - %s." % (svc.name, svc.desc))
            self.run(svc, "ExecStartPost", env)
            return True, ""
        line = unit.all("ExecStart")[0]
        svc.exec_start = line.lstrip("-@+!:")
        try:
            proc, argv = spawn(unit, line, env)
        except SpawnError as exc:
            return self.spawn_failed(svc, exc, line)
        svc.leaders = {proc.pid}
        svc.exec_start = " ".join(argv)
        if kind == "forking":
            code = reaper.wait(proc.pid, 90, proc.spawned)
            how, status = describe_exit(code)
            svc.processes.append((proc.pid, "ExecStart=" + svc.exec_start, "code=%s, status=%s" % (how, status)))
            if code != 0:
                self.log(svc, "%s: Control process exited, code=%s, status=%s" % (svc.name, how, status))
                return False, "exit-code"
            svc.main_pid = self.forked_main(svc, unit, proc.pid)
            if not svc.main_pid:
                self.log(svc, "%s: Can't open PID file %s (yet?) after start: No such file or directory"
                         % (svc.name, unit.get("PIDFile", "(none)")))
                return False, "protocol"
            svc.leaders.add(svc.main_pid)
            svc.leaders.add(os.getsid(svc.main_pid) if os.path.exists("/proc/%d" % svc.main_pid) else svc.main_pid)
        else:
            svc.main_pid = proc.pid
        svc.exited.clear()
        generation = svc.generation
        reaper.on_exit(svc.main_pid, lambda code: self.main_exited(svc, generation, code), proc.spawned)
        if not reaper.is_child(svc.main_pid):  # a PIDFile= naming a process that is not ours: watched by polling
            threading.Thread(target=self.watch, args=(svc, generation, svc.main_pid), daemon=True).start()
        svc.set("active", "running", "success")
        if not self.run(svc, "ExecStartPost", env):
            svc.generation += 1  # the main process's end is this failure's, not a crash to restart
            self.end_processes(svc, unit, stopping=True)
            return False, "exit-code"
        self.log(svc, "Started %s - %s." % (svc.name, svc.desc))
        return True, ""

    def spawn_failed(self, svc, exc, line):
        """Log a command that could not start as systemd does; (False, result)."""
        self.log(svc, "%s: %s" % (svc.name, exc))
        self.log(svc, "%s: Failed at step %s spawning %s" % (svc.name, exc.status[1], line.lstrip("-@+!:").split()[0]))
        svc.exec_start = line.lstrip("-@+!:")
        svc.main_exit = (0, "code=exited, status=%d/%s" % exc.status)
        self.log(svc, "%s: Main process exited, code=exited, status=%s/%s" % ((svc.name,) + exc.status))
        return False, "exit-code"

    def forked_main(self, svc, unit, first):
        """The main PID of a Type=forking unit: from PIDFile= (waited for up to 2s), else the daemon left behind."""
        pidfile = unit.get("PIDFile")
        for _ in range(20):
            if pidfile:
                try:
                    with open(pidfile) as f:
                        pid = int(f.read().split()[0])
                    if os.path.exists("/proc/%d" % pid):
                        return pid
                except (OSError, ValueError, IndexError):
                    pass
            else:
                orphans = [p for p in reaper.children() if p > first and p not in reaper.known()]
                if orphans:
                    return min(orphans)
            time.sleep(0.1)
        return 0

    def make_directories(self, unit):
        from execute import credentials
        entry, gid, _ = credentials(unit)
        mode = int(unit.get("RuntimeDirectoryMode", "0755"), 8)
        for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib"), ("LogsDirectory", "/var/log"),
                          ("CacheDirectory", "/var/cache"), ("ConfigurationDirectory", "/etc")):
            for part in " ".join(unit.all(key)).split():
                path = os.path.join(base, part)
                os.makedirs(path, mode=mode if key == "RuntimeDirectory" else 0o755, exist_ok=True)
                if key != "ConfigurationDirectory":
                    os.chown(path, entry.pw_uid, gid)

    # ---- the main process ends ----------------------------------------------------------------------

    def watch(self, svc, generation, pid):
        while generation == svc.generation and self.alive(pid):
            time.sleep(0.5)
        if generation == svc.generation and not svc.exited.is_set():
            self.main_exited(svc, generation, 0)  # its exit status is its parent's to know; systemd says 0 too

    def main_exited(self, svc, generation, code):
        """Called by the reaper: record how the main process ended, fail or deactivate, restart if Restart= says so."""
        try:
            self._main_exited(svc, generation, code)
        except Exception as exc:  # a bug here must not leave the unit "active" with nothing running
            self.log(svc, "%s: labctl's service manager failed to handle the end of the main process: %r" % (svc.name, exc))
            svc.set("failed", "failed", "resources")

    def _main_exited(self, svc, generation, code):
        how, status = describe_exit(code)
        svc.main_exit = (svc.main_pid, "code=%s, status=%s" % (how, status))
        svc.exited.set()
        with svc.job:
            if generation != svc.generation or svc.state not in ("active", "reloading"):
                return  # a stop is under way, or this is an older run
            unit = svc.file
            self.log(svc, "%s: Main process exited, code=%s, status=%s" % (svc.name, how, status))
            success = [int(w) for w in " ".join(unit.all("SuccessExitStatus")).split() if w.isdigit()]
            clean = code == 0 or code in success or (code < 0 and -code in CLEAN_SIGNALS)
            result = "success" if clean else ("signal" if code < 0 else "exit-code")
            self.end_processes(svc, unit)
            self.run(svc, "ExecStopPost", environment(unit) if unit.all("ExecStopPost") else {})
            if clean:
                svc.set("inactive", "dead", "success")
                self.log(svc, "%s: Deactivated successfully." % svc.name)
            else:
                self.fail(svc, result)
            if self.wants_restart(unit, code, clean):
                svc.set("activating", "auto-restart", result)
                delay = max(0.1, seconds(unit.get("RestartSec"), 0.1))
                threading.Timer(delay, self.auto_restart, (svc, svc.generation)).start()

    def wants_restart(self, unit, code, clean):
        prevent = [int(w) for w in " ".join(unit.all("RestartPreventExitStatus")).split() if w.isdigit()]
        if code in prevent:
            return False
        restart, killed = unit.get("Restart", "no"), code < 0 and not clean
        return {"always": True, "on-success": clean, "on-failure": not clean, "on-abnormal": killed,
                "on-abort": killed}.get(restart, False)

    def auto_restart(self, svc, generation):
        with svc.job:
            if generation != svc.generation or svc.sub != "auto-restart":
                return
            svc.n_restarts += 1
            self.log(svc, "%s: Scheduled restart job, restart counter is at %d." % (svc.name, svc.n_restarts))
            self.log(svc, "Stopped %s - %s." % (svc.name, svc.desc))
            svc.set("inactive", "dead")
            self.start(svc.name, restart=True, keep=True)

    def fail(self, svc, result):
        svc.set("failed", "failed", result)
        self.log(svc, "%s: Failed with result '%s'." % (svc.name, result))

    # ---- stop ---------------------------------------------------------------------------------------

    def stop(self, name):
        svc = self.service(name)
        with svc.job:
            unit = svc.file or self.loaded(svc)
            if unit is None and svc.state == "inactive":
                return 5, "Failed to stop %s: Unit %s not loaded.\n" % (svc.name, svc.name)
            svc.generation += 1
            if svc.state == "activating" and svc.sub == "auto-restart":
                svc.set("inactive", "dead")
                return 0, ""
            if svc.state not in ("active", "reloading", "activating"):
                if svc.state == "failed":
                    return 0, ""
                svc.set("inactive", "dead")
                return 0, ""
            svc.set("deactivating", "stop")
            self.log(svc, "Stopping %s - %s..." % (svc.name, svc.desc))
            env = environment(unit) if unit.all("ExecStop") or unit.all("ExecStopPost") else {}
            if svc.main_pid and self.alive(svc.main_pid):
                self.run(svc, "ExecStop", env, timeout=seconds(unit.get("TimeoutStopSec"), 10.0))
            self.end_processes(svc, unit, stopping=True)
            self.run(svc, "ExecStopPost", env)
            svc.set("inactive", "dead", "success")
            self.log(svc, "%s: Deactivated successfully." % svc.name)
            self.log(svc, "Stopped %s - %s." % (svc.name, svc.desc))
            svc.main_pid = 0
            return 0, ""

    def end_processes(self, svc, unit, stopping=False):
        """Signal the unit's processes as KillMode= says and wait up to TimeoutStopSec=, then SIGKILL."""
        mode = unit.get("KillMode", "control-group")
        if mode == "none" or (not stopping and mode == "process"):
            return
        sig = getattr(signal, unit.get("KillSignal", "SIGTERM").upper().replace("SIGSIG", "SIG"), signal.SIGTERM)
        timeout = seconds(unit.get("TimeoutStopSec") or unit.get("TimeoutSec"), 10.0)
        main = {svc.main_pid} if svc.main_pid and self.alive(svc.main_pid) else set()
        targets = main if mode in ("process", "mixed") else main | self.unit_pids(svc)
        self.kill(svc, targets, sig)
        deadline = time.time() + timeout
        while time.time() < deadline and any(self.alive(p) for p in targets):
            time.sleep(0.05)
        left = {p for p in (targets if mode == "process" else targets | self.unit_pids(svc)) if self.alive(p)}
        if left and unit.flag("SendSIGKILL", True):
            if time.time() >= deadline:
                self.log(svc, "%s: State 'stop-sigterm' timed out. Killing." % svc.name)
            self.kill(svc, left, signal.SIGKILL)
            for _ in range(40):
                if not any(self.alive(p) for p in left):
                    break
                time.sleep(0.05)

    def kill(self, svc, pids, sig):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    @staticmethod
    def alive(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    def unit_pids(self, svc):
        """The unit's processes (no cgroups here): those in its sessions or process groups, and the main process's
        descendants."""
        return processes_of(svc.leaders | ({svc.main_pid} if svc.main_pid else set()), svc.main_pid)


def processes_of(leaders, main):
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))  # ppid, pgid, sid
            except (OSError, IndexError, ValueError):
                pass
    found = {p for p, (_, pgid, sid) in table.items() if pgid in leaders or sid in leaders}
    if main in table:
        found.add(main)
    grew = True
    while grew:
        more = {p for p, (ppid, _, _) in table.items() if ppid in found and p not in found}
        found |= more
        grew = bool(more)
    found.discard(os.getpid())
    return found


if __name__ == "__main__":
    import boot
    boot.main(Supervisor())
