"""Live tests of the auth family (checks/auth/): a tiny registration app on loopback stores users in the test
lab's real PostgreSQL, each test switching how it stores passwords; auth.password_storage must pass every
right way and fail every classic mistake with the message that names it."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from contextlib import closing

import argon2
import bcrypt
import pytest

from tests.servers import AppHandler, QuietServer, serving

pytestmark = pytest.mark.live

FIXED_BCRYPT_SALT = bcrypt.gensalt(12)


def werkzeug_scrypt(password: str) -> str:
    """Werkzeug 3's generate_password_hash default: scrypt:32768:8:1$<salt>$<hex>, the salt's text hashed."""
    salt = secrets.token_urlsafe(12)
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**15, r=8, p=1, maxmem=132 * 2**15 * 8)
    return f"scrypt:32768:8:1${salt}${digest.hex()}"


def django_pbkdf2(password: str, iterations: int = 600_000) -> str:
    """Django's PBKDF2PasswordHasher: pbkdf2_sha256$<iterations>$<salt>$<base64>."""
    salt = secrets.token_hex(11)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def aspnet_identity(password: str) -> str:
    """ASP.NET Core Identity's PasswordHasher V3 on .NET 7+: PBKDF2-HMAC-SHA512, 100,000 iterations."""
    salt = secrets.token_bytes(16)
    subkey = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, 32)
    head = bytes([1]) + b"".join(n.to_bytes(4, "big") for n in (2, 100_000, len(salt)))
    return base64.b64encode(head + salt + subkey).decode()


# How the app stores a password, by mode: a function of (email, password) -> the stored text.
STORE = {
    "bcrypt-12": lambda e, p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(12)).decode(),
    "argon2id": lambda e, p: argon2.PasswordHasher().hash(p),
    "werkzeug-scrypt": lambda e, p: werkzeug_scrypt(p),
    "django-pbkdf2": lambda e, p: django_pbkdf2(p),
    "aspnet-identity": lambda e, p: aspnet_identity(p),
    "spring-bcrypt": lambda e, p: "{bcrypt}" + bcrypt.hashpw(p.encode(), bcrypt.gensalt(10, prefix=b"2a")).decode(),
    "plaintext": lambda e, p: p,
    "base64": lambda e, p: base64.b64encode(p.encode()).decode(),
    "md5": lambda e, p: hashlib.md5(p.encode()).hexdigest(),
    "sha256": lambda e, p: hashlib.sha256(p.encode()).hexdigest(),
    "bcrypt-4": lambda e, p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode(),
    "static-salt-sha256": lambda e, p: hashlib.sha256(("s3cr3t-pepper" + p).encode()).hexdigest(),
    "static-salt-bcrypt": lambda e, p: bcrypt.hashpw(p.encode(), FIXED_BCRYPT_SALT).decode(),
    "bcrypt-of-email": lambda e, p: bcrypt.hashpw(e.encode(), bcrypt.gensalt(12)).decode(),
    "django-pbkdf2-260000": lambda e, p: django_pbkdf2(p, 260_000),
}


class RegisterApp(AppHandler):
    """POST /register {email, password}: stores the user as the server's mode says."""

    def do_POST(self) -> None:
        server: AppServer = self.server  # type: ignore[assignment]
        length = min(int(self.headers.get("Content-Length") or 0), 10_000)
        body = json.loads(self.rfile.read(length) or b"{}")
        email, password = body.get("email", ""), body.get("password", "")
        if self.path != "/register" or not email or not password:
            return self._send(400, {"error": "email and password are required"})
        mode = server.mode
        with server.lock:
            db = server.db
            if mode == "no-row":
                pass  # answers 201 and stores nothing
            elif mode == "username-only":
                db.execute("INSERT INTO accounts (username, password_hash) VALUES (%s, %s)",
                           (email.split("@")[0], STORE["bcrypt-12"](email, password)))
            elif mode == "credentials-table":
                user_id = db.execute("INSERT INTO users (email) VALUES (%s) RETURNING id", (email,)).fetchone()[0]
                db.execute("INSERT INTO credentials (user_id, secret) VALUES (%s, %s)",
                           (user_id, STORE["argon2id"](email, password)))
            elif mode == "bytea-bcrypt":
                db.execute("INSERT INTO users (email, password_hash) VALUES (%s, %s)",
                           (email, STORE["bcrypt-12"](email, password).encode()))
            elif mode == "logged-body":
                db.execute("INSERT INTO users (email, password_hash) VALUES (%s, %s)",
                           (email, STORE["bcrypt-12"](email, password)))
                db.execute("INSERT INTO request_log (body) VALUES (%s)", (json.dumps({"password": password}),))
            elif mode == "upper-email":
                db.execute("INSERT INTO users (email, password_hash) VALUES (%s, %s)",
                           (email.upper(), STORE["bcrypt-12"](email, password)))
            else:
                db.execute("INSERT INTO users (email, password_hash) VALUES (%s, %s)",
                           (email, STORE[mode](email, password)))
        self._send(201, {"email": email})

    def _send(self, status: int, payload: dict) -> None:
        self.answer(status, payload)


