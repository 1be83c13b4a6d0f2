"""The practice HTTP service (catalog entry practice-http) from the host: probe /health, run files of HTTP requests, reset via /_lab/reset.

A `run:` step is a YAML (or JSON) file with a list of requests, sent in order through one cookie jar:

    requests:
      - {method: POST, path: /login, form: {user: learner, password: http-is-fun}}
      - {method: GET, path: /me}                        # the session cookie goes along
      - {method: GET, path: /me, cookies: false}        # sent without the cookie jar
      - {method: POST, path: /items, headers: {X-Student: ada}, json: {name: pen}}
      - {method: GET, path: /old-path, follow_redirects: true}
      - {method: GET, path: /catalog, if_none_match_from: /catalog}  # If-None-Match = that path's ETag

Keys: method (GET), path (required, starting with /), headers, json | body | form, follow_redirects (false),
cookies (true), expect (a status code; a different answer fails the step), if_none_match_from.
Requests only ever go to the service's published port on loopback.
"""
from __future__ import annotations

from typing import Any

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.core.model import Step
from labctl.core.yamlfile import read_yaml
from labctl.services.base import ServiceDriver

KEYS = {"method", "path", "headers", "json", "body", "form", "follow_redirects", "cookies", "expect",
        "if_none_match_from"}
TIMEOUT = 10.0


def base_url(access: ServiceAccess) -> str:
    host = f"[{access.host}]" if ":" in access.host else access.host
    if access.host not in ("127.0.0.1", "localhost", "::1"):
        raise LabctlError(f"service {access.name} is at {access.host}; labs only call loopback addresses")
    return f"http://{host}:{access.port}"


def _session():
    import requests

    session = requests.Session()
    session.trust_env = False  # never through a proxy: straight to loopback
    return session


def load_requests(path) -> list[dict[str, Any]]:
    """The requests of a run file. Raises LabctlError naming the file and entry."""
    try:
        data = read_yaml(path)
    except LabctlError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse problem names the file
        raise LabctlError(f"cannot read {path.name}: {exc}") from None
    items = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise LabctlError(f"{path.name}: expected a mapping with a non-empty `requests` list")
    for i, item in enumerate(items):
        where = f"{path.name}, requests[{i}]"
        if not isinstance(item, dict):
            raise LabctlError(f"{where}: each request is a mapping")
        unknown = set(item) - KEYS
        if unknown:
            raise LabctlError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        p = item.get("path")
        if not isinstance(p, str) or not p.startswith("/") or p.startswith("//"):
            raise LabctlError(f"{where}: path must start with a single /")
        if sum(k in item for k in ("json", "body", "form")) > 1:
            raise LabctlError(f"{where}: give json, body or form, not more than one")
    return items


def send_all(access: ServiceAccess, path) -> list[int]:
    """Send every request of a run file; the status codes, in order."""
    import requests

    items = load_requests(path)
    base = base_url(access)
    statuses = []
    session = _session()
    try:
        for i, item in enumerate(items):
            headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
            if item.get("if_none_match_from"):
                tag = session.get(base + item["if_none_match_from"], timeout=TIMEOUT).headers.get("ETag")
                if tag:
                    headers["If-None-Match"] = tag
            kwargs: dict[str, Any] = {"headers": headers, "timeout": TIMEOUT,
                                      "allow_redirects": bool(item.get("follow_redirects", False))}
            if "json" in item:
                kwargs["json"] = item["json"]
            elif "form" in item:
                kwargs["data"] = item["form"]
            elif "body" in item:
                kwargs["data"] = str(item["body"]).encode()
            method = str(item.get("method", "GET")).upper()
            try:
                if item.get("cookies", True):
                    response = session.request(method, base + item["path"], **kwargs)
                else:
                    with _session() as bare:
                        response = bare.request(method, base + item["path"], **kwargs)
            except requests.RequestException as exc:
                raise LabctlError(f"{path.name}, requests[{i}]: {method} {item['path']} got no answer: {exc}") from None
            # Redirects are followed only to the same service (requests keeps the host of relative Locations).
            if not response.url.startswith(base):
                raise LabctlError(f"{path.name}, requests[{i}]: redirected off the service to {response.url}")
            expect = item.get("expect")
            if expect is not None and response.status_code != int(expect):
                raise LabctlError(f"{path.name}, requests[{i}]: {method} {item['path']} answered "
                                  f"{response.status_code}; expected {expect}")
            statuses.append(response.status_code)
    finally:
        session.close()
    return statuses


class PracticeHttpDriver(ServiceDriver):
    kind = "practice-http"
    title = "The practice HTTP service"
    run_file = "a YAML file of requests"
    assertion_keys = frozenset({"expect"})

    def probe(self, access: ServiceAccess) -> None:
        with _session() as session:
            response = session.get(base_url(access) + "/health", timeout=2.0)
        if response.status_code != 200:
            raise RuntimeError(f"GET /health answered {response.status_code}")

    def apply(self, access: ServiceAccess, step: Step) -> None:
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        send_all(access, step.source)

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        self.restore(access, steps)

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        """Clear the service's data and recorded trace (POST /_lab/reset), then replay the seed files."""
        import requests

        try:
            with _session() as session:
                response = session.post(base_url(access) + "/_lab/reset", timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise LabctlError(f"service {access.name} did not answer POST /_lab/reset: {exc}") from None
        if response.status_code != 200:
            raise LabctlError(f"service {access.name} refused to reset: POST /_lab/reset answered {response.status_code}")
        for step in seed or []:
            self.apply(access, step)

