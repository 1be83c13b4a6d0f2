"""tokens-101 reference solution: stateless authentication with JWTs, in Python's standard library plus
psycopg (PostgreSQL), PyJWT (tokens) and bcrypt (password hashes).

    POST /register   {email, password} -> 201 {id, email}          the password stored as a bcrypt hash
    POST /login      {email, password} -> 200 {access_token, refresh_token, token_type, expires_in}
    GET  /me         Authorization: Bearer <access token> -> 200 {id, email, role}, else 401
    POST /refresh    {refresh_token} -> 200 a new pair; the used refresh token is refused from then on
    POST /logout     {refresh_token} -> 204; that login's refresh tokens are refused from then on
    GET  /admin/stats  an access token whose role claim is admin -> 200 {users: N}; another user's 403

Access tokens are JWTs signed HS256 with $JWT_SECRET and live 15 minutes: any server holding the secret can
check one without a database. Refresh tokens are random strings; PostgreSQL keeps a SHA-256 of each (never the
token), the login it descends from (its family), and whether it was used or revoked.

It listens on $HOST:$PORT (127.0.0.1:8000 by default) and reads DATABASE_URL, JWT_SECRET and ADMIN_PASSWORD
from its environment (`eval "$(labctl env)"` sets them):

    python3 app.py                  # the finished app: all six tasks
    python3 app.py --upto me        # the app as it stands after task 3 (tasks: register, login, me,
                                    #   refresh, revoke, admin)

--bug NAME switches on one plausible mistake; the lab's self-test uses them to prove the checks catch it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bcrypt
import jwt
import psycopg

TASKS = ["register", "login", "me", "refresh", "revoke", "admin"]
BUGS = {
    # register
    "plain-password": "the password is stored as it was typed",
    "sha256-password": "the password is stored as an unsalted SHA-256 digest (fast to guess)",
    "duplicate-email-ok": "a second registration with a taken email answers 201 with the first user",
    "short-password-ok": "a password shorter than 8 characters is accepted",
    "password-in-answer": "the registration's answer includes the password",
    "no-validation": "a body without a password crashes the handler (500) instead of a 400",
    # login
    "day-long-token": "access tokens live 24 hours instead of at most 15 minutes",
    "hard-coded-key": "tokens are signed (and checked) with a key written in the code, not $JWT_SECRET",
    "no-exp": "access tokens carry no exp: they never expire",
    "no-aud-iss": "access tokens carry no aud and no iss",
    "no-role-claim": "access tokens carry no role claim",
    "any-password": "POST /login never checks the password",
    "unknown-email-404": "POST /login answers 404 for an unknown email (and so tells who has an account)",
    "numeric-sub": "the sub claim is the user's id as a number (RFC 7519 makes it a string)",
    # me
    "decode-only": "GET /me decodes the token without verifying its signature",
    "alg-none-accepted": "GET /me trusts a token whose header says alg none, unsigned",
    "exp-ignored": "GET /me accepts expired tokens",
    "aud-ignored": "GET /me accepts a token for another audience",
    "iss-ignored": "GET /me accepts a token from another issuer",
    "bad-token-403": "a missing or invalid token gets 403 instead of 401",
    # refresh
    "refresh-not-rotated": "POST /refresh gives back the same refresh token",
    "old-refresh-accepted": "POST /refresh gives a new refresh token but the old one keeps working",
    "refresh-is-access": "refresh tokens are long-lived JWTs like the access tokens, so GET /me accepts them",
    "refresh-any-jwt": "POST /refresh also takes a valid access token as a refresh token",
    "refresh-stored-as-given": "refresh tokens are kept in the table as they were given, not as a digest",
    "refresh-lifetime-hard-coded": "refresh tokens last a week, written in the code, whatever $REFRESH_TOKEN_SECONDS says",
    # revoke
    "reuse-not-revoking": "a reused refresh token is refused, but the rest of its family keeps working",
    "reuse-revokes-next-only": "a reused refresh token revokes only the token it was exchanged for",
    "logout-not-revoking": "POST /logout answers 204 and revokes nothing",
    "logout-everywhere": "POST /logout revokes every session of the user, not only this login's",
    # admin
    "role-from-body": "POST /register takes the role from the request body",
    "any-user-admin": "GET /admin/stats lets in any valid token, whatever its role",
    "role-from-request": "GET /admin/stats takes a role sent in the request's JSON body over the token's",
    "admin-403-no-token": "GET /admin/stats answers 403 to a request without a token",
    "admin-401-for-user": "GET /admin/stats answers 401 to a normal user's valid token",
    "admin-hard-coded-password": "the admin is created with the password admin123 instead of $ADMIN_PASSWORD",
    "stats-constant": "GET /admin/stats always answers {\"users\": 1}",
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--upto", choices=TASKS, default=TASKS[-1], help="enable the features of the tasks up to this one")
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a plausible mistake")
OPTIONS = parser.parse_args()


def done(task: str) -> bool:
    """Whether the app includes the feature of this task (so the self-test can run it task by task)."""
    return TASKS.index(task) <= TASKS.index(OPTIONS.upto)


def bug(name: str) -> bool:
    return name in OPTIONS.bug


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: run `eval \"$(labctl env)\"` first, or let labctl start the app")
    return value


DATABASE_URL = required_env("DATABASE_URL")
JWT_SECRET = "my-very-secret-key-1234567890-abcdef" if bug("hard-coded-key") else required_env("JWT_SECRET")
ISSUER, AUDIENCE = "tokens-101", "tokens-101-api"
ALGORITHM = "HS256"
ACCESS_LIFETIME = 86400 if bug("day-long-token") else 15 * 60   # seconds
# A refresh token's lifetime: the lab gives it in $REFRESH_TOKEN_SECONDS (short, so that the checks see one
# expire); a week on a real site.
REFRESH_LIFETIME = 7 * 86400 if bug("refresh-lifetime-hard-coded") \
    else int(os.environ.get("REFRESH_TOKEN_SECONDS", 7 * 86400))
ADMIN_EMAIL = "admin@example.com"
BCRYPT_COST = 10  # OWASP's minimum; each login and registration takes a few tens of milliseconds

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,          -- SHA-256 of the token: a copy of this table opens nothing
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family      uuid NOT NULL,                 -- shared by every token that descends from one login
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,                   -- when it was exchanged for a new pair
    revoked_at  timestamptz                    -- when it was logged out, or its family revoked
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family);
"""