class AppServer(QuietServer):
    mode = "bcrypt-12"
    db = None
    lock = threading.Lock()


@pytest.fixture(scope="module")
def app_server(shared_pg):
    """The registration app, writing as the learner's role (as a learner's app does, with DATABASE_URL)."""
    with closing(shared_pg.new_learner_connection()) as db, serving(RegisterApp, AppServer, db=db) as httpd:
        yield httpd


@pytest.fixture
def app(app_server, sql):
    """The app on a clean database with a users table (text email, text hash); returns (server, check entry)."""
    sql("CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, password_hash text, "
        "created_at timestamptz DEFAULT now(), role text DEFAULT 'member')")
    url = f"http://127.0.0.1:{app_server.server_address[1]}"
    return app_server, {"type": "auth.password_storage", "url": url, "status": 201, "timeout": 30}


def check_with(app, run_check, mode: str):
    server, entry = app
    server.mode = mode
    return run_check(entry)


def status(result) -> str:
    return result.status.value


# ---- right ways pass -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode, words", [
    ("bcrypt-12", "bcrypt hashes (cost 12)"),
    ("argon2id", "Argon2 ($argon2id$) hashes (m=65536 KiB (64 MiB), t=3, p=4)"),
    ("werkzeug-scrypt", "Werkzeug's scrypt hashes (N=32768 (2^15), r=8, p=1)"),
    ("django-pbkdf2", "Django's pbkdf2_sha256 hashes (HMAC-SHA256, 600,000 iterations)"),
    ("spring-bcrypt", "Spring Security's {bcrypt} bcrypt hashes (cost 10)"),
    ("aspnet-identity", "ASP.NET Core Identity's PBKDF2 (V3) hashes (HMAC-SHA512, 100,000 iterations)"),
])
def test_right_storage_passes(app, run_check, mode, words):
    result = check_with(app, run_check, mode)
    assert status(result) == "passed", result.message
    assert result.message.startswith("users.password_hash holds ") and words in result.message
    assert "each with its own salt" in result.message
    # the evidence: both requests to paste, then the query that shows the rows
    assert result.evidence.count("curl -i -X POST") == 2
    assert 'psql "$DATABASE_URL" -c "SELECT * FROM users WHERE lower(email) IN (' in result.evidence


def test_an_email_stored_in_capitals_is_found(app, run_check):
    result = check_with(app, run_check, "upper-email")
    assert status(result) == "passed", result.message


def test_a_hash_in_a_table_linked_by_a_foreign_key_passes(app, run_check, sql):
    sql("CREATE TABLE credentials (user_id int PRIMARY KEY REFERENCES users(id), secret text NOT NULL)")
    result = check_with(app, run_check, "credentials-table")
    assert status(result) == "passed", result.message
    assert result.message.startswith("credentials.secret holds Argon2")


def test_a_hash_in_a_bytea_column_passes(app, run_check, sql):
    sql("ALTER TABLE users ALTER COLUMN password_hash TYPE bytea USING password_hash::bytea")
    result = check_with(app, run_check, "bytea-bcrypt")
    assert status(result) == "passed", result.message


# ---- classic mistakes fail, each with its own message ---------------------------------------------

