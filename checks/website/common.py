"""What the website.* checks share: the box's published HTTP and HTTPS ports, one request sent from the host, and
the learner-facing reason when nothing answers there."""
from __future__ import annotations

import re
import secrets
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.core.errors import CheckError
from labctl.core.loopback import check_loopback

from ..http.request import curl_line
from ..linux.common import observe

PORTS = {"http": 80, "https": 443}


def token(size: int = 6) -> str:
    """A value the learner cannot guess, fresh on each run."""
    return secrets.token_hex(size)


@dataclass
class Answer:
    status: int
    headers: Any
    text: str
    url: str

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.text)
        except ValueError:
            return None


class SiteCheck(Check):
    """A check of the site the box serves, through its published ports, from the host (loopback only)."""

    scheme: Literal["http", "https"] = Field("http", description="Through the box's port 80 (http) or 443 (https).")

    def published(self, ctx: CheckContext, scheme: str) -> int:
        access = ctx.service(self.service)  # type: ignore[arg-type]
        port = PORTS[scheme]
        if port not in access.ports:
            raise CheckError(f"the box publishes no port {port}: its compose file must publish it")
        return access.ports[port]

    def host(self, ctx: CheckContext) -> str:
        host = ctx.service(self.service).host  # type: ignore[arg-type]
        return f"[{host}]" if ":" in host else host

    def url(self, ctx: CheckContext, scheme: str, path: str) -> str:
        url = f"{scheme}://{self.host(ctx)}:{self.published(ctx, scheme)}{path}"
        try:
            return check_loopback(url)  # the address comes from the engine: checked anyway
        except ValueError as exc:
            raise CheckError(str(exc)) from None

    def where(self, ctx: CheckContext, scheme: str) -> str:
        """The box's port as the learner knows it: "port 80 (HTTP_URL, 127.0.0.1:8080 on this machine)"."""
        return (f"the box's port {PORTS[scheme]} ({scheme.upper()}_URL, {self.host(ctx)}:{self.published(ctx, scheme)} "
                f"on this machine)")

    def get(self, ctx: CheckContext, url: str, headers: dict[str, str] | None = None) -> Answer | str:
        """One GET, no redirects followed, no proxy, no certificate verification (the learner's is self-signed):
        the Answer, or the reason nothing answered, in words for a beginner."""
        import requests
        import urllib3

        timeout = min(float(self.timeout or ctx.timeout), 10.0)
        session = requests.Session()
        session.trust_env = False  # never through a proxy from the environment
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                response = session.get(url, headers=headers or {}, allow_redirects=False, verify=False, timeout=timeout)
            return Answer(response.status_code, response.headers, response.text[:100_000], url)
        except requests.exceptions.SSLError as exc:
            text = str(exc)
            if "EOF" in text or "reset" in text.lower():
                return (f"the connection to {url} was closed before any TLS answer: nothing listens on that port in the "
                        "box, or not with TLS (`listen 443 ssl;`)")
            said = re.search(r"\[SSL: ([A-Z_]+)\]", text)
            return f"{url} did not answer with TLS ({said.group(1) if said else 'TLS error'}): is it `listen 443 ssl;`?"
        except requests.Timeout:
            return f"nothing answered at {url} within {timeout:g}s"
        except requests.ConnectionError as exc:
            text = str(exc)
            if "RemoteDisconnected" in text or "reset" in text.lower() or "aborted" in text.lower():
                return f"the connection to {url} was closed without an answer: nothing listens on that port in the box"
            if "refused" in text.lower():
                return f"the connection to {url} was refused: is the box running (`labctl status`)?"
            return f"nothing is answering at {url} ({_first_line(exc)})"
        finally:
            session.close()

    def no_answer(self, ctx: CheckContext, scheme: str, reason: str) -> str:
        return (f"{reason}. Is nginx running, and listening on {self.where(ctx, scheme)}? Look with "
                "`systemctl status nginx` and `sudo nginx -t`, then `sudo systemctl restart nginx`")

    @staticmethod
    def curl(url: str, headers: dict[str, str] | None = None) -> str:
        line = curl_line("GET", url, headers or {})
        return line.replace("curl -i", "curl -ik", 1) if url.startswith("https:") else line

    def gateway(self, ctx: CheckContext) -> str | None:
        """The address the box sees requests from the host come from (the engine's gateway), or None."""
        code, out = observe(ctx, self, ["ip", "-4", "route", "show", "default"])
        words = out.split()
        if code == 0 and "via" in words and words.index("via") + 1 < len(words):
            return words[words.index("via") + 1]
        return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
