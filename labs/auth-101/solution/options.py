"""auth-101 reference: how it is run (--upto TASK, --bug NAME, --style NAME) and the settings that follow."""
from __future__ import annotations

import argparse
import os

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
