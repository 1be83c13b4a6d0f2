"""The one place that waits for child processes. The service manager is a child subreaper (as systemd is), so the
daemons a Type=forking unit leaves behind become its children too: their exit status is known when they die."""
import ctypes
import os
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
_lock = threading.Lock()
_callbacks = {}  # pid -> function(code) for a process someone waits for
_codes = {}  # pid -> exit code of a process that ended before anyone asked (the last 1000 kept)
_known = set()  # every pid a callback was registered for (not orphans to guess)


def become_subreaper():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def start():
    become_subreaper()
    threading.Thread(target=_reap, daemon=True, name="reaper").start()


def _reap():
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.05)
            continue
        except InterruptedError:
            continue
        code = os.waitstatus_to_exitcode(status)
        with _lock:
            callback = _callbacks.pop(pid, None)
            if callback is None:
                _codes[pid] = (code, time.monotonic())
                if len(_codes) > 1000:
                    del _codes[next(iter(_codes))]
        if callback is not None:
            # Run it in a thread of its own: it may take a unit's lock, held by a stop that waits for the reaper.
            threading.Thread(target=callback, args=(code,), daemon=True).start()


def on_exit(pid, callback, since):
    """Call callback(exit code: negative for a signal) when pid ends, or at once if it ended after since (the
    monotonic time just before it was started: an older end is another process's that had the same pid)."""
    with _lock:
        if len(_known) > 10000:
            _known.clear()  # only recent ones matter (a Type=forking daemon's guess)
        _known.add(pid)
        code, ended = _codes.pop(pid, (None, 0.0))
        if code is None or ended < since:
            _callbacks[pid] = callback
            return
    threading.Thread(target=callback, args=(code,), daemon=True).start()


def wait(pid, timeout, since):
    """The exit code of pid (started at monotonic time since), waiting up to timeout seconds; None if it still runs."""
    done, box = threading.Event(), []
    on_exit(pid, lambda code: (box.append(code), done.set()), since)
    if done.wait(timeout):
        return box[0]
    with _lock:
        _callbacks.pop(pid, None)
    return None


def children():
    """The pids whose parent is this process."""
    me, out = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def is_child(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, IndexError, ValueError):
        return True  # gone already: the reaper has (or will have) its status


def known():
    with _lock:
        return set(_known)