def db() -> psycopg.Connection:
    """A new connection for one request (simple; a real app keeps a pool)."""
    return psycopg.connect(DATABASE_URL, autocommit=True)


# ---- requests, responses, errors -----------------------------------------------------------------

class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def unauthorized(message: str) -> HttpError:
    return HttpError(403 if bug("bad-token-403") else 401, message)


def json_body(handler: BaseHTTPRequestHandler) -> dict:
    length = int(handler.headers.get("Content-Length") or 0)
    try:
        data = json.loads(handler.rfile.read(length) or b"null")
    except ValueError:
        raise HttpError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HttpError(400, "send a JSON object")
    return data


def text_field(data: dict, name: str) -> str:
    value = data.get(name)
    if bug("no-validation"):
        return value.strip() if name == "email" else value + ""
    if not isinstance(value, str) or not value.strip():
        raise HttpError(400, f"{name} is required")
    return value.strip() if name == "email" else value


# ---- passwords and tokens --------------------------------------------------------------------------

def hash_password(password: str) -> str:
    if bug("plain-password"):
        return password
    if bug("sha256-password"):
        return hashlib.sha256(password.encode()).hexdigest()
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def password_matches(password: str, stored: str) -> bool:
    if bug("plain-password"):
        return password == stored
    if bug("sha256-password"):
        return hashlib.sha256(password.encode()).hexdigest() == stored
    return bcrypt.checkpw(password.encode(), stored.encode())


def access_token(user_id: int, email: str, role: str, *, lifetime: int = ACCESS_LIFETIME) -> str:
    """A signed JWT: who the user is (sub, email, role), who made it for whom (iss, aud), and until when (exp)."""
    now = int(time.time())
    claims = {"sub": user_id if bug("numeric-sub") else str(user_id), "email": email, "role": role, "iat": now, "exp": now + lifetime,
              "iss": ISSUER, "aud": AUDIENCE}
    if bug("no-exp"):
        del claims["exp"]
    if bug("no-aud-iss"):
        del claims["aud"], claims["iss"]
    if bug("no-role-claim"):
        del claims["role"]
    return jwt.encode(claims, JWT_SECRET, algorithm=ALGORITHM)


