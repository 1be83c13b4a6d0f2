"""Users of the reference Todo API: registration with a bcrypt hash of the password, login answering a
random bearer token (PostgreSQL keeps a SHA-256 of it, never the token), and who a request's token is."""
from __future__ import annotations

import hashlib
import secrets

import bcrypt
import storage
from errors import HttpError
from options import bug

BCRYPT_COST = 10  # OWASP's minimum; each login and registration takes a few tens of milliseconds


def hash_password(password: str) -> str:
    if bug("plain-password"):
        return password
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def password_matches(password: str, stored: str) -> bool:
    if bug("plain-password"):
        return password == stored
    return bcrypt.checkpw(password.encode(), stored.encode())


def text_field(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HttpError(400, f"{name} is required")
    return value.strip() if name == "email" else value


def register(data: dict) -> tuple[int, dict]:
    email, password = text_field(data, "email"), text_field(data, "password")
    if len(password) < 8 and not bug("short-password-ok"):
        raise HttpError(400, "the password must have at least 8 characters")
    user_id = storage.add_user(email, hash_password(password))
    if user_id is None:
        raise HttpError(409, "this email is already registered")
    answer = {"id": user_id, "email": email}
    if bug("password-in-answer"):
        answer["password"] = password
    return 201, answer


def login(data: dict) -> tuple[int, dict]:
    email, password = text_field(data, "email"), text_field(data, "password")
    user = storage.user_by_email(email)
    if user is None and bug("unknown-email-404"):
        raise HttpError(404, "no such user")
    # One answer for an unknown email and a wrong password: nobody learns who has an account.
    if user is None or not (bug("any-password") or password_matches(password, user[1])):
        raise HttpError(401, "wrong email or password")
    token = secrets.token_urlsafe(32)
    storage.add_token(user[0], digest(token))
    return 200, {"token": token}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_user(authorization: str | None) -> int:
    """The id of the user whose token the Authorization header carries; HttpError 401 without a valid one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if bug("missing-auth-500"):
            raise RuntimeError("no token")
        raise HttpError(401, "log in first: send Authorization: Bearer <token>")
    user_id = storage.user_of_token(digest(token.strip()))
    if user_id is None:
        raise HttpError(401, "this token is not valid: log in again")
    return user_id
