"""Live tests of the lab's OpenID Connect provider (compose/oidc.yml) and of oauth.login against it: an
oauth-101 instance, the lab's reference app on the host (a subprocess on a free port, with the environment
`labctl env` gives), passing with every probe, and failing, with a message naming the mistake, for each of
its bug switches the probes target. Also what the provider itself enforces (PKCE S256, single-use codes,
the control endpoint's token) and that stop/start keeps its signing key and tells it the new issuer.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Status
from labctl.check_engine.runner import run_check as run_one
from labctl.core.model import CheckSpec, Task
from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live

LABS = Path(__file__).resolve().parents[2] / "labs"
APP = LABS / "oauth-101" / "solution" / "app.py"
ALL_PROBES = ["anonymous", "wrong-state", "other-browser", "denied", "replay", "injected-identity", "bad-signature",
              "wrong-issuer", "wrong-audience", "expired", "wrong-nonce", "logout"]


@pytest.fixture(scope="module")
def oidc(engine, tmp_path_factory):
    """(manager, instance name) of a running oauth-101 instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("oauth-home"), lab_dirs=(LABS,))
    name = new_instance_name("oauth")
    manager.start("oauth-101", name=name, workspace=tmp_path_factory.mktemp("oauth-ws"), ephemeral=True)
    try:
        yield manager, name
    finally:
        manager.destroy(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(oidc):
    """start(*bugs) -> the URL of the reference app, run with those bug switches; stopped after the test."""
    manager, name = oidc
    started: list[subprocess.Popen] = []

    def start(*bugs: str) -> str:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(manager.view(name).env(), PORT=str(port), HOST="127.0.0.1")
        args = [sys.executable, str(APP)] + [a for bug in bugs for a in ("--bug", bug)]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(url + "/health", timeout=1, proxies={"http": None})
                return url
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the reference app did not start")

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)


def run_login(oidc, tmp_path, app_url: str, **fields):
    manager, name = oidc
    view = manager.view(name)
    full = manager.context(view)
    ctx = CheckContext(lab_path=tmp_path, services=dict(full.services), workspace=None, timeout=60,
                       settings={"app_url": app_url})
    full.close()
    cls = registry.get("oauth.login")
    check = cls.model_validate({"service": "oidc", **fields})
    try:
        return run_one(Task("t", "t", tmp_path, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
    finally:
        ctx.close()


def test_the_reference_app_passes_every_probe(oidc, app, tmp_path):
    result = run_login(oidc, tmp_path, app(), probes=ALL_PROBES)
    assert result.status is Status.PASSED, result.message
    assert "ada@example.com and grace@example.com logged in" in result.message


def test_the_redirect_alone_is_judged_with_upto_authorize(oidc, app, tmp_path):
    assert run_login(oidc, tmp_path, app(), upto="authorize").status is Status.PASSED
    result = run_login(oidc, tmp_path, app("fixed-state"), upto="authorize")
    assert result.status is Status.FAILED and "two logins sent the same state" in result.message


@pytest.mark.parametrize(("bug", "probes", "said"), [
    ("plain-pkce", [], "code_challenge_method is 'plain'"),
    ("secret-in-url", [], "it holds the client secret"),
    ("no-verifier", [], "code_verifier"),
    ("me-without-session", ["anonymous"], "without any cookie answered 200"),
    ("decode-only", ["bad-signature"], "signed with another key"),
    ("iss-ignored", ["wrong-issuer"], "whose iss is https://idp.example.com"),
    ("exp-ignored", ["expired"], "expired an hour ago"),
    ("nonce-ignored", ["wrong-nonce"], "whose nonce is not the one"),
    ("identity-from-query", ["injected-identity"], "never from the query"),
    ("state-not-checked", ["wrong-state"], "another state than the one your app sent"),
    ("state-global", ["other-browser"], "opened in another browser"),
    ("denied-crash", ["denied"], "an error in your app"),
    ("code-cached", ["replay"], "whose code was already used"),
    ("session-fixation", ["replay"], "session fixation"),
    ("logout-cookie-only", ["logout"], "end the session on the server"),
])
def test_each_mistake_fails_saying_what(oidc, app, tmp_path, bug, probes, said):
    result = run_login(oidc, tmp_path, app(bug), probes=probes)
    assert result.status is Status.FAILED, result.message
    assert said in result.message, result.message
    assert "curl " in result.message  # a failure about a request carries it


def test_nothing_listening_is_a_failure_that_says_so(oidc, tmp_path):
    result = run_login(oidc, tmp_path, f"http://127.0.0.1:{free_port()}")
    assert result.status is Status.FAILED and "nothing is answering" in result.message


def _authorize_query(method: str = "S256", challenge: str | None = None) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    s256 = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": "lab-app", "redirect_uri": "http://127.0.0.1:5999/callback",
              "scope": "openid email", "state": secrets.token_urlsafe(16), "nonce": "n" * 20,
              "code_challenge": challenge if challenge is not None else (s256 if method == "S256" else verifier),
              "code_challenge_method": method}
    return urlencode(params), verifier


def test_the_provider_enforces_pkce_s256_single_use_codes_and_its_control_token(oidc):
    manager, name = oidc
    env = manager.view(name).env()
    issuer, client = env["OIDC_ISSUER"], (env["OIDC_CLIENT_ID"], env["OIDC_CLIENT_SECRET"])
    http = requests.Session()
    http.trust_env = False
    assert http.get(issuer + "/.well-known/openid-configuration", timeout=5).json()["issuer"] == issuer
    for method in ("plain", ""):
        query, _ = _authorize_query(method)
        answer = http.get(f"{issuer}/authorize?{query}", allow_redirects=False, timeout=5)
        assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"], method
    query, verifier = _authorize_query()
    http.post(issuer + "/login", data={"email": env["OIDC_USER_ADA"], "password": env["OIDC_PASSWORD_ADA"],
                                       "query": query}, timeout=5)
    answer = http.post(f"{issuer}/authorize?{query}", data={"decision": "allow"}, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:5999/callback"}
    assert http.post(issuer + "/token", data={**form, "code_verifier": "x" * 43}, auth=client,
                     timeout=5).status_code == 400  # the wrong verifier
    assert http.post(issuer + "/_labctl/tamper", json={"code": code, "fault": "issuer"},
                     timeout=5).status_code == 403  # no control token: the learner cannot ask for faults
    assert "CONTROL" not in " ".join(env)  # and `labctl env` never shows it


def test_stop_start_keeps_the_key_and_tells_the_issuer(oidc):
    manager, name = oidc
    http = requests.Session()
    http.trust_env = False
    before = manager.view(name).env()["OIDC_ISSUER"]
    kid = http.get(before + "/jwks.json", timeout=5).json()["keys"][0]["kid"]
    manager.stop(name)
    manager.start("oauth-101", name=name)
    after = manager.view(name).env()["OIDC_ISSUER"]
    assert http.get(after + "/.well-known/openid-configuration", timeout=5).json()["issuer"] == after
    assert http.get(after + "/jwks.json", timeout=5).json()["keys"][0]["kid"] == kid
