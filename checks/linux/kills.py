"""linux.survives_kill: a kill -9 of the process serving a port, from outside the box, and whether a new process of
the same user serves it again by itself (a service with Restart=on-failure)."""
from __future__ import annotations

import time

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import Listener, accounts, box_processes, listeners, observe


def on_port(ctx: CheckContext, check: Check, port: int) -> list[Listener]:
    return [item for item in listeners(ctx, check) if item.port == port]


# ---- linux.survives_kill ------------------------------------------------------------------------

@register("linux.survives_kill", service_kind="linuxbox")
class LinuxSurvivesKill(Check):
    disruptive = True  # it kills the learner's server: only once the checks before it pass

    port: int = Field(ge=1, le=65535, description="The TCP port the killed server listens on inside the box.")
    within: float = Field(15, gt=0, le=60, description="Seconds a new process has to listen on the port again.")
    unit: str | None = Field(None, pattern=r"^[A-Za-z0-9_.@-]+$", description="The service that should bring it back "
                                                                             "(named in the hints of a failure).")

    def needs_seconds(self) -> float:
        return self.within + 10

    def describe(self) -> str:
        return f"the server on port {self.port} comes back after a kill -9"

    def run(self, ctx: CheckContext) -> Outcome:
        evidence = f"kill -9 of the process holding port {self.port}, from outside the box"
        before = on_port(ctx, self, self.port)
        if not before:
            return failed(f"nothing listens on port {self.port} in the box, so there is nothing to kill: start the app first"
                          + (f" (`sudo systemctl start {self.unit}`)" if self.unit else ""),
                          expected=self.port, found=None, evidence=evidence)
        uids = {item.uid for item in before}
        pids = sorted({pid for item in before for pid in item.pids})
        table = [(p.pid, p.uid, p.args) for p in box_processes(ctx, self)]
        if not pids:
            if 0 in uids:
                raise CheckError(f"cannot tell which of root's processes holds port {self.port}")
            # Without ptrace a socket of another user cannot be mapped to its process: every process of that
            # user goes, as in a crash of the whole app (main process and children).
            pids = sorted(pid for pid, uid, _ in table if uid in uids)
        if not pids:
            raise CheckError(f"found no process of the user holding port {self.port}")
        old = {pid for pid, _, _ in table}
        observe(ctx, self, ["kill", "-9", *(str(p) for p in pids)])
        started = time.monotonic()
        deadline = started + self.within
        back: list[Listener] = []
        while time.monotonic() < deadline:
            time.sleep(0.3)
            back = on_port(ctx, self, self.port)
            if back:
                now = [(p.pid, p.uid, p.args) for p in box_processes(ctx, self)]
                fresh = [pid for pid, uid, _ in now if pid not in old and uid in {item.uid for item in back}]
                if fresh or any(p not in old for item in back for p in item.pids):
                    break
        else:
            back = []
        took = time.monotonic() - started
        restart = (f"add Restart=on-failure to the [Service] section of its unit, `sudo systemctl daemon-reload`, "
                   f"then `sudo systemctl restart {self.unit}`" if self.unit else
                   "run it as a service with Restart=on-failure")
        if not back:
            return failed(f"after a kill -9 of the app's process (pid {', '.join(map(str, pids))}), nothing listened on port "
                          f"{self.port} again within {self.within:g}s. A crashed app comes back only when its service "
                          f"manager restarts it: {restart}", expected="a new process", found=None, evidence=evidence)
        if {item.uid for item in back} != uids:
            names = accounts(ctx, self)
            return failed(f"after the kill, port {self.port} is held by {', '.join(names.user_name(i.uid) for i in back)}, "
                          f"not by the user that ran the app before", expected=sorted(uids),
                          found=sorted({i.uid for i in back}), evidence=evidence)
        return passed(f"a new process listened on port {self.port} {took:.1f}s after the kill", evidence=evidence)
