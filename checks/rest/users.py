"""Fresh users for the rest.* checks: the lab's sign-up and login steps, run as an http.sequence runs them
(its Step model, placeholders and answer checks), once per user, each user with its own fresh values."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..http import fresh
from ..http.sequence import Sequence, Step, cookie_problem
from .client import Client, RestRuleError, User

# An http.sequence checks the steps' placeholders; it is given a target only to be a valid one.
_ANY_TARGET = "http://127.0.0.1"


class Auth(BaseModel):
    """How a fresh user signs up and logs in, and how its requests then carry the login."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    let: dict[str, str] = Field(default_factory=dict, description="{name: template}: fresh values drawn anew for "
                                "each user, e.g. {user: 'u${random}', password: 'pw-${random}'}, used as ${name}.")
    steps: list[Step] = Field(min_length=1, max_length=6, description="Requests that sign up and log in one user, "
                              "as http.sequence steps; save the token (save: {token: access_token}).")
    header: str | None = Field("Authorization", description="The header that carries the login; null when the "
                               "login is a session cookie the steps received.")
    value: str | None = Field("Bearer ${token}", description="The header's value, from what the steps saved.")

    @model_validator(mode="after")
    def _names(self) -> "Auth":
        try:
            self.sequence()
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise ValueError(f"{where + ': ' if where else ''}{error['msg'].removeprefix('Value error, ')}") from None
        if (self.header is None) != (self.value is None):
            raise ValueError("give header and value together (or both null, for a login kept in a cookie)")
        if self.value is not None:
            try:
                fresh.check_template(self.value, self.known(), generators=False)
            except ValueError as exc:
                raise ValueError(f"value: {exc}") from None
        return self

    def sequence(self) -> Sequence:
        """The steps as an http.sequence (which validates their placeholders)."""
        return Sequence(url=_ANY_TARGET, let=self.let, steps=self.steps)

    def known(self) -> set[str]:
        """The names a user's values hold once it has logged in."""
        saved = {n for s in self.steps for n in (*s.save, *s.save_header)}
        cookies = {s.save_cookies for s in self.steps if s.save_cookies}
        return set(self.let) | saved | cookies

    def forged(self) -> dict[str, str]:
        """The login header with made-up values in place of every saved one (a token no user has)."""
        if self.header is None or self.value is None:
            return {}
        made_up = {name: fresh.fresh_word(32) for name in self.known()}
        return {self.header: str(fresh.fill(self.value, made_up))}


def sign_in(auth: Auth, client: Client, label: str, who: str) -> User:
    """A new user, signed up and logged in by the lab's steps. Raises RestRuleError saying which step failed."""
    sequence = auth.sequence()
    values = fresh.make_values(auth.let)
    origin: dict[str, str] = {}
    user = client.user(label)
    for number, template in enumerate(auth.steps, 1):
        step = sequence.fill_step(template, values)
        if step.clear_cookies:
            user.session.labctl_jar.clear()
        reply = client.send_request(user, step)
        problem = sequence.judge_answer(template, reply.response, values, origin)
        if not problem and step.set_cookies:
            problem = cookie_problem(user.session.labctl_jar.last_set, step.set_cookies)
        if step.save_cookies:
            values[step.save_cookies] = user.session.labctl_jar.header_for(urlsplit(reply.url).path)
        if problem:
            shown = f"{step.method} {reply.path}" + (f", {step.what}" if step.what else "")
            raise RestRuleError(f"signing in {who} failed at step {number} of the login ({shown}): {problem}",
                                reply.curl, found={"status": reply.status})
    if auth.header is not None and auth.value is not None:
        user.headers = {auth.header: str(fresh.fill(auth.value, values))}
    user.values = values
    return user


def values_known(auth: Auth | None) -> set[str]:
    return auth.known() if auth is not None else set()


def fill_for(user: User, template: Any) -> Any:
    """A body template as this user sends it: its values in, every generator drawn anew."""
    return fresh.fill(template, user.values, generate=True)