@pytest.mark.parametrize("mode, words", [
    ("plaintext", ("is stored as plain text in users.password_hash: store a slow salted hash instead (bcrypt, "
                   "Argon2id, scrypt or your framework's password hasher)")),
    ("base64", "is stored as base64-encoded (an encoding, not a hash: anyone can decode it) in users.password_hash"),
    ("md5", "is stored as an unsalted MD5 hex digest in users.password_hash"),
    ("sha256", "is stored as an unsalted SHA-256 hex digest in users.password_hash"),
    ("bcrypt-4", "is stored as bcrypt in users.password_hash: bcrypt with cost 4 is below the minimum cost of 10"),
    ("django-pbkdf2-260000", "PBKDF2-HMAC-SHA256 with 260,000 iterations is below the minimum of 600,000"),
    ("static-salt-sha256", ("both test users have the same stored value in users.password_hash (64 hexadecimal "
                            "characters (as long as a SHA-256 digest)), and they registered with the same password: "
                            "the hash has no salt")),
    ("static-salt-bcrypt", "both test users have the same stored value in users.password_hash"),
    ("bcrypt-of-email", "users.password_hash holds bcrypt (cost 12) for the first test user"),
])
def test_classic_mistakes_fail_with_their_message(app, run_check, mode, words):
    result = check_with(app, run_check, mode)
    assert status(result) == "failed", result.message
    assert words in result.message, result.message
    assert "the first test user (user-" in result.message or "both test users" in result.message
    assert result.evidence.count("curl -i -X POST") == 2 and 'psql "$DATABASE_URL" -c ' in result.evidence


def test_no_row_with_the_email_fails(app, run_check):
    result = check_with(app, run_check, "no-row")
    assert status(result) == "failed"
    assert result.message.startswith("no row of your tables holds the email user-")
    assert "of the first test user after registering (POST http://127.0.0.1:" in result.message
    assert "searched 1 table: users): does /register store the user in the lab's database?" in result.message


def test_a_row_without_the_email_fails(app, run_check, sql):
    sql("CREATE TABLE accounts (id serial PRIMARY KEY, username text, password_hash text)")
    result = check_with(app, run_check, "username-only")
    assert status(result) == "failed"
    assert "no row of your tables holds the email" in result.message
    assert "searched 2 tables: accounts, users" in result.message


def test_the_password_in_another_table_fails(app, run_check, sql):
    sql("CREATE TABLE request_log (id serial PRIMARY KEY, body jsonb)")
    result = check_with(app, run_check, "logged-body")
    assert status(result) == "failed"
    assert result.message.startswith("the test users' password is stored as plain text in request_log.body.password "
                                     "(in a row without their email)"), result.message
    assert "FROM request_log WHERE strpos(lower(body::text)" in result.evidence


def test_an_app_that_refuses_the_registration_fails_with_the_request(app, run_check):
    _, entry = app
    result = run_check(dict(entry, register={"path": "/signup", "json": {"email": "${email}",
                                                                          "password": "${password}"}}))
    assert status(result) == "failed"
    assert "registering the first test user (user-" in result.message
    assert "answered 400; expected 201. Try it: curl -i -X POST" in result.message


def test_the_same_run_twice_uses_new_users(app, run_check, learner_db):
    for _ in range(2):
        assert status(check_with(app, run_check, "bcrypt-12")) == "passed"
    assert learner_db.execute("SELECT count(DISTINCT email) FROM users").fetchone()[0] == 4


def test_the_app_is_found_through_a_setting(app, run_check, pg_ctx):
    server, entry = app
    server.mode = "argon2id"
    params = {k: v for k, v in entry.items() if k != "url"}
    pg_ctx.settings = {"app_url": entry["url"]}
    result = run_check(dict(params, setting="app_url"))
    assert status(result) == "passed", result.message
    pg_ctx.settings = {}
    result = run_check(dict(params, setting="app_url"))
    assert status(result) == "error"  # the lab's setting has no value: not the learner's code at fault
    assert "the setting app_url has no value" in result.message


def test_nothing_listening_fails_with_the_request_to_paste(app, run_check):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_check(dict(app[1], url=f"http://127.0.0.1:{port}"))
    assert status(result) == "failed"
    assert result.message.startswith("registering the first test user (user-")
    assert f"nothing is answering at http://127.0.0.1:{port}/register: is your app running?" in result.message
    assert result.message.endswith(f"http://127.0.0.1:{port}/register")
