#!/usr/bin/python3
"""labctl's service manager for boxes without systemd: supervises units and answers systemctl.py on a Unix socket."""
import json
import os
import pwd
import grp
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, "/usr/local/lib/labctl")
from units import (LOGS, SOCKET, WANTS, all_units, find_unit, is_enabled, parse_unit, tail,  # noqa: E402
                   unit_argv, unit_environment, unit_name)

MUTATING = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable", "daemon-reload", "reset-failed"}


# ---- the supervisor -----------------------------------------------------------------------------

class Unit:
    def __init__(self, name):
        self.name = name
        self.state, self.sub, self.result = "inactive", "dead", ""
        self.since = time.time()
        self.proc = None  # the ExecStart process
        self.main_pid = None
        self.stopping = False
        self.starts = []  # start times, for the start limit
        self.last_exit = ""
        self.conf = {}

    def get(self, key, default=None, section="Service"):
        values = self.conf.get(section, {}).get(key)
        return values[-1] if values else default

    def all(self, key, section="Service"):
        return self.conf.get(section, {}).get(key, [])

    def set(self, state, sub, result=""):
        self.state, self.sub, self.result, self.since = state, sub, result, time.time()


class Supervisor:
    def __init__(self):
        self.units = {}
        self.lock = threading.RLock()

    def unit(self, name):
        name = unit_name(name)
        return self.units.setdefault(name, Unit(name))

    def log(self, unit, message):
        with open(os.path.join(LOGS, unit.name[:-8] + ".log"), "a") as f:
            f.write(time.strftime("%b %d %H:%M:%S ") + "systemd[1]: " + message + "\n")

    def spawn(self, unit, words, env, log):
        user, group = unit.get("User"), unit.get("Group")

        def demote():
            if user:
                entry = pwd.getpwnam(user)
                gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
                os.initgroups(user, gid)
                os.setgid(gid)
                os.setuid(entry.pw_uid)

        return subprocess.Popen(words, env=env, cwd=unit.get("WorkingDirectory", "/").lstrip("-") or "/",
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                preexec_fn=demote)

    def run_sync(self, unit, lines, env, log, timeout=90):
        """Run ExecStartPre/ExecStop-style commands in order; the first failure (not prefixed '-') stops."""
        for line in lines:
            words, ignore = unit_argv(unit, line, env)
            try:
                code = self.spawn(unit, words, env, log).wait(timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                code = 1
                log.write("%s: %s\n" % (words[0] if words else "?", exc))
            if code != 0 and not ignore:
                unit.last_exit = "%s (code=exited, status=%d)" % (line, code)
                return False
        return True

    def start(self, name):
        with self.lock:
            unit = self.unit(name)
            path = find_unit(name)
            if path is None:
                return 5, "Failed to start %s: Unit %s not found.\n" % (unit.name, unit.name)
            if unit.state == "active":
                return 0, ""
            unit.conf = parse_unit(path)
            unit.stopping = False
            if not unit.all("ExecStart"):
                return 1, "Failed to start %s: Unit %s has no ExecStart= setting.\n" % (unit.name, unit.name)
            for d in unit.all("RuntimeDirectory"):
                for part in d.split():
                    os.makedirs(os.path.join("/run", part), mode=0o755, exist_ok=True)
            log = open(os.path.join(LOGS, unit.name[:-8] + ".log"), "a", buffering=1)
            try:
                env = unit_environment(unit)
                kind = unit.get("Type", "simple")
                ok = self.run_sync(unit, unit.all("ExecStartPre"), env, log)
                if ok and kind == "oneshot":
                    ok = self.run_sync(unit, unit.all("ExecStart"), env, log)
                    if ok:
                        remain = unit.get("RemainAfterExit", "no") in ("yes", "true", "1", "on")
                        unit.set("active", "exited") if remain else unit.set("inactive", "dead")
                        self.log(unit, "Finished %s - %s." % (unit.name, unit.get("Description", unit.name, "Unit")))
                        return 0, ""
                elif ok:
                    words, _ = unit_argv(unit, unit.all("ExecStart")[0], env)
                    unit.proc = self.spawn(unit, words, env, log)
                    unit.main_pid = unit.proc.pid
                    if kind == "forking":
                        ok = unit.proc.wait(30) == 0
                        unit.last_exit = "" if ok else "%s (code=exited, status=%d)" % (words[0], unit.proc.returncode)
                        pidfile = unit.get("PIDFile")
                        if ok and pidfile:
                            time.sleep(0.2)
                            with open(pidfile) as f:
                                unit.main_pid = int(f.read().split()[0])
            except Exception as exc:  # a broken unit must not take the supervisor down
                log.write("%s\n" % exc)
                unit.last_exit, ok = str(exc), False
            finally:
                log.close()
            if not ok:
                unit.set("failed", "failed", "exit-code")
                self.log(unit, "Failed to start %s." % unit.name)
                return 1, ('Job for %s failed because the control process exited with error code.\n'
                           'See "systemctl status %s" and "journalctl -xeu %s" for details.\n') % ((unit.name,) * 3)
            unit.set("active", "running")
            unit.starts = [t for t in unit.starts if t > time.time() - 10] + [time.time()]
            self.log(unit, "Started %s - %s." % (unit.name, unit.get("Description", unit.name, "Unit")))
        # Like Type=exec: a command that dies at once is reported now, not found later by the learner.
        time.sleep(0.4)
        with self.lock:
            self.reap(unit)
            if unit.state == "failed":
                return 1, ('Job for %s failed because the control process exited with error code.\n'
                           'See "systemctl status %s" and "journalctl -xeu %s" for details.\n') % ((unit.name,) * 3)
        return 0, ""

    def alive(self, unit):
        if unit.proc is not None and unit.proc.poll() is None:
            return True
        if unit.main_pid and unit.proc is not None and unit.main_pid != unit.proc.pid:
            try:
                with open("/proc/%d/stat" % unit.main_pid) as f:
                    return f.read().rsplit(")", 1)[1].split()[0] != "Z"
            except OSError:
                return False
        return False

    def reap(self, unit):
        """Notice a main process that ended, and restart it if the unit says so."""
        if unit.state != "active" or unit.sub != "running" or unit.stopping or self.alive(unit):
            return
        code = unit.proc.returncode if unit.proc is not None and unit.proc.returncode is not None else 0
        unit.last_exit = "ExecStart (code=exited, status=%d)" % code
        restart = unit.get("Restart", "no")
        wanted = restart == "always" or (restart in ("on-failure", "on-abnormal") and code != 0)
        if code == 0 and not wanted:
            unit.set("inactive", "dead")
            self.log(unit, "%s: Deactivated successfully." % unit.name)
            return
        unit.set("failed", "failed", "exit-code")
        self.log(unit, "%s: Main process exited, code=exited, status=%d" % (unit.name, code))
        if wanted and len(unit.starts) < 5:
            threading.Timer(float(re.sub(r"[^0-9.]", "", unit.get("RestartSec", "1")) or 1), self.restart_failed, (unit,)).start()
        elif wanted:
            self.log(unit, "%s: Start request repeated too quickly." % unit.name)

    def restart_failed(self, unit):
        with self.lock:
            if unit.state == "failed" and not unit.stopping:
                unit.set("inactive", "dead")
                self.start(unit.name)

    def group_pids(self, leader):
        """The processes of a unit: those in the session or process group its main process started."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if leader in (int(fields[2]), int(fields[3])):
                        pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        return pids

    def stop(self, name, timeout=5.0):
        with self.lock:
            unit = self.unit(name)
            if find_unit(name) is None and unit.state == "inactive":
                return 5, "Failed to stop %s: Unit %s not loaded.\n" % (unit.name, unit.name)
            unit.stopping = True
            if unit.state != "active":
                unit.set("inactive", "dead")
                return 0, ""
            env = unit_environment(unit)
            with open(os.path.join(LOGS, unit.name[:-8] + ".log"), "a", buffering=1) as log:
                self.run_sync(unit, unit.all("ExecStop"), env, log, timeout=timeout)
            leaders = {p for p in (unit.main_pid, unit.proc.pid if unit.proc else None) if p}
            targets = set(leaders) if unit.get("KillMode", "control-group") == "process" else \
                {p for leader in leaders for p in self.group_pids(leader)} | leaders
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in targets:
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass
                deadline = time.time() + timeout
                while time.time() < deadline and self.alive(unit):
                    time.sleep(0.1)
                if not self.alive(unit):
                    break
            unit.proc, unit.main_pid = None, None
            unit.set("inactive", "dead")
            self.log(unit, "Stopped %s - %s." % (unit.name, unit.get("Description", unit.name, "Unit")))
            return 0, ""

    def reload(self, name):
        with self.lock:
            unit = self.unit(name)
            if unit.state != "active":
                return 1, "Failed to reload %s: Unit %s is not active.\n" % (unit.name, unit.name)
            unit.conf = parse_unit(find_unit(name) or "/dev/null")
            if not unit.all("ExecReload"):
                return 1, "Failed to reload %s: Job type reload is not applicable for unit %s.\n" % (unit.name, unit.name)
            with open(os.path.join(LOGS, unit.name[:-8] + ".log"), "a", buffering=1) as log:
                if not self.run_sync(unit, unit.all("ExecReload"), unit_environment(unit), log, timeout=30):
                    return 1, "Job for %s failed.\nSee \"systemctl status %s\" for details.\n" % (unit.name, unit.name)
            self.log(unit, "Reloaded %s." % unit.name)
        # Daemons re-read their config (sshd re-executes itself) just after the signal: let them settle.
        time.sleep(0.5)
        return 0, ""

    def enable(self, name, on):
        path, unit = find_unit(name), unit_name(name)
        link = os.path.join(WANTS, unit)
        if path is None:
            return 1, "Failed to %s unit: Unit file %s does not exist.\n" % ("enable" if on else "disable", unit)
        if not on:
            if os.path.lexists(link):
                os.unlink(link)
                return 0, "Removed \"%s\".\n" % link
            return 0, ""
        if not parse_unit(path).get("Install", {}).get("WantedBy"):
            return 0, ("The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the "
                       "[Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be "
                       "enabled using systemctl.\n(labctl: add\n[Install]\nWantedBy=multi-user.target\nto %s)\n" % path)
        if os.path.lexists(link):
            return 0, ""
        os.makedirs(WANTS, exist_ok=True)
        os.symlink(path, link)
        return 0, "Created symlink %s → %s.\n" % (link, path)

    def status(self, name):
        path, unit = find_unit(name), self.unit(name)
        if path is None and unit.state == "inactive":
            return 4, "Unit %s could not be found.\n" % unit.name
        conf = parse_unit(path) if path else unit.conf
        desc = (conf.get("Unit", {}).get("Description") or [unit.name])[-1]
        since = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(unit.since))
        active = "%s (%s)" % (unit.state, unit.sub) + ("" if unit.state == "inactive" else " since %s; %ds ago" % (since, time.time() - unit.since))
        if unit.state == "failed":
            active = "failed (Result: %s) since %s; %ds ago" % (unit.result, since, time.time() - unit.since)
        dot = {"active": "●", "failed": "×"}.get(unit.state, "○")
        lines = ["%s %s - %s" % (dot, unit.name, desc),
                 "     Loaded: loaded (%s; %s; preset: enabled)" % (path, "enabled" if is_enabled(name) else "disabled"),
                 "     Active: " + active]
        if unit.last_exit and unit.state != "active":
            lines.append("    Process: " + unit.last_exit)
        if unit.state == "active" and unit.main_pid:
            lines.append("   Main PID: %d (%s)" % (unit.main_pid, os.path.basename((conf.get("Service", {}).get("ExecStart") or ["?"])[0].split()[0])))
        lines += ["", *tail(unit.name, 10)]
        return (0 if unit.state == "active" else 3), "\n".join(lines) + "\n"

    def handle(self, request, uid):
        verb, units, flags = request["verb"], request["units"], request["flags"]
        if verb in MUTATING and uid != 0:
            first = unit_name(units[0]) if units else ""
            return 1, ("Failed to %s %s: Interactive authentication required.\nSee system logs and 'systemctl status %s' "
                       "for details.\n(run it with sudo: sudo systemctl %s)\n") % (verb, first, first, " ".join([verb, *units]))
        if verb in ("start", "stop", "restart", "reload", "enable", "disable", "status", "is-active",
                    "is-enabled", "is-failed", "try-restart", "reload-or-restart") and not units:
            return 1, "Too few arguments.\n"
        code, out = 0, ""
        for name in units:
            c, o = 0, ""
            if verb == "start":
                c, o = self.start(name)
            elif verb == "stop":
                c, o = self.stop(name)
            elif verb in ("restart", "try-restart", "reload-or-restart"):
                if verb == "try-restart" and self.unit(name).state != "active":
                    continue
                self.stop(name)
                c, o = self.start(name)
            elif verb == "reload":
                c, o = self.reload(name)
            elif verb in ("enable", "disable"):
                c, o = self.enable(name, verb == "enable")
                if c == 0 and "--now" in flags:
                    c2, o2 = self.start(name) if verb == "enable" else self.stop(name)
                    c, o = c2, o + o2
            elif verb == "status":
                c, o = self.status(name)
            elif verb in ("is-active", "is-failed"):
                state = self.unit(name).state
                c, o = (0 if state == ("active" if verb == "is-active" else "failed") else 3), state + "\n"
            elif verb == "is-enabled":
                found = find_unit(name)
                if found is None:
                    c, o = 1, "Failed to get unit file state for %s: No such file or directory\n" % unit_name(name)
                else:
                    c, o = (0, "enabled\n") if is_enabled(name) else (1, "disabled\n")
                if "--quiet" in flags or "-q" in flags:
                    o = ""
            code, out = code or c, out + o
        if verb in ("is-active", "is-failed") and ("--quiet" in flags or "-q" in flags):
            out = ""
        if verb == "daemon-reload" or verb == "reset-failed":
            return 0, ""
        if verb in ("list-units", "list-unit-files"):
            return 0, self.listing(verb, flags)
        if verb not in ("start", "stop", "restart", "try-restart", "reload-or-restart", "reload", "enable", "disable",
                        "status", "is-active", "is-failed", "is-enabled"):
            return 1, "Unknown command verb %s.\n" % verb
        return code, out

    def listing(self, verb, flags):
        if verb == "list-unit-files":
            rows = [(n, "enabled" if is_enabled(n) else "disabled") for n in all_units()]
            return "".join("%-40s %s\n" % r for r in [("UNIT FILE", "STATE"), *rows]) + "\n%d unit files listed.\n" % len(rows)
        rows = []
        for n in sorted(set(all_units()) | set(self.units)):
            unit = self.unit(n)
            if unit.state == "inactive" and "--all" not in flags and "-a" not in flags:
                continue
            path = find_unit(n)
            desc = (parse_unit(path).get("Unit", {}).get("Description") or [n])[-1] if path else n
            rows.append((n, "loaded" if path else "not-found", unit.state, unit.sub, desc))
        text = "".join("  %-30s %-9s %-8s %-7s %s\n" % r for r in [("UNIT", "LOAD", "ACTIVE", "SUB", "DESCRIPTION"), *rows])
        return text + "\n%d loaded units listed.\n" % len(rows)

    def serve(self):
        os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(SOCKET):
            os.unlink(SOCKET)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(SOCKET)
        os.chmod(SOCKET, 0o666)  # anyone may ask; only root may change (checked by peer credentials)
        server.listen(16)
        signal.signal(signal.SIGTERM, lambda *_: self.shutdown())
        signal.signal(signal.SIGINT, lambda *_: self.shutdown())
        for name in sorted(os.listdir(WANTS)) if os.path.isdir(WANTS) else []:
            code, out = self.start(name)
            sys.stdout.write("%s %s\n" % ("Started" if code == 0 else "FAILED to start", name) + out)
            sys.stdout.flush()
        threading.Thread(target=self.monitor, daemon=True).start()
        while True:
            conn, _ = server.accept()
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            uid = struct.unpack("3i", creds)[1]
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            try:
                code, out = self.handle(json.loads(data), uid)
            except Exception as exc:  # answer something rather than leave the client hanging
                code, out = 1, "systemctl: internal error: %s\n" % exc
            conn.sendall(json.dumps({"code": code, "out": out}).encode() + b"\n")
        finally:
            conn.close()

    def monitor(self):
        while True:
            time.sleep(0.5)
            with self.lock:
                for unit in list(self.units.values()):
                    self.reap(unit)

    def shutdown(self):
        threads = [threading.Thread(target=self.stop, args=(n, 3.0)) for n, u in self.units.items() if u.state == "active"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(8)
        os._exit(0)


if __name__ == "__main__":
    Supervisor().serve()
