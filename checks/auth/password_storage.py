"""auth.password_storage: how the learner's app stores passwords, judged from what it stored in PostgreSQL.

The check registers two new users through the app (the lab's request, with a fresh email each and one fresh
password for both), finds what the app stored for them in the lab's database without knowing its schema
(stored.py), and judges it (judge.py): the password is readable nowhere, each user's row holds a recognised
slow salted hash of it (hashes.py) at or above the minimums (policy.py), and the two stored values differ
(a salt). Nothing of the app's source is read.

The fresh password is made for this run alone, so it is shown where it helps: in the curl lines to paste
(hiding it would make them useless; a failed registration's message ends with one, as every http failure
does) and in the psql line that finds it stored. Messages themselves name the test users by their emails.
"""
from __future__ import annotations

import secrets
import string
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.core.loopback import check_loopback

from ..http import fresh
from ..http.request import Request, Target, show_body, status_problem
from ..sql.common import POSTGRES
from ..sql.flow import SqlCheck, catalog
from . import judge, policy, stored, weak

KNOWN = {"email", "password"}
DEFAULT_BODY = {"email": "${email}", "password": "${password}"}
# Seconds the check is given at least: two registrations (the app hashes), two verifications (labctl does).
NEEDS_SECONDS = 20.0
# How long an app may take to write a user after answering (it may queue the write).
WRITE_WAIT = 3.0


def new_password() -> str:
    """A fresh password no app can have seen: 23 characters with upper and lower case letters, digits and two
    symbols (most password rules are met), none of them special in JSON, shell quotes, SQL or LIKE."""
    rng = secrets.SystemRandom()
    alphabet = string.ascii_letters + string.digits
    groups = ["".join(rng.choice(alphabet) for _ in range(6)) for _ in range(3)]
    tail = rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_lowercase) + rng.choice(string.digits)
    return f"{groups[0]}-{groups[1]}@{groups[2]}{tail}"


class RegisterRequest(Request):
    """The request that registers a user: ${email} and ${password} are the test user's."""

    method: str = "POST"
    path: str | None = Field("/register", description="Appended to the app's URL.")

    @model_validator(mode="before")
    @classmethod
    def _default_body(cls, data: Any) -> Any:
        if isinstance(data, dict) and "json" not in data and "json_body" not in data and "body" not in data:
            return {**data, "json": dict(DEFAULT_BODY)}
        return data

    def templates(self) -> list[str]:
        return [self.path or "", self.body or ""] + fresh.names_in(self.headers) + fresh.names_in(self.json_body)

    def filled(self, values: dict[str, Any]) -> RegisterRequest:
        """The request as sent for one user: placeholders filled, fresh values drawn anew."""
        in_url = {k: quote(str(v), safe="") for k, v in values.items()}
        return self.model_copy(update={
            "path": fresh.fill(self.path, in_url, generate=True),
            "headers": fresh.fill(self.headers, values, generate=True),
            "json_body": fresh.fill(self.json_body, values, generate=True),
            "body": fresh.fill(self.body, values, generate=True)})


