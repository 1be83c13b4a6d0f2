"""The practice Todo API (catalog entry practice-api) from the host: probe /health, and its control endpoints,
which deploy the reference or a mutant at a fresh random prefix (compose/images/practice-api/practice_api.py).

The control endpoints need the instance's own LABCTL_CONTROL_SECRET (x-labctl secrets), which only labctl
holds: a learner's tests cannot deploy, list or remove anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.core.model import Step
from labctl.services.base import ServiceDriver
from labctl.services.practice_http import base_url

SECRET = "LABCTL_CONTROL_SECRET"
HEADER = "X-Labctl-Control"
TIMEOUT = 10.0


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str  # what is wrong, as the learner reads it
    hint: str  # the test that would catch it


def _call(access: ServiceAccess, method: str, route: str, json: dict | None = None):
    import requests

    secret = access.environment.get(SECRET)
    if not secret:
        raise LabctlError(f"service {access.name} has no control secret",
                          "Destroy the instance (`labctl destroy`) and start it again: labctl makes one at start.")
    try:
        with requests.Session() as session:
            session.trust_env = False  # never through a proxy: straight to loopback
            response = session.request(method, base_url(access) + "/_labctl/" + route, json=json,
                                       headers={HEADER: secret}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise LabctlError(f"service {access.name} did not answer {method} /_labctl/{route}: {exc}",
                          "Is it running? `labctl status` says; `labctl start` starts it again.") from None
    if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
        raise LabctlError(f"service {access.name} refused {method} /_labctl/{route}: {response.status_code} "
                          f"{response.text[:200]}")
    return response


def mutants(access: ServiceAccess) -> list[Mutant]:
    """Every mutant the service serves, in its own order. Raises LabctlError when it does not answer."""
    listed = _call(access, "GET", "variants").json()["mutants"]
    return [Mutant(m["name"], m["description"], m["hint"]) for m in listed]


def deploy(access: ServiceAccess, variant: str) -> str:
    """A fresh deployment of `reference` or of a mutant, with an empty store; its path prefix ("/abc...")."""
    return _call(access, "POST", "deployments", {"variant": variant}).json()["prefix"]


def deployment_count(access: ServiceAccess) -> int:
    """How many deployments exist (labctl removes its own after each run)."""
    return int(_call(access, "GET", "deployments").json()["deployments"])


def remove(access: ServiceAccess, prefix: str) -> None:
    """Remove a deployment (one already gone, expired or forgotten by a restart, is no error)."""
    _call(access, "DELETE", "deployments/" + prefix.lstrip("/"))


class PracticeApiDriver(ServiceDriver):
    kind = "practice-api"
    title = "The practice Todo API"
    run_file = "nothing (labctl deploys its reference and mutants itself)"

    def probe(self, access: ServiceAccess) -> None:
        import requests

        with requests.Session() as session:
            session.trust_env = False
            response = session.get(base_url(access) + "/health", timeout=2.0)
        if response.status_code != 200:
            raise RuntimeError(f"GET /health answered {response.status_code}")

    def apply(self, access: ServiceAccess, step: Step) -> None:
        raise LabctlError("the practice Todo API runs no steps: labctl deploys its reference and mutants itself")

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        """Forget every deployment (`labctl reset`)."""
        _call(access, "POST", "reset")
