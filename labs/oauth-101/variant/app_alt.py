"""oauth-101, a second right answer written apart from the reference: a WSGI app on wsgiref, urllib for the
server-to-server calls, the provider's endpoints read from its discovery document, the client authenticated
with client_secret_post, the login's state/nonce/verifier kept in an HMAC-signed cookie (nothing on the
server until the login ends), the ID token verified by hand (RS256 is a modular power and a
comparison: Python's standard library alone, no JWT or crypto library), and sessions stored by the SHA-256
of their id. POST /logout answers 303 to /.

Reads OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, HOST and PORT from its environment.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socketserver
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from wsgiref.simple_server import WSGIServer, make_server

ISSUER = os.environ["OIDC_ISSUER"].rstrip("/")
CLIENT_ID, CLIENT_SECRET = os.environ["OIDC_CLIENT_ID"], os.environ["OIDC_CLIENT_SECRET"]
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
CALLBACK = f"http://127.0.0.1:{PORT}/callback"
COOKIE_KEY = secrets.token_bytes(32)  # signs the login cookie; a restart drops logins in flight
LEEWAY = 60
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the provider is local
SESSIONS: dict[str, dict] = {}  # sha256(session id) -> claims
LOCK = threading.Lock()
_discovery: dict = {}


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fetch_json(url: str, data: dict | None = None) -> tuple[int, dict]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with NO_PROXY.open(urllib.request.Request(url, data=body), timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def discovery() -> dict:
    if not _discovery:
        _discovery.update(fetch_json(f"{ISSUER}/.well-known/openid-configuration")[1])
    return _discovery


def sign(payload: dict) -> str:
    data = b64e(json.dumps(payload).encode())
    return data + "." + b64e(hmac.new(COOKIE_KEY, data.encode(), hashlib.sha256).digest())


def unsign(value: str) -> dict | None:
    data, _, mac = value.partition(".")
    good = b64e(hmac.new(COOKIE_KEY, data.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, good):
        return None
    payload = json.loads(b64d(data))
    return payload if payload.get("until", 0) > time.time() else None


# RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.2): the signature, raised to e mod n, must be this
# prefix, then the DigestInfo of SHA-256, then the digest itself.
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_valid(jwk: dict, signed: bytes, signature: bytes) -> bool:
    n, e = (int.from_bytes(b64d(jwk[k]), "big") for k in ("n", "e"))
    size = (n.bit_length() + 7) // 8
    if len(signature) != size or n.bit_length() < 2048:
        return False
    encoded = pow(int.from_bytes(signature, "big"), e, n).to_bytes(size, "big")
    suffix = SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(suffix) - 3) + b"\x00" + suffix
    return hmac.compare_digest(encoded, expected)


def verify_id_token(token: str, nonce: str) -> dict:
    """Claims of a genuine ID token for this client and login; raises ValueError otherwise."""
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        header, claims = json.loads(b64d(head_b64)), json.loads(b64d(body_b64))
    except ValueError as exc:
        raise ValueError(f"not a JWT: {exc}") from None
    if header.get("alg") != "RS256":
        raise ValueError("only RS256 is accepted")
    keys = fetch_json(discovery()["jwks_uri"])[1].get("keys", [])
    jwk = next((k for k in keys if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise ValueError("unknown key id")
    if not rs256_valid(jwk, f"{head_b64}.{body_b64}".encode(), b64d(sig_b64)):
        raise ValueError("bad signature")
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if claims.get("iss") != ISSUER or CLIENT_ID not in audiences:
        raise ValueError("wrong issuer or audience")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + LEEWAY < time.time():
        raise ValueError("expired")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise ValueError("wrong nonce")
    return claims


def respond(start, status: str, body: str = "", headers: list | None = None, kind: str = "application/json"):
    start(status, [("Content-Type", kind), ("Cache-Control", "no-store")] + (headers or []))
    return [body.encode()]


def refuse(start, why: str):
    return respond(start, "400 Bad Request", f"<!doctype html><p>Login refused: {why}. <a href=/login>Try again</a>",
                   [("Set-Cookie", "oidc_login=; Path=/; Max-Age=0")], "text/html; charset=utf-8")


def app(environ, start):
    path, method = environ.get("PATH_INFO", "/"), environ["REQUEST_METHOD"]
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    if path == "/login" and method == "GET":
        login = {"state": secrets.token_hex(16), "nonce": secrets.token_hex(16),
                 "verifier": secrets.token_urlsafe(64), "until": time.time() + 300}
        challenge = b64e(hashlib.sha256(login["verifier"].encode()).digest())
        target = discovery()["authorization_endpoint"] + "?" + urllib.parse.urlencode({
            "client_id": CLIENT_ID, "response_type": "code", "scope": "openid email", "redirect_uri": CALLBACK,
            "state": login["state"], "nonce": login["nonce"], "code_challenge": challenge,
            "code_challenge_method": "S256"})
        return respond(start, "303 See Other", "", [("Location", target), ("Set-Cookie",
                       f"oidc_login={sign(login)}; Path=/callback; HttpOnly; SameSite=Lax; Max-Age=300")])
    if path == "/callback" and method == "GET":
        login = unsign(jar["oidc_login"].value) if "oidc_login" in jar else None
        if "error" in query:
            return refuse(start, f"the provider said {query['error']}")
        if login is None or not hmac.compare_digest(query.get("state", ""), login["state"]):
            return refuse(start, "this browser did not start this login")
        status, tokens = fetch_json(discovery()["token_endpoint"], {
            "grant_type": "authorization_code", "code": query.get("code", ""), "redirect_uri": CALLBACK,
            "code_verifier": login["verifier"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        if status != 200 or "id_token" not in tokens:
            return refuse(start, f"the provider refused the code ({status})")
        try:
            claims = verify_id_token(tokens["id_token"], login["nonce"])
        except ValueError as exc:
            return refuse(start, str(exc))
        sid = secrets.token_urlsafe(32)
        with LOCK:
            SESSIONS[hashlib.sha256(sid.encode()).hexdigest()] = {
                "sub": claims["sub"], "email": claims.get("email"), "logged_in_at": int(time.time())}
        return respond(start, "302 Found", "", [("Location", "/me"), ("Set-Cookie", "oidc_login=; Path=/callback; Max-Age=0"),
                                                 ("Set-Cookie", f"app_session={sid}; Path=/; HttpOnly; SameSite=Lax")])
    digest = hashlib.sha256(jar["app_session"].value.encode()).hexdigest() if "app_session" in jar else ""
    if path == "/me" and method == "GET":
        with LOCK:
            user = SESSIONS.get(digest)
        if user is None:
            return respond(start, "401 Unauthorized", json.dumps({"error": "log in first", "login": "/login"}))
        return respond(start, "200 OK", json.dumps({**user, "provider": ISSUER}))
    if path == "/logout" and method == "POST":
        with LOCK:
            SESSIONS.pop(digest, None)
        return respond(start, "303 See Other", "", [("Location", "/"), (
            "Set-Cookie", "app_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")])
    if path == "/" and method == "GET":
        return respond(start, "200 OK", "<!doctype html><a href=/login>Log in</a>", kind="text/html; charset=utf-8")
    return respond(start, "404 Not Found", json.dumps({"error": "not found"}))


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


if __name__ == "__main__":
    with make_server(HOST, PORT, app, server_class=ThreadingWSGIServer) as server:
        print(f"oauth-101 variant on http://{HOST}:{PORT}", flush=True)
        server.serve_forever()