@register("auth.password_storage", service_kind="postgres")
class PasswordStorage(SqlCheck):
    dialect = POSTGRES
    setting_fields = ("setting",)

    url: str | None = Field(None, description="The learner's app: a base URL on 127.0.0.1, localhost or ::1.")
    setting: str | None = Field(None, description="A lab setting holding the base URL of the learner's app "
                                                  "(e.g. app_url).")
    registration: RegisterRequest = Field(
        default_factory=RegisterRequest, alias="register",
        description="The request that registers a user (default: POST /register with JSON "
                    "{email: ${email}, password: ${password}}). It must send ${email} and ${password}.")
    status: int | list[int] = Field([200, 201], description="The status code(s) a registration answers.")
    email: str = Field("user-${random}@example.com", description="The template of each test user's fresh email; "
                       "it must draw a fresh value (${random}, ${digits:N}).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_loopback(value) if value is not None else None

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: int | list[int]) -> int | list[int]:
        codes = [value] if isinstance(value, int) else value
        if not codes or any(not 100 <= c <= 599 for c in codes):
            raise ValueError("give HTTP status codes (100-599)")
        return value

    @model_validator(mode="after")
    def _templates(self) -> PasswordStorage:
        if self.url is None and self.setting is None:
            raise ValueError("give url or setting: where the learner's app listens")
        if self.url is not None and self.setting is not None:
            raise ValueError("give url or setting, not both")
        fresh.check_template(self.email, set())
        if not any(m.group(1) in fresh.GENERATORS for m in fresh.PLACEHOLDER.finditer(self.email)):
            raise ValueError("email must draw a fresh value on each run, e.g. user-${random}@example.com")
        texts = self.registration.templates()
        for text in texts:
            fresh.check_template(text, KNOWN)
        for name in sorted(KNOWN):
            if not any(f"${{{name}}}" in text for text in texts):
                raise ValueError(f"register must send ${{{name}}} (the test user's {name})")
        return self

    def describe(self) -> str:
        return f"{self.registration.method} {self.registration.path or '/'} stores passwords as slow salted hashes"

    def needs_seconds(self) -> float:
        return NEEDS_SECONDS

    # ---- the run ---------------------------------------------------------------------------------

    def _app(self) -> Target:
        return Target.model_validate({"url": self.url, "setting": self.setting, "timeout": self.timeout})

    def _new_users(self) -> tuple[judge.User, judge.User]:
        first = str(fresh.fill(self.email, {}, generate=True))
        second = first
        while second.lower() == first.lower():
            second = str(fresh.fill(self.email, {}, generate=True))
        return judge.User("the first test user", first), judge.User("the second test user", second)

    def _register(self, ctx: CheckContext, app: Target, user: judge.User, password: str,
                  deadline: float) -> tuple[str, str, Outcome | None]:
        """(curl line, what answered, failure or None) of registering one user."""
        request = self.registration.filled({"email": user.email, "password": password})
        session = app.session()  # a session per user: the first one's cookie must not log the second in
        try:
            response, url, elapsed = app.send(ctx, session, request, timeout=max(0.5, deadline - time.monotonic()))
        finally:
            session.close()
        curl = app.evidence(request, url)
        said = f"{request.method} {url}"
        if response is None:
            return curl, said, failed(f"registering {user.called}: {elapsed}. Try it: {curl}", evidence=curl)
        problem = status_problem(response, self.status)
        if problem:
            return curl, said, failed(f"registering {user.called} ({said}): {problem}. Try it: {curl}",
                                      expected={"status": self.status},
                                      found={"status": response.status_code, "body": show_body(response)},
                                      evidence=curl)
        return curl, f"{said} answered {response.status_code}", None

    def run(self, ctx: CheckContext) -> Outcome:
        deadline = time.monotonic() + max(self.timeout or ctx.timeout, self.needs_seconds())
        app = self._app()
        password = new_password()
        users = self._new_users()
        curls: list[str] = []
        answers: dict[str, str] = {}  # email -> what its registration answered
        for user in users:
            curl, answers[user.email], failure = self._register(ctx, app, user, password, deadline)
            curls.append(curl)
            if failure is not None:
                return replace(failure, evidence="; ".join(curls))
        query = catalog(ctx, self)
        # Waiting for a late write may use what is left, less half the least budget (kept for verifying).
        wait = min(WRITE_WAIT, max(0.0, deadline - time.monotonic() - NEEDS_SECONDS / 2))
        found_tables, rows = stored.find(query, [u.email for u in users], weak.needles(password), wait=wait)
        return Judgement(self, query, curls, found_tables, rows, users, password, answers).outcome()


