"""jwt.issued: the token the learner's app gives (at login, say) is a JWT signed with the lab's secret by an
allowed algorithm, expires within the lab's limit, and carries the audience, issuer and claims the lab names."""
from __future__ import annotations

import time
from typing import Any

from pydantic import Field, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from ..http import fresh
from .claims import duration, issued_problem
from .login import TokenSource


@register("jwt.issued")
class Issued(TokenSource):
    max_lifetime: int | None = Field(None, gt=0, le=366 * 86400, description="The longest a token may live, in "
                                     "seconds: exp at most this after iat, and after the time it was given.")
    claims: dict[str, Any] = Field(default_factory=dict, description="{claim: value} the token must carry; values "
                                   "may use ${...} from let and the steps, e.g. {email: '${email}'}.")

    @model_validator(mode="after")
    def _claim_templates(self) -> "Issued":
        known = self.known_names()
        for text in fresh.names_in(self.claims):
            try:
                fresh.check_template(text, known, generators=False)
            except ValueError as exc:
                raise ValueError(f"claims: {exc}") from None
        return self

    def describe(self) -> str:
        lifetime = f", expiring within {duration(self.max_lifetime)}" if self.max_lifetime else ", with an expiry"
        return (f"the token {self.shown_steps()} gives is signed {' or '.join(self.algorithms)} with {self.secret}"
                f"{lifetime}")

    def run(self, ctx: CheckContext) -> Outcome:
        key = self.key(ctx)
        genuine, failure = self.genuine(ctx, self.timeout or ctx.timeout)
        if failure is not None:
            return failure
        token, now = genuine.token, time.time()
        last = self.steps[-1]
        where = f"{last.method} {self.shown(last)}"
        problem = issued_problem(token, key=key, key_name=self.secret, algorithms=self.algorithms,
                                 max_lifetime=self.max_lifetime, audience=self.audience, issuer=self.issuer,
                                 expected=fresh.fill(self.claims, genuine.values), now=now)
        found = {"header": token.header, "claims": token.claims}
        if problem:
            return failed(f"the token from {where}: {problem}. Try it: {genuine.curl}",
                          expected=self._expected(), found=found, evidence="; ".join(genuine.curls))
        return passed(f"the token from {where} is signed {token.alg} with {self.secret} and expires in "
                      f"{duration(float(token.claims['exp']) - now)}", evidence="; ".join(genuine.curls))

    def _expected(self) -> dict[str, Any]:
        expected: dict[str, Any] = {"alg": self.algorithms, "signed with": self.secret, "exp": "present"}
        if self.max_lifetime:
            expected["lifetime at most"] = duration(self.max_lifetime)
        if self.audience is not None:
            expected["aud"] = self.audience
        if self.issuer is not None:
            expected["iss"] = self.issuer
        return expected
