"""What a token a learner's app issued must hold: an allowed algorithm, the lab's signature, an expiry within
the lab's limit, the audience and issuer the lab names, and the claims a lab expects (pure functions)."""
from __future__ import annotations

import json
from typing import Any

from .tokens import HMAC_ALGORITHMS, Token, signed_with

# The app and the checks read the same clock (loopback, or a container on this machine), but an app may
# round exp up to the next second, and a slow answer adds a moment: a few seconds more than the limit pass.
CLOCK_LEEWAY = 5
# exp in milliseconds (JavaScript's Date.now()) is a classic: any exp past this (the year 5138) is one.
MILLISECONDS_FROM = 10**11


def duration(seconds: float) -> str:
    """900 -> '900 s (15 minutes)'; 86400 -> '86400 s (24 hours)'; 59 -> '59 s'."""
    whole = round(seconds)
    for size, unit, starting in ((86400 * 365, "year", 86400 * 365), (86400, "day", 2 * 86400),
                                 (3600, "hour", 3600), (60, "minute", 60)):
        if whole >= starting:
            count = whole / size
            shown = f"{round(count, 1):g}"
            return f"{whole} s ({shown} {unit}{'' if shown == '1' else 's'})"
    return f"{whole} s"


def algorithm_problem(token: Token, algorithms: list[str], key_name: str) -> str | None:
    alg = token.alg
    allowed = " or ".join(algorithms)
    if alg is None:
        return f"its header has no alg; sign it with {allowed} and {key_name}"
    if isinstance(alg, str) and alg.lower() == "none":
        return f"it is not signed (its header says alg {alg!r}): sign it with {allowed} and {key_name}"
    if alg not in algorithms:
        return f"its header says alg {alg!r}; this lab allows only {allowed}"
    return None


def signature_problem(token: Token, key: str, key_name: str) -> str | None:
    if token.alg in HMAC_ALGORITHMS and signed_with(token, key):
        return None
    return (f"its signature does not match the lab's secret: sign tokens with the value of the {key_name} "
            "environment variable, not a key written in your code")


def _seconds(claims: dict[str, Any], name: str) -> tuple[float | None, str | None]:
    """(the NumericDate claim, or None when absent; a problem when it is not a number of seconds)."""
    if name not in claims:
        return None, None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, (f"its {name} is {json.dumps(value)}; it must be a number: seconds since 1970-01-01 UTC "
                      "(a NumericDate)")
    if value > MILLISECONDS_FROM:
        return None, (f"its {name} is {value}, in milliseconds; JWT times are in seconds since 1970-01-01 UTC "
                      "(in JavaScript: Math.floor(Date.now() / 1000))")
    return float(value), None


def expiry_problem(claims: dict[str, Any], max_lifetime: int | None, now: float) -> str | None:
    """None when exp is a NumericDate in the future, at most max_lifetime after now and after iat."""
    exp, problem = _seconds(claims, "exp")
    if problem:
        return problem
    if exp is None:
        return "it has no exp (expiry time): a token without one stays usable forever if it leaks; add exp"
    iat, problem = _seconds(claims, "iat")
    if problem:
        return problem
    if exp <= now - CLOCK_LEEWAY:
        return f"it had already expired when your app gave it (its exp is {duration(now - exp)} ago)"
    if max_lifetime is None:
        return None
    limit = f"this lab allows at most {duration(max_lifetime)}: set exp to at most that after the time of issue"
    if iat is not None and exp - iat > max_lifetime + 1:  # a whole second of rounding
        return f"its exp is {duration(exp - iat)} after its iat; {limit}"
    if exp - now > max_lifetime + CLOCK_LEEWAY:  # with no iat, or one set later than the time of issue
        return f"its exp is {duration(exp - now)} from now; {limit}"
    return None


def _audiences(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def audience_problem(claims: dict[str, Any], audience: str | None) -> str | None:
    if audience is None:
        return None
    if "aud" not in claims:
        return f"it has no aud (audience); this lab's tokens are for {audience!r}"
    if audience not in _audiences(claims["aud"]):
        return f"its aud is {json.dumps(claims['aud'])}; expected {audience!r}"
    return None


def issuer_problem(claims: dict[str, Any], issuer: str | None) -> str | None:
    if issuer is None:
        return None
    if "iss" not in claims:
        return f"it has no iss (issuer); expected {issuer!r}"
    if claims["iss"] != issuer:
        return f"its iss is {json.dumps(claims['iss'])}; expected {issuer!r}"
    return None


def expected_claims_problem(claims: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """None when each expected claim is there with its value (1 == 1.0, but true is not 1)."""
    from labctl.check_families.http.body import json_equal

    for name, value in expected.items():
        if name == "sub" and not isinstance(value, str):
            value = str(value)  # RFC 7519: the subject is a string, also when the user's id is a number
        if name not in claims:
            return f"it has no {name} claim; expected {json.dumps(value)}"
        if name == "sub" and not isinstance(claims[name], str):
            return (f"its sub claim is {json.dumps(claims[name])}, not a string; RFC 7519 makes the subject a string "
                    f"(many libraries refuse anything else): {json.dumps(str(claims[name]))}")
        if not json_equal(claims[name], value):
            return f"its {name} claim is {json.dumps(claims[name])}; expected {json.dumps(value)}"
    return None


def issued_problem(token: Token, *, key: str, key_name: str, algorithms: list[str], max_lifetime: int | None,
                   audience: str | None, issuer: str | None, expected: dict[str, Any], now: float) -> str | None:
    """The first thing wrong with a token the app issued, or None."""
    return (algorithm_problem(token, algorithms, key_name)
            or signature_problem(token, key, key_name)
            or expiry_problem(token.claims, max_lifetime, now)
            or audience_problem(token.claims, audience)
            or issuer_problem(token.claims, issuer)
            or expected_claims_problem(token.claims, expected))
