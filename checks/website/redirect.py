"""website.redirect: plain HTTP on the box's published port 80 redirects to HTTPS, keeping the host, the published
HTTPS port (which is not 443), the path and the query the client asked for."""
from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .common import Answer, SiteCheck, token


@register("website.redirect", service_kind="linuxbox")
class SiteRedirect(SiteCheck):
    status: list[int] = Field([301, 302, 307, 308], min_length=1, description="The redirect codes accepted.")

    def describe(self) -> str:
        return "HTTP redirects to HTTPS, keeping the host, the port, the path and the query"

    def run(self, ctx: CheckContext) -> Outcome:
        http, https = self.published(ctx, "http"), self.published(ctx, "https")
        # Both names a browser on this machine may use, a path and a query the learner cannot guess.
        for host in ("localhost", "127.0.0.1"):
            path = f"/{token(3)}/page-{token(2)}?q={token(3)}&lang=en"
            url = self.url(ctx, "http", path)
            sent = {"Host": f"{host}:{http}"}
            evidence = self.curl(url, sent)
            answer = self.get(ctx, url, sent)
            if isinstance(answer, str):
                return failed(self.no_answer(ctx, "http", answer) + f". Try it: {evidence}", evidence=evidence)
            want = f"https://{host}:{https}{path}"
            problem = self.problem(answer, host, https, path, want)
            if problem:
                return failed(f"http://{host}:{http}{path} {problem}. Try it: {evidence}", expected=want,
                              found=answer.headers.get("Location") or answer.status, evidence=evidence)
        return passed(f"http://…:{http}/… redirects to https://…:{https}/… with the host, path and query kept")

    def problem(self, answer: Answer, host: str, https: int, path: str, want: str) -> str | None:
        fix = (f"In the port-80 server block: `return 301 https://$host:{https}$request_uri;` ({https} is the HTTPS "
               "port from `labctl env`), then `sudo nginx -t && sudo systemctl reload nginx`")
        codes = " or ".join(map(str, self.status))
        location = answer.headers.get("Location")
        if answer.status not in self.status or not location:
            return f"answered {answer.status}{' with no Location' if answer.status in self.status else ''}; expected a redirect ({codes}) to {want}. {fix}"
        if location == want:
            return None
        got = urlsplit(location)
        if got.scheme != "https":
            return f"redirects to {location}: expected an https:// address. {fix}"
        if got.hostname != host:
            return f"redirects to host {got.hostname}, but the client asked for {host}: keep it with $host. {fix}"
        try:
            port = got.port
        except ValueError:
            port = -1
        if port is None:
            return (f"redirects to {location}, without a port: a browser then tries port 443, which is the box's "
                    f"inside port, not the one published on this machine ({https}). {fix}")
        if port != https:
            return f"redirects to port {port}; the box's HTTPS is published on port {https} (HTTPS_URL in `labctl env`). {fix}"
        kept = got.path + (f"?{got.query}" if got.query else "")
        return f"redirects to {location}: the path and query asked for ({path}) are not kept; use $request_uri. {fix}" \
            if kept != path else f"redirects to {location}; expected {want}. {fix}"