class Judgement:
    """One run's findings turned into the outcome: the first problem a beginner must fix, with the requests
    and the query that show it."""

    def __init__(self, check: PasswordStorage, query: stored.Query, curls: list[str], found_tables: list[stored.Table],
                 rows: list[stored.FoundRow], users: tuple[judge.User, ...], password: str, answers: dict[str, str]):
        self.check, self.query, self.curls, self.tables, self.rows = check, query, curls, found_tables, rows
        self.password, self.answers = password, answers
        self.users = tuple(replace(u, rows=tuple(f.row for f in rows if f.row.holds(u.email))) for u in users)

    def evidence(self, sql_text: str | None = None) -> str:
        return "; ".join(self.curls + ([stored.psql_line(sql_text)] if sql_text else []))

    def user_sql(self) -> str | None:
        """The query that shows the test users' rows, on the first table holding one."""
        for found in self.rows:
            columns = [c.column for c in found.row.cells if c.column in found.table.text_columns
                       and any(c.text.strip().lower() == u.email.lower() for u in self.users)]
            if columns:
                return stored.email_sql(found.table, columns, [u.email for u in self.users])
        return None

    def outcome(self) -> Outcome:
        everything = [f.row for f in self.rows]
        problem = judge.exposed(everything, self.users, self.password)
        if problem is not None:
            return self._failed(problem, self._exposure_sql(problem.cell))
        for user in self.users:
            if not user.rows:
                return self._not_found(user)
        self.users = tuple(self._with_links(u) for u in self.users)
        for user in self.users:
            problem = judge.fast(user, self.password)
            if problem is not None:
                return self._failed(problem, self.user_sql())
        try:
            verdicts = [judge.slow(u, self.password) for u in self.users]
        except judge.TooCostly as exc:
            raise CheckError(f"{exc}; the check cannot tell whether it is a hash of the password") from None
        # A verdict's cell is the recognised hash (verified or not); None when no hash was recognised. Two
        # recognised hashes are compared; with none, any hash-like value (a fast hash with a fixed salt).
        cells = tuple(v.cell for v in verdicts)
        recognised = [cell is not None for cell in cells]
        if all(recognised) or not any(recognised):
            same = judge.same_value(self.users[0], self.users[1], cells)
            if same is not None:
                return self._failed(same, self.user_sql())
        for verdict in verdicts:
            if isinstance(verdict, judge.Problem):
                return self._failed(verdict, self.user_sql())
        first = verdicts[0]
        assert isinstance(first, judge.Stored)
        return passed(f"{first.cell.where} holds {first.found.spelling} hashes ({policy.settings(first.found.params)}) "
                      "of both test users' password, each with its own salt; the password is readable nowhere in "
                      "your tables", evidence=self.evidence(self.user_sql()))

    def _failed(self, problem: judge.Problem, sql_text: str | None) -> Outcome:
        found = {problem.cell.where: weak.shape(problem.cell.text)} if problem.cell is not None else None
        return failed(problem.message, expected="a slow salted hash of the password (see the message)", found=found,
                      evidence=self.evidence(sql_text))

    def _exposure_sql(self, cell: judge.Cell | None) -> str | None:
        if cell is None:
            return None
        table = next((f.table for f in self.rows if f.table.shown == cell.table), None)
        if table is None:
            return None
        needle = next((n for n in weak.needles(self.password) if n in cell.text.lower()), None)
        if needle is None:
            return self.user_sql()
        return stored.contains_sql(table, cell.column, needle, as_hex=cell.text.startswith("\\x"))

    def _not_found(self, user: judge.User) -> Outcome:
        searched = [t for t in self.tables if t.text_columns]
        if not self.tables:
            where = "your database has no tables yet"
        else:
            names = ", ".join(t.shown for t in self.tables[:8]) + (", ..." if len(self.tables) > 8 else "")
            where = f"searched {len(self.tables)} table{'s' if len(self.tables) != 1 else ''}: {names}"
        path = self.check.registration.path or "/"
        sql_text = "; ".join(stored.email_sql(t, list(t.text_columns), [user.email]) for t in searched[:3]) or None
        return failed(f"no row of your tables holds the email {user.email} of {user.name} after registering "
                      f"({self.answers[user.email]}; {where}): does {path} store the user in the lab's database?",
                      expected=f"a row with {user.email}", found=[t.shown for t in self.tables],
                      evidence=self.evidence(sql_text))

    def _with_links(self, user: judge.User) -> judge.User:
        """The user's rows, with those one foreign key away when no row of theirs holds a recognised hash."""
        from .hashes import recognise

        if any(recognise(c.text) for r in user.rows for c in r.cells):
            return user
        extra = [row for f in self.rows if f.row.holds(user.email) for row in stored.linked(self.query, self.tables, f)]
        return replace(user, rows=user.rows + tuple(extra))
