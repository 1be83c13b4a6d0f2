"""auth-101 reference solution: registration, login and server-side sessions, on the lab's PostgreSQL.

Python's standard library for HTTP (http.server), psycopg 3 for PostgreSQL, bcrypt for passwords. A real
framework gives you most of this (Flask-Login, express-session, Spring Security, Laravel's auth); this file
shows each piece once, so that you can read how they fit together:

    users        a table with a unique email and a bcrypt hash, never the password itself
    sessions     a random token in an HttpOnly cookie; the server keeps what it means (here: which user),
                 in memory until task 7, then in PostgreSQL (only a SHA-256 of each token is stored)
    lockout      failed logins counted per account; 5 in a row lock it for 15 minutes (429)
    admin        an account made at start from ADMIN_PASSWORD; GET /admin/users is for it alone

It listens on $HOST:$PORT (127.0.0.1:8000 by default) and reads DATABASE_URL, ADMIN_PASSWORD (and REDIS_URL
with --style redis-sessions) from its environment, as `labctl env` exports them:

    python3 app.py                     # the finished app: all seven tasks
    python3 app.py --upto login        # the app as it stands after task 2 (tasks: register, login,
                                       #   session-cookie, logout, lockout, admin, restart)

--bug NAME switches on one classic mistake (the lab's near misses and mutants); --style NAME another right
answer (the lab's accepted variants). It creates its tables itself, if they are not there yet.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bcrypt
import psycopg
from psycopg import errors as pg_errors

TASKS = ["register", "login", "session-cookie", "logout", "lockout", "admin", "restart"]
BUGS = {
    # register
    "plaintext": "the password is stored as it was typed",
    "md5": "the password is stored as an unsalted MD5 hex digest",
    "sha256": "the password is stored as an unsalted SHA-256 hex digest",
    "static-salt": "the password is stored as SHA-256 of one salt for everyone plus the password",
    "bcrypt-4": "bcrypt with cost 4 (a test setting) instead of 12",
    "register-200": "a new account answers 200 instead of 201",
    "duplicate-accepted": "no unique email, in the table or in the code: a second account with one email is made",
    "duplicate-500": "the unique index refuses a second account, but the error is not caught: 500",
    "no-unique-index": "the code looks for the email first (409), but the table has no unique index on it",
    "short-password-accepted": "a password of any length is accepted",
    "min-length-9": "a password needs 9 characters, not 8 (off by one)",
    "no-email-check": "an email without @ is accepted",
    "hash-in-answer": "the 201 answer holds the user's row, its password_hash too",
    "stores-before-check": "the user is stored before the password is checked, so a refused one is kept",
    # login
    "wrong-password-accepted": "the password is not checked at login (any password logs in)",
    "different-errors": "an unknown email and a wrong password get different messages",
    "unknown-email-404": "an unknown email answers 404, a wrong password 401",
    "failed-login-keeps-session": "a failed login still sets a session for the account",
    "me-anonymous-200": "GET /me without a session answers 200 with null",
    # session-cookie
    "no-httponly": "the session cookie lacks HttpOnly",
    "no-samesite": "the session cookie has no SameSite attribute",
    "samesite-none": "the session cookie has SameSite=None",
    "same-session-id": "login keeps the session id the browser already had (session fixation)",
    # logout
    "logout-client-only": "logout expires the cookie, but the session stays valid on the server",
    "logout-keeps-cookie": "logout ends the session on the server, but does not expire the cookie",
    # lockout
    "no-lockout": "failed logins are not counted: no 429, ever",
    "lock-wrong-only": "a locked account still lets the right password in",
    "lockout-after-6": "the lock starts after 6 failures, not 5",
    "lockout-after-4": "the lock starts after 4 failures, not 5",
    "no-reset-on-success": "a successful login does not start the count again",
    "lockout-global": "one count for every account (as a limit per IP address would be, from 127.0.0.1)",
    "lockout-401": "a locked account answers 401 instead of 429",
    "cool-down-hard-coded": "the lock lasts 15 minutes, written in the code, whatever $LOCKOUT_SECONDS says",
    "lock-never-ends": "a locked account stays locked for good",
    # admin
    "admin-open": "GET /admin/users answers 200 to any logged-in user",
    "admin-401": "GET /admin/users answers 401 (not 403) to a logged-in user who is not an admin",
    "admin-anonymous-403": "GET /admin/users answers 403 (not 401) without a session",
    "role-from-body": "POST /register takes the role from the request body (mass assignment)",
    "no-admin-account": "no admin account is made from ADMIN_PASSWORD",
    "admin-password-in-list": "GET /admin/users lists each user's password_hash too",
    # restart
    "sessions-in-memory": "sessions are kept in the app's memory, so a restart logs everyone out",
}
STYLES = {
    "argon2id": "passwords hashed with Argon2id (argon2-cffi's defaults)",
    "scrypt": "passwords hashed as Werkzeug 3 does by default (scrypt:32768:8:1$salt$hex)",
    "errors-422": "invalid registrations answer 422",
    "lowercase-email": "emails stored in lowercase, UNIQUE (email) in the table",
    "strict-secure-cookie": "the cookie is __Host-session, Secure, SameSite=Strict, Max-Age=86400",
    "logout-200": "logout answers 200 with JSON and expires the cookie with a date in the past",
    "lockout-in-memory": "failed logins counted in the app's memory, with a Retry-After header on 429",
    "redis-sessions": "sessions kept in Redis (REDIS_URL), with a TTL",
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--upto", choices=TASKS, default=TASKS[-1], help="enable the features of the tasks up to this one")
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a classic mistake")
parser.add_argument("--style", choices=sorted(STYLES), action="append", default=[], help="another right answer")
OPTIONS = parser.parse_args()


def done(task: str) -> bool:
    """Whether the app includes the feature of this task (so the self-test can run it task by task)."""
    return TASKS.index(task) <= TASKS.index(OPTIONS.upto)


def bug(name: str) -> bool:
    return name in OPTIONS.bug


def style(name: str) -> bool:
    return name in OPTIONS.style


ADMIN_EMAIL = "admin@example.com"
MIN_PASSWORD = 9 if bug("min-length-9") else 8
MAX_FAILURES = 6 if bug("lockout-after-6") else 4 if bug("lockout-after-4") else 5
# The cool-down: the lab gives it in $LOCKOUT_SECONDS (short, so that the checks see the lock end); 15 minutes
# on a real site.
LOCK_SECONDS = 15 * 60 if bug("cool-down-hard-coded") else 10 ** 8 if bug("lock-never-ends") \
    else int(os.environ.get("LOCKOUT_SECONDS", 15 * 60))
SESSION_SECONDS = 24 * 3600
BCRYPT_COST = 4 if bug("bcrypt-4") else 12
COOKIE = "__Host-session" if style("strict-secure-cookie") else "sid"


# ---- the database -------------------------------------------------------------------------------

class Database:
    """A few PostgreSQL connections shared by the request threads (autocommit; transactions when asked)."""

    def __init__(self, url: str):
        self.url = url
        self.idle: list[psycopg.Connection] = []
        self.lock = threading.Lock()

    def connection(self) -> "Borrowed":
        return Borrowed(self)

    def _take(self) -> psycopg.Connection:
        with self.lock:
            while self.idle:
                conn = self.idle.pop()
                if not conn.closed:
                    return conn
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _give_back(self, conn: psycopg.Connection) -> None:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        with self.lock:
            self.idle.append(conn)


class Borrowed:
    def __init__(self, db: Database):
        self.db = db

    def __enter__(self) -> psycopg.Connection:
        self.conn = self.db._take()
        return self.conn

    def __exit__(self, *exc) -> None:
        self.db._give_back(self.conn)


def create_tables(db: Database) -> None:
    """The tables this app needs, made if missing: it can start on an empty database, and start again."""
    email_unique = ""
    if not (bug("duplicate-accepted") or bug("no-unique-index")):
        # One account per email, whatever its case: the database itself refuses a second one.
        email_unique = ("CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email)" if style("lowercase-email")
                        else "CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email))")
    with db.connection() as conn:
        conn.execute("""
            CREATE TABLE IF NOT EXISTS users (
                id            bigserial PRIMARY KEY,
                email         text NOT NULL,
                password_hash text NOT NULL,
                role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
                failed_logins integer NOT NULL DEFAULT 0,
                locked_until  timestamptz,
                created_at    timestamptz NOT NULL DEFAULT now()
            )""")
        if email_unique:
            conn.execute(email_unique)
        if done("restart") and not bug("sessions-in-memory") and not style("redis-sessions"):
            conn.execute("""
                CREATE TABLE IF NOT EXISTS sessions (
                    token_sha256 text PRIMARY KEY,
                    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    expires_at   timestamptz NOT NULL
                )""")


# ---- passwords ----------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """A slow hash with a salt of its own (bcrypt does both), as text: $2b$12$<salt><hash>."""
    if bug("plaintext"):
        return password
    if bug("md5"):
        return hashlib.md5(password.encode()).hexdigest()
    if bug("sha256"):
        return hashlib.sha256(password.encode()).hexdigest()
    if bug("static-salt"):
        return hashlib.sha256(("auth-101-salt" + password).encode()).hexdigest()
    if style("argon2id"):
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    if style("scrypt"):
        salt = secrets.token_urlsafe(12)
        digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**15, r=8, p=1, maxmem=64 * 2**20)
        return f"scrypt:32768:8:1${salt}${digest.hex()}"
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def password_matches(password: str, stored: str) -> bool:
    if bug("wrong-password-accepted"):
        return True
    if stored.startswith("$2"):
        return bcrypt.checkpw(password.encode(), stored.encode())
    if stored.startswith("$argon2"):
        from argon2 import PasswordHasher, exceptions

        try:
            return PasswordHasher().verify(stored, password)
        except exceptions.VerificationError:
            return False
    if stored.startswith("scrypt:"):
        _, salt, digest = stored.split("$")
        mine = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**15, r=8, p=1, maxmem=64 * 2**20)
        return hmac.compare_digest(mine.hex(), digest)
    return hmac.compare_digest(hash_password(password), stored)  # the weak bugs: compare as stored


# A hash to verify against when the email is unknown, so that an unknown email takes as long as a wrong
# password: the time of the answer does not tell which emails have an account.
DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt(12)).decode()


# ---- sessions -----------------------------------------------------------------------------------
# The cookie holds a random token and nothing else; what it means (which user) stays on the server, so that
# logout can end it there. Until task 7 in memory; then in PostgreSQL (or Redis), so that it survives a restart.

class MemorySessions:
    def __init__(self):
        self.data: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def create(self, user_id: int, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(32)
        with self.lock:
            self.data[token] = (user_id, time.time() + SESSION_SECONDS)
        return token

    def user_of(self, token: str) -> int | None:
        with self.lock:
            found = self.data.get(token)
        return found[0] if found and found[1] > time.time() else None

    def delete(self, token: str) -> None:
        with self.lock:
            self.data.pop(token, None)


def token_digest(token: str) -> str:
    """What the database keeps of a token: someone who reads the table cannot use what they read."""
    return hashlib.sha256(token.encode()).hexdigest()


class PostgresSessions:
    def __init__(self, db: Database):
        self.db = db

    def create(self, user_id: int, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(32)
        with self.db.connection() as conn:
            conn.execute("INSERT INTO sessions (token_sha256, user_id, expires_at) "
                         "VALUES (%s, %s, now() + make_interval(secs => %s)) "
                         "ON CONFLICT (token_sha256) DO UPDATE SET user_id = EXCLUDED.user_id",
                         (token_digest(token), user_id, SESSION_SECONDS))
        return token

    def user_of(self, token: str) -> int | None:
        with self.db.connection() as conn:
            row = conn.execute("SELECT user_id FROM sessions WHERE token_sha256 = %s AND expires_at > now()",
                               (token_digest(token),)).fetchone()
        return row[0] if row else None

    def delete(self, token: str) -> None:
        with self.db.connection() as conn:
            conn.execute("DELETE FROM sessions WHERE token_sha256 = %s", (token_digest(token),))


class RedisSessions:
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5)

    def create(self, user_id: int, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(32)
        self.redis.set(f"session:{token_digest(token)}", str(user_id), ex=SESSION_SECONDS)
        return token

    def user_of(self, token: str) -> int | None:
        value = self.redis.get(f"session:{token_digest(token)}")
        return int(value) if value else None

    def delete(self, token: str) -> None:
        self.redis.delete(f"session:{token_digest(token)}")


def cookie_for(token: str) -> str:
    """The Set-Cookie header of a session: HttpOnly (no page script reads it), SameSite (other sites' forms and
    scripts do not send it), Path=/ (every route gets it)."""
    if not done("session-cookie"):
        return f"{COOKIE}={token}; Path=/"
    if style("strict-secure-cookie"):
        return f"{COOKIE}={token}; Path=/; Max-Age={SESSION_SECONDS}; Secure; HttpOnly; SameSite=Strict"
    attributes = ["Path=/"]
    if not bug("no-httponly"):
        attributes.append("HttpOnly")
    if bug("samesite-none"):
        attributes += ["SameSite=None", "Secure"]
    elif not bug("no-samesite"):
        attributes.append("SameSite=Lax")
    return f"{COOKIE}={token}; " + "; ".join(attributes)


def expired_cookie() -> str:
    if style("logout-200"):
        return f"{COOKIE}=deleted; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"
    secure = "; Secure" if style("strict-secure-cookie") else ""
    return f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"


# ---- requests and answers -----------------------------------------------------------------------

class Answer:
    def __init__(self, status: int, data=None, headers: list[tuple[str, str]] | None = None):
        self.status, self.data, self.headers = status, data, headers or []


def error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Answer:
    return Answer(status, {"error": message}, headers)


class App:
    def __init__(self, db: Database):
        self.db = db
        if done("restart") and style("redis-sessions") and not bug("sessions-in-memory"):
            self.sessions = RedisSessions(os.environ["REDIS_URL"])
        elif done("restart") and not bug("sessions-in-memory"):
            self.sessions = PostgresSessions(db)
        else:
            self.sessions = MemorySessions()
        self.failures: dict[str, tuple[int, float]] = {}  # --style lockout-in-memory, --bug lockout-global
        self.failures_lock = threading.Lock()

    # -- helpers

    def session_token(self, headers) -> str | None:
        for part in (headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value:
                return value
        return None

    def current_user(self, headers) -> dict | None:
        token = self.session_token(headers)
        user_id = self.sessions.user_of(token) if token else None
        if user_id is None:
            return None
        with self.db.connection() as conn:
            row = conn.execute("SELECT id, email, role FROM users WHERE id = %s", (user_id,)).fetchone()
        return {"id": row[0], "email": row[1], "role": row[2]} if row else None

    def bad_request(self, message: str) -> Answer:
        return error(422 if style("errors-422") else 400, message)

    # -- routes

    def register(self, data) -> Answer:
        """POST /register {"email", "password"}: 201 and the new user (never its password or hash)."""
        if not isinstance(data, dict):
            return self.bad_request("send a JSON object with email and password")
        email, password = data.get("email"), data.get("password")
        if not isinstance(email, str) or not (bug("no-email-check") or re.fullmatch(r"[^@\s]+@[^@\s]+", email.strip())):
            return self.bad_request("email is required and must look like name@example.com")
        email = email.strip().lower() if style("lowercase-email") else email.strip()
        role = data.get("role") if bug("role-from-body") and data.get("role") in ("user", "admin") else "user"
        if bug("stores-before-check") and isinstance(password, str):
            try:
                with self.db.connection() as conn:
                    conn.execute("INSERT INTO users (email, password_hash, role) VALUES (%s, %s, %s)",
                                 (email, hash_password(password), role))
            except pg_errors.UniqueViolation:
                return error(409, "an account with this email already exists")
            if len(password) < MIN_PASSWORD:
                return self.bad_request(f"password must be at least {MIN_PASSWORD} characters")
            return self._created(email)
        if not isinstance(password, str) or (len(password) < MIN_PASSWORD and not bug("short-password-accepted")):
            return self.bad_request(f"password is required and must be at least {MIN_PASSWORD} characters")
        password_hash = hash_password(password)
        with self.db.connection() as conn:
            if bug("no-unique-index"):
                taken = conn.execute("SELECT 1 FROM users WHERE lower(email) = lower(%s)", (email,)).fetchone()
                if taken:
                    return error(409, "an account with this email already exists")
            try:
                conn.execute("INSERT INTO users (email, password_hash, role) VALUES (%s, %s, %s)",
                             (email, password_hash, role))
            except pg_errors.UniqueViolation:
                if bug("duplicate-500"):
                    raise
                return error(409, "an account with this email already exists")
        return self._created(email)

    def _created(self, email: str) -> Answer:
        with self.db.connection() as conn:
            row = conn.execute("SELECT id, email, role, password_hash FROM users WHERE email = %s", (email,)).fetchone()
        user = {"id": row[0], "email": row[1], "role": row[2]}
        if bug("hash-in-answer"):
            user["password_hash"] = row[3]
        return Answer(200 if bug("register-200") else 201, user)

    def login(self, data, headers) -> Answer:
        """POST /login {"email", "password"}: 200, and a new session in the cookie."""
        if not isinstance(data, dict) or not isinstance(data.get("email"), str) or not isinstance(data.get("password"), str):
            return self.bad_request("send a JSON object with email and password")
        email, password = data["email"].strip(), data["password"]
        wrong = error(401, "wrong email or password")  # the same answer whichever was wrong
        with self.db.connection() as conn, conn.transaction():
            # FOR UPDATE: two guesses at once wait for each other, so both are counted.
            row = conn.execute("SELECT id, email, password_hash, role, failed_logins, locked_until > now() "
                               "FROM users WHERE lower(email) = lower(%s) FOR UPDATE", (email,)).fetchone()
            if row is None:
                password_matches(password, DUMMY_HASH)
                if bug("unknown-email-404"):
                    return error(404, "there is no account with this email")
                return error(401, "there is no account with this email") if bug("different-errors") else wrong
            user_id, stored, role, failed, locked = row[0], row[2], row[3], row[4], bool(row[5])
            if done("lockout") and not bug("no-lockout"):
                locked = self._locked(conn, user_id, email, locked)
                if locked and not bug("lock-wrong-only"):
                    return self._locked_answer()
            if not password_matches(password, stored):
                if done("lockout") and not bug("no-lockout"):
                    self._count_failure(conn, user_id, email, failed)
                    if locked:
                        return self._locked_answer()
                if bug("failed-login-keeps-session"):
                    return Answer(401, wrong.data, [("Set-Cookie", cookie_for(self.sessions.create(user_id)))])
                return error(401, "wrong password") if bug("different-errors") else wrong
            if done("lockout") and not bug("no-reset-on-success"):
                self._reset_failures(conn, user_id, email)
        old = self.session_token(headers)
        if old and (not done("session-cookie") or bug("same-session-id")) and self.sessions.user_of(old) is not None:
            token = self.sessions.create(user_id, old)  # the same id, now for this user: session fixation
        else:
            if old:
                self.sessions.delete(old)  # a new id at login: a planted or older id never becomes this login
            token = self.sessions.create(user_id)
        return Answer(200, {"id": user_id, "email": row[1], "role": role}, [("Set-Cookie", cookie_for(token))])

    # -- lockout (task 5): in the users table, or in memory (--style lockout-in-memory, --bug lockout-global)

    def _memory_key(self, email: str) -> str | None:
        if bug("lockout-global"):
            return "*"
        return email.lower() if style("lockout-in-memory") else None

    def _locked(self, conn, user_id: int, email: str, locked_in_table: bool) -> bool:
        key = self._memory_key(email)
        if key is None:
            return locked_in_table
        with self.failures_lock:
            count, until = self.failures.get(key, (0, 0.0))
        return until > time.time()

    def _count_failure(self, conn, user_id: int, email: str, failed: int) -> None:
        key = self._memory_key(email)
        if key is None:
            if failed + 1 >= MAX_FAILURES:  # the 5th failure in a row locks the account; the count starts again
                conn.execute("UPDATE users SET failed_logins = 0, locked_until = now() + make_interval(secs => %s) "
                             "WHERE id = %s", (LOCK_SECONDS, user_id))
            else:
                conn.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = %s", (user_id,))
            return
        with self.failures_lock:
            count, until = self.failures.get(key, (0, 0.0))
            count += 1
            self.failures[key] = (0, time.time() + LOCK_SECONDS) if count >= MAX_FAILURES else (count, until)

    def _reset_failures(self, conn, user_id: int, email: str) -> None:
        key = self._memory_key(email)
        if key is None:
            conn.execute("UPDATE users SET failed_logins = 0 WHERE id = %s", (user_id,))
            return
        with self.failures_lock:
            self.failures.pop(key, None)

    def _locked_answer(self) -> Answer:
        if bug("lockout-401"):
            return error(401, "wrong email or password")
        headers = [("Retry-After", str(LOCK_SECONDS))] if style("lockout-in-memory") else []
        return error(429, "too many failed logins: this account is locked for 15 minutes", headers)

    def me(self, headers) -> Answer:
        user = self.current_user(headers)
        if user is None:
            return Answer(200, {"email": None}) if bug("me-anonymous-200") else error(401, "log in first")
        return Answer(200, user)

    def logout(self, headers) -> Answer:
        """POST /logout: the session ends on the server, and the browser is told to forget the cookie."""
        token = self.session_token(headers)
        if token and not bug("logout-client-only"):
            self.sessions.delete(token)
        cookie = [] if bug("logout-keeps-cookie") else [("Set-Cookie", expired_cookie())]
        if style("logout-200"):
            return Answer(200, {"message": "logged out"}, cookie)
        return Answer(204, None, cookie)

    def admin_users(self, headers) -> Answer:
        user = self.current_user(headers)
        if user is None:
            return error(403, "admins only") if bug("admin-anonymous-403") else error(401, "log in first")
        if user["role"] != "admin" and not bug("admin-open"):
            return error(401, "admins only") if bug("admin-401") else error(403, "admins only")
        with self.db.connection() as conn:
            rows = conn.execute("SELECT id, email, role, password_hash FROM users ORDER BY id").fetchall()
        users = [{"id": r[0], "email": r[1], "role": r[2]} for r in rows]
        if bug("admin-password-in-list"):
            for user_json, row in zip(users, rows):
                user_json["password_hash"] = row[3]
        return Answer(200, {"users": users})

    def route(self, method: str, path: str, data, headers) -> Answer:
        routes = {("POST", "/register"): ("register", lambda: self.register(data)),
                  ("POST", "/login"): ("login", lambda: self.login(data, headers)),
                  ("GET", "/me"): ("login", lambda: self.me(headers)),
                  ("POST", "/logout"): ("logout", lambda: self.logout(headers)),
                  ("GET", "/admin/users"): ("admin", lambda: self.admin_users(headers))}
        task, handler = routes.get((method, path), ("", None))
        if handler is None or not done(task):
            return error(404, "no such route")
        return handler()


def make_admin(db: Database) -> None:
    """The admin account, made (or its password set) at start from ADMIN_PASSWORD: no one registers as admin."""
    password = os.environ.get("ADMIN_PASSWORD")
    if not password or bug("no-admin-account"):
        print("ADMIN_PASSWORD is not set: no admin account", flush=True)
        return
    email = ADMIN_EMAIL
    with db.connection() as conn, conn.transaction():
        row = conn.execute("SELECT id, password_hash FROM users WHERE lower(email) = lower(%s) FOR UPDATE",
                           (email,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO users (email, password_hash, role) VALUES (%s, %s, 'admin')",
                         (email, hash_password(password)))
        elif not password_matches(password, row[1]):
            conn.execute("UPDATE users SET password_hash = %s, role = 'admin' WHERE id = %s",
                         (hash_password(password), row[0]))
        else:
            conn.execute("UPDATE users SET role = 'admin' WHERE id = %s", (row[0],))


# ---- the server ---------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    app: App

    def answer(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        path = self.path.split("?", 1)[0]
        try:
            answer = self.app.route(self.command, path, data, self.headers)
        except Exception as exc:  # a bug in a handler: 500, as a framework does, and keep serving
            print(f"{self.command} {path}: {exc!r}", file=sys.stderr, flush=True)
            answer = error(500, "internal server error")
        body = b"" if answer.data is None else json.dumps(answer.data).encode()
        self.send_response(answer.status)
        if answer.data is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, fmt, *args) -> None:
        pass  # quiet: the checks make many requests


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL is not set: run `eval \"$(labctl env)\"` first, or let labctl start the app")
    db = Database(url)
    create_tables(db)
    if done("admin"):
        make_admin(db)
    Handler.app = App(db)
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print(f"auth-101 app (up to task {OPTIONS.upto}) on http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
