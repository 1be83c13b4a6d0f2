"""oauth-101 reference solution: "Log in with the lab's identity provider", the OpenID Connect authorization
code flow with state, nonce and PKCE (S256), in Python's standard library plus requests and PyJWT.

    GET  /login      302 to $OIDC_ISSUER/authorize?response_type=code&client_id=...&redirect_uri=...&scope=openid
                     email profile&state=...&nonce=...&code_challenge=...&code_challenge_method=S256; the state,
                     nonce and code_verifier are kept server-side, under a cookie for this login only
    GET  /callback   ?code&state: state compared, the code exchanged at the token endpoint (client_secret_basic),
                     the ID token verified (RS256 from the provider's JWKS, iss, aud, exp, nonce), then a new
                     session (a new random cookie) and 303 to /me; ?error=... or anything wrong: 400, no session
    GET  /me         200 {sub, email, name} from the ID token, or 401 without a session
    POST /logout     the session deleted on the server and its cookie expired: 204

It listens on $HOST:$PORT (127.0.0.1:8000 by default) and reads OIDC_ISSUER, OIDC_CLIENT_ID and
OIDC_CLIENT_SECRET from its environment (`eval "$(labctl env)"` sets them):

    python3 app.py                  # the finished app: all five tasks
    python3 app.py --upto callback  # the app as it stands after task 2 (tasks: redirect, callback, id-token,
                                    #   refusals, logout)

--bug NAME switches on one plausible mistake; the lab's self-test uses them to prove the checks catch it.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests

TASKS = ["redirect", "callback", "id-token", "refusals", "logout"]
BUGS = {
    # redirect
    "no-state": "the authorization request has no state",
    "fixed-state": "every login sends the same state",
    "no-pkce": "the authorization request has no code_challenge",
    "plain-pkce": "PKCE with code_challenge_method=plain",
    "no-nonce": "the authorization request has no nonce",
    "secret-in-url": "the client secret goes into the authorization URL",
    # callback
    "no-verifier": "the token request leaves out the code_verifier",
    "no-session-cookie": "the callback answers 200 but starts no session",
    "me-without-session": "GET /me answers 200 {} without a session",
    # id-token
    "decode-only": "the ID token is decoded without verifying its signature",
    "iss-ignored": "the ID token's issuer is not checked",
    "aud-ignored": "the ID token's audience is not checked",
    "exp-ignored": "an expired ID token is accepted",
    "nonce-ignored": "the ID token's nonce is not compared with the login's",
    "identity-from-query": "an email in the callback's query overrides the ID token's",
    # refusals
    "state-not-checked": "the callback never compares state",
    "state-global": "states are kept in one set for every browser, not in the browser's own login",
    "denied-crash": "a callback with error=access_denied crashes the handler (500)",
    "code-cached": "a code already used gives back the session it made",
    "session-fixation": "the login's cookie becomes the session's: no new session id at login",
    # logout
    "logout-cookie-only": "POST /logout expires the cookie but keeps the session on the server",
    "no-logout": "there is no POST /logout (404)",
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--upto", choices=TASKS, default=TASKS[-1], help="enable the features of the tasks up to this one")
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a plausible mistake")
OPTIONS = parser.parse_args()


def done(task: str) -> bool:
    return TASKS.index(task) <= TASKS.index(OPTIONS.upto)


def bug(name: str) -> bool:
    return name in OPTIONS.bug


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: run `eval \"$(labctl env)\"` first, or let labctl start the app")
    return value


ISSUER = required_env("OIDC_ISSUER").rstrip("/")
CLIENT_ID = required_env("OIDC_CLIENT_ID")
CLIENT_SECRET = required_env("OIDC_CLIENT_SECRET")
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
REDIRECT_URI = f"http://127.0.0.1:{PORT}/callback"
LOGIN_COOKIE, SESSION_COOKIE = "login_tx", "sid"
HTTP = requests.Session()
HTTP.trust_env = False  # the provider is on this machine: never through a proxy
KEYS: dict[str, object] = {}     # the provider's public keys by kid, from its JWKS

LOCK = threading.Lock()
LOGINS: dict[str, dict] = {}     # login cookie -> {state, nonce, verifier, started}
SESSIONS: dict[str, dict] = {}   # session cookie -> {sub, email, name}
STATES: set[str] = set()         # bug state-global: every browser's states together
BY_CODE: dict[str, str] = {}     # bug code-cached: code -> session id
FIXED_STATE = "state-0123456789abcdef"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cookies(handler) -> dict[str, str]:
    out = {}
    for part in handler.headers.get("Cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


def set_cookie(name: str, value: str, max_age: int | None = None) -> str:
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}"


def login_redirect(handler):
    """GET /login: a new state, nonce and PKCE verifier for this browser's login; 302 to the provider."""
    state = FIXED_STATE if bug("fixed-state") else secrets.token_urlsafe(24)
    nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
              "scope": "openid email profile"}
    if not bug("no-state"):
        params["state"] = state
    if not bug("no-nonce"):
        params["nonce"] = nonce
    if bug("plain-pkce"):
        params.update(code_challenge=verifier, code_challenge_method="plain")
    elif not bug("no-pkce"):
        params.update(code_challenge=b64url(hashlib.sha256(verifier.encode()).digest()), code_challenge_method="S256")
    if bug("secret-in-url"):
        params["client_secret"] = CLIENT_SECRET
    tx = secrets.token_urlsafe(32)
    with LOCK:
        LOGINS[tx] = {"state": state, "nonce": nonce, "verifier": verifier, "started": time.time()}
        STATES.add(state)
    handler.answer(302, headers={"Location": f"{ISSUER}/authorize?{urlencode(params)}",
                                 "Set-Cookie": set_cookie(LOGIN_COOKIE, tx, 600)})


