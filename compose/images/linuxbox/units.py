"""Unit files for labctl's service manager: where they live, how they read, which are enabled."""
import os
import pwd
import re
import shlex
import shutil

UNIT_DIRS = ("/etc/systemd/system", "/etc/labctl/services")  # the first one found wins, as in systemd
WANTS = "/etc/systemd/system/multi-user.target.wants"
LOGS = "/var/log/labctl"
SOCKET = "/run/labctl/svcd.sock"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unit_name(name):
    return name if "." in name else name + ".service"


def find_unit(name):
    for folder in UNIT_DIRS:
        path = os.path.join(folder, unit_name(name))
        if os.path.isfile(path):
            return path
    return None


def parse_unit(path):
    """{section: {key: [values]}} with systemd's continuation lines and repeated keys."""
    sections, current, pending = {}, None, ""
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = pending + raw.strip()
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
            elif "=" in line and current is not None:
                key, value = line.split("=", 1)
                values = current.setdefault(key.strip(), [])
                if value.strip() == "":
                    values.clear()  # an empty assignment resets the list, as in systemd
                else:
                    values.append(value.strip())
    return sections


def all_units():
    names = set()
    for folder in UNIT_DIRS:
        if os.path.isdir(folder):
            names.update(n for n in os.listdir(folder) if n.endswith(".service") and os.path.isfile(os.path.join(folder, n)))
    return sorted(names)


def is_enabled(name):
    return os.path.lexists(os.path.join(WANTS, unit_name(name)))


def tail(unit, count):
    try:
        with open(os.path.join(LOGS, unit_name(unit)[:-8] + ".log"), errors="replace") as f:
            return [line.rstrip("\n") for line in f.readlines()[-count:]]
    except OSError:
        return []


def unit_environment(unit):
    """The environment a unit's commands run with: Environment=, EnvironmentFile=, and its User='s home."""
    env = {"PATH": PATH, "LANG": "C.UTF-8"}
    for spec in unit.all("EnvironmentFile"):
        optional, path = spec.startswith("-"), spec.lstrip("-")
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        k, v = line.split("=", 1)
                        env[k.strip()] = v.strip().strip('"\'')
        except OSError:
            if not optional:
                raise RuntimeError("cannot read EnvironmentFile " + path)
    for spec in unit.all("Environment"):
        for item in shlex.split(spec):
            if "=" in item:
                k, v = item.split("=", 1)
                env[k] = v
    user = unit.get("User")
    if user:
        entry = pwd.getpwnam(user)
        env.update(HOME=entry.pw_dir, USER=user, LOGNAME=user, SHELL=entry.pw_shell)
    else:
        env.update(HOME="/root", USER="root", LOGNAME="root")
    return env

def unit_argv(unit, line, env):
    """(argv, ignore_failure) of an Exec line: its -@+!: prefixes, $VAR / ${VAR} expanded, the program found on PATH."""
    ignore = False
    while line and line[0] in "-@+!:":
        ignore = ignore or line[0] == "-"
        line = line[1:]
    values = dict(env, MAINPID=str(unit.main_pid or ""))
    words = [re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), w)
             for w in shlex.split(line)]
    if words and not words[0].startswith("/"):
        words[0] = shutil.which(words[0], path=PATH) or words[0]
    return words, ignore
