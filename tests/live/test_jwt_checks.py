"""JWT check family (checks/jwt/) against a learner's app on 127.0.0.1: a threaded http.server app that
registers users, logs them in with a token signed with the lab's secret (from its environment, as a launched
app gets it) and serves GET /me to a valid token, with a switch for each classic mistake.

The correct app passes both checks; every mistake fails the check that judges it, with a message naming it.
No container is involved, so these tests are not marked live: they run wherever pytest runs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.check_engine.runner import run_check as run_one
from labctl.core.model import CheckSpec, Task
from tests.servers import QuietServer

AUDIENCE, ISSUER = "labs-api", "https://auth.labs.example"
HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
HARD_CODED_KEY = "my-super-secret-key-that-is-long-enough-1234"


# ---- the learner's app ---------------------------------------------------------------------------

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class JwtApp:
    """What the learner wrote: users in memory, tokens made and checked by hand. `bugs` are its mistakes."""

    def __init__(self, bugs: set[str]) -> None:
        self.bugs = bugs
        # A launched app reads its secret from the environment; the hard-coded-key mistake ignores it.
        self.key = (HARD_CODED_KEY if "hard-coded-key" in bugs else os.environ["JWT_SECRET"]).encode()
        self.verify_key = HARD_CODED_KEY.encode() if "verifies-with-other-key" in bugs else self.key
        self.alg = "HS512" if "issues-hs512" in bugs else "HS256"
        self.users: dict[str, dict] = {}
        self.ids = itertools.count(1)

    def issue(self, user: dict) -> str:
        now = int(time.time())
        claims = {"sub": str(user["id"]), "email": user["email"], "role": "user", "iat": now,
                  "exp": now + (86400 if "day-long" in self.bugs else 900), "aud": AUDIENCE, "iss": ISSUER}
        if "ms-exp" in self.bugs:
            claims["exp"] = claims["exp"] * 1000
        if "no-exp" in self.bugs:
            del claims["exp"]
        if "no-aud" in self.bugs:
            del claims["aud"]
        if "aud-list" in self.bugs:
            claims["aud"] = ["other-api", AUDIENCE]
        if "extra-claims" in self.bugs:
            claims.update(jti=secrets.token_hex(8), name="A learner", scope="read")
        header = {"alg": self.alg} if "no-typ" in self.bugs else {"alg": self.alg, "typ": "JWT"}
        if "extra-claims" in self.bugs:
            header["kid"] = "k1"
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = hmac.new(self.key, signing_input.encode(), HASHES[self.alg]).digest()
        return f"{signing_input}.{b64(signature)}"

    def verify(self, token: str) -> dict | None:
        """The claims of a token this app trusts, else None."""
        try:
            head, body, signature = token.split(".")
            header, claims = json.loads(unb64(head)), json.loads(unb64(body))
            alg = header["alg"]
        except (ValueError, KeyError, TypeError):
            return None
        if not self._signature_ok(alg, head, body, signature):
            return None
        if "exp" not in claims and not ({"exp-optional", "ignore-exp", "no-exp"} & self.bugs):
            return None
        if "exp" in claims and "ignore-exp" not in self.bugs:
            leeway = 60 if "leeway" in self.bugs else 0
            if not isinstance(claims["exp"], (int, float)) or claims["exp"] + leeway < time.time():
                return None
        aud = claims.get("aud")
        checks_aud = not ({"ignore-aud", "no-aud"} & self.bugs)
        if checks_aud and AUDIENCE not in (aud if isinstance(aud, list) else [aud]):
            return None
        if "ignore-iss" not in self.bugs and claims.get("iss") != ISSUER:
            return None
        return claims

    def _signature_ok(self, alg: str, head: str, body: str, signature: str) -> bool:
        if "decode-only" in self.bugs:
            return True
        if "accept-none" in self.bugs and alg.lower() == "none":
            return True
        if "blocks-lowercase-none" in self.bugs:
            # Refuses "none" but trusts the header to choose the algorithm, and skips what it does not know.
            if alg == "none":
                return False
            if alg not in HASHES:
                return True
        allowed = set(HASHES) if "any-hmac" in self.bugs else {self.alg}
        if alg not in allowed:
            return False
        if "skip-empty-signature" in self.bugs and not signature:
            return True
        if "signature-present-only" in self.bugs:
            return bool(signature)  # it looks for a signature, and never checks it
        expected = hmac.new(self.verify_key, f"{head}.{body}".encode(), HASHES[alg]).digest()
        try:
            return hmac.compare_digest(unb64(signature), expected)
        except ValueError:
            return False


class Handler(BaseHTTPRequestHandler):
    app: JwtApp  # set on the class made for each server

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: dict, headers=()) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        app = self.app
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
            email, password = body["email"], body["password"]
        except (ValueError, KeyError, TypeError):
            return self._send(400, {"error": "email and password, please"})
        if self.path == "/register":
            if email in app.users:
                return self._send(409, {"error": "this email is taken"})
            app.users[email] = {"id": next(app.ids), "email": email, "password": password}
            return self._send(201, {"id": app.users[email]["id"]})
        if self.path == "/login":
            user = app.users.get(email)
            if user is None or user["password"] != password:
                return self._send(401, {"error": "wrong email or password"})
            token = secrets.token_hex(16) if "opaque-token" in app.bugs else app.issue(user)
            answer = {"data": {"token": token}} if "nested" in app.bugs else {"access_token": token,
                                                                              "token_type": "bearer"}
            cookie = [("Set-Cookie", f"session={user['id']}; Path=/; HttpOnly")] if "also-cookie" in app.bugs else []
            return self._send(200, answer, cookie)
        self._send(404, {"error": "not found"})

    def do_GET(self) -> None:
        if self.path != "/me":
            return self._send(404, {"error": "not found"})
        app = self.app
        if "also-cookie" in app.bugs and "session=" in (self.headers.get("Cookie") or ""):
            return self._send(200, {"via": "cookie"})
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            if "unprotected" in app.bugs:
                return self._send(200, {"user": "guest"})
            return self._send(401, {"error": "log in first"})
        claims = app.verify(auth[len("Bearer "):])
        user = next((u for u in app.users.values() if claims and str(u["id"]) == claims.get("sub")), None)
        if user is None:
            return self._send(403 if "forbidden-403" in app.bugs else 401, {"error": "invalid token"})
        self._send(200, {"id": user["id"], "email": user["email"], "role": claims.get("role")})


@pytest.fixture
def secret(monkeypatch) -> str:
    """The lab's secret for this instance, in the environment the app starts with."""
    value = secrets.token_urlsafe(32)
    monkeypatch.setenv("JWT_SECRET", value)
    return value


