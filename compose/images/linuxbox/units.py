"""Unit files for labctl's service manager: where they live, which options it knows, how they read, which are enabled."""
import fnmatch
import os
import socket

# Searched in this order; the first file found wins, as in systemd (/etc before the packages' units).
UNIT_DIRS = ("/etc/systemd/system", "/etc/labctl/services", "/lib/systemd/system", "/usr/lib/systemd/system")
# The learner's and labctl's own units: daemon-reload reports the refused ones among these.
LOCAL_DIRS = UNIT_DIRS[:2]
ETC = "/etc/systemd/system"
WANTS = ETC + "/multi-user.target.wants"
BOOT_TARGETS = ("multi-user.target", "default.target", "graphical.target")  # whose .wants start at boot
LOGS = "/var/log/labctl"
RUN = "/run/labctl"
SOCKET = RUN + "/svcd.sock"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DOC = "/usr/share/doc/labctl-box/services.txt"
CHANGED = ("Warning: The unit file, source configuration file or drop-ins of %s changed on disk. Run 'systemctl "
           "daemon-reload' to reload units.\n")
SEE = "see the list in %s (or docs/box-services.md in labctl)" % DOC

# Every option this service manager knows, in three classes: "yes" (honoured), "no-effect" (accepted; why it has
# none here), and by omission everything else, which is refused with the file and line it is on.
OPTIONS = {
    "Unit": {
        "Description": ("yes", "shown by status and in the log"),
        "Documentation": ("yes", "shown by status"),
        "After": ("yes", "orders the start of enabled units at boot"),
        "Before": ("yes", "orders the start of enabled units at boot"),
        "ConditionPathExists": ("yes", "skips the start when unmet (a leading ! negates)"),
        "ConditionPathIsDirectory": ("yes", "skips the start when unmet"),
        "ConditionFileIsExecutable": ("yes", "skips the start when unmet"),
        "ConditionFileNotEmpty": ("yes", "skips the start when unmet"),
        "ConditionDirectoryNotEmpty": ("yes", "skips the start when unmet"),
        "StartLimitIntervalSec": ("yes", "default 10s"),
        "StartLimitBurst": ("yes", "default 5"),
        "Wants": ("no-effect", "other units are not pulled in: enable or start each unit you need"),
        "Requires": ("no-effect", "other units are not pulled in: enable or start each unit you need"),
        "Requisite": ("no-effect", "other units are not checked: enable or start each unit you need"),
        "DefaultDependencies": ("no-effect", "there are no targets or shutdown ordering in one container"),
        "ConditionVirtualization": ("no-effect", "the box is a container; the condition is taken as met"),
    },
    "Service": {
        "Type": ("yes", "simple, exec, forking, oneshot, notify (run as simple: no readiness message is awaited), idle (as simple)"),
        "ExecStart": ("yes", "prefixes - @ + ! :, $VAR and ${VAR}, %n %N %p %i %u %h %t %S %C %L %H %%"),
        "ExecStartPre": ("yes", "a failing one (without -) fails the unit; ExecStart does not run"),
        "ExecStartPost": ("yes", "run after the main process started"),
        "ExecReload": ("yes", "$MAINPID is set"),
        "ExecStop": ("yes", "$MAINPID is set; then the remaining processes get KillSignal="),
        "ExecStopPost": ("yes", "run after the unit stopped or failed"),
        "Restart": ("yes", "no, on-success, on-failure, on-abnormal, on-abort, always"),
        "RestartSec": ("yes", "default 100ms"),
        "RestartPreventExitStatus": ("yes", "exit codes that never restart"),
        "SuccessExitStatus": ("yes", "exit codes counted as clean"),
        "RemainAfterExit": ("yes", "for Type=oneshot"),
        "User": ("yes", "with the user's supplementary groups"),
        "Group": ("yes", ""),
        "SupplementaryGroups": ("yes", ""),
        "WorkingDirectory": ("yes", "~ is the user's home; a leading - allows it to be missing"),
        "Environment": ("yes", ""),
        "EnvironmentFile": ("yes", "a leading - allows it to be missing"),
        "UMask": ("yes", ""),
        "PIDFile": ("yes", "for Type=forking"),
        "KillMode": ("yes", "control-group (the unit's sessions: see below), mixed, process, none"),
        "KillSignal": ("yes", "default SIGTERM"),
        "SendSIGKILL": ("yes", ""),
        "TimeoutStopSec": ("yes", "default 10s here"),
        "TimeoutSec": ("yes", "as TimeoutStopSec"),
        "RuntimeDirectory": ("yes", "made under /run, owned by User="),
        "StateDirectory": ("yes", "made under /var/lib, owned by User="),
        "LogsDirectory": ("yes", "made under /var/log, owned by User="),
        "CacheDirectory": ("yes", "made under /var/cache, owned by User="),
        "ConfigurationDirectory": ("yes", "made under /etc"),
        "RuntimeDirectoryMode": ("yes", ""),
        "StandardOutput": ("yes", "journal, inherit, null, file:PATH, append:PATH, truncate:PATH"),
        "StandardError": ("yes", "journal, inherit, null, file:PATH, append:PATH, truncate:PATH"),
        "StandardInput": ("yes", "null only"),
        "SyslogIdentifier": ("yes", "the name in the unit's log lines"),
        "TimeoutStartSec": ("no-effect", "a start is not timed out here (ExecStartPre= gets 90s)"),
        "GuessMainPID": ("no-effect", "the main process is the one ExecStart= started, or PIDFile="),
        "NotifyAccess": ("no-effect", "Type=notify runs as Type=simple"),
        "WatchdogSec": ("no-effect", "no watchdog messages are awaited"),
        "IgnoreSIGPIPE": ("no-effect", "commands start with SIGPIPE at its default"),
        "PrivateTmp": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateDevices": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateNetwork": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateUsers": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectSystem": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectHome": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectKernelTunables": ("no-effect", "the container already cannot change them"),
        "ProtectKernelModules": ("no-effect", "the container already cannot load modules"),
        "ProtectKernelLogs": ("no-effect", "the container already cannot read them"),
        "ProtectControlGroups": ("no-effect", "the container already cannot change them"),
        "ProtectClock": ("no-effect", "the container already cannot set the clock"),
        "ProtectHostname": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectProc": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProcSubset": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ReadWritePaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ReadOnlyPaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "InaccessiblePaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "NoNewPrivileges": ("no-effect", "hardening systemd applies with seccomp and prctl; not applied here"),
        "RestrictNamespaces": ("no-effect", "hardening: the container already cannot make namespaces"),
        "RestrictRealtime": ("no-effect", "hardening: not applied here"),
        "RestrictSUIDSGID": ("no-effect", "hardening: not applied here"),
        "RestrictAddressFamilies": ("no-effect", "hardening: not applied here"),
        "LockPersonality": ("no-effect", "hardening: not applied here"),
        "MemoryDenyWriteExecute": ("no-effect", "hardening: not applied here"),
        "SystemCallFilter": ("no-effect", "hardening: not applied here"),
        "SystemCallArchitectures": ("no-effect", "hardening: not applied here"),
        "CapabilityBoundingSet": ("no-effect", "the container's own capability set already bounds every process"),
        "AmbientCapabilities": ("no-effect", "any user may bind ports below 1024 in this container already"),
        "RemoveIPC": ("no-effect", "hardening: not applied here"),
        "LimitNOFILE": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "LimitNPROC": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "LimitCORE": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "TasksMax": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "MemoryMax": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "MemoryHigh": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "CPUQuota": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "OOMScoreAdjust": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "Slice": ("no-effect", "there are no cgroups per unit here"),
        "Delegate": ("no-effect", "there are no cgroups per unit here"),
    },
    "Install": {
        "WantedBy": ("yes", "enable links the unit into TARGET.wants; multi-user.target, default.target and "
                            "graphical.target start at boot"),
        "RequiredBy": ("yes", "as WantedBy=, in TARGET.requires"),
        "Alias": ("yes", "enable links the other name to the unit"),
        "Also": ("yes", "enable and disable act on those units too"),
    },
}
TYPES = ("simple", "exec", "forking", "oneshot", "notify", "idle")
RESTARTS = ("no", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog", "always")
CONDITIONS = {k for k in OPTIONS["Unit"] if k.startswith("Condition")}


class UnitFile:
    """One unit as loaded: its options (with drop-ins), where each came from, what it refuses, and when it was read."""

    def __init__(self, name, path, dropins=()):
        self.name, self.path, self.dropins = name, path, list(dropins)
        self.conf, self.where, self.problems = {}, {}, []
        self.stamp = stamp(path, self.dropins)
        for source in [path, *self.dropins]:
            self._read(source)
        self.problems += self._check()

    def get(self, key, default=None, section="Service"):
        values = self.conf.get(section, {}).get(key)
        return values[-1] if values else default

    def all(self, key, section="Service"):
        return list(self.conf.get(section, {}).get(key, []))

    def flag(self, key, default=False, section="Service"):
        value = self.get(key, None, section)
        return default if value is None else value.lower() in ("yes", "true", "1", "on")

    @property
    def description(self):
        return self.get("Description", self.name, "Unit")

    def changed(self):
        """Whether the unit's file or drop-ins changed on disk since it was read (systemd's NeedDaemonReload)."""
        path, dropins = locate(self.name)
        return path != self.path or dropins != self.dropins or stamp(path, dropins) != self.stamp

    def _read(self, source):
        section, pending, start = None, "", 0
        with open(source, encoding="utf-8", errors="replace") as f:
            for number, raw in enumerate(f, 1):
                line = raw.strip()
                if not pending and (not line or line[0] in "#;"):
                    continue
                start = start or number
                if line.endswith("\\"):
                    pending += line[:-1] + " "
                    continue
                line, pending, first = pending + line, "", start
                start = 0
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1]
                    self.conf.setdefault(section, {})
                    self.where.setdefault((section, None), (source, first))
                elif "=" in line and section is not None:
                    key, value = (part.strip() for part in line.split("=", 1))
                    values = self.conf[section].setdefault(key, [])
                    if value == "":
                        values.clear()  # an empty assignment resets the list, as in systemd
                    else:
                        values.append(value)
                    self.where.setdefault((section, key), (source, first))

    def _check(self):
        problems = []
        for section, options in self.conf.items():
            if section.startswith("X-"):
                continue
            if section not in OPTIONS:
                problems.append(self.refusal("[%s]" % section, (section, None), section_hint(section)))
                continue
            for key in options:
                if not key.startswith("X-") and key not in OPTIONS[section]:
                    problems.append(self.refusal(key + "=", (section, key)))
        kind = self.get("Type", "simple")
        if kind not in TYPES:
            problems.append(self.refusal("Type=" + kind, ("Service", "Type"), "use one of " + ", ".join(TYPES)))
        if self.get("Restart", "no") not in RESTARTS:
            problems.append(self.refusal("Restart=" + self.get("Restart"), ("Service", "Restart"),
                                         "use one of " + ", ".join(RESTARTS)))
        for key in ("StandardOutput", "StandardError"):
            value = self.get(key, "journal")
            if value not in ("journal", "inherit", "null", "syslog", "kmsg", "journal+console") and \
                    not value.startswith(("file:", "append:", "truncate:")):
                problems.append(self.refusal("%s=%s" % (key, value), ("Service", key)))
        if self.get("StandardInput", "null") != "null":
            problems.append(self.refusal("StandardInput=" + self.get("StandardInput"), ("Service", "StandardInput")))
        return problems

    def refusal(self, what, key, hint=""):
        source, line = self.where.get(key, (self.path, 0))
        place = "[%s], line %d" % (key[0], line) if source == self.path else "%s, line %d" % (source, line)
        return "%s uses %s (%s), which this lab box's service manager does not support%s; %s" % (
            self.name, what, place, ": " + hint if hint else "", SEE)

    def errors(self):
        """What makes the unit impossible to start, beyond refused options (systemd's 'bad-setting')."""
        errors = list(self.problems)
        if "Service" not in self.conf and not self.problems:
            errors.append("%s has no [Service] section; a service unit needs one with ExecStart=" % self.name)
        starts = self.all("ExecStart")
        if not starts and self.get("Type", "simple") != "oneshot" and "Service" in self.conf:
            errors.append("Service %s has no ExecStart= setting, which is only allowed for Type=oneshot services. "
                          "Refusing." % self.name)
        elif len(starts) > 1 and self.get("Type", "simple") != "oneshot":
            errors.append("Service %s has more than one ExecStart= setting, which is only allowed for Type=oneshot "
                          "services. Refusing." % self.name)
        return errors


