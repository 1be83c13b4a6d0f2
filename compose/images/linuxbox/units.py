"""Unit files for labctl's service manager: where they live, how they read, which are enabled."""
import os

UNIT_DIRS = ("/etc/systemd/system", "/etc/labctl/services")  # the first one found wins, as in systemd
WANTS = "/etc/systemd/system/multi-user.target.wants"
LOGS = "/var/log/labctl"
SOCKET = "/run/labctl/svcd.sock"


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