def exchange(code: str, verifier: str) -> dict:
    """The token request, server to server, authenticated with the client secret (client_secret_basic)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if not bug("no-verifier"):
        form["code_verifier"] = verifier
    response = HTTP.post(f"{ISSUER}/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    if response.status_code != 200:
        raise ValueError(f"the token endpoint answered {response.status_code}: {response.text[:200]}")
    return response.json()


def signing_key(id_token: str):
    """The provider's public key the token names (kid), fetched again when the kid is new (keys rotate)."""
    kid = jwt.get_unverified_header(id_token).get("kid")
    if kid not in KEYS:
        jwks = HTTP.get(f"{ISSUER}/jwks.json", timeout=10).json()
        KEYS.update({k.key_id: k.key for k in jwt.PyJWKSet.from_dict(jwks).keys})
    if kid not in KEYS:
        raise ValueError(f"the provider has no key {kid!r}")
    return KEYS[kid]


def verified_claims(id_token: str, nonce: str) -> dict:
    """The ID token's claims, once its signature (RS256, the provider's key), iss, aud, exp and nonce are right."""
    if not done("id-token") or bug("decode-only"):
        return jwt.decode(id_token, options={"verify_signature": False})
    key = signing_key(id_token)
    claims = jwt.decode(id_token, key, algorithms=["RS256"], audience=None if bug("aud-ignored") else CLIENT_ID,
                        issuer=None if bug("iss-ignored") else ISSUER,
                        options={"verify_aud": not bug("aud-ignored"), "verify_iss": not bug("iss-ignored"),
                                 "verify_exp": not bug("exp-ignored"), "require": ["exp", "iat", "sub"]},
                        leeway=30)
    if not bug("nonce-ignored") and claims.get("nonce") != nonce:
        raise ValueError("the ID token's nonce is not this login's")
    return claims


