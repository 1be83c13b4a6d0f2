"""The negative runs of oauth.login, each in a fresh browser: what an attacker (or a refusing user) does, and
the app must not answer with a session. Each probe raises Wrong with what the app did and what to do.
"""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Literal

from labctl.services.oidc import tamper

from .browser import Browser, NoAnswer
from .flow import Lab, Wrong, code_of, decide, deliver, provider_login, start, whoami, with_query

if TYPE_CHECKING:
    from labctl.check_engine.context import CheckContext

    from .login import Login

Probe = Literal["anonymous", "wrong-state", "other-browser", "denied", "replay", "injected-identity",
                "bad-signature", "wrong-issuer", "wrong-audience", "expired", "wrong-nonce", "logout"]

PROBES: dict[str, str] = {
    "anonymous": "GET /me without a session answers 401",
    "wrong-state": "a callback whose state is not the one the app sent gives no session",
    "other-browser": "a good callback URL opened in another browser (without the state cookie) gives no session",
    "denied": "the user pressing Deny (error=access_denied) gives no session",
    "replay": "a callback URL used once gives no session when opened again in another browser",
    "injected-identity": "an email in the callback's query is ignored: the identity comes from the ID token",
    "bad-signature": "an ID token signed with another key is refused",
    "wrong-issuer": "an ID token from another issuer is refused",
    "wrong-audience": "an ID token for another client is refused",
    "expired": "an expired ID token is refused",
    "wrong-nonce": "an ID token whose nonce is not the login's is refused",
    "logout": "POST /logout ends the session on the server (the old cookie no longer opens /me)",
}
FAULTS = {"bad-signature": ("signature", "signed with another key than the provider's (see its jwks_uri)",
                            "verify the signature with the provider's public key from its JWKS, for RS256 only"),
          "wrong-issuer": ("issuer", "whose iss is https://idp.example.com, not the lab's issuer",
                           "check that iss is exactly $OIDC_ISSUER"),
          "wrong-audience": ("audience", "whose aud is another client, another-app",
                             "check that aud is (or contains) your client id"),
          "expired": ("expired", "that expired an hour ago", "check exp (your JWT library does when asked to)"),
          "wrong-nonce": ("nonce", "whose nonce is not the one your app sent with this login",
                          "compare the nonce claim with the nonce you kept in the session for this login")}


def to_callback(ctx: "CheckContext", check: "Login", lab: Lab, browser: Browser, email: str, *, allow: bool = True):
    """Start a login in `browser` and log in at the provider; (authorization, the callback URL to deliver)."""
    auth = start(browser, lab)
    provider_login(browser, auth, lab, email, check.password(ctx, email))
    return auth, decide(browser, auth, lab, allow=allow)


def no_session(browser: Browser, lab: Lab, what: str, do: str, first, *, cookie: str | None = None) -> None:
    """/me must not open after the callback: raises Wrong when it does."""
    hop, shown = whoami(browser, lab, cookie=cookie)
    if 200 <= hop.status < 300:
        raise Wrong(f"{what}, and your app answered {first.status} and then GET {lab.me_path} answered {hop.status}"
                    f"{f' as {shown}' if shown else ''}: it gave a session. {do}", first.curl)


