"""The steps of an OpenID Connect login as a browser goes through them, each judged as it happens: the app's
redirect to the provider (its authorization request), the provider's login and consent pages, the redirect
back to the app's callback, and the app's page that shows who is logged in.

A step that finds the app wrong raises Wrong (what is wrong, what to do, and the request as a curl line); one
that finds labctl's own provider misbehaving raises CheckError.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from labctl.core.errors import CheckError

from .browser import Browser, Hop, NoAnswer, same_origin

MAX_APP_HOPS = 4
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
MIN_RANDOM = 16  # characters of state and nonce: at least ~96 random bits in base64url


class Wrong(Exception):
    """The app did something wrong: the message says what and what to do; curl reproduces the request."""

    def __init__(self, message: str, curl: str = ""):
        super().__init__(message)
        self.curl = curl


@dataclass(frozen=True)
class Lab:
    """What a check knows of the lab: where the app and the provider are, the client, the app's paths."""

    app: str
    issuer: str
    client_id: str
    client_secret: str
    login_path: str
    callback_path: str
    me_path: str
    logout_path: str
    identity: str  # the field of /me's JSON that holds the user's email
    nonce: bool
    scopes: tuple[str, ...]

    def url(self, path: str) -> str:
        return self.app.rstrip("/") + path


@dataclass(frozen=True)
class Authorization:
    """The authorization request the app sent the browser to."""

    url: str
    params: dict[str, str]
    curl: str  # the request to the app's login that answered with it

    @property
    def query(self) -> str:
        return urlsplit(self.url).query


def _no_answer(exc: NoAnswer) -> Wrong:
    return Wrong(str(exc), exc.curl)


def start(browser: Browser, lab: Lab) -> Authorization:
    """GET the app's login page and follow its redirects (on the app) to the provider. Raises Wrong."""
    url = lab.url(lab.login_path)
    try:
        for _ in range(MAX_APP_HOPS):
            hop = browser.get(url)
            if not hop.redirected:
                raise Wrong(f"GET {url} answered {hop.status}; expected a redirect (302 or 303) whose Location is the "
                            f"provider's authorization endpoint, {lab.issuer}/authorize?response_type=code&client_id=...",
                            hop.curl)
            if same_origin(hop.location, lab.issuer):
                return judge_authorization(hop, lab)
            if not same_origin(hop.location, lab.app):
                raise Wrong(f"GET {url} redirects to {hop.location}, which is neither your app ({lab.app}) nor the "
                            f"lab's provider ({lab.issuer}); use the issuer in $OIDC_ISSUER", hop.curl)
            url = hop.location
    except NoAnswer as exc:
        raise _no_answer(exc) from None
    raise Wrong(f"GET {lab.url(lab.login_path)} redirected {MAX_APP_HOPS} times inside your app without reaching the "
                f"provider; redirect straight to {lab.issuer}/authorize", hop.curl)


def judge_authorization(hop: Hop, lab: Lab) -> Authorization:
    """The authorization request in the app's redirect, if it asks for what this lab needs. Raises Wrong."""
    url = hop.location or ""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    app = urlsplit(lab.app)

    def wrong(problem: str) -> Wrong:
        return Wrong(f"your app's login redirects to {url}: {problem}", hop.curl)

    if parts.path.rstrip("/") != "/authorize":
        raise wrong(f"the provider's authorization endpoint is {lab.issuer}/authorize (its discovery document, "
                    f"{lab.issuer}/.well-known/openid-configuration, says so)")
    if lab.client_secret and lab.client_secret in url:
        raise wrong("it holds the client secret, which must never reach the browser: only your server sends it, "
                    "to the token endpoint")
    if params.get("response_type") != "code":
        raise wrong(f"response_type is {params.get('response_type')!r}; the authorization code flow asks for "
                    "response_type=code")
    if params.get("client_id") != lab.client_id:
        raise wrong(f"client_id is {params.get('client_id')!r}; send the lab's client id ($OIDC_CLIENT_ID, {lab.client_id})")
    redirect = urlsplit(params.get("redirect_uri", ""))
    if (redirect.scheme != "http" or redirect.hostname not in ("127.0.0.1", "localhost")
            or redirect.port != (app.port or 80) or redirect.path != lab.callback_path):
        raise wrong(f"redirect_uri is {params.get('redirect_uri')!r}; it must be your app's callback, "
                    f"http://127.0.0.1:{app.port or 80}{lab.callback_path}, on the port your app listens on")
    scopes = params.get("scope", "").split()
    missing = [s for s in lab.scopes if s not in scopes]
    if missing:
        raise wrong(f"scope is {params.get('scope')!r}; ask for {' '.join(lab.scopes)} (openid makes it an OpenID "
                    "Connect login, with an ID token)")
    state = params.get("state", "")
    if len(state) < MIN_RANDOM:
        said = "there is no state" if not state else f"state {state!r} is too short to be unguessable"
        raise wrong(f"{said}: make a new random state for each login (at least {MIN_RANDOM} characters, e.g. 32 hex "
                    "digits from a secure generator), keep it in the browser's session or a cookie, and compare it "
                    "at the callback: it stops an attacker from logging the browser in as someone else")
    method = params.get("code_challenge_method")
    if method != "S256" or not params.get("code_challenge"):
        said = ("there is no PKCE code_challenge" if not params.get("code_challenge")
                else f"code_challenge_method is {method!r}")
        raise wrong(f"{said}: make a random code_verifier (43 to 128 characters) for each login, keep it on the "
                    "server side of the session, and send code_challenge=BASE64URL(SHA256(code_verifier)) with "
                    "code_challenge_method=S256 (plain would show the verifier to anyone who sees this URL)")
    if not CHALLENGE.fullmatch(params["code_challenge"]):
        raise wrong(f"code_challenge {params['code_challenge']!r} is not a SHA-256 digest in base64url: it is 43 "
                    "characters of A-Z a-z 0-9 - _, without = padding")
    if lab.nonce and len(params.get("nonce", "")) < MIN_RANDOM:
        raise wrong(f"{'there is no nonce' if not params.get('nonce') else 'the nonce is too short'}: send a new "
                    f"random nonce (at least {MIN_RANDOM} characters) with each login, keep it in the session, "
                    "and check that the ID token's nonce claim is the same")
    return Authorization(url, params, hop.curl)


