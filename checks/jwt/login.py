"""How a jwt check gets a genuine token: http.sequence's steps (register, then log in, say), run exactly as a
sequence runs them, with fresh values for each run; the token is read from the last step's JSON answer."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.result import Outcome, failed
from labctl.core.errors import CheckError

from ..http.body import parse_path
from ..http.request import Request, Target
from ..http.sequence import Sequence, Step
from .tokens import HMAC_ALGORITHMS, Token, TokenShapeError, read

# The name the token is saved under: a ${...} name a lab cannot write by accident.
TOKEN = "_jwt_token"
SECRET_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class Prelude(Sequence):
    """The lab's steps as an http.sequence, keeping what they saved for the check that runs them."""

    _kept: dict[str, Any] = PrivateAttr(default_factory=dict)

    def judge_answer(self, step, response, values, origin):
        self._kept["values"] = values  # the sequence's own dict, filled as the steps run
        return super().judge_answer(step, response, values, origin)

    def evidence(self, request: Request, url: str) -> str:
        curl = super().evidence(request, url)
        self._kept.setdefault("curls", []).append(curl)
        return curl

    @property
    def saved(self) -> dict[str, Any]:
        return self._kept.get("values", {})

    @property
    def curls(self) -> list[str]:
        """The steps sent so far, as curl lines."""
        return list(self._kept.get("curls", []))

    def filled(self, request: Request, values: dict[str, Any]) -> Request:
        """A request with its ${...} filled as a sequence fills a step's."""
        return self.fill_step(request, values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Genuine:
    """A token the app gave, what the steps saved, and the steps as curl lines (the last one gave the token)."""

    token: Token
    values: dict[str, Any]
    curls: list[str]
    prelude: Prelude

    @property
    def curl(self) -> str:
        return self.curls[-1]


class TokenSource(Target):
    """The fields every jwt check shares: the steps that get a token, where it is in the answer, the lab's key."""

    let: dict[str, str] = Field(default_factory=dict, description="{name: template}: fresh values for each run, as "
                                "in http.sequence, e.g. {email: 'jwt-${random}@example.com', password: 'pw-${random}'}.")
    steps: list[Step] = Field(min_length=1, max_length=5, description="Requests made in order (as http.sequence's "
                              "steps), e.g. register then log in; the last one's JSON answer holds the token.")
    token: str = Field("access_token", description="The JSON path of the token in the last step's answer.")
    secret: str = Field("JWT_SECRET", description="The lab secret (lab.yaml secrets:) the tokens are signed with.")
    algorithms: list[str] = Field(default_factory=lambda: ["HS256"], min_length=1,
                                  description=f"The algorithms the lab allows: {', '.join(HMAC_ALGORITHMS)}.")
    audience: str | None = Field(None, description="The aud the lab's tokens must carry (and the app must check).")
    issuer: str | None = Field(None, description="The iss the lab's tokens must carry (and the app must check).")

    @field_validator("token")
    @classmethod
    def _token_path(cls, value: str) -> str:
        parse_path(value)
        return value

    @field_validator("secret")
    @classmethod
    def _secret_name(cls, value: str) -> str:
        if not SECRET_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a lab secret's name (capitals, digits and _, e.g. JWT_SECRET)")
        return value

    @field_validator("algorithms")
    @classmethod
    def _hmac_only(cls, value: list[str]) -> list[str]:
        for alg in value:
            if alg not in HMAC_ALGORITHMS:
                raise ValueError(f"{alg!r}: the lab's secret is shared with the app, so its tokens are signed with "
                                 f"HMAC: {', '.join(HMAC_ALGORITHMS)}")
        return value

    @model_validator(mode="after")
    def _steps_valid(self) -> "TokenSource":
        self.prelude(None)  # the steps and let are validated as an http.sequence's
        return self

    def known_names(self) -> set[str]:
        """The ${...} names a later request or value may use: let's and what the steps save."""
        return set(self.let) | {n for s in self.steps for n in (*s.save, *s.save_header)}

    def prelude(self, timeout: float | None) -> Prelude:
        last = self.steps[-1]
        steps = [*self.steps[:-1], last.model_copy(update={"save": {**last.save, TOKEN: self.token}})]
        try:
            return Prelude.model_validate({"url": self.url, "setting": self.setting, "service": self.service,
                                           "port": self.port, "timeout": timeout, "let": self.let, "steps": steps})
        except ValidationError as exc:
            raise ValueError("; ".join(_said(e) for e in exc.errors())) from None

    def key(self, ctx: CheckContext) -> str:
        """The lab's secret, as the app gets it in its environment. Raises CheckError when the lab has none."""
        value = ctx.env.get(self.secret)
        if not value:
            raise CheckError(f"the lab has no secret {self.secret}: declare it under secrets: in lab.yaml")
        return value

    def genuine(self, ctx: CheckContext, budget: float) -> tuple[Genuine | None, Outcome | None]:
        """(a token the app gave, None), or (None, the failure to report): a step answered wrongly, or what it
        gave is not a JWT."""
        prelude = self.prelude(min(budget, 300))
        outcome = prelude.run(ctx)
        curls = prelude.curls
        if not outcome.passed:
            return None, replace(outcome, message=f"getting a token: {outcome.message}")
        values = dict(prelude.saved)
        found = values.pop(TOKEN)
        try:
            token = read(found)
        except TokenShapeError as exc:
            return None, failed(f"the {self.token} your app gave is not a JWT: {exc}. Try it: {curls[-1]}",
                                expected="header.payload.signature", found=_cut(found), evidence=outcome.evidence)
        return Genuine(token, values, curls, prelude), None

    def shown_steps(self) -> str:
        return " then ".join(f"{s.method} {self.shown(s)}" for s in self.steps)


def _said(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _cut(value: Any, limit: int = 200) -> Any:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