def run_probe(name: str, check: "Login", ctx: "CheckContext", lab: Lab) -> None:
    """Run one probe; raises Wrong when the app gets it wrong."""
    email = check.users[0]
    with Browser() as browser:
        if name == "anonymous":
            hop, _ = whoami(browser, lab)
            if hop.status != 401:
                raise Wrong(f"GET {lab.me_path} without any cookie answered {hop.status}; expected 401: no session, "
                            "no user", hop.curl)
            return
        if name == "logout":
            return _logout(check, ctx, lab, browser, email)
        auth, callback = to_callback(ctx, check, lab, browser, email, allow=name != "denied")
        if name == "wrong-state":
            forged = with_query(callback, state=secrets.token_urlsafe(24))
            first, _ = deliver(browser, lab, forged)
            no_session(browser, lab, "the callback came back with another state than the one your app sent", "Compare "
                       "the state in the callback with the one kept in this browser's session; refuse it (400) when "
                       "they differ, before using the code", first)
        elif name == "other-browser":
            with Browser() as other:
                first, _ = deliver(other, lab, callback)
                no_session(other, lab, "a good callback URL was opened in another browser, one without the state "
                           "cookie of the login", "Keep the state in the browser's own session (a cookie), not in a "
                           "list every browser shares, so a login started elsewhere cannot be finished here", first)
        elif name == "denied":
            first, _ = deliver(browser, lab, callback)
            no_session(browser, lab, "the user pressed Deny, and the provider sent back error=access_denied",
                       "When the callback has an error parameter, show it and make no session", first)
        elif name == "replay":
            before = browser.jar.copy()  # the cookies the browser held when the provider sent it back
            first, _ = deliver(browser, lab, callback)
            hop, shown = whoami(browser, lab)
            if hop.status != 200:
                raise Wrong(f"a good login ended without a session (GET {lab.me_path} answered {hop.status})", hop.curl)
            with Browser() as other:
                other.jar = before
                hop, _ = whoami(other, lab)
                if 200 <= hop.status < 300:
                    raise Wrong(f"the cookies the browser held before the login finished now open {lab.me_path} "
                                f"({hop.status}): make a new session id when the user logs in (session fixation), "
                                "and keep the state, nonce and code_verifier apart from the logged-in session",
                                hop.curl)
                again, _ = deliver(other, lab, callback)
                no_session(other, lab, "a callback URL whose code was already used was opened again in another "
                           "browser with the same state cookie", "Exchange each code once: the provider refuses a "
                           "used code, so never keep sessions or tokens by code, and forget the state once used", again)
        elif name == "injected-identity":
            other = next((u for u in check.users if u != email), "admin@example.com")
            forged = with_query(callback, email=other, sub=other, user=other, id_token="")
            first, _ = deliver(browser, lab, forged)
            hop, shown = whoami(browser, lab)
            if shown is not None and shown != email:
                raise Wrong(f"{email} logged in, but the callback's query also said email={other}, and "
                            f"GET {lab.me_path} showed {shown}: take the identity only from the verified ID token, "
                            "never from the query", first.curl)
            if hop.status != 200:
                raise Wrong(f"{email} logged in with some extra query parameters on the callback, and GET "
                            f"{lab.me_path} answered {hop.status}: ignore parameters you do not use", first.curl)
        elif name in FAULTS:
            fault, said, do = FAULTS[name]
            tamper(ctx.service(check.service or "oidc"), code_of(callback), fault)
            first, _ = deliver(browser, lab, callback)
            no_session(browser, lab, f"the provider answered your app's token request with an ID token {said}",
                       f"Verify the ID token before trusting it: {do}", first)
        else:  # pragma: no cover - the field's Literal allows no other name
            raise ValueError(name)


def _logout(check: "Login", ctx: "CheckContext", lab: Lab, browser: Browser, email: str) -> None:
    auth, callback = to_callback(ctx, check, lab, browser, email)
    deliver(browser, lab, callback)
    before = browser.cookie_header(lab.url(lab.me_path))
    hop, _ = whoami(browser, lab)
    if hop.status != 200:
        raise Wrong(f"a good login ended without a session (GET {lab.me_path} answered {hop.status})", hop.curl)
    try:
        out = browser.post(lab.url(lab.logout_path))
    except NoAnswer as exc:
        raise Wrong(str(exc), exc.curl) from None
    if out.status >= 400:
        raise Wrong(f"POST {lab.logout_path} answered {out.status}; expected 204, 200 or a redirect", out.curl)
    hop, _ = whoami(browser, lab)
    if hop.status != 401:
        raise Wrong(f"after POST {lab.logout_path}, GET {lab.me_path} with the browser's cookies answered {hop.status};"
                    " expected 401", hop.curl)
    hop, _ = whoami(browser, lab, cookie=before)
    if hop.status != 401:
        raise Wrong(f"after POST {lab.logout_path}, the session cookie from before the logout still opens "
                    f"{lab.me_path} ({hop.status}): end the session on the server (delete it from your session "
                    "store), not only the cookie in the browser", hop.curl)
