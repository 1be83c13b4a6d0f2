"""website.proxied and website.health: requests through nginx on the box's published ports reach the app, with the
client's address in X-Forwarded-For, and the health answer comes from the app that reads the environment file.

The app's side of the contract (the given hello-app, or a learner's own app that keeps it):
  GET /whoami -> JSON {"client": the address that connected to the app, "x_forwarded_for": that header or null,
                       "host": the Host header, "path": the path with its query}
  GET /health -> JSON {"status": "ok", "instance": the first 16 hex digits of sha256(APP_SECRET)}
"""
from __future__ import annotations

import hashlib
import ipaddress
import random
import re
from urllib.parse import urlsplit

from pydantic import Field

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from ..linux.common import file_text
from .common import Answer, SiteCheck, token

REDIRECTS = (301, 302, 303, 307, 308)


class ThroughNginx(SiteCheck):
    follow: bool = Field(True, description="Follow one redirect to the box's published HTTPS port (after the "
                                           "HTTPS task, port 80 redirects there).")

    def fetch(self, ctx: CheckContext, path: str, headers: dict[str, str]) -> tuple[Answer | str, str, dict[str, str]]:
        """(answer or reason, the URL asked last, the headers sent to it)."""
        url = self.url(ctx, self.scheme, path)
        answer = self.get(ctx, url, headers)
        if not (self.follow and isinstance(answer, Answer) and answer.status in REDIRECTS):
            return answer, url, headers
        location = urlsplit(answer.headers.get("Location", ""))
        https = self.published(ctx, "https")
        if location.scheme != "https" or location.hostname not in ("127.0.0.1", "localhost") or location.port != https:
            return answer, url, headers
        url = self.url(ctx, "https", (location.path or "/") + (f"?{location.query}" if location.query else ""))
        headers = {**headers, "Host": f"{location.hostname}:{https}"}
        return self.get(ctx, url, headers), url, headers


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        return None


# ---- website.proxied -------------------------------------------------------------------------------

@register("website.proxied", service_kind="linuxbox")
class SiteProxied(ThroughNginx):
    path: str = Field("/whoami", pattern=r"^/[^?#]*$", description="The app's page that says what it saw of a request.")
    forwarded_for: bool = Field(True, description="The proxy adds the client's address to X-Forwarded-For.")
    host_header: bool = Field(True, description="The proxy passes the Host header the client sent.")

    def describe(self) -> str:
        return f"{self.scheme.upper()} {self.path} reaches the app through nginx"

    def run(self, ctx: CheckContext) -> Outcome:
        probe = token()
        port = self.published(ctx, self.scheme)
        # A chain the client claims (a proxy in front of ours would send one): nginx must keep it and add the
        # address it saw. Random, so an answer typed into nginx's config cannot match.
        claimed = [f"203.0.113.{random.randint(1, 254)}", f"198.51.100.{random.randint(1, 254)}"][: random.randint(1, 2)]
        sent = {"Host": f"{random.choice(['127.0.0.1', 'localhost'])}:{port}", "X-Forwarded-For": ", ".join(claimed)}
        answer, url, sent = self.fetch(ctx, f"{self.path}?probe={probe}", sent)
        evidence = self.curl(url, sent)
        if isinstance(answer, str):
            return failed(self.no_answer(ctx, self.scheme, answer) + f". Try it: {evidence}", evidence=evidence)
        seen = answer.json()
        if answer.status != 200 or not isinstance(seen, dict) or "client" not in seen:
            if answer.status in REDIRECTS:
                said = f"it redirected to {answer.headers.get('Location')}"
            else:
                said = f"it answered {answer.status} with {answer.text[:120]!r}"
            return failed(f"{url} did not reach the app: {said}; expected the app's JSON answer from {self.path}. Does "
                          f"nginx pass the requests on to the app (`proxy_pass http://127.0.0.1:PORT;` in a `location /`)? "
                          f"Try it: {evidence}", expected=200, found=answer.status, evidence=evidence)
        if probe not in str(seen.get("path", "")):
            return failed(f"the answer from {url} is not about this request (its path is {seen.get('path')!r}): is a "
                          f"cached or fixed answer served instead of the app's? Try it: {evidence}",
                          expected=f"{self.path}?probe=...", found=seen.get("path"), evidence=evidence)
        client = _ip(str(seen.get("client", "")))
        if client is None or not ipaddress.ip_address(client).is_loopback:
            return failed(f"the app saw the request come from {seen.get('client')!r}, not from nginx on the same box "
                          f"(127.0.0.1): the published port must lead to nginx, and nginx to the app on 127.0.0.1",
                          expected="127.0.0.1", found=seen.get("client"), evidence=evidence)
        if self.forwarded_for:
            problem = self.forwarded_problem(ctx, seen.get("x_forwarded_for"), claimed)
            if problem:
                return failed(f"{problem}. Try it: {evidence}", expected="the client's address last",
                              found=seen.get("x_forwarded_for"), evidence=evidence)
        if self.host_header:
            asked = sent["Host"]
            got = str(seen.get("host") or "")
            if got not in (asked, asked.rsplit(":", 1)[0]):
                return failed(f"the app saw Host: {got or '(none)'}, but the client asked for {asked}: nginx does not pass "
                              "the Host header on. Add `proxy_set_header Host $http_host;` (or `$host`) next to "
                              f"proxy_pass, then `sudo nginx -t && sudo systemctl reload nginx`. Try it: {evidence}",
                              expected=asked, found=got, evidence=evidence)
        return passed(f"{url} reached the app through nginx" +
                      (", with the client's address in X-Forwarded-For" if self.forwarded_for else ""), evidence=evidence)

    def forwarded_problem(self, ctx: CheckContext, header, claimed: list[str]) -> str | None:
        fix = ("Add `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;` next to proxy_pass (in every server "
               "block that proxies), then `sudo nginx -t && sudo systemctl reload nginx`")
        if not header:
            return f"the app got no X-Forwarded-For header, so it cannot know the client's address. {fix}"
        chain = [part.strip() for part in str(header).split(",") if part.strip()]
        if chain == claimed:
            return ("the app got X-Forwarded-For exactly as the client sent it: nginx passed the header on without "
                    f"adding the address it saw. {fix}")
        last = _ip(chain[-1])
        gateway = self.gateway(ctx)
        if last is None or last in claimed or (gateway is not None and last != gateway) or ipaddress.ip_address(last).is_loopback:
            seen = f" (it connected from {gateway})" if gateway else ""
            return (f"X-Forwarded-For ends with {chain[-1]!r}, not the address of the client nginx saw{seen}. {fix}")
        if len(chain) > 1 and chain[:-1] != claimed:
            return (f"X-Forwarded-For is {header!r}: the addresses the client sent ({', '.join(claimed)}) are not kept "
                    f"in front of its own address. {fix}")
        return None


