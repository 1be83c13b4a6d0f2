"""The service manager's life: at each start (a boot of the box) a new boot id, the enabled units started in
After= order, then the /run/labctl/booted marker; then it answers systemctl until SIGTERM stops every unit."""
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

import reaper
from units import RUN, SOCKET, LOGS, boot_order, boot_units, load
from verbs import answer_request

BOOT_ID = os.path.join(RUN, "boot-id")
BOOTED = os.path.join(RUN, "booted")


def pid1_start():
    """The start time of PID 1 (field 22 of /proc/1/stat, in clock ticks since the host booted): new at every start
    of the container, so a boot id left in the kept /run by the previous boot can be told from this boot's."""
    with open("/proc/1/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def new_boot_id():
    """Write /run/labctl/boot-id: 'ID START-EPOCH' where ID is 'PID1START-RANDOM' (/run is kept with the container's
    file system across a restart, so the file alone proves nothing: its ID must start with this boot's PID 1 start)."""
    os.makedirs(RUN, exist_ok=True)
    for stale in (BOOTED, SOCKET):
        if os.path.lexists(stale):
            os.unlink(stale)
    line = "%s-%s %.3f\n" % (pid1_start(), os.urandom(8).hex(), time.time())
    with open(BOOT_ID + ".tmp", "w") as f:
        f.write(line)
    os.replace(BOOT_ID + ".tmp", BOOT_ID)
    return line


def boot(supervisor, boot_id):
    """Start the enabled units, each after the enabled units it is After=, then write the booted marker: the same
    line as boot-id (linux.reboot waits until the two files are equal and differ from the boot-id before)."""
    names = boot_units()
    files = {n: load(n) for n in names}
    for name in boot_order(names, files):
        code, err = supervisor.start(name, restart=True)
        sys.stdout.write("%s %s\n%s" % ("Started" if code == 0 else "FAILED to start", name, err))
        sys.stdout.flush()
    supervisor.booted = True
    with open(BOOTED + ".tmp", "w") as f:
        f.write(boot_id)
    os.replace(BOOTED + ".tmp", BOOTED)


def serve(supervisor):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(SOCKET)
    os.chmod(SOCKET, 0o666)  # anyone may ask; only root may change things (checked by peer credentials)
    server.listen(32)
    return server


def answer(supervisor, conn):
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
            code, out, err = answer_request(supervisor, json.loads(data), uid)
        except Exception as exc:  # answer something rather than leave the client hanging
            code, out, err = 1, "", "systemctl: internal error of the box's service manager: %r\n" % (exc,)
        conn.sendall(json.dumps({"code": code, "out": out, "err": err}).encode() + b"\n")
    except OSError:
        pass
    finally:
        conn.close()


def shutdown(supervisor):
    active = [n for n, s in supervisor.services.items() if s.state in ("active", "activating", "reloading")]
    threads = [threading.Thread(target=supervisor.stop, args=(n,), daemon=True) for n in active]
    for t in threads:
        t.start()
    deadline = time.time() + 8
    for t in threads:
        t.join(max(0.1, deadline - time.time()))
    os._exit(0)


def main(supervisor):
    os.makedirs(LOGS, exist_ok=True)
    reaper.start()
    boot_id = new_boot_id()
    server = serve(supervisor)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=shutdown, args=(supervisor,)).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=shutdown, args=(supervisor,)).start())
    # systemctl answers while the enabled units start (status shows them activating), as systemd does.
    threading.Thread(target=boot, args=(supervisor, boot_id), daemon=True).start()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=answer, args=(supervisor, conn), daemon=True).start()
