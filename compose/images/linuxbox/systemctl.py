#!/usr/bin/python3
"""`systemctl` and `journalctl` for the lab box: clients of labctl's service manager (svcd.py)."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, "/usr/local/lib/labctl")
from units import LOGS, SOCKET, tail, unit_name  # noqa: E402


def systemctl(args):
    flags = [a for a in args if a.startswith("-")]
    words = [a for a in args if not a.startswith("-") and a not in ("service",)]
    if "--user" in flags:
        sys.stderr.write("systemctl --user is not available in this lab box; run system services with sudo.\n")
        return 1
    verb, units = (words[0], words[1:]) if words else ("list-units", [])
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(120)
    try:
        client.connect(SOCKET)
        client.sendall(json.dumps({"verb": verb, "units": units, "flags": flags}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        reply = json.loads(data)
    except (OSError, ValueError) as exc:
        sys.stderr.write("System has not been booted with labctl's service manager (%s).\n" % exc)
        return 1
    stream = sys.stdout if reply["code"] == 0 or verb in ("status", "is-active", "is-enabled", "is-failed") else sys.stderr
    stream.write(reply["out"])
    return reply["code"]


def journalctl(args):
    unit, count, follow = None, 50, False
    it = iter(args)
    for a in it:
        if a in ("-u", "--unit"):
            unit = next(it, None)
        elif a.startswith("--unit="):
            unit = a.split("=", 1)[1]
        elif a.startswith("-u") and len(a) > 2:
            unit = a[2:]
        elif a in ("-n", "--lines"):
            count = int(next(it, "50"))
        elif a in ("-f", "--follow"):
            follow = True
    if unit is None:
        sys.stderr.write("In this lab box journalctl shows one service's log: journalctl -u NAME [-n N] [-f]\n")
        return 1
    sys.stdout.write("".join(line + "\n" for line in tail(unit, count)) or "-- No entries --\n")
    sys.stdout.flush()
    path = os.path.join(LOGS, unit_name(unit)[:-8] + ".log")
    if follow and os.path.exists(path):
        with open(path, errors="replace") as f:
            f.seek(0, 2)
            while True:
                line = f.readline()
                if line:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                else:
                    time.sleep(0.3)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(journalctl(sys.argv[1:]) if os.path.basename(sys.argv[0]) == "journalctl" else systemctl(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
