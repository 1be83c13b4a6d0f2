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

import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from psycopg import errors as pg_errors

# Beside this file: how it is run (--upto, --bug, --style), and where it keeps users, hashes and sessions.
from options import ADMIN_EMAIL, COOKIE, LOCK_SECONDS, MAX_FAILURES, MIN_PASSWORD, OPTIONS, bug, done, style
from storage import (DUMMY_HASH, Database, MemorySessions, PostgresSessions, RedisSessions, cookie_for,
                     create_tables, expired_cookie, hash_password, password_matches)

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