def verify_access_token(token: str) -> dict:
    """The claims of a token this app signed, still valid, for this API; raises HttpError 401 otherwise."""
    try:
        if bug("decode-only"):
            return jwt.decode(token, options={"verify_signature": False})
        if bug("alg-none-accepted") and str(jwt.get_unverified_header(token).get("alg")).lower() == "none":
            return jwt.decode(token, options={"verify_signature": False})
        options = {"require": ["exp", "sub"], "verify_exp": not bug("exp-ignored"),
                   "verify_aud": not bug("aud-ignored"), "verify_iss": not bug("iss-ignored")}
        # algorithms= is a list of what this app accepts: never read it from the token's own header.
        return jwt.decode(token, JWT_SECRET, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                          options=options)
    except jwt.PyJWTError as exc:
        raise unauthorized(f"invalid token: {exc}") from None


def bearer_claims(handler: BaseHTTPRequestHandler) -> dict:
    """The claims of the access token in the Authorization header; 401 without a valid one."""
    header = handler.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("send an access token: Authorization: Bearer <token>")
    return verify_access_token(token.strip())


def digest(token: str) -> str:
    """What the refresh_tokens table keeps of a token: a copy of the table must open no account."""
    return token if bug("refresh-stored-as-given") else hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token(conn: psycopg.Connection, user_id: int, family: uuid.UUID, email: str, role: str) -> str:
    """A fresh refresh token in `family`; only its SHA-256 is stored."""
    if bug("refresh-is-access"):
        token = access_token(user_id, email, role, lifetime=REFRESH_LIFETIME)
    else:
        token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at) "
                 "VALUES (%s, %s, %s, now() + make_interval(secs => %s))",
                 (digest(token), user_id, family, REFRESH_LIFETIME))
    return token


def token_pair(conn: psycopg.Connection, user_id: int, email: str, role: str, family: uuid.UUID) -> dict:
    answer = {"access_token": access_token(user_id, email, role), "token_type": "Bearer",
              "expires_in": ACCESS_LIFETIME}
    if done("refresh"):
        answer["refresh_token"] = new_refresh_token(conn, user_id, family, email, role)
    return answer


# ---- routes --------------------------------------------------------------------------------------

def register(handler) -> tuple[int, dict | None]:
    data = json_body(handler)
    email, password = text_field(data, "email"), text_field(data, "password")
    if len(password) < 8 and not bug("short-password-ok"):
        raise HttpError(400, "the password must have at least 8 characters")
    # Whoever registers is a normal user: a client never chooses its own role.
    role = data.get("role") if bug("role-from-body") and data.get("role") in ("user", "admin") else "user"
    with db() as conn:
        row = conn.execute("INSERT INTO users (email, password_hash, role) VALUES (%s, %s, %s) "
                           "ON CONFLICT (email) DO NOTHING RETURNING id",
                           (email, hash_password(password), role)).fetchone()
        if row is None:
            if not bug("duplicate-email-ok"):
                raise HttpError(409, "this email is already registered")
            row = conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()
    answer = {"id": row[0], "email": email}
    if bug("password-in-answer"):
        answer["password"] = password
    return 201, answer


def login(handler) -> tuple[int, dict | None]:
    data = json_body(handler)
    email, password = text_field(data, "email"), text_field(data, "password")
    with db() as conn:
        user = conn.execute("SELECT id, password_hash, role FROM users WHERE email = %s", (email,)).fetchone()
        if user is None and bug("unknown-email-404"):
            raise HttpError(404, "no such user")
        # One answer for an unknown email and a wrong password: nobody learns who has an account.
        if user is None or not (bug("any-password") or password_matches(password, user[1])):
            raise HttpError(401, "wrong email or password")
        return 200, token_pair(conn, user[0], email, user[2], uuid.uuid4())


def me(handler) -> tuple[int, dict | None]:
    claims = bearer_claims(handler)
    # Stateless: everything comes from the verified token, no database read.
    return 200, {"id": int(claims["sub"]), "email": claims.get("email"), "role": claims.get("role")}