def section_hint(section):
    if section == "Timer":
        return "timers are not run here; use cron (`crontab -e`, or a file in /etc/cron.d/), which the box runs"
    if section in ("Socket", "Path", "Mount", "Automount", "Swap", "Slice", "Scope"):
        return "only .service units run here"
    return ""


def unit_name(name):
    return name if "." in name else name + ".service"


def kind_refusal(name):
    """Why a unit name cannot be managed here (a .timer, a template), or None."""
    name = unit_name(name)
    suffix = name.rsplit(".", 1)[1]
    if suffix == "timer":
        return ("%s is a timer unit, which this lab box's service manager does not run; use cron (`crontab -e`, or a "
                "file in /etc/cron.d/), which the box runs; %s" % (name, SEE))
    if suffix != "service":
        return "%s is a .%s unit; only .service units run in this lab box; %s" % (name, suffix, SEE)
    if "@" in name:
        return "%s is a template unit (name@.service), which this lab box's service manager does not support; %s" % (name, SEE)
    return None


def locate(name):
    """(fragment path, sorted drop-in paths) of a unit, following an alias link to its real name's file."""
    name = canonical(name)
    path = next((os.path.join(d, name) for d in UNIT_DIRS if os.path.isfile(os.path.join(d, name))), None)
    dropins = {}
    for d in reversed(UNIT_DIRS):  # a drop-in of the same name in an earlier folder wins
        folder = os.path.join(d, name + ".d")
        if os.path.isdir(folder):
            dropins.update({n: os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".conf")})
    return path, [dropins[n] for n in sorted(dropins)]


