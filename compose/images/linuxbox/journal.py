"""The box's journal: one log file per unit in /var/log/labctl, and `journalctl` to read them like journald's output.

A stored line is "ISO-TIME HOST IDENT[PID]: MESSAGE"; journalctl shows it as "Dec 01 06:10:00 HOST IDENT[PID]: MESSAGE"."""
import datetime
import glob
import os
import re
import socket
import sys
import threading
import time

from units import LOGS, RUN, canonical

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d{4}) (.*?: )(.*)$")
_lock = threading.Lock()


def log_path(unit):
    """The log file of a unit (of the unit an alias names: journalctl -u sshd shows ssh's)."""
    return os.path.join(LOGS, canonical(unit)[:-8] + ".log")


def stamp():
    return datetime.datetime.now(datetime.timezone.utc).astimezone().strftime("%Y-%m-%dT%H:%M:%S.%f%z")


MAX_BYTES = 8 << 20  # a unit's log is cut to its newer half beyond this (journald rotates and vacuums too)


def write(unit, ident, pid, message):
    """Append one line to a unit's log, as IDENT[PID] (systemd[1] for the service manager's own lines)."""
    line = "%s %s %s[%s]: %s\n" % (stamp(), socket.gethostname(), ident, pid, message.rstrip("\n"))
    path = log_path(unit)
    with _lock:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
            size = f.tell()
        if size > MAX_BYTES:
            with open(path, "rb") as f:
                f.seek(size // 2)
                rest = f.read().split(b"\n", 1)[-1]
            with open(path + ".tmp", "wb") as f:
                f.write(rest)
            os.replace(path + ".tmp", path)


def system(unit, message):
    write(unit, "systemd", 1, message)


def pump(unit, ident, pid, fd):
    """Read a process's stdout/stderr pipe in a thread and log each line under its identifier and PID."""
    def run():
        with os.fdopen(fd, "rb") as stream:
            for raw in stream:
                write(unit, ident, pid, raw.decode("utf-8", "replace"))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def tail(unit, count):
    """The last count lines of a unit's log, as journalctl shows them."""
    return [show(e) for e in entries([unit])[-count:]] if count else []


# ---- reading ----------------------------------------------------------------------------------------

def parse(line):
    """(datetime, prefix 'HOST IDENT[PID]: ', message) of a stored line, or None (a line of an older format)."""
    m = LINE.match(line.rstrip("\n"))
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z"), m.group(2), m.group(3)


def entries(units):
    """[(time, prefix, message)] of some units (all when units is empty), oldest first."""
    paths = [log_path(u) for u in units] if units else sorted(glob.glob(os.path.join(LOGS, "*.log")))
    out = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                out += [e for e in map(parse, f) if e]
        except OSError:
            pass
    out.sort(key=lambda e: e[0])
    return out


def show(entry, output="short"):
    when, prefix, message = entry
    if output == "cat":
        return message
    if output == "short-iso":
        return when.strftime("%Y-%m-%dT%H:%M:%S%z ") + prefix + message
    return when.astimezone().strftime("%b %d %H:%M:%S ") + prefix + message


def boot_time():
    """When the service manager last started (this boot), from the boot id it writes."""
    try:
        with open(os.path.join(RUN, "boot-id")) as f:
            return datetime.datetime.fromtimestamp(float(f.read().split()[1]), datetime.timezone.utc)
    except (OSError, IndexError, ValueError):
        return None


def parse_time(text):
    """journalctl's --since/--until forms: today, yesterday, now, -10min, '1 hour ago', 'YYYY-MM-DD [HH:MM[:SS]]', HH:MM[:SS]."""
    now = datetime.datetime.now().astimezone()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    text = text.strip()
    if text in ("today", "now", "yesterday", "tomorrow"):
        return {"today": midnight, "now": now, "yesterday": midnight - datetime.timedelta(days=1),
                "tomorrow": midnight + datetime.timedelta(days=1)}[text]
    m = re.fullmatch(r"([-+]?)\s*(\d+)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days)(\s+ago)?", text)
    if m:
        seconds = int(m.group(2)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(3)[0] if m.group(3) not in (
            "min", "minute", "minutes") else "m"]
        sign = 1 if m.group(1) == "+" and not m.group(4) else -1
        return now + datetime.timedelta(seconds=sign * seconds)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).astimezone()
        except ValueError:
            pass
    for fmt in ("%H:%M:%S", "%H:%M"):
        try:
            t = datetime.datetime.strptime(text, fmt)
            return midnight.replace(hour=t.hour, minute=t.minute, second=t.second)
        except ValueError:
            pass
    raise ValueError("Failed to parse timestamp: %s (try: today, yesterday, -10min, '1 hour ago', "
                     "'2026-12-01 06:00:00')" % text)


USAGE = ("journalctl in this lab box reads the services' logs: journalctl [-u UNIT]... [-n N] [-f] [-e] [-x] [-b] "
         "[--since TIME] [--until TIME] [-o short|cat|short-iso] [--no-pager] [-q]\n")


