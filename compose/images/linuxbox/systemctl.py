#!/usr/bin/python3
"""`systemctl` and `journalctl` for the lab box: systemctl asks labctl's service manager (svcd.py) over its socket;
journalctl reads the units' logs itself."""
import json
import os
import socket
import sys

sys.path.insert(0, "/usr/local/lib/labctl")
from options import DOC  # noqa: E402
from units import SOCKET  # noqa: E402

HELP = ("systemctl [OPTIONS...] COMMAND [UNIT...]  (this lab box's systemctl: labctl's service manager, no systemd)\n\n"
        "  start stop restart try-restart reload reload-or-restart kill  UNIT...\n"
        "  enable [--now] disable [--now] reenable is-enabled  UNIT...\n"
        "  status [UNIT...]  show [UNIT...] [-p PROP,...] [--value]  cat UNIT...  is-active is-failed UNIT...\n"
        "  list-units [--all] [--failed] [--state=S]  list-unit-files  daemon-reload  reset-failed [UNIT...]\n"
        "  is-system-running\n\nUnit options this box supports, accepts without effect, and refuses: %s\n" % DOC)


def cat(names):
    """systemctl cat, read here with the caller's own permissions (a unit file only root may read stays so)."""
    from units import kind_refusal, load
    code = 0
    for name in names:
        unit = None if kind_refusal(name) else load(name)
        if unit is None:
            sys.stderr.write("No files found for %s.\n" % name)
            code = 1
            continue
        for path in [unit.path, *unit.dropins]:
            try:
                with open(path, errors="replace") as f:
                    sys.stdout.write("# %s\n%s\n" % (path, f.read().rstrip("\n")))
            except OSError as exc:
                sys.stderr.write("Failed to read %s: %s (try sudo systemctl cat %s)\n" % (path, exc.strerror, name))
                code = 1
    return code


def systemctl(args):
    words = [a for a in args if not a.startswith("-")]
    if words[:1] == ["cat"] and len(words) > 1 and all(a in ("--no-pager", "-l", "--full") for a in args
                                                        if a.startswith("-")):
        return cat(words[1:])
    if any(a in ("-h", "--help") for a in args) or args[:1] == ["help"]:
        sys.stdout.write(HELP)
        return 0
    if "--version" in args:
        sys.stdout.write("labctl box systemctl (a systemd-compatible subset; see %s)\n" % DOC)
        return 0
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(180)
    try:
        client.connect(SOCKET)
        client.sendall(json.dumps({"args": args}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        reply = json.loads(data)
    except (OSError, ValueError) as exc:
        sys.stderr.write("System has not been booted with labctl's service manager, or it is not answering (%s).\n" % exc)
        return 1
    sys.stdout.write(reply.get("out", ""))
    sys.stdout.flush()
    sys.stderr.write(reply.get("err", ""))
    return reply["code"]


if __name__ == "__main__":
    try:
        if os.path.basename(sys.argv[0]) == "journalctl":
            from journal import journalctl
            sys.exit(journalctl(sys.argv[1:]))
        sys.exit(systemctl(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