def provider_login(browser: Browser, auth: Authorization, lab: Lab, email: str, password: str) -> None:
    """At the provider: the authorization request, the login form, then the consent page. Raises Wrong when
    the provider refuses the app's request, CheckError when the provider misbehaves."""
    try:
        hop = browser.get(auth.url)
        if hop.redirected:
            error = parse_qs(urlsplit(hop.location).query).get("error_description", ["(no description)"])[0]
            raise Wrong(f"the provider refused your app's authorization request, {auth.url}: {error}", hop.curl)
        if hop.status != 200:
            raise Wrong(f"the provider refused your app's authorization request ({hop.status}): "
                        f"{re.sub(r'<[^>]+>', ' ', hop.text).split('Bad authorization request')[-1].strip()[:300]}",
                        hop.curl)
        hop = browser.post(lab.issuer + "/login", {"email": email, "password": password, "query": auth.query})
        if hop.status != 303 or not hop.location:
            raise CheckError(f"the lab's provider did not log {email} in (it answered {hop.status}); "
                             "try `labctl reset`")
        hop = browser.get(hop.location)
        if hop.status != 200 or 'value="allow"' not in hop.text:
            raise CheckError(f"the lab's provider showed no consent page after logging {email} in ({hop.status})")
    except NoAnswer as exc:
        raise CheckError(f"the lab's provider is not answering: {exc}") from None


def decide(browser: Browser, auth: Authorization, lab: Lab, *, allow: bool) -> str:
    """Press Allow or Deny; the URL the provider sends the browser back to (the app's callback)."""
    try:
        hop = browser.post(f"{lab.issuer}/authorize?{auth.query}", {"decision": "allow" if allow else "deny"})
    except NoAnswer as exc:
        raise CheckError(f"the lab's provider is not answering: {exc}") from None
    redirect = auth.params["redirect_uri"]
    if not hop.redirected or not (hop.location or "").startswith(redirect):
        raise CheckError(f"the lab's provider did not redirect back to {redirect} ({hop.status} {hop.location})")
    return hop.location  # type: ignore[return-value]


def code_of(callback: str) -> str:
    return parse_qs(urlsplit(callback).query).get("code", [""])[0]


def with_query(url: str, **changes: str) -> str:
    """The URL with some query parameters replaced or added."""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    params.update(changes)
    return parts._replace(query=urlencode(params)).geturl()


def deliver(browser: Browser, lab: Lab, callback: str, *, cookie: str | None = None) -> tuple[Hop, Hop]:
    """GET the callback URL at the app and follow the app's redirects on the app; (first answer, last answer).
    Raises Wrong when the app does not answer or crashes."""
    try:
        first = hop = browser.get(callback, cookie=cookie)
        for _ in range(MAX_APP_HOPS):
            if not (hop.redirected and same_origin(hop.location or "", lab.app)):
                break
            hop = browser.get(hop.location, cookie=cookie)  # type: ignore[arg-type]
    except NoAnswer as exc:
        raise _no_answer(exc) from None
    if first.status >= 500:
        raise Wrong(f"your app answered {first.status} (an error in your app) to {callback}; a callback it refuses "
                    "gets 400 or 401, or a redirect to an error page, and never a session", first.curl)
    return first, hop


def whoami(browser: Browser, lab: Lab, *, cookie: str | None = None) -> tuple[Hop, str | None]:
    """GET /me: the answer, and the identity it shows (None when it is not a JSON object with that field)."""
    try:
        hop = browser.get(lab.url(lab.me_path), cookie=cookie)
    except NoAnswer as exc:
        raise _no_answer(exc) from None
    try:
        body = json.loads(hop.text)
    except ValueError:
        return hop, None
    value = body.get(lab.identity) if isinstance(body, dict) else None
    return hop, value if isinstance(value, str) else None
