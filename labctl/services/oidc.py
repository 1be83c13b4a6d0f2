"""The lab's OpenID Connect provider (catalog entry oidc): probe /health, and after every start tell it its
issuer, http://127.0.0.1:<published port>, the one string the learner's app, the checks and the browser all
use (a re-created container may get another port). labctl talks to it with the instance's control token.
"""
from __future__ import annotations

from typing import Any

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.services.base import ServiceDriver

TIMEOUT = 10.0
CONTROL_TOKEN = "LABCTL_CONTROL_TOKEN"
FAULTS = ("signature", "issuer", "audience", "expired", "nonce")


def issuer(access: ServiceAccess) -> str:
    """The provider's issuer URL, as the host (and everyone the lab serves) reaches it."""
    if access.host not in ("127.0.0.1", "localhost"):
        raise LabctlError(f"service {access.name} is at {access.host}; labs only call loopback addresses")
    return f"http://127.0.0.1:{access.port}"


def _session():
    import requests

    session = requests.Session()
    session.trust_env = False  # never through a proxy: straight to loopback
    return session


def control(access: ServiceAccess, path: str, body: dict[str, Any]) -> Any:
    """POST to one of the provider's labctl-only endpoints; the JSON answer. Raises LabctlError when refused."""
    import requests

    token = access.environment.get(CONTROL_TOKEN, "")
    try:
        with _session() as session:
            response = session.post(issuer(access) + path, json=body, timeout=TIMEOUT,
                                    headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException as exc:
        raise LabctlError(f"service {access.name} did not answer POST {path}: {exc}") from None
    if response.status_code != 200:
        raise LabctlError(f"service {access.name} refused POST {path}: {response.status_code} {response.text[:200]}")
    return response.json()


def tamper(access: ServiceAccess, code: str, fault: str) -> None:
    """Make the ID token the provider issues for this code wrong in one way (a check's negative probe)."""
    if fault not in FAULTS:
        raise ValueError(f"fault is one of {', '.join(FAULTS)}")
    control(access, "/_labctl/tamper", {"code": code, "fault": fault})


class OidcDriver(ServiceDriver):
    kind = "oidc"
    title = "The lab's OpenID Connect provider"

    def probe(self, access: ServiceAccess) -> None:
        with _session() as session:
            response = session.get(issuer(access) + "/health", timeout=2.0)
        if response.status_code != 200:
            raise RuntimeError(f"GET /health answered {response.status_code}")

    def on_ready(self, access: ServiceAccess) -> None:
        control(access, "/_labctl/issuer", {"issuer": issuer(access)})

    def client_hint(self, urls) -> str | None:
        base = urls.get("OIDC_ISSUER")
        return f"curl {base}/.well-known/openid-configuration" if base else None
