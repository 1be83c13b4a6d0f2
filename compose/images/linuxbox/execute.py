"""How a unit's commands run: their environment, argv, user and groups, directory and output, as systemd would."""
import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import time

import journal
from units import PATH, specifiers

# systemd's exit statuses for a command that could not be started (systemd.exec(5), "Process Exit Codes").
CHDIR, EXEC, USER, GROUP, NAMESPACE = (200, "CHDIR"), (203, "EXEC"), (217, "USER"), (216, "GROUP"), (226, "NAMESPACE")
STATUS_NAMES = {0: "SUCCESS", 1: "FAILURE", 2: "INVALIDARGUMENT", 3: "NOTIMPLEMENTED", 4: "NOPERMISSION",
                5: "NOTINSTALLED", 6: "NOTCONFIGURED", 7: "NOTRUNNING", 200: "CHDIR", 203: "EXEC", 216: "GROUP",
                217: "USER"}


class SpawnError(Exception):
    """A command that could not start: (log message, (status, name))."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def read_environment_file(path):
    values = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";")) and "=" in line:
                k, v = line.split("=", 1)
                v = v.strip()
                if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                    v = v[1:-1]
                values[k.strip().removeprefix("export ").strip()] = v
    return values


def environment(unit):
    """The environment of a unit's commands; raises SpawnError when a non-optional EnvironmentFile= is missing."""
    env = {"PATH": PATH, "LANG": "C.UTF-8", "INVOCATION_ID": os.urandom(16).hex()}
    user = unit.get("User")
    if user:
        entry = credentials(unit)[0]
        env.update(HOME=entry.pw_dir, USER=entry.pw_name, LOGNAME=entry.pw_name, SHELL=entry.pw_shell)
    for spec in unit.all("Environment"):
        for item in shlex.split(specifiers(unit, spec)):
            if "=" in item:
                k, v = item.split("=", 1)
                env[k] = v
    for spec in unit.all("EnvironmentFile"):
        optional, path = spec.startswith("-"), specifiers(unit, spec.lstrip("-"))
        try:
            env.update(read_environment_file(path))
        except OSError as exc:
            if not optional:
                raise SpawnError("Failed to load environment files: %s (EnvironmentFile=%s)" % (exc.strerror, path),
                                 (None, "resources"))
    return env


def credentials(unit):
    """(passwd entry, gid, supplementary gids) for User=/Group=/SupplementaryGroups=; raises SpawnError."""
    name = unit.get("User") or "root"
    try:
        entry = pwd.getpwnam(name) if not name.isdigit() else pwd.getpwuid(int(name))
    except KeyError:
        raise SpawnError("Failed to determine user credentials: No such process (User=%s does not exist; make it "
                         "with `useradd --system %s`)" % (name, name), USER)
    gid = entry.pw_gid
    group = unit.get("Group")
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid if not group.isdigit() else int(group)
        except KeyError:
            raise SpawnError("Failed to determine group credentials: No such process (Group=%s does not exist; make "
                             "it with `groupadd %s`)" % (group, group), GROUP)
    extra = os.getgrouplist(entry.pw_name, gid)
    for word in " ".join(unit.all("SupplementaryGroups")).split():
        try:
            extra.append(grp.getgrnam(word).gr_gid)
        except KeyError:
            raise SpawnError("Failed to determine supplementary groups: No such process (%s)" % word, GROUP)
    return entry, gid, sorted(set(extra))


def command(unit, line, env, main_pid=None):
    """(argv, flags) of an Exec line: prefixes '-@+!:' read, specifiers and $VAR/${VAR} expanded (a lone $VAR splits
    on whitespace, $$ is a $, as in systemd). flags: the set of prefix characters."""
    flags = set()
    while line and line[0] in "-@+!:":
        flags.add(line[0])
        line = line[1:]
    line = specifiers(unit, line.strip())
    values = dict(env)
    if main_pid:
        values["MAINPID"] = str(main_pid)
    words = []
    for word in shlex.split(line):
        if ":" not in flags:
            lone = re.fullmatch(r"\$(\w+)", word)
            if lone:
                words += values.get(lone.group(1), "").split()
                continue
            word = re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", lambda m: "$" if m.group(0) == "$$" else
                          values.get(m.group(1) or m.group(2), ""), word)
        words.append(word)
    return words, flags


