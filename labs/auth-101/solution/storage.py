"""auth-101 reference: the database, password hashes, and the session stores (memory, PostgreSQL, Redis)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

import bcrypt
import psycopg

from options import BCRYPT_COST, COOKIE, SESSION_SECONDS, bug, done, style

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
