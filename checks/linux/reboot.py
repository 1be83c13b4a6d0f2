"""linux.reboot: restart the box as a reboot would, so that the checks after it see what comes back by itself."""
from __future__ import annotations

import time

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, passed
from labctl.core.errors import CheckError

from .common import path_facts

# Written by the box's service manager (compose/images/linuxbox, docs/box-services.md): a new id at every start,
# and the same id in BOOTED once it has started the enabled services.
BOOT_ID = "/run/labctl/boot-id"
BOOTED = "/run/labctl/booted"
DEFAULT_SECONDS = 120.0


@register("linux.reboot", service_kind="linuxbox")
class LinuxReboot(Check):
    """Every process of the box ends and the enabled services start again, as at a reboot; its files stay. The
    checks after this one in the task look at the box that came back: put "survives a reboot" checks there."""

    disruptive = True  # it ends every process of the box: only once the checks before it pass

    timeout: float | None = Field(None, gt=0, le=300, description="Seconds the restart may take (default 120).")

    def describe(self) -> str:
        return "the box restarts (a reboot)"

    def needs_seconds(self) -> float:
        return self.timeout or DEFAULT_SECONDS

    def run(self, ctx: CheckContext) -> Outcome:
        started = time.monotonic()
        before = _marker(ctx, self, BOOT_ID)
        ctx.reboot(self.service)  # type: ignore[arg-type]
        deadline = started + self.needs_seconds() - 1
        boot = done = None
        while time.monotonic() < deadline:
            boot, done = _marker(ctx, self, BOOT_ID), _marker(ctx, self, BOOTED)
            if boot is None and before is None:
                break  # a box whose service manager writes no marker: SSH answering is all there is to wait for
            if boot and boot != before and done == boot:
                break
            time.sleep(0.2)
        else:
            raise CheckError(f"the box restarted, but its service manager did not finish starting the enabled services "
                             f"within {self.needs_seconds():g}s; look at `sudo systemctl list-units --all` and "
                             f"`journalctl -u NAME` for a service that hangs while it starts")
        return passed(f"the box restarted and was back in {time.monotonic() - started:.1f}s",
                      evidence="container restarted; SSH answered; enabled services started")


def _marker(ctx: CheckContext, check: Check, path: str) -> str | None:
    facts = path_facts(ctx, check, path, content=True, follow=False)
    if facts is None or facts.content is None:
        return None
    return facts.content.decode(errors="replace").strip() or None