@pytest.fixture
def start_app(secret):
    """start_app(*bugs) -> the app's base URL on 127.0.0.1; every app started is stopped after the test."""
    servers = []

    def start(*bugs: str) -> str:
        handler = type("AppHandler", (Handler,), {"app": JwtApp(set(bugs))})
        httpd = QuietServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd, thread in servers:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def run_check(tmp_path, secret):
    """run_check(entry, app_url) -> CheckResult, through the real runner, with the lab's secret in ctx.env."""

    def run(entry: dict, app_url: str, *, env: dict | None = None):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        check = cls.model_validate(params)
        ctx = CheckContext(lab_path=tmp_path, services={}, workspace=None, timeout=10,
                           settings={"app_url": app_url}, env={"JWT_SECRET": secret} if env is None else env)
        task = Task("t", "t", tmp_path, ("h",), (), (), ())
        try:
            return run_one(task, CheckSpec(cls.type_name, check, 0), ctx)
        finally:
            ctx.close()

    return run


# What a lab writes: register a new user each run, log in, read the token.
LOGIN = {
    "setting": "app_url",
    "let": {"email": "jwt-${random}@example.com", "password": "pw-${random}"},
    "steps": [
        {"method": "POST", "path": "/register", "json": {"email": "${email}", "password": "${password}"},
         "status": [200, 201]},
        {"method": "POST", "path": "/login", "json": {"email": "${email}", "password": "${password}"}, "status": 200},
    ],
    "token": "access_token",
    "secret": "JWT_SECRET",
    "algorithms": ["HS256"],
}
ISSUED = {"type": "jwt.issued", **LOGIN, "max_lifetime": 900, "claims": {"email": "${email}"}}
VERIFIED = {"type": "jwt.verified", **LOGIN, "protected": {"method": "GET", "path": "/me"}}
WITH_AUD_ISS = {"audience": AUDIENCE, "issuer": ISSUER}


def said(result) -> str:
    """A failure's message without its curl line, which every failure about a request must end with."""
    message, sep, curl = result.message.rpartition(". Try it: curl ")
    assert sep and curl, f"no curl line to paste in {result.message!r}"
    return message


# ---- the correct app, and other right answers -----------------------------------------------------