def canonical(name):
    """A unit's real name: an alias (a symlink in /etc/systemd/system to a unit of another name) resolved."""
    name = unit_name(name)
    for d in UNIT_DIRS:
        link = os.path.join(d, name)
        if os.path.islink(link):
            target = os.path.basename(os.path.realpath(link))
            if target != name and target.endswith(".service") and os.path.isfile(link):
                return target
            return name
        if os.path.isfile(link):
            return name
    return name


def load(name):
    """The UnitFile of a unit, or None when no file of that name exists."""
    name = canonical(name)
    path, dropins = locate(name)
    return UnitFile(name, path, dropins) if path else None


def stamp(path, dropins):
    out = []
    for p in [path, *dropins]:
        try:
            st = os.stat(p)
            out.append((p, st.st_mtime_ns, st.st_size))
        except (OSError, TypeError):
            out.append((p, None, None))
    return out


def all_units(folders=UNIT_DIRS):
    names = set()
    for folder in folders:
        if os.path.isdir(folder):
            names.update(n for n in os.listdir(folder)
                         if n.endswith(".service") and "@" not in n and os.path.isfile(os.path.join(folder, n)))
    return sorted(names)


def wants_links(name):
    """Every enablement link of a unit: TARGET.wants/NAME and TARGET.requires/NAME in /etc/systemd/system."""
    links = []
    if os.path.isdir(ETC):
        for folder in os.listdir(ETC):
            if folder.endswith((".wants", ".requires")):
                link = os.path.join(ETC, folder, name)
                if os.path.lexists(link):
                    links.append(link)
    return links