def spawn(unit, line, env, main_pid=None, output=True):
    """Start one Exec line's process in a session of its own; its output goes to the unit's log (or where
    StandardOutput=/StandardError= say). Returns (Popen, argv). Raises SpawnError as systemd would fail."""
    words, flags = command(unit, line, env, main_pid)
    if not words:
        raise SpawnError("Invalid empty command line", EXEC)
    privileged = "+" in flags
    entry, gid, groups = credentials(unit) if not privileged else (pwd.getpwuid(0), 0, [0])
    program = words[0] if "/" in words[0] else (shutil.which(words[0], path=PATH) or words[0])
    if "@" in flags:
        words = words[1:]
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        raise SpawnError("Failed to locate executable %s: No such file or directory" % program
                         if not os.path.exists(program) else "Failed to execute %s: Permission denied" % program, EXEC)
    cwd = unit.get("WorkingDirectory")
    if cwd:
        optional, cwd = cwd.startswith("-"), cwd.lstrip("-")
        cwd = entry.pw_dir if cwd == "~" else specifiers(unit, cwd)
        if not os.path.isdir(cwd):
            if not optional:
                raise SpawnError("Changing to the requested working directory failed: No such file or directory "
                                 "(WorkingDirectory=%s)" % cwd, CHDIR)
            cwd = None
    stdout, stderr, pipe = streams(unit)
    umask = int(unit.get("UMask", "0022"), 8)
    spawned = time.monotonic()
    try:
        proc = subprocess.Popen([program, *words[1:]] if "@" not in flags else words, executable=program, env=env,
                                cwd=cwd or "/", stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True, user=entry.pw_uid, group=gid, extra_groups=groups,
                                umask=umask, close_fds=True)
    except OSError as exc:
        raise SpawnError("Failed to execute %s: %s" % (program, exc.strerror), EXEC)
    else:
        # reaper.py waits for every child; Popen must never wait (or poll) for this one itself.
        proc.returncode, proc.spawned = 0, spawned
    finally:
        for f in (stdout, stderr):
            if isinstance(f, int) and f > 2:
                os.close(f)
            elif hasattr(f, "close"):
                f.close()
    if pipe is not None:
        ident = unit.get("SyslogIdentifier") or os.path.basename(program)
        journal.pump(unit.name, ident, proc.pid, pipe)
    return proc, [program, *words[1:]]


def streams(unit):
    """(stdout, stderr, read end of the journal pipe or None) for a new process."""
    read = write = None

    def open_for(value):
        nonlocal read, write
        if value in ("journal", "syslog", "kmsg", "journal+console", "inherit"):
            if write is None:
                read, write = os.pipe()
            return os.dup(write)
        if value == "null":
            return subprocess.DEVNULL
        mode, path = value.split(":", 1)
        os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | {"file": 0, "append": os.O_APPEND, "truncate": os.O_TRUNC}[mode]
        return os.open(path, flags, 0o644)

    out_spec = unit.get("StandardOutput", "journal")
    err_spec = unit.get("StandardError", "inherit")
    stdout = open_for(out_spec)
    stderr = subprocess.STDOUT if err_spec == "inherit" else open_for(err_spec)
    if write is not None:
        os.close(write)
    return stdout, stderr, read


def describe_exit(returncode):
    """('exited'|'killed', status text) of a Popen returncode, as systemd prints it: status=1/FAILURE, status=9/KILL."""
    import signal
    if returncode is None:
        return "exited", "0/SUCCESS"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name[3:]
        except ValueError:
            name = str(-returncode)
        return "killed", "%d/%s" % (-returncode, name)
    name = STATUS_NAMES.get(returncode)
    return "exited", "%d/%s" % (returncode, name) if name else str(returncode)
