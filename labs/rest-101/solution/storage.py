"""Where the reference Todo API keeps its users, tokens and todos: the lab's PostgreSQL, one connection per
request (simple; a real app keeps a pool). The tables are made at start, idempotently."""
from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from options import bug, required_env

DATABASE_URL = required_env("DATABASE_URL")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash text PRIMARY KEY,               -- SHA-256 of the bearer token: a copy of this table opens nothing
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS todos (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text NOT NULL,
    done       boolean NOT NULL DEFAULT false,
    due        date,
    deleted    boolean NOT NULL DEFAULT false,  -- only the soft-delete mistake ever sets it
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS todos_owner ON todos (owner_id, id);
"""
COLUMNS = "id, title, done, due, created_at, owner_id"


def db() -> psycopg.Connection:
    return psycopg.connect(DATABASE_URL, autocommit=True)


def setup() -> None:
    with db() as conn:
        conn.execute(SCHEMA)


def as_todo(row: tuple) -> dict[str, Any]:
    """A todo as the API answers it (without its owner), and its owner's id."""
    todo_id, title, is_done, due, created_at, owner = row
    todo = {"id": todo_id, "title": title, "done": is_done, "due": due.isoformat() if due else None,
            "created_at": created_at.isoformat()}
    if bug("due-omitted") and due is None:
        del todo["due"]
    return {"todo": todo, "owner": owner}


# ---- users and tokens --------------------------------------------------------------------------------

def add_user(email: str, password_hash: str) -> int | None:
    """The new user's id; None when the email is taken."""
    with db() as conn:
        row = conn.execute("INSERT INTO users (email, password_hash) VALUES (%s, %s) "
                           "ON CONFLICT (email) DO NOTHING RETURNING id", (email, password_hash)).fetchone()
        if row is None and bug("duplicate-email-ok"):
            row = conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()
    return row[0] if row else None


def user_by_email(email: str) -> tuple[int, str] | None:
    with db() as conn:
        return conn.execute("SELECT id, password_hash FROM users WHERE email = %s", (email,)).fetchone()


def add_token(user_id: int, token_hash: str) -> None:
    with db() as conn:
        conn.execute("INSERT INTO tokens (token_hash, user_id) VALUES (%s, %s)", (token_hash, user_id))


def user_of_token(token_hash: str) -> int | None:
    with db() as conn:
        row = conn.execute("SELECT user_id FROM tokens WHERE token_hash = %s", (token_hash,)).fetchone()
    return row[0] if row else None


# ---- todos --------------------------------------------------------------------------------------------

def add_todo(owner: int, title: str, done: bool, due: date | str | None) -> dict[str, Any]:
    with db() as conn:
        row = conn.execute(f"INSERT INTO todos (owner_id, title, done, due) VALUES (%s, %s, %s, %s) "
                           f"RETURNING {COLUMNS}", (owner, title, done, due)).fetchone()
    return as_todo(row)


def get_todo(todo_id: int) -> dict[str, Any] | None:
    with db() as conn:
        row = conn.execute(f"SELECT {COLUMNS} FROM todos WHERE id = %s AND NOT deleted", (todo_id,)).fetchone()
    return as_todo(row) if row else None


def set_todo(todo_id: int, title: str, done: bool, due: date | None) -> dict[str, Any]:
    with db() as conn:
        row = conn.execute(f"UPDATE todos SET title = %s, done = %s, due = %s WHERE id = %s RETURNING {COLUMNS}",
                           (title, done, due, todo_id)).fetchone()
    return as_todo(row)


def remove_todo(todo_id: int) -> None:
    with db() as conn:
        if bug("soft-delete"):
            return  # "deleted" in the answer only: the row stays as it was
        conn.execute("DELETE FROM todos WHERE id = %s", (todo_id,))


def list_todos(owner: int | None, done: bool | None, offset: int, limit: int | None) -> tuple[list[dict], int]:
    """(the page's todos, ordered by id, and how many todos the whole filtered list holds)."""
    where, args = ["NOT deleted"], []
    if owner is not None:
        where.append("owner_id = %s")
        args.append(owner)
    if done is not None:
        where.append("done = %s")
        args.append(done)
    sql_where = " AND ".join(where)
    order = "DESC" if bug("newest-first") else "ASC"
    with db() as conn:
        total = conn.execute(f"SELECT count(*) FROM todos WHERE {sql_where}", args).fetchone()[0]
        rows = conn.execute(f"SELECT {COLUMNS} FROM todos WHERE {sql_where} ORDER BY id {order} "
                            f"LIMIT %s OFFSET %s", [*args, limit, offset]).fetchall()
    return [as_todo(r)["todo"] for r in rows], total