def enablement(name):
    """systemctl is-enabled's answer: enabled, disabled, static (no [Install]), alias, or None (no such unit)."""
    unit = load(name)
    if unit is None:
        return None
    if unit_name(name) != unit.name:
        return "alias"
    if wants_links(unit.name):
        return "enabled"
    if not any(unit.all(k, "Install") for k in ("WantedBy", "RequiredBy", "Alias", "Also")):
        return "static"
    return "disabled"


def boot_units():
    """The enabled units to start at boot: linked in a boot target's .wants or .requires folder."""
    names = set()
    for target in BOOT_TARGETS:
        for kind in (".wants", ".requires"):
            folder = os.path.join(ETC, target + kind)
            if os.path.isdir(folder):
                names.update(canonical(n) for n in os.listdir(folder) if n.endswith(".service"))
    return sorted(names)


def boot_order(names, loaded):
    """names sorted so that a unit comes after those it is After= (or that are Before= it), then by name."""
    after = {n: set() for n in names}
    for n in names:
        unit = loaded.get(n)
        if unit is None:
            continue
        for word in " ".join(unit.all("After", "Unit")).split():
            if word in after:
                after[n].add(word)
        for word in " ".join(unit.all("Before", "Unit")).split():
            if word in after:
                after[word].add(n)
    done, order = set(), []
    while len(order) < len(names):
        ready = [n for n in sorted(names) if n not in done and after[n] <= done]
        if not ready:  # a cycle: systemd breaks it too; start the rest by name
            ready = [n for n in sorted(names) if n not in done][:1]
        order.append(ready[0])
        done.add(ready[0])
    return order