def options(args):
    """journalctl's arguments as a dict; raises ValueError with a message for the learner on anything unknown."""
    opts = {"units": [], "count": None, "follow": False, "since": None, "until": None, "output": "short", "boot": False}
    takes = {"-u": "unit", "--unit": "unit", "-n": "lines", "--lines": "lines", "--since": "since", "-S": "since",
             "--until": "until", "-U": "until", "-o": "output", "--output": "output"}
    flags = {"-f": "follow", "--follow": "follow", "-e": "end", "--pager-end": "end", "-b": "boot", "--boot": "boot"}
    quiet = ("-x", "--catalog", "--no-pager", "-q", "--quiet", "-l", "--full", "-a", "--all")
    args = list(args)
    while args:
        a = args.pop(0)
        key, value = a, None
        if a.startswith("--") and "=" in a:
            key, value = a.split("=", 1)
        elif a[:2] in ("-u", "-n", "-o", "-S", "-U") and len(a) > 2 and not a.startswith("--"):
            key, value = a[:2], a[2:]
        elif a.startswith("-") and not a.startswith("--") and len(a) > 2 and all(
                "-" + c in flags or "-" + c in quiet or ("-" + c in takes and i == len(a) - 2) for i, c in enumerate(a[1:])):
            args = ["-" + c for c in a[1:]] + args  # -xeu UNIT, -fu UNIT: the last one may take the next word
            continue
        if key in takes:
            if value is None:
                if not args and key in ("-n", "--lines"):
                    value = "10"
                elif not args:
                    raise ValueError("journalctl: option '%s' requires an argument\n" % key + USAGE)
                else:
                    value = args.pop(0)
            name = takes[key]
            if name == "unit":
                opts["units"].append(value)
            elif name == "lines":
                opts["count"] = None if value == "all" else int(value.lstrip("+")) if value.lstrip("+").isdigit() else None
                if value not in ("all",) and not value.lstrip("+").isdigit():
                    raise ValueError("journalctl: -n takes a number of lines, as in journalctl -n 20\n")
            elif name == "output":
                if value not in ("short", "cat", "short-iso", "short-precise"):
                    raise ValueError("journalctl: -o %s is not available in this lab box; use -o short, cat or "
                                     "short-iso\n" % value)
                opts["output"] = value
            else:
                opts[name] = parse_time(value)
        elif key in flags:
            opts[flags[key]] = True
            if key in ("-b", "--boot") and args and re.fullmatch(r"-?\d+|[0-9a-f]{32}", args[0]):
                if args.pop(0) not in ("0", "-0"):
                    raise ValueError("journalctl: only the current boot (-b or -b 0) is available in this lab box\n")
        elif key in quiet:
            pass
        else:
            raise ValueError("journalctl: option %s is not available in this lab box.\n" % a + USAGE)
    if opts.get("end") and opts["count"] is None:
        opts["count"] = 1000
    if opts["follow"] and opts["count"] is None:
        opts["count"] = 10
    return opts


def journalctl(args, out=sys.stdout):
    try:
        opts = options(args)
    except ValueError as exc:
        sys.stderr.write(str(exc))
        return 1
    units = [canonical(u) for u in opts["units"]]
    since = opts["since"]
    if opts["boot"]:
        booted = boot_time()
        since = max(since, booted) if since and booted else (since or booted)

    def keep(e):
        return (since is None or e[0] >= since) and (opts["until"] is None or e[0] <= opts["until"])

    shown = [e for e in entries(units) if keep(e)]
    if opts["count"] is not None:
        shown = shown[-opts["count"]:] if opts["count"] else []
    if not shown and not opts["follow"]:
        out.write("-- No entries --\n")
    out.write("".join(show(e, opts["output"]) + "\n" for e in shown))
    out.flush()
    if opts["follow"]:
        follow(units, opts["output"], out)
    return 0


def follow(units, output, out):
    """Print the lines appended to the logs from now on (journalctl -f), until interrupted."""
    def paths():
        return [log_path(u) for u in units] if units else glob.glob(os.path.join(LOGS, "*.log"))

    offsets = {p: os.path.getsize(p) for p in paths() if os.path.exists(p)}
    while True:
        for path in paths():
            try:
                with open(path, "rb") as f:
                    start = offsets.get(path, 0)
                    if start > os.fstat(f.fileno()).st_size:
                        start = 0  # the log was cut: read it from its start
                    f.seek(start)
                    data = f.read()
            except OSError:
                continue
            data = data[:data.rfind(b"\n") + 1]  # a line being written is read on the next turn
            offsets[path] = start + len(data)
            for line in data.decode("utf-8", "replace").splitlines():
                e = parse(line)
                if e:
                    out.write(show(e, output) + "\n")
            out.flush()
        time.sleep(0.25)
