"""oauth.login's judgement of an authorization request, without a server: each classic mistake in the app's
redirect is named, and a right one passes."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import pytest

from labctl.check_engine import registry
from labctl.check_families.oauth.browser import Hop, same_origin
from labctl.check_families.oauth.flow import Lab, Wrong, judge_authorization, with_query

LAB = Lab("http://127.0.0.1:8000", "http://127.0.0.1:49153", "lab-app", "s3cr3t-value-of-the-client", "/login",
          "/callback", "/me", "/logout", "email", True, ("openid", "email"))
GOOD = {"response_type": "code", "client_id": "lab-app", "redirect_uri": "http://127.0.0.1:8000/callback",
        "scope": "openid email profile", "state": "Zq0f8Kd2Hk3aBcDeFgHi", "nonce": "n0nce-0123456789abc",
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(b"v" * 50).digest()).rstrip(b"=").decode(),
        "code_challenge_method": "S256"}


def judged(**changes):
    params = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    hop = Hop("GET", LAB.url("/login"), 302, f"{LAB.issuer}/authorize?{urlencode(params)}", "", {}, "curl -i x")
    return judge_authorization(hop, LAB)


def test_a_right_request_passes():
    assert judged().params["state"] == GOOD["state"]


@pytest.mark.parametrize(("changes", "said"), [
    ({"state": None}, "there is no state"),
    ({"state": "abc"}, "too short to be unguessable"),
    ({"code_challenge_method": "plain"}, "code_challenge_method is 'plain'"),
    ({"code_challenge": None, "code_challenge_method": None}, "there is no PKCE code_challenge"),
    ({"code_challenge": "short"}, "is not a SHA-256 digest in base64url"),
    ({"nonce": None}, "there is no nonce"),
    ({"response_type": "token"}, "response_type is 'token'"),
    ({"client_id": "other"}, "send the lab's client id"),
    ({"redirect_uri": "http://127.0.0.1:9999/callback"}, "on the port your app listens on"),
    ({"redirect_uri": "http://127.0.0.1:8000/auth"}, "it must be your app's callback"),
    ({"scope": "email"}, "ask for openid email"),
    ({"client_secret": LAB.client_secret}, "it holds the client secret"),
])
def test_each_mistake_is_named(changes, said):
    with pytest.raises(Wrong, match=None) as caught:
        judged(**changes)
    assert said in str(caught.value) and caught.value.curl == "curl -i x"


def test_origins_are_told_apart_by_host_and_port():
    assert same_origin("http://127.0.0.1:8000/me", "http://127.0.0.1:8000")
    assert not same_origin("http://127.0.0.1:8001/me", "http://127.0.0.1:8000")
    assert not same_origin("http://localhost:8000/me", "http://127.0.0.1:8000")


def test_with_query_replaces_and_adds():
    assert with_query("http://h/cb?code=1&state=a", state="b", email="x@y") == "http://h/cb?code=1&state=b&email=x%40y"


def test_probe_names_are_checked_when_the_lab_loads():
    cls = registry.get("oauth.login")
    assert cls.model_validate({"probes": ["replay", "logout"]}).probes == ["replay", "logout"]
    with pytest.raises(ValueError):
        cls.model_validate({"probes": ["replayed"]})