# ---- website.health --------------------------------------------------------------------------------

@register("website.health", service_kind="linuxbox")
class SiteHealth(ThroughNginx):
    path: str = Field("/health", pattern=r"^/[^?#]*$")
    env_file: str = Field(pattern=r"^/", description="The app's environment file in the box.")
    secret: str = Field("APP_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                        description="The variable whose fingerprint the health answer shows (sha256, 16 hex digits).")

    def describe(self) -> str:
        return f"{self.scheme.upper()} {self.path} answers from the app"

    def run(self, ctx: CheckContext) -> Outcome:
        port = self.published(ctx, self.scheme)
        sent = {"Host": f"127.0.0.1:{port}"}
        answer, url, sent = self.fetch(ctx, f"{self.path}?from=labctl-{token(3)}", sent)
        evidence = self.curl(url, sent)
        if isinstance(answer, str):
            return failed(self.no_answer(ctx, self.scheme, answer) + f". Try it: {evidence}", evidence=evidence)
        data = answer.json()
        if answer.status != 200 or not isinstance(data, dict) or data.get("status") != "ok":
            return failed(f"{url} answered {answer.status} with {answer.text[:120]!r}; expected the app's "
                          f'{{"status": "ok", ...}}. Is nginx passing requests on to the app? Try it: {evidence}',
                          expected=200, found=answer.status, evidence=evidence)
        content = file_text(ctx, self, self.env_file)
        if content is None:
            return failed(f"{self.env_file} does not exist: the app's settings belong in that file",
                          expected=self.env_file, found=None, evidence=evidence)
        value = env_value(content, self.secret)
        if not value:
            return failed(f"{self.env_file} sets no {self.secret}", expected=self.secret, found=None, evidence=evidence)
        fingerprint = hashlib.sha256(value.encode()).hexdigest()[:16]
        if data.get("instance") != fingerprint:
            return failed(f"the health answer's instance is {data.get('instance')!r}, but {self.secret} in {self.env_file} "
                          f"gives {fingerprint!r}: the app that answered does not run with that file. Did you restart it "
                          "after editing the file (`sudo systemctl restart SERVICE`), and does its unit read it "
                          f"(EnvironmentFile={self.env_file})? Try it: {evidence}",
                          expected=fingerprint, found=data.get("instance"), evidence=evidence)
        return passed(f"{url} answered from the app, with the secret of {self.env_file}", evidence=evidence)


def env_value(content: str, name: str) -> str | None:
    """NAME's value in an environment file as systemd reads it (KEY=VALUE lines, # comments, optional quotes,
    an optional `export `); the last assignment wins."""
    value = None
    for line in content.splitlines():
        match = re.match(rf"^\s*(?:export\s+)?{re.escape(name)}\s*=\s*(.*?)\s*$", line)
        if match:
            raw = match.group(1)
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                raw = raw[1:-1]
            value = raw
    return value