@pytest.mark.parametrize("extra", [{}, WITH_AUD_ISS])
def test_the_correct_app_passes_both(start_app, run_check, extra):
    url = start_app()
    issued = run_check({**ISSUED, **extra}, url)
    assert issued.status.value == "passed", issued.message
    assert re.fullmatch(r"the token from POST /login is signed HS256 with JWT_SECRET and expires in (899|900) s "
                        r"\(15 minutes\)", issued.message), issued.message
    verified = run_check({**VERIFIED, **extra, "require_exp": True, "refuse_other_algorithms": True}, url)
    assert verified.status.value == "passed", verified.message
    # no token, alg none x3, no signature, tampered, another key, expired, no exp, HS384 and HS512, aud and iss
    refused = 1 + 3 + 4 + 1 + 2 + (2 if extra else 0)
    assert verified.message == (f"GET /me accepted your app's token and one signed with JWT_SECRET, and answered "
                                f"401 to {refused} missing or forged ones")


@pytest.mark.parametrize("variant", ["extra-claims", "aud-list", "no-typ", "leeway", "also-cookie"])
def test_other_right_answers_pass(start_app, run_check, variant):
    url = start_app(variant)
    for entry in ({**ISSUED, **WITH_AUD_ISS}, {**VERIFIED, **WITH_AUD_ISS, "require_exp": True}):
        result = run_check(entry, url)
        assert result.status.value == "passed", (entry["type"], result.message)


def test_a_token_elsewhere_in_the_answer_is_found_by_its_path(start_app, run_check):
    url = start_app("nested")
    for entry in (ISSUED, VERIFIED):
        assert run_check({**entry, "token": "data.token"}, url).status.value == "passed"
    result = run_check(ISSUED, url)  # the lab's path is not where this app puts it
    assert result.status.value == "failed"
    assert said(result).startswith("getting a token: step 2 (POST ")
    assert "the JSON has no access_token" in said(result)


def test_reruns_never_collide(start_app, run_check):
    url = start_app()
    assert [run_check(ISSUED, url).status.value for _ in range(3)] == ["passed"] * 3


# ---- mistakes in the token the app issues -------------------------------------------------------

@pytest.mark.parametrize("bug, words", [
    ("hard-coded-key", "its signature does not match the lab's secret: sign tokens with the value of the JWT_SECRET "
                       "environment variable, not a key written in your code"),
    ("day-long", "its exp is 86400 s (24 hours) after its iat; this lab allows at most 900 s (15 minutes): set exp "
                 "to at most that after the time of issue"),
    ("no-exp", "it has no exp (expiry time)"),
    ("ms-exp", "in milliseconds; JWT times are in seconds since 1970-01-01 UTC"),
    ("issues-hs512", "its header says alg 'HS512'; this lab allows only HS256"),
])
def test_issued_fails_each_mistake_with_its_words(start_app, run_check, bug, words):
    result = run_check(ISSUED, start_app(bug))
    assert result.status.value == "failed", result.message
    assert said(result).startswith("the token from POST /login: "), result.message
    assert words in said(result)
    assert result.found["claims"]["sub"]  # the learner sees what their token held
    assert result.evidence.count("curl ") == 2  # register, then log in


def test_a_token_that_is_not_a_jwt_is_said_so_by_both_checks(start_app, run_check):
    url = start_app("opaque-token")
    for entry in (ISSUED, VERIFIED):
        result = run_check(entry, url)
        assert result.status.value == "failed"
        assert said(result) == ("the access_token your app gave is not a JWT: it has 1 part separated by dots; a JWT "
                                "has three: header.payload.signature")


def test_issued_fails_a_token_without_the_audience_the_lab_requires(start_app, run_check):
    result = run_check({**ISSUED, **WITH_AUD_ISS}, start_app("no-aud"))
    assert result.status.value == "failed"
    assert "it has no aud (audience); this lab's tokens are for 'labs-api'" in said(result)


def test_issued_fails_a_token_for_another_user(start_app, run_check):
    entry = {**ISSUED, "claims": {"email": "someone-else@example.com"}}
    result = run_check(entry, start_app())
    assert result.status.value == "failed"
    assert "its email claim is" in said(result) and '"someone-else@example.com"' in said(result)


# ---- mistakes in how the app verifies -----------------------------------------------------------

