"""The lab's OpenID Connect provider: Authlib's authorization server (authorization code + PKCE + OpenID Connect)
on Flask, with the lab's users, one client, and a per-instance RS256 key kept on the data volume.

Endpoints (all under the issuer, http://127.0.0.1:<published port>):
  GET  /.well-known/openid-configuration   discovery; GET /jwks.json the public key
  GET  /authorize    response_type=code, client_id, redirect_uri, scope (openid ...), state, nonce,
                     code_challenge + code_challenge_method=S256 (required: `plain` and no PKCE are refused);
                     shows the login form, then the consent page (Allow / Deny)
  POST /login        email, password, query (the authorize request's query string) -> back to /authorize
  POST /token        grant_type=authorization_code, code, redirect_uri, code_verifier; the client authenticates
                     with client_secret_basic or client_secret_post; codes are single-use and live 60 s
  GET  /userinfo     Authorization: Bearer <access token>
  GET  /health       200
The client's redirect URIs: http://127.0.0.1:<any port>/callback or http://localhost:<any port>/callback
(RFC 8252's loopback redirect, so the app may listen on any port).

labctl alone (Authorization: Bearer $LABCTL_CONTROL_TOKEN, never given to the learner):
  POST /_labctl/issuer  {"issuer": "http://127.0.0.1:PORT"}   the issuer, after each start (the port may change)
  POST /_labctl/tamper  {"code": "...", "fault": F}           the ID token issued for that code is wrong on purpose:
                        signature (another key) | issuer | audience | expired | nonce
"""
import hashlib
import hmac
import json
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# The lab runs on http://127.0.0.1 (loopback, as RFC 8252 allows): Authlib refuses plain http unless told.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request, session

from oidc_pages import consent_page, error_page, login_page

DATA = Path(os.environ.get("OIDC_DATA", "/var/lib/oidc"))
PORT = int(os.environ.get("OIDC_PORT", "9400"))
CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "lab-app")
CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "lab-app-secret")
CONTROL_TOKEN = os.environ.get("LABCTL_CONTROL_TOKEN", "")
CODE_LIFETIME = 60
ID_TOKEN_LIFETIME = 600
FAULTS = ("signature", "issuer", "audience", "expired", "nonce")
LOCK = threading.Lock()


def users() -> dict:
    """email -> (name, password): OIDC_USERS is "email:Name,email:Name"; each password is OIDC_PASSWORD_<LOCAL PART>."""
    found = {}
    for item in os.environ.get("OIDC_USERS", "ada@example.com:Ada Lovelace").split(","):
        email, _, name = item.strip().partition(":")
        password = os.environ.get("OIDC_PASSWORD_" + email.split("@")[0].upper().replace("-", "_").replace(".", "_"))
        if email and password:
            found[email] = (name or email, password)
    return found


def kept(name: str, make) -> bytes:
    """A file on the data volume, made once (so stop/start keeps the instance's keys)."""
    path = DATA / name
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(make())
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_bytes()


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


SIGNING_KEY = JsonWebKey.import_key(kept("signing-key.pem", _rsa_pem).decode(), {"kty": "RSA", "use": "sig"})
KID = SIGNING_KEY.thumbprint()
OTHER_KEY = JsonWebKey.import_key(_rsa_pem().decode(), {"kty": "RSA"})  # signs the "signature" fault's tokens
SESSION_SECRET = kept("session-secret", lambda: secrets.token_hex(32).encode())


def issuer() -> str:
    path = DATA / "issuer"
    text = path.read_text().strip() if path.exists() else ""
    return text or os.environ.get("OIDC_ISSUER", f"http://127.0.0.1:{PORT}")


def subject(email: str) -> str:
    """A stable, opaque subject per user and instance (never the email)."""
    return hmac.new(SESSION_SECRET, email.encode(), hashlib.sha256).hexdigest()[:24]


class User:
    def __init__(self, email: str, name: str):
        self.email, self.name = email, name

    def get_user_id(self):
        return subject(self.email)


def user_by_email(email: str | None):
    found = users().get(email or "")
    return User(email, found[0]) if found else None