def callback(handler, query: dict[str, str]):
    """GET /callback: check state, exchange the code, verify the ID token, start a new session."""
    jar = cookies(handler)
    if bug("code-cached") and query.get("code") in BY_CODE:
        return handler.answer(303, headers={"Location": "/me", "Set-Cookie": set_cookie(SESSION_COOKIE, BY_CODE[query["code"]])})
    with LOCK:
        login = LOGINS.get(jar.get(LOGIN_COOKIE, ""))
    if "error" in query:
        if bug("denied-crash"):
            raise RuntimeError(query["error"])
        return handler.problem(400, f"the provider said {query['error']}: {query.get('error_description', '')}")
    if bug("state-global"):
        with LOCK:
            login = next((v for v in LOGINS.values() if v["state"] == query.get("state")), None) \
                if query.get("state") in STATES else None
    if login is None:
        return handler.problem(400, "no login in progress in this browser: start at /login")
    if done("refusals") and not bug("state-not-checked") and not bug("no-state") \
            and not secrets.compare_digest(query.get("state", ""), login["state"]):
        return handler.problem(400, "state does not match this browser's login")
    try:
        tokens = exchange(query.get("code", ""), login["verifier"])
        claims = verified_claims(tokens["id_token"], login["nonce"])
    except (ValueError, KeyError, jwt.PyJWTError, requests.RequestException) as exc:
        return handler.problem(400, f"login failed: {exc}")
    with LOCK:
        LOGINS.pop(jar.get(LOGIN_COOKIE, ""), None)  # each state is used once
    user = {"sub": claims["sub"], "email": claims.get("email"), "name": claims.get("name")}
    if bug("identity-from-query") and "email" in query:
        user["email"] = query["email"]
    if bug("no-session-cookie"):
        return handler.answer(200, {"ok": True})
    sid = jar.get(LOGIN_COOKIE, "") if bug("session-fixation") else secrets.token_urlsafe(32)
    with LOCK:
        SESSIONS[sid] = user
        BY_CODE[query.get("code", "")] = sid
    handler.answer(303, headers={"Location": "/me", "Set-Cookie": set_cookie(SESSION_COOKIE, sid)},
                   extra_cookies=[set_cookie(LOGIN_COOKIE, "", 0)])


def current_user(handler) -> dict | None:
    jar = cookies(handler)
    with LOCK:
        user = SESSIONS.get(jar.get(SESSION_COOKIE, ""))
        if user is None and bug("session-fixation"):
            user = SESSIONS.get(jar.get(LOGIN_COOKIE, ""))
    return user


class Handler(BaseHTTPRequestHandler):
    server_version = "oauth-101-reference"

    def log_message(self, fmt, *args):  # one line per request on stderr, as usual, minus the noise
        sys.stderr.write("%s %s\n" % (self.command, fmt % args))

    def answer(self, status: int, body: dict | None = None, headers: dict | None = None,
               extra_cookies: list[str] = ()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        for value in extra_cookies:
            self.send_header("Set-Cookie", value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def problem(self, status: int, message: str):
        sys.stderr.write(f"refused: {message}\n")
        self.answer(status, {"error": message})

    def do_GET(self):
        try:
            self.route_get()
        except Exception as exc:  # noqa: BLE001 - as a framework does: a 500, and the error in the log
            sys.stderr.write(f"error: {exc!r}\n")
            self.answer(500, {"error": "internal error"})

    def route_get(self):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/health":
            return self.answer(200, {"ok": True})
        if parts.path == "/login":
            return login_redirect(self)
        if parts.path == "/callback" and done("callback"):
            return callback(self, query)
        if parts.path == "/me" and done("callback"):
            user = current_user(self)
            if user is None:
                return self.answer(200, {}) if bug("me-without-session") else self.problem(401, "not logged in: GET /login")
            return self.answer(200, user)
        self.problem(404, "not found")

    def do_POST(self):
        if urlsplit(self.path).path == "/logout" and done("logout") and not bug("no-logout"):
            sid = cookies(self).get(SESSION_COOKIE, "")
            if not bug("logout-cookie-only"):
                with LOCK:
                    SESSIONS.pop(sid, None)
            return self.answer(204, headers={"Set-Cookie": set_cookie(SESSION_COOKIE, "", 0)})
        self.problem(404, "not found")


def main():
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    server.daemon_threads = True
    print(f"oauth-101 reference app on http://{HOST}:{PORT} (up to task {OPTIONS.upto}), issuer {ISSUER}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
