"""jwt.verified: the learner's app trusts a token only when it is signed with the lab's secret, by an allowed
algorithm, unexpired, and for the lab's audience and issuer.

With a genuine token from the app, the protected request must succeed; so must a token minted with the lab's
secret (the same claims, issued now). Then each forgery, which differs from that valid token in one way only,
must get 401: alg none (three spellings), the signature removed, the payload changed, another key, expired,
and where the lab asks for them: no exp, another audience, another issuer, another HMAC algorithm.
The first wrong answer ends the check; every request is sent without cookies, so only the token can open it.
"""
from __future__ import annotations

import time

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from ..http import fresh
from ..http.request import Request, show_body
from .forgeries import Probe, fresh_claims, probes
from .login import TokenSource


def verdict(probe: Probe, status: int, where: str) -> str | None:
    """What is wrong with the app's answer to a probe, in words for a beginner, or None."""
    if probe.accept:
        if 200 <= status < 300:
            return None
        return f"{where} refused {probe.said} (it answered {status}; expected a success, 2xx): {probe.advice}"
    if status == 401:
        return None
    if 200 <= status < 300:
        return f"{probe.said} was accepted by {where} (it answered {status}; expected 401): {probe.advice}"
    if status == 403:
        return (f"{probe.said} got 403 from {where}; expected 401: a missing token, or one that cannot be trusted, "
                "gets 401 (Unauthorized); 403 (Forbidden) is for a known user who may not do this")
    if status >= 500:
        return f"{probe.said} got {status} from {where}, an error in your app; expected 401: refuse it as a bad token"
    return f"{probe.said} got {status} from {where}; expected 401"


@register("jwt.verified")
class Verified(TokenSource):
    protected: Request = Field(description="The request a valid token opens, e.g. {method: GET, path: /me}: sent "
                               "with Authorization: Bearer <token>, it must answer 2xx; may use ${...} names.")
    require_exp: bool = Field(False, description="Also send a token without exp (signed with the lab's secret): "
                              "it must be refused. Set it when the task says every token must expire.")
    refuse_other_algorithms: bool = Field(False, description="Also send tokens signed with the lab's secret by the "
                                          "other HMAC algorithms (HS384, HS512 when only HS256 is allowed): they "
                                          "must be refused. Set it when the task says to allow only these.")

    @field_validator("protected")
    @classmethod
    def _no_authorization(cls, value: Request) -> Request:
        if any(name.lower() == "authorization" for name in value.headers):
            raise ValueError("the check sends the Authorization header itself (Bearer and each token it tries)")
        return value

    @model_validator(mode="after")
    def _protected_templates(self) -> "Verified":
        known = self.known_names()
        p = self.protected
        for text in [p.path or "", p.body or ""] + fresh.names_in(p.headers) + fresh.names_in(p.json_body):
            try:
                fresh.check_template(text, known)
            except ValueError as exc:
                raise ValueError(f"protected: {exc}") from None
        return self

    def describe(self) -> str:
        return (f"{self.protected.method} {self.shown(self.protected)} accepts tokens signed with {self.secret} "
                "and refuses forged ones with 401")

    def run(self, ctx: CheckContext) -> Outcome:
        key = self.key(ctx)
        budget = self.timeout or ctx.timeout
        deadline = time.monotonic() + budget
        genuine, failure = self.genuine(ctx, budget)
        if failure is not None:
            return failure
        header = dict(genuine.token.header)
        header["alg"] = header.get("alg") if header.get("alg") in self.algorithms else self.algorithms[0]
        claims = fresh_claims(genuine.token.claims, now=time.time(), audience=self.audience, issuer=self.issuer)
        tried = [Probe("genuine", genuine.token.text, True, "the token your app gave",
                       "accept the tokens your app issues, sent as Authorization: Bearer <token>")]
        tried += probes(header, claims, key, key_name=self.secret, algorithms=self.algorithms, audience=self.audience,
                        issuer=self.issuer, require_exp=self.require_exp,
                        refuse_other_algorithms=self.refuse_other_algorithms)
        request = genuine.prelude.filled(self.protected, genuine.values)
        where = f"{request.method} {self.shown(request)}"
        session = self.session()
        try:
            for number, probe in enumerate(tried):
                left = deadline - time.monotonic()
                if left <= 0:
                    return failed(f"your app took more than {budget:g}s to answer {number} requests to {where}; "
                                  "each should take a moment", evidence=genuine.curl)
                session.labctl_jar.clear()  # the token alone must open the route, never a cookie an answer set
                auth = {"Authorization": f"Bearer {probe.token}"} if probe.token is not None else {}
                sent = request.model_copy(update={"headers": {**request.headers, **auth}})
                response, url, elapsed = self.send(ctx, session, sent, timeout=left)
                curl = self.evidence(sent, url)
                if response is None:
                    return failed(f"{where} with {probe.said}: {elapsed}. Try it: {curl}", evidence=curl)
                problem = verdict(probe, response.status_code, where)
                if problem:
                    return failed(f"{problem}. Try it: {curl}", expected="2xx" if probe.accept else 401,
                                  found={"status": response.status_code, "body": show_body(response)}, evidence=curl)
        finally:
            session.close()
        refused = sum(not p.accept for p in tried)
        return passed(f"{where} accepted your app's token and one signed with {self.secret}, and answered 401 to "
                      f"{refused} missing or forged ones", evidence=genuine.curl)
