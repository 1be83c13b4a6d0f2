"""The tokens jwt.verified sends: one minted with the lab's key (it must be accepted), and forgeries, each
differing from that valid token in one way only, so that a refusal can only be for that one reason (pure)."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from .tokens import HMAC_ALGORITHMS, sign, unsigned, with_payload

# A minted token lives this long (the app may allow less: it is never longer than the genuine one's life).
MINTED_LIFETIME = 300
# Its iat (and nbf) lie this far back, so that an app whose clock is a little behind never finds it "issued
# in the future" (PyJWT refuses an iat ahead of its clock).
BACKDATE = 5
# The expired forgery expired this long ago: well past any leeway an app allows for clock skew.
EXPIRED_AGO = 3600
NONE_SPELLINGS = ("none", "None", "NONE")


@dataclass(frozen=True)
class Probe:
    """A token to send to the protected route: `said` is it in a beginner's words; `advice` what to fix when the
    app answers wrongly. token None sends no Authorization header."""

    name: str
    token: str | None
    accept: bool
    said: str
    advice: str


def fresh_claims(genuine: dict[str, Any], *, now: float, audience: str | None, issuer: str | None) -> dict[str, Any]:
    """The genuine token's claims, issued now: iat (and nbf, when it had one) a moment ago, exp soon after;
    aud and iss as the lab requires them."""
    claims = dict(genuine)
    issued = int(now) - BACKDATE
    lifetime = MINTED_LIFETIME
    if isinstance(genuine.get("exp"), (int, float)) and isinstance(genuine.get("iat"), (int, float)):
        lifetime = max(30, min(MINTED_LIFETIME, int(genuine["exp"] - genuine["iat"])))
    claims["iat"] = issued
    claims["exp"] = issued + lifetime
    if "nbf" in claims:
        claims["nbf"] = issued
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    return claims


def tampered(claims: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The claims with a privilege raised (the user stays the same), and that change in words."""
    changed = dict(claims)
    if isinstance(claims.get("role"), str):
        changed["role"] = "admin" if claims["role"] != "admin" else "superuser"
        return changed, f"role changed from {claims['role']!r} to {changed['role']!r}"
    if isinstance(claims.get("admin"), bool):
        changed["admin"] = not claims["admin"]
        return changed, f"admin changed from {json.dumps(claims['admin'])} to {json.dumps(changed['admin'])}"
    if isinstance(claims.get("roles"), list):
        changed["roles"] = [*claims["roles"], "admin"]
        return changed, "admin added to its roles"
    changed["role"] = "admin"
    return changed, "a role claim of 'admin' added"


def probes(header: dict[str, Any], claims: dict[str, Any], key: str, *, key_name: str, algorithms: list[str],
           audience: str | None = None, issuer: str | None = None, require_exp: bool = False,
           refuse_other_algorithms: bool = False) -> list[Probe]:
    """The valid minted token first, then no token, then every forgery that applies to this lab.

    `header` has the HMAC alg to sign with; `claims` are fresh (fresh_claims): valid now.
    """
    allowed = " or ".join(algorithms)
    valid = sign(header, claims, key)
    out = [
        Probe("minted", valid, True, f"a token signed {header['alg']} with the lab's {key_name}, carrying your token's "
              "claims and issued now",
              f"verify tokens with {allowed} and the value of the {key_name} environment variable, not a key "
              "written in your code"),
        Probe("no-token", None, False, "a request without a token",
              "the route must refuse a request without a valid token in its Authorization header"),
    ]
    for spelling in NONE_SPELLINGS:
        out.append(Probe(f"alg-{spelling}", unsigned(dict(header, alg=spelling), claims), False,
                         f"a token with alg {spelling!r} (no signature at all)",
                         f"verify the signature and allow only {allowed}"))
    out.append(Probe("no-signature", unsigned(header, claims), False,
                     f"a token whose header says {header['alg']} but whose signature was removed",
                     "verify the signature: a token without a valid one is not to be trusted"))
    changed, words = tampered(claims)
    out.append(Probe("tampered", with_payload(valid, changed), False,
                     f"a token whose payload was changed after it was signed ({words}; the signature kept)",
                     "verify the signature before trusting any claim"))
    other_key = secrets.token_urlsafe(32)
    out.append(Probe("other-key", sign(header, claims, other_key), False, f"a token signed with another key than {key_name}",
                     f"verify the signature with {key_name}"))
    lifetime = int(claims["exp"]) - int(claims["iat"])
    expired = dict(claims, exp=int(claims["iat"]) - EXPIRED_AGO, iat=int(claims["iat"]) - EXPIRED_AGO - lifetime)
    if "nbf" in expired:
        expired["nbf"] = expired["iat"]
    out.append(Probe("expired", sign(header, expired, key), False,
                     f"a token that expired an hour ago (signed with {key_name})",
                     "check exp: refuse a token whose time is past"))
    if require_exp:
        endless = {k: v for k, v in claims.items() if k != "exp"}
        out.append(Probe("no-exp", sign(header, endless, key), False,
                         f"a token with no exp, one that never expires (signed with {key_name})",
                         "require exp in every token"))
    if audience is not None:
        out.append(Probe("wrong-aud", sign(header, dict(claims, aud=f"not-{audience}"), key), False,
                         f"a token for another audience (aud {f'not-{audience}'!r}, signed with {key_name})",
                         f"check that aud is {audience!r}"))
    if issuer is not None:
        out.append(Probe("wrong-iss", sign(header, dict(claims, iss=f"not-{issuer}"), key), False,
                         f"a token from another issuer (iss {f'not-{issuer}'!r}, signed with {key_name})",
                         f"check that iss is {issuer!r}"))
    if refuse_other_algorithms:
        for alg in (a for a in HMAC_ALGORITHMS if a not in algorithms):
            out.append(Probe(f"alg-{alg}", sign(dict(header, alg=alg), claims, key), False,
                             f"a token signed {alg} with {key_name} (an algorithm this lab does not allow)",
                             f"allow only {allowed}"))
    return out