def refresh(handler) -> tuple[int, dict | None]:
    token = json_body(handler).get("refresh_token")
    if not isinstance(token, str) or not token:
        raise HttpError(401, "send your refresh token: {\"refresh_token\": \"...\"}")
    with db() as conn:
        if bug("refresh-any-jwt") and token.count(".") == 2:
            claims = verify_access_token(token)
            user = conn.execute("SELECT id, email, role FROM users WHERE id = %s", (int(claims["sub"]),)).fetchone()
            return 200, token_pair(conn, user[0], user[1], user[2], uuid.uuid4())
        with conn.transaction():
            # FOR UPDATE: two requests with the same token wait for each other, so only one of them wins.
            row = conn.execute(
                "SELECT t.id, t.user_id, t.family, t.expires_at < now(), t.used_at IS NOT NULL, "
                "       t.revoked_at IS NOT NULL, u.email, u.role "
                "FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s FOR UPDATE",
                (digest(token),)).fetchone()
            if row is None:
                raise HttpError(401, "unknown refresh token")
            token_id, user_id, family, expired, used, revoked, email, role = row
            if revoked or expired:
                raise HttpError(401, "this refresh token is no longer valid: log in again")
            if used and not bug("old-refresh-accepted"):
                if done("revoke") and not bug("reuse-not-revoking"):
                    # A used token came back: someone holds a copy. End the whole login, thief and owner alike.
                    revoke_reused(conn, family, token_id)
            elif bug("refresh-not-rotated"):
                return 200, {"access_token": access_token(user_id, email, role), "refresh_token": token,
                             "token_type": "Bearer", "expires_in": ACCESS_LIFETIME}
            else:
                conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = %s", (token_id,))
                return 200, token_pair(conn, user_id, email, role, family)
        # Outside the transaction, so that the revocation above is committed before the refusal.
        raise HttpError(401, "this refresh token was already used: log in again")


def revoke_reused(conn: psycopg.Connection, family: uuid.UUID, token_id: int) -> None:
    if bug("reuse-revokes-next-only"):
        conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE id = "
                     "(SELECT min(id) FROM refresh_tokens WHERE family = %s AND id > %s)", (family, token_id))
        return
    conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE family = %s AND revoked_at IS NULL", (family,))


def logout(handler) -> tuple[int, dict | None]:
    token = json_body(handler).get("refresh_token")
    if isinstance(token, str) and token and not bug("logout-not-revoking"):
        with db() as conn:
            if bug("logout-everywhere"):
                conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND user_id = "
                             "(SELECT user_id FROM refresh_tokens WHERE token_hash = %s)", (digest(token),))
            else:
                # The whole family: this login ends, whichever of its tokens the client held.
                conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family = "
                             "(SELECT family FROM refresh_tokens WHERE token_hash = %s)", (digest(token),))
    # 204 for a token that is unknown or already revoked too: the client is logged out either way.
    return 204, None


def admin_stats(handler) -> tuple[int, dict | None]:
    header = handler.headers.get("Authorization") or ""
    if bug("admin-403-no-token") and not header:
        raise HttpError(403, "admins only")
    claims = bearer_claims(handler)
    if bug("role-from-request") and handler.headers.get("Content-Length"):
        claims = {**claims, "role": json_body(handler).get("role", claims.get("role"))}
    if claims.get("role") != "admin" and not bug("any-user-admin"):
        # A valid token of a known user who may not do this: 403 Forbidden, not 401.
        raise HttpError(401 if bug("admin-401-for-user") else 403, "admins only")
    if bug("stats-constant"):
        return 200, {"users": 1}
    with db() as conn:
        return 200, {"users": conn.execute("SELECT count(*) FROM users").fetchone()[0]}


ROUTES = {
    ("POST", "/register"): ("register", register),
    ("POST", "/login"): ("login", login),
    ("GET", "/me"): ("me", me),
    ("POST", "/refresh"): ("refresh", refresh),
    ("POST", "/logout"): ("revoke", logout),
    ("GET", "/admin/stats"): ("admin", admin_stats),
}


def setup_database() -> None:
    """Create the tables (once: IF NOT EXISTS) and make sure the admin exists with $ADMIN_PASSWORD."""
    with db() as conn:
        conn.execute(SCHEMA)
        if done("admin"):
            password = "admin123" if bug("admin-hard-coded-password") else required_env("ADMIN_PASSWORD")
            conn.execute("INSERT INTO users (email, password_hash, role) VALUES (%s, %s, 'admin') "
                         "ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin'",
                         (ADMIN_EMAIL, hash_password(password)))


# ---- the server ---------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        path = self.path.split("?")[0]
        task, route = ROUTES.get((self.command, path), (None, None))
        try:
            if route is None or not done(task):
                raise HttpError(404, "no such route")
            status, body = route(self)
        except HttpError as exc:
            status, body = exc.status, {"error": exc.message}
        except Exception as exc:  # a bug in a handler: 500, and keep serving
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            status, body = 500, {"error": "internal server error"}
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, fmt, *args) -> None:
        pass  # quiet: the checks make many requests


class Server(ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    setup_database()
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"tokens-101 API (up to task {OPTIONS.upto}) on http://{host}:{port}", flush=True)
    Server((host, port), Handler).serve_forever()