@pytest.mark.parametrize("bug, extra, words", [
    ("decode-only", {}, "a token with alg 'none' (no signature at all) was accepted by GET /me (it answered 200; "
                        "expected 401): verify the signature and allow only HS256"),
    ("accept-none", {}, "a token with alg 'none' (no signature at all) was accepted"),
    ("blocks-lowercase-none", {}, "a token with alg 'None' (no signature at all) was accepted"),
    ("skip-empty-signature", {}, "a token whose header says HS256 but whose signature was removed was accepted"),
    ("signature-present-only", {}, "a token whose payload was changed after it was signed (role changed from 'user' "
                                   "to 'admin'; the signature kept) was accepted by GET /me (it answered 200; "
                                   "expected 401): verify the signature before trusting any claim"),
    ("ignore-exp", {}, "a token that expired an hour ago (signed with JWT_SECRET) was accepted by GET /me (it "
                       "answered 200; expected 401): check exp: refuse a token whose time is past"),
    ("hard-coded-key", {}, "GET /me refused a token signed HS256 with the lab's JWT_SECRET, carrying your token's "
                           "claims and issued now (it answered 401; expected a success, 2xx): verify tokens with "
                           "HS256 and the value of the JWT_SECRET environment variable, not a key written in your "
                           "code"),
    ("exp-optional", {"require_exp": True}, "a token with no exp, one that never expires (signed with JWT_SECRET) "
                                            "was accepted"),
    ("ignore-aud", WITH_AUD_ISS, "a token for another audience (aud 'not-labs-api', signed with JWT_SECRET) was "
                                 "accepted by GET /me (it answered 200; expected 401): check that aud is 'labs-api'"),
    ("ignore-iss", WITH_AUD_ISS, "a token from another issuer (iss 'not-https://auth.labs.example', signed with "
                                 "JWT_SECRET) was accepted"),
    ("any-hmac", {"refuse_other_algorithms": True}, "a token signed HS384 with JWT_SECRET (an algorithm this lab "
                                                    "does not allow) was accepted by GET /me (it answered 200; "
                                                    "expected 401): allow only HS256"),
    ("unprotected", {}, "a request without a token was accepted by GET /me (it answered 200; expected 401)"),
    ("forbidden-403", {}, "got 403 from GET /me; expected 401: a missing token, or one that cannot be trusted, gets "
                          "401 (Unauthorized); 403 (Forbidden) is for a known user who may not do this"),
])
def test_verified_fails_each_mistake_naming_the_forgery(start_app, run_check, bug, extra, words):
    result = run_check({**VERIFIED, **extra}, start_app(bug))
    assert result.status.value == "failed", result.message
    assert words in said(result), result.message
    assert result.evidence.startswith("curl -i ") and result.evidence.endswith("/me")  # the request to replay


def test_a_mistake_the_lab_does_not_ask_about_is_not_held_against_the_app(start_app, run_check):
    # Without require_exp, refuse_other_algorithms or an audience, those probes are not sent.
    for bug in ("exp-optional", "any-hmac", "ignore-aud", "ignore-iss"):
        result = run_check(VERIFIED, start_app(bug))
        assert result.status.value == "passed", (bug, result.message)


def test_the_curl_line_replays_the_forgery(start_app, run_check):
    import shlex
    import urllib.request

    url = start_app("accept-none")
    result = run_check(VERIFIED, url)
    words = shlex.split(result.evidence)
    token = words[words.index("-H") + 1].removeprefix("Authorization: Bearer ")
    head = json.loads(unb64(token.split(".")[0]))
    assert head["alg"] == "none" and token.endswith(".")
    request = urllib.request.Request(words[-1], headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    assert opener.open(request, timeout=5).status == 200  # the app still takes it: the learner sees it too


def test_an_app_that_refuses_its_own_token_is_told_so(start_app, run_check):
    result = run_check(VERIFIED, start_app("verifies-with-other-key"))
    assert result.status.value == "failed"
    assert said(result) == ("GET /me refused the token your app gave (it answered 401; expected a success, 2xx): "
                            "accept the tokens your app issues, sent as Authorization: Bearer <token>")


def test_an_app_that_trusts_only_another_algorithm_refuses_the_labs_token(start_app, run_check):
    # It issues HS512 and trusts only HS512: the lab's HS256 token is refused, and the message says HS256.
    result = run_check(VERIFIED, start_app("issues-hs512"))
    assert result.status.value == "failed"
    assert said(result).startswith("GET /me refused a token signed HS256 with the lab's JWT_SECRET")


def test_an_app_that_is_not_running_is_a_failure_saying_start_it(run_check):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_check(VERIFIED, f"http://127.0.0.1:{port}")
    assert result.status.value == "failed"
    assert "is your app running?" in result.message and result.message.startswith("getting a token: step 1")


def test_a_lab_without_the_secret_is_an_error_not_a_failure(start_app, run_check):
    result = run_check(VERIFIED, start_app(), env={})
    assert result.status.value == "error"
    assert result.message == "the lab has no secret JWT_SECRET: declare it under secrets: in lab.yaml"