def condition_failure(unit):
    """The first unmet Condition*= as 'ConditionX=value', or None."""
    tests = {
        "ConditionPathExists": os.path.exists,
        "ConditionPathIsDirectory": os.path.isdir,
        "ConditionFileIsExecutable": lambda p: os.path.isfile(p) and os.access(p, os.X_OK),
        "ConditionFileNotEmpty": lambda p: os.path.isfile(p) and os.path.getsize(p) > 0,
        "ConditionDirectoryNotEmpty": lambda p: os.path.isdir(p) and bool(os.listdir(p)),
    }
    for key, test in tests.items():
        for value in unit.all(key, "Unit"):
            negate = value.startswith("!")
            path = value.lstrip("!|")
            if test(path) == negate:
                return "%s=%s" % (key, value)
    return None


def specifiers(unit, text):
    """systemd's %-specifiers in text."""
    user = unit.get("User", "root")
    values = {"n": unit.name, "N": unit.name[:-8], "p": unit.name[:-8], "P": unit.name[:-8], "i": "", "I": "",
              "u": user, "t": "/run", "S": "/var/lib", "C": "/var/cache", "L": "/var/log", "E": "/etc",
              "H": socket.gethostname(), "%": "%"}
    if "%h" in text or "%U" in text:
        import pwd
        try:
            entry = pwd.getpwnam(user)
            values.update(h=entry.pw_dir, U=str(entry.pw_uid))
        except KeyError:
            pass
    out, i = [], 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text) and text[i + 1] in values:
            out.append(values[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def render_options():
    """The reference text installed in the box as services.txt (tests check the copy matches)."""
    lines = ["labctl box services: the unit options its service manager knows", "",
             "Unit files are read from, in this order (the first wins): " + ", ".join(UNIT_DIRS) + ".",
             "Drop-ins: /etc/systemd/system/NAME.service.d/*.conf. Only .service units run here.", ""]
    for kind, title in (("yes", "Supported (honoured)"), ("no-effect", "Accepted, without effect in this box")):
        lines.append(title + ":")
        for section, options in OPTIONS.items():
            for key, (cls, note) in options.items():
                if cls == kind:
                    lines.append("  [%s] %s=%s" % (section, key, "  " + note if note else ""))
        lines.append("")
    lines += ["Anything else is refused: systemctl start, enable, status and daemon-reload name the option and its line.",
              "Timers ([Timer], .timer units): use cron (crontab -e, /etc/cron.d/), which the box runs.", ""]
    return "\n".join(lines)


def render_markdown():
    """The option table of docs/box-services.md (tests check the docs carry exactly this)."""
    rows = ["| Section | Option | Here | Notes |", "|---|---|---|---|"]
    for section, options in OPTIONS.items():
        for key, (cls, note) in options.items():
            rows.append("| [%s] | `%s=` | %s | %s |" % (section, key, "supported" if cls == "yes" else "no effect",
                                                     note.replace("|", "\\|")))
    return "\n".join(rows) + "\n"


def matches(pattern, name):
    return fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name, unit_name(pattern))


if __name__ == "__main__":
    import sys
    print(render_markdown() if sys.argv[1:] == ["--markdown"] else render_options(), end="")