class Client(ClientMixin):
    client_id = CLIENT_ID

    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return None  # redirect_uri is required

    def get_allowed_scope(self, scope):
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        parts = urlsplit(redirect_uri or "")
        try:
            port = parts.port
        except ValueError:
            return False
        return (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and port is not None
                and parts.path == "/callback" and not parts.fragment)

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret or "", CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_token_endpoint_auth_method(self, method):
        return self.check_endpoint_auth_method(method, "token")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


CLIENT = Client()
CODES: dict = {}  # code -> AuthorizationCode
TOKENS: dict = {}  # access token -> (email, scope, expires)


class AuthorizationCode:
    def __init__(self, code, request):
        self.code = code
        self.client_id = request.client_id
        self.redirect_uri = request.redirect_uri
        self.scope = request.scope
        self.email = request.user.email
        self.nonce = request.data.get("nonce")
        self.code_challenge = request.data.get("code_challenge")
        self.code_challenge_method = request.data.get("code_challenge_method")
        self.auth_time = int(time.time())
        self.expires = time.time() + CODE_LIFETIME
        self.fault = None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        with LOCK:
            CODES[code] = AuthorizationCode(code, request)

    def query_authorization_code(self, code, client):
        with LOCK:
            item = CODES.get(code)
        if item is None or item.client_id != client.get_client_id() or item.expires < time.time():
            return None
        return item

    def delete_authorization_code(self, authorization_code):
        with LOCK:
            CODES.pop(authorization_code.code, None)  # single use: a second exchange is invalid_grant

    def authenticate_user(self, authorization_code):
        return user_by_email(authorization_code.email)


