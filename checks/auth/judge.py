"""Judging what an app stored for its test users, from their rows alone (no database here: stored.py reads them).

The order is that of the messages a beginner needs first: the password readable anywhere; no row for a
user; a fast digest; then, per user, the slow hash: recognised, of this password, strong enough; and the
two users' hashes must differ (a salt). Each step returns a Problem, or None when it finds nothing wrong.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import hashes, policy, weak

ADVICE = policy.ADVICE
# Column names that say a value is the password or its hash; said first when two users share a value.
PASSWORD_WORDS = ("pass", "pwd", "hash", "digest", "secret", "crypt", "credential")


@dataclass(frozen=True)
class Cell:
    """One stored value: its table and column as learners name them (users.password_hash)."""

    table: str
    column: str
    text: str
    raw: bytes | None = None  # a bytea column's bytes

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class Row:
    table: str
    cells: tuple[Cell, ...]
    # How the row was reached when it does not hold the email itself ("linked to users by a foreign key").
    via: str | None = None

    def holds(self, email: str) -> bool:
        return any(c.text.strip().lower() == email.lower() for c in self.cells)


@dataclass(frozen=True)
class User:
    """A test user: how messages name them, their email, and the rows found for them."""

    name: str  # "the first test user"
    email: str
    rows: tuple[Row, ...] = ()

    @property
    def called(self) -> str:
        return f"{self.name} ({self.email})"


@dataclass(frozen=True)
class Problem:
    message: str
    cell: Cell | None = None


@dataclass(frozen=True)
class Stored:
    """A verified slow hash of a user's password: where, and what."""

    cell: Cell
    found: hashes.SlowHash


def _owner(row: Row, users: tuple[User, ...]) -> User | None:
    return next((u for u in users if any(r is row for r in u.rows) or row.holds(u.email)), None)


def exposed(rows: list[Row], users: tuple[User, ...], password: str) -> Problem | None:
    """The password readable (plain, hex, base64) in any row found, or an unsalted digest of it in a row
    that belongs to no test user (a log, an audit table)."""
    for row in rows:
        for cell in row.cells:
            how = weak.exposure(cell.text, password)
            if how is None:
                continue
            owner = _owner(row, users)
            whose = f"the password of {owner.called}" if owner else "the test users' password"
            elsewhere = "" if owner else " (in a row without their email)"
            what = "plain text" if how == "as plain text" else f"{how} (an encoding, not a hash: anyone can decode it)"
            return Problem(f"{whose} is stored as {what} in {cell.where}{elsewhere}: {ADVICE}", cell)
    for row in rows:
        if _owner(row, users) is None:
            for cell in row.cells:
                digest = weak.fast_digest(cell.text, password, raw=cell.raw)
                if digest:
                    return Problem(f"the test users' password is stored as {digest} in {cell.where} (in a row "
                                   f"without their email): {ADVICE}", cell)
    return None


def fast(user: User, password: str) -> Problem | None:
    """A fast digest (unsalted or salted) or a fast crypt(3) format of the password in the user's rows."""
    for row in user.rows:
        for cell in row.cells:
            if hashes.recognise(cell.text) is not None:
                continue
            others = [c.text for c in row.cells if c is not cell]
            digest = weak.fast_digest(cell.text, password, raw=cell.raw, others=others)
            if digest:
                fix = ("a fast hash is tried by GPUs at billions a second, and without a salt it is looked up in "
                       "precomputed tables" if "unsalted" in digest else
                       "a salt is not enough: a fast hash is tried by GPUs at billions a second")
                return Problem(f"the password of {user.called} is stored as {digest} in {cell.where}: {fix}; "
                               f"{ADVICE}", cell)
            name = weak.crypt_name(cell.text)
            if name:
                return Problem(f"the password of {user.called} is stored as {name} in {cell.where}, which is not "
                               f"one of the slow hashes accepted here: {ADVICE}", cell)
    return None


def slow(user: User, password: str) -> Stored | Problem:
    """The user's verified slow hash, or what is wrong: none recognised, not of this password, too weak."""
    found = [(cell, h) for row in user.rows for cell in row.cells if (h := hashes.recognise(cell.text))]
    if not found:
        return Problem(unrecognised(user))
    right: list[tuple[Cell, hashes.SlowHash]] = []
    wrong: list[tuple[Cell, hashes.SlowHash]] = []
    for cell, h in found:
        costly = hashes.too_costly(h.params)
        if costly:
            raise TooCostly(f"{cell.where} holds {h.spelling}, but {costly}")
        (right if h.verify(password) else wrong).append((cell, h))
    for cell, h in right:  # every hash of the password must be strong: a weak one is cracked instead
        problem = policy.floor_problem(h.params)
        if problem:
            return Problem(f"the password of {user.called} is stored as {h.spelling} in {cell.where}: {problem}", cell)
    if right:
        return Stored(*right[0])
    cell, h = wrong[0]
    return Problem(f"{cell.where} holds {h.spelling} ({policy.settings(h.params)}) for {user.called}, but not of "
                   "the password sent when registering: hash exactly the password the request gives (not the "
                   "email, not a fixed text, nothing added)", cell)


class TooCostly(Exception):
    """A stored hash whose verification would cost more than a check may spend (not the learner's fault)."""


def unrecognised(user: User) -> str:
    """No recognised hash in the user's rows: say what their columns look like."""
    tables = ", ".join(dict.fromkeys(r.table + (f" ({r.via})" if r.via else "") for r in user.rows))
    seen = [f"{c.where}: {weak.shape(c.text)}" for r in user.rows for c in r.cells
            if weak.hash_like(c.text) or any(w in c.column.lower() for w in PASSWORD_WORDS)]
    found = f"; found {'; '.join(seen[:4])}" if seen else ""
    return (f"the row of {user.called} ({tables}) holds no password hash labctl recognises{found}. Expected bcrypt, "
            "Argon2id, scrypt or PBKDF2 in a standard format that names its parameters ($2b$12$..., "
            "$argon2id$v=19$..., Django's pbkdf2_sha256$..., Werkzeug's scrypt:...); "
            f"{ADVICE}")


def same_value(first: User, second: User, stored: tuple[Cell | None, Cell | None]) -> Problem | None:
    """The two users (same password) share a stored value where the hash is: no per-user salt.

    With both hashes found, only their cells are compared; without, any hash-like cell of the same column,
    those named like a password first (this only chooses the message: such a row fails anyway)."""
    if stored[0] is not None and stored[1] is not None:
        pairs = [(stored[0], stored[1])]
    else:
        theirs = {(c.table, c.column): c for r in second.rows for c in r.cells}
        pairs = [(c, theirs[(c.table, c.column)]) for r in first.rows for c in r.cells
                 if (c.table, c.column) in theirs and weak.hash_like(c.text)]
        pairs.sort(key=lambda p: not any(w in p[0].column.lower() for w in PASSWORD_WORDS))
    for mine, other in pairs:
        if mine.where == other.where and mine.text.strip() == other.text.strip() and mine.text.strip():
            return Problem(f"both test users have the same stored value in {mine.where} ({weak.shape(mine.text)}), "
                           "and they registered with the same password: the hash has no salt. Use a hasher that "
                           "makes a new random salt for every password (bcrypt, Argon2id, scrypt and the "
                           "frameworks' password hashers all do); a fixed salt or pepper is the same for everyone",
                           mine)
    return None
