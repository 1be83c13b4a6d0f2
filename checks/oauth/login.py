"""oauth.login: the check plays the browser through the learner's "Log in with the lab's provider": the app's
redirect (its authorization request: code flow, client, redirect_uri, scope, state, PKCE S256, nonce), the
provider's login as each lab user and Allow, the redirect back to the app's callback, then the app's /me,
which must show that user. Then the negative runs the lab asks for, each in a fresh browser (probes.py).
Nothing of the app's source is read: only what a browser sees.
"""
from __future__ import annotations

import time
from typing import Literal

from pydantic import Field, field_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.core.loopback import check_loopback
from labctl.services.oidc import issuer as issuer_of

from .browser import Browser
from .flow import Lab, Wrong, decide, deliver, provider_login, start, whoami
from .probes import PROBES, Probe, run_probe

USERS_DEFAULT = ["ada@example.com", "grace@example.com"]


def password_variable(email: str) -> str:
    """Where the provider's compose file keeps a lab user's password: OIDC_PASSWORD_<LOCAL PART>."""
    return "OIDC_PASSWORD_" + email.split("@")[0].upper().replace("-", "_").replace(".", "_")


@register("oauth.login", service_kind="oidc")
class Login(Check):
    setting_fields = ("setting",)

    setting: str = Field("app_url", description="The lab setting holding the base URL of the learner's app.")
    login_path: str = Field("/login", description="The app's page that starts the login (redirects to the provider).")
    callback_path: str = Field("/callback", description="The app's redirect URI path.")
    me_path: str = Field("/me", description="The app's page that answers JSON with the logged-in user (401 without one).")
    logout_path: str = Field("/logout", description="The app's logout (POST), for the logout probe.")
    identity: str = Field("email", description="The field of /me's JSON that must hold the user's email.")
    users: list[str] = Field(default_factory=lambda: list(USERS_DEFAULT), min_length=1,
                             description="The lab users to log in as, one fresh browser each (their passwords are "
                                         "the provider's OIDC_PASSWORD_<LOCAL PART>).")
    nonce: bool = Field(True, description="Require a nonce in the authorization request.")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email"], description="Scopes the request must ask for.")
    upto: Literal["authorize", "session"] = Field("session", description="authorize: judge only the app's redirect "
                                                  "(the provider must accept it); session: the whole login and /me.")
    probes: list[Probe] = Field(default_factory=list, description="Negative runs, each in a fresh browser: "
                                + "; ".join(f"{name}: {text}" for name, text in PROBES.items()))

    @field_validator("login_path", "callback_path", "me_path", "logout_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError(f"{value!r} must start with a single /")
        return value

    def describe(self) -> str:
        what = "redirects to the lab's provider with state and PKCE" if self.upto == "authorize" else \
            f"logs {', '.join(self.users)} in with the lab's provider"
        return f"GET {self.login_path} {what}" + (f"; refuses {', '.join(self.probes)}" if self.probes else "")

    def needs_seconds(self) -> float:
        return 20.0 + 6.0 * len(self.probes)

    def lab(self, ctx: CheckContext) -> Lab:
        app = ctx.setting(self.setting)
        if not app:
            raise CheckError(f"the setting {self.setting} has no value: tell labctl where your app listens, "
                             f"e.g. `labctl config set {self.setting} http://127.0.0.1:8000`")
        try:
            check_loopback(app)
        except ValueError as exc:
            raise CheckError(str(exc)) from None
        access = ctx.service(self.service or "oidc")
        env = access.environment
        return Lab(app.rstrip("/"), issuer_of(access), str(env.get("OIDC_CLIENT_ID", "")),
                   str(env.get("OIDC_CLIENT_SECRET", "")), self.login_path, self.callback_path, self.me_path,
                   self.logout_path, self.identity, self.nonce, tuple(self.scopes))

    def password(self, ctx: CheckContext, email: str) -> str:
        value = ctx.service(self.service or "oidc").environment.get(password_variable(email))
        if not value:
            raise CheckError(f"the lab's provider has no user {email} (no {password_variable(email)})")
        return str(value)

    def run(self, ctx: CheckContext) -> Outcome:
        lab = self.lab(ctx)
        deadline = time.monotonic() + (self.timeout or max(ctx.timeout, self.needs_seconds()))
        requests_seen: list = []
        try:
            for email in self.users:
                with Browser() as browser:
                    auth = start(browser, lab)
                    requests_seen.append(auth)
                    if self.upto == "authorize":
                        provider_login(browser, auth, lab, email, self.password(ctx, email))
                        continue
                    self.log_in(browser, lab, auth, email, self.password(ctx, email))
            repeated = _repeated(requests_seen, self.nonce)
            if repeated:
                return failed(f"two logins sent the same {repeated}: make a new random one for each login "
                              "(a fixed value can be guessed or replayed)", evidence=requests_seen[-1].curl)
            for probe in self.probes:
                if time.monotonic() > deadline:
                    return failed(f"your app took too long: the login and its refusals did not finish within "
                                  f"{self.needs_seconds():g}s; each page should answer in a moment")
                run_probe(probe, self, ctx, lab)
        except Wrong as exc:
            curl = f" Try it: {exc.curl}" if exc.curl else ""
            return failed(f"{exc}.{curl}", evidence=exc.curl or None)
        if self.upto == "authorize":
            return passed(f"GET {self.login_path} sends the browser to the provider with response_type=code, the "
                          "lab's client_id and your callback, a fresh state, nonce and an S256 code_challenge; the "
                          "provider accepted it", evidence=requests_seen[0].curl)
        refused = f", and refused {', '.join(self.probes)}" if self.probes else ""
        return passed(f"{' and '.join(self.users)} logged in through the provider and {self.me_path} showed each of "
                      f"them{refused}", evidence=requests_seen[0].curl)

    def log_in(self, browser: Browser, lab: Lab, auth, email: str, password: str) -> None:
        """The whole login in this browser, as `email`, ending with /me showing them. Raises Wrong."""
        provider_login(browser, auth, lab, email, password)
        callback = decide(browser, auth, lab, allow=True)
        first, last = deliver(browser, lab, callback)
        if first.status >= 400 or last.status >= 400:
            bad = first if first.status >= 400 else last
            raise Wrong(f"the provider sent the browser back to {callback} with a good code and state, and your app "
                        f"answered {bad.status} ({bad.url}): at the callback, compare state with the one you kept, "
                        f"POST the code to {lab.issuer}/token (grant_type=authorization_code, code, redirect_uri, "
                        "code_verifier, with your client id and secret), verify the ID token, then start a session "
                        "(a cookie) and redirect; your app's log says what failed", first.curl)
        hop, shown = whoami(browser, lab)
        if hop.status != 200 or shown != email:
            what = (f"answered {hop.status}" if hop.status != 200 else
                    f"shows {lab.identity} {shown!r}" if shown else f"has no {lab.identity} field in a JSON object")
            raise Wrong(f"after {email} logged in (the callback answered {first.status}), GET {lab.me_path} with the "
                        f"browser's cookies {what}; expected 200 with {{\"{lab.identity}\": \"{email}\"}}, the email "
                        "claim of the verified ID token. Set the session cookie at the callback and read it here",
                        hop.curl)
        leak = browser.leaked(lab.client_secret)
        if leak is not None:
            raise Wrong(f"the client secret reached the browser ({leak.method} {leak.url} shows it): only your "
                        "server sends it, to the token endpoint", leak.curl)


def _repeated(auths: list, nonce: bool) -> str | None:
    """Which per-login value two authorization requests share, if any."""
    names = ["state", "code_challenge"] + (["nonce"] if nonce else [])
    for name in names:
        values = [a.params.get(name) for a in auths]
        if len(values) != len(set(values)):
            return name
    return None