class S256Only(CodeChallenge):
    """PKCE is required, and only S256: `plain` would hand the verifier to whoever sees the browser's URL."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant):
        data = grant.request.data
        if not data.get("code_challenge"):
            raise InvalidRequestError('Missing "code_challenge": this provider requires PKCE (S256)')
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError('"code_challenge_method" must be S256 (plain, or none, is refused)')
        super().validate_code_challenge(grant)


class LabOpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce, request):
        return False

    def get_jwt_config(self, grant):
        return {"key": SIGNING_KEY, "alg": "RS256", "iss": issuer(), "exp": ID_TOKEN_LIFETIME}

    def generate_user_info(self, user, scope):
        info = UserInfo(sub=user.get_user_id())
        if "email" in scope.split():
            info.update(email=user.email, email_verified=True)
        if "profile" in scope.split():
            info["name"] = user.name
        return info

    def process_token(self, grant, token):
        """The ID token, signed here so that labctl can ask for a wrong one (the `fault` of its code)."""
        scope = token.get("scope") or ""
        code = grant.request.credential
        if "openid" not in scope.split() or code is None:
            return token
        now = int(time.time())
        claims = dict(self.generate_user_info(grant.request.user, scope))
        claims.update(iss=issuer(), aud=CLIENT_ID, iat=now, exp=now + ID_TOKEN_LIFETIME, auth_time=code.auth_time)
        if code.nonce:
            claims["nonce"] = code.nonce
        key, fault = SIGNING_KEY, code.fault
        if fault == "signature":
            key = OTHER_KEY
        elif fault == "issuer":
            claims["iss"] = "https://idp.example.com"
        elif fault == "audience":
            claims["aud"] = "another-app"
        elif fault == "expired":
            claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
        elif fault == "nonce":
            claims["nonce"] = generate_token(24)
        header = {"alg": "RS256", "kid": KID, "typ": "JWT"}
        token["id_token"] = jwt.encode(header, claims, key).decode()
        return token


def save_token(token, req):
    with LOCK:
        TOKENS[token["access_token"]] = (req.user.email, token.get("scope", ""), time.time() + token["expires_in"])


app = Flask(__name__)
app.config.update(SECRET_KEY=SESSION_SECRET, SESSION_COOKIE_NAME="idp_session", SESSION_COOKIE_HTTPONLY=True,
                  SESSION_COOKIE_SAMESITE="Lax", OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": 600})
server = AuthorizationServer(app, query_client=lambda cid: CLIENT if cid == CLIENT_ID else None, save_token=save_token)
server.register_grant(CodeGrant, [S256Only(required=True), LabOpenIDCode(require_nonce=False)])


def page(html: str, status: int = 200):
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.get("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    return jsonify(
        issuer=base, authorization_endpoint=base + "/authorize", token_endpoint=base + "/token",
        userinfo_endpoint=base + "/userinfo", jwks_uri=base + "/jwks.json",
        response_types_supported=["code"], grant_types_supported=["authorization_code"],
        subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
        scopes_supported=["openid", "email", "profile"], code_challenge_methods_supported=["S256"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        claims_supported=["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified", "name"])


@app.get("/jwks.json")
def jwks():
    public = SIGNING_KEY.as_dict(is_private=False)
    public.update(kid=KID, use="sig", alg="RS256")
    return jsonify(keys=[public])


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    user = user_by_email(session.get("email"))
    query = request.query_string.decode()
    if request.method == "GET":
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            if error.redirect_uri:  # the app named a valid callback: tell it there, as OAuth says
                return server.handle_error_response(None, error)
            return page(error_page(f"Bad authorization request: {error.error}", error.description or ""), 400)
        if user is None:
            return page(login_page(query))
        return page(consent_page(query, CLIENT_ID, grant.request.scope or "", user.email))
    allow = request.form.get("decision") == "allow"
    if allow and user is None:
        return page(login_page(query, "Log in first."), 401)
    return server.create_authorization_response(grant_user=user if allow else None)


@app.post("/login")
def login():
    email, password = request.form.get("email", ""), request.form.get("password", "")
    query = request.form.get("query", "")
    found = users().get(email)
    if found is None or not hmac.compare_digest(found[1].encode(), password.encode()):
        return page(login_page(query, "Unknown email or wrong password."), 401)
    session.clear()
    session["email"] = email
    return redirect("/authorize?" + query, code=303)


@app.post("/token")
def issue_token():
    return server.create_token_response()


@app.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    words = request.headers.get("Authorization", "").split()
    with LOCK:
        found = TOKENS.get(words[1]) if len(words) == 2 and words[0].lower() == "bearer" else None
    if found is None or found[2] < time.time():
        return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    email, scope, _ = found
    return jsonify(dict(LabOpenIDCode().generate_user_info(user_by_email(email), scope)))


def control_allowed() -> bool:
    words = request.headers.get("Authorization", "").split()
    return bool(CONTROL_TOKEN) and len(words) == 2 and hmac.compare_digest(words[1].encode(), CONTROL_TOKEN.encode())


@app.post("/_labctl/issuer")
def set_issuer():
    if not control_allowed():
        return jsonify(error="forbidden"), 403
    value = str((request.get_json(silent=True) or {}).get("issuer", ""))
    parts = urlsplit(value)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or parts.path not in ("", "/"):
        return jsonify(error="the issuer is http://127.0.0.1:PORT"), 400
    (DATA / "issuer").write_text(value.rstrip("/"))
    return jsonify(issuer=issuer())


@app.post("/_labctl/tamper")
def tamper():
    if not control_allowed():
        return jsonify(error="forbidden"), 403
    body = request.get_json(silent=True) or {}
    if body.get("fault") not in FAULTS:
        return jsonify(error="fault is one of " + ", ".join(FAULTS)), 400
    with LOCK:
        item = CODES.get(str(body.get("code", "")))
        if item is not None:
            item.fault = body["fault"]
    if item is None:
        return jsonify(error="no such code (used, expired, or never issued)"), 404
    return jsonify(ok=True)


def forget_expired():
    while True:
        time.sleep(30)
        now = time.time()
        with LOCK:
            for store, when in ((CODES, lambda v: v.expires), (TOKENS, lambda v: v[2])):
                for key in [k for k, v in store.items() if when(v) < now]:
                    store.pop(key, None)


if __name__ == "__main__":
    # PID 1 in its container: without a handler SIGTERM is ignored, and `labctl stop` waits out the engine's
    # grace period (10 s) before SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Thread(target=forget_expired, daemon=True).start()
    app.run(host="0.0.0.0", port=PORT, threaded=True)
