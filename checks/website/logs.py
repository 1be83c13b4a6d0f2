"""website.logged: a request sent through nginx shows up in the app's service log, the one `journalctl -u UNIT`
shows. The box's service manager keeps it in /var/log/labctl/UNIT.log, read through the engine's archive API."""
from __future__ import annotations

import time

from pydantic import Field

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from ..linux.common import path_facts, run_in_box
from .common import Answer, token
from .proxy import ThroughNginx

LOGS = "/var/log/labctl"  # compose/images/linuxbox/units.py
WAIT = 5.0


@register("website.logged", service_kind="linuxbox")
class SiteLogged(ThroughNginx):
    unit: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$", description="The app's service, e.g. hello-app.")
    path: str = Field("/", pattern=r"^/[^?#]*$", description="The page asked for (a fresh query is added to it).")

    def describe(self) -> str:
        return f"a request through nginx shows up in `journalctl -u {self.unit}`"

    def run(self, ctx: CheckContext) -> Outcome:
        probe = f"labctl-{token()}"
        port = self.published(ctx, self.scheme)
        answer, url, sent = self.fetch(ctx, f"{self.path}?log={probe}", {"Host": f"127.0.0.1:{port}"})
        evidence = self.curl(url, sent)
        if isinstance(answer, str):
            return failed(self.no_answer(ctx, self.scheme, answer) + f". Try it: {evidence}", evidence=evidence)
        unit = self.unit.removesuffix(".service")
        log = f"{LOGS}/{unit}.log"
        deadline = time.monotonic() + WAIT
        while True:
            if probe in self._tail(ctx, log):
                return passed(f"{url.split('?')[0]} was logged in {unit}'s journal", evidence=evidence)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.3)
        status = answer.status if isinstance(answer, Answer) else None
        return failed(f"the request {url} (answered {status}) is not in `journalctl -u {unit}` after {WAIT:g}s: is the "
                      f"app that answers the service {unit}, and does it write its log to standard output (not to a "
                      f"file of its own)? Look with `journalctl -u {unit} -n 5` after the request. Try it: {evidence}",
                      expected=probe, found=None, evidence=evidence)

    def _tail(self, ctx: CheckContext, log: str) -> str:
        facts = path_facts(ctx, self, log, content=True)
        if facts is None or facts.kind != "file" or facts.content is None:
            return ""
        text = facts.content.decode("utf-8", errors="replace")
        if facts.size and facts.size > len(facts.content):  # longer than the archive read gives: its end
            code, out = run_in_box(ctx, self, ["tail", "-c", "200000", "--", log])
            text = out if code == 0 else text
        return text
