"""What a running check may use: the lab's services (by endpoint), the learner's workspace, connections."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from labctl.check_engine.programs import ProgramRunner
from labctl.core.access import PathFacts, ServiceAccess
from labctl.core.errors import CheckError

if TYPE_CHECKING:
    from labctl.core.host_apps import StartedAppControl
    from labctl.core.launcher import Launcher


@dataclass
class CheckContext:
    lab_path: Path
    services: Mapping[str, ServiceAccess]
    workspace: Path | None
    timeout: float = 10.0
    # exec(service, argv, user) -> (exit_code, output): runs a command inside a service's container.
    exec: Callable[[str, list[str], str | None], tuple[int, str]] | None = None
    # The instance's settings with a value (`labctl config`), and the environment the learner's shell gets.
    settings: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    # How the learner's program runs: None on the host, in the workspace (check_engine/programs.py).
    program_runner: "ProgramRunner | None" = None
    # The learner's app processes when the lab declares some (core/launcher.py): a check can start, stop,
    # kill, restart and count them (launch mode), or tell the learner that labctl could run them. When labctl
    # started the app itself (grading, in its sandbox or not), only a restart (core/host_apps.py).
    launcher: "Launcher | StartedAppControl | None" = None
    # A service seen from outside, where nothing inside it can change the answer (runtime/base.py: observe,
    # read_path): observe(service, argv) -> (exit_code, output), read_path(service, path, max_bytes).
    observe: Callable[[str, list[str]], tuple[int, str]] | None = None
    read_path: Callable[[str, str, int], PathFacts | None] | None = None
    # restart(service) -> seconds: the service's container restarted like a reboot, back when it answers again.
    restart: Callable[[str], float] | None = None
    # Facts a check learns that spare the next checks of this run work (e.g. "this program hangs").
    memo: dict[Any, Any] = field(default_factory=dict)
    _connections: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # A connection is used by one thread at a time. A retired connection (its check timed out)
    # is closed by the thread that last used it, once that thread is done with it: closing it
    # from another thread while libpq is still inside a call crashes the process.
    _last_user: dict[int, int] = field(default_factory=dict, repr=False)
    _retired: list[Any] = field(default_factory=list, repr=False)

    def service(self, name: str) -> ServiceAccess:
        try:
            return self.services[name]
        except KeyError:
            raise CheckError(f"the lab has no running service called {name!r}") from None

    def setting(self, name: str) -> str | None:
        return self.settings.get(name)

    def reboot(self, name: str) -> float:
        """Restart a service like a reboot and wait until it answers again; its cached client is dropped (the
        old connection died with it). Seconds it took. Raises CheckError when the runtime cannot."""
        self.service(name)
        if self.restart is None:
            raise CheckError("this check restarts a service, and the container runtime cannot")
        seconds = self.restart(name)
        with self._lock:
            conn = self._connections.pop(name, None)
            if conn is not None:
                self._last_user.pop(id(conn), None)
        if conn is not None:
            _quiet_close(conn)
        return seconds

    def workspace_file(self, relative: str) -> Path:
        if self.workspace is None:
            raise CheckError("this lab instance has no workspace folder")
        return self.workspace / relative

    def connection(self, name: str, opener: Callable[[ServiceAccess], Any]) -> Any:
        """A client for the service, opened once per check run by opener(access) and cached.

        Clients with a close() are closed at the end; if a check times out its client is retired
        (cancelled when it has cancel_safe()) and closed by the thread that last used it.
        """
        with self._lock:
            conn = self._connections.get(name)
            # `is not True`: some clients (pymongo) answer any attribute name with an object.
            if conn is not None and getattr(conn, "closed", False) is not True:
                self._last_user[id(conn)] = threading.get_ident()
                return conn
        conn = opener(self.service(name))
        with self._lock:
            self._connections[name] = conn
            self._last_user[id(conn)] = threading.get_ident()
        return conn

    def discard(self, name: str | None) -> None:
        """Retire a connection whose check timed out: cancel its query, and leave the closing to its user."""
        with self._lock:
            conn = self._connections.pop(name, None) if name else None
            if conn is None:
                return
            self._retired.append(conn)
        # PQcancel is made to be called from another thread; it cannot block us for long.
        threading.Thread(target=_quiet_cancel, args=(conn,), daemon=True).start()

    def release(self) -> None:
        """Called by a check's thread when it ends: close the retired connections it was last to use."""
        me = threading.get_ident()
        with self._lock:
            mine = [c for c in self._retired if self._last_user.get(id(c)) == me]
            self._retired = [c for c in self._retired if self._last_user.get(id(c)) != me]
            for conn in mine:
                self._last_user.pop(id(conn), None)
        for conn in mine:
            _quiet_close(conn)

    def close(self) -> None:
        """Close the live connections (retired ones are closed by the threads still using them)."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            for conn in connections:
                self._last_user.pop(id(conn), None)
        for conn in connections:
            _quiet_close(conn)


def _quiet_cancel(conn: Any) -> None:
    cancel = getattr(conn, "cancel_safe", None)
    if cancel is None:
        return
    try:
        cancel(timeout=5)
    except Exception:
        pass


def _quiet_close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:
        pass
