"""Unit files for labctl's service manager: where they live, how they read (options.py: which options it knows),
which are enabled, in which order they start at boot."""
import fnmatch
import os
import socket

from options import OPTIONS, RESTARTS, SEE, TYPES, UNIT_DIRS

# UNIT_DIRS (options.py) are searched in order; the first file found wins, as in systemd (/etc before packages').
# The learner's and labctl's own units: daemon-reload reports the refused ones among these.
LOCAL_DIRS = UNIT_DIRS[:2]
ETC = "/etc/systemd/system"
BOOT_TARGETS = ("multi-user.target", "default.target", "graphical.target")  # whose .wants start at boot
LOGS = "/var/log/labctl"
RUN = "/run/labctl"
SOCKET = RUN + "/svcd.sock"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHANGED = ("Warning: The unit file, source configuration file or drop-ins of %s changed on disk. Run 'systemctl "
           "daemon-reload' to reload units.\n")


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
    return alias_of(name) or name


def alias_of(name):
    """The enabled unit that names name in its [Install] Alias= (what enabling it links), or None."""
    for target in BOOT_TARGETS:
        for kind in (".wants", ".requires"):
            folder = os.path.join(ETC, target + kind)
            for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                path = next((os.path.join(d, entry) for d in UNIT_DIRS if os.path.isfile(os.path.join(d, entry))), None)
                if path and entry != name and name in " ".join(UnitFile(entry, path).all("Alias", "Install")).split():
                    return entry
    return None


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
    for value in unit.all("ConditionVirtualization", "Unit"):
        negate, kind = value.startswith("!"), value.lstrip("!")
        if (kind in ("yes", "1", "true", "container", "docker")) == negate:
            return "ConditionVirtualization=" + value
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


def matches(pattern, name):
    return fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name, unit_name(pattern))
