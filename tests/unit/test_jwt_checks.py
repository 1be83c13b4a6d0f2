"""Pure logic of the jwt family: reading tokens, judging an issued one, and the forgeries jwt.verified sends,
each checked against PyJWT's own verification (an independent reader) and against the valid minted token."""
from __future__ import annotations

import base64
import json
import time

import jwt as pyjwt
import pydantic
import pytest

from labctl.check_engine import registry
from labctl.check_families.jwt import claims as rules
from labctl.check_families.jwt import forgeries, tokens
from labctl.check_families.jwt.verified import verdict

KEY = "k" * 64  # long enough for HS512, so PyJWT never warns about the key
NOW = 1_800_000_000.0
AUD, ISS = "labs-api", "https://auth.example"


def part(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def genuine(**extra):
    claims = {"sub": "7", "email": "ann@example.com", "role": "user", "iat": int(NOW), "exp": int(NOW) + 900, **extra}
    return tokens.read(pyjwt.encode(claims, KEY, algorithm="HS256"))


# ---- reading a token ----------------------------------------------------------------------------

def test_read_gives_header_claims_and_what_is_signed():
    text = pyjwt.encode({"sub": "7"}, KEY, algorithm="HS384", headers={"kid": "k1"})
    token = tokens.read(text)
    assert token.header == {"alg": "HS384", "typ": "JWT", "kid": "k1"} and token.alg == "HS384"
    assert token.claims == {"sub": "7"}
    assert token.signing_input == text.rsplit(".", 1)[0].encode()
    assert tokens.signed_with(token, KEY) and not tokens.signed_with(token, KEY + "x")


@pytest.mark.parametrize("value, words", [
    (12, "it is a number, not a token (a string)"),
    (None, "it is null, not a token"),
    ("Bearer a.b.c", "it starts with 'Bearer '; give the token alone"),
    ("abc", "it has 1 part separated by dots; a JWT has three: header.payload.signature"),
    ("a.b", "it has 2 parts"),
    ("a.b.c.d", "it has 4 parts"),
    (f"{part({'alg': 'HS256'})}==.{part({})}.sig", "its header (the first part) ends with = padding"),
    (f"{part({'alg': 'HS256'})}.{part({})}.a+b/", "its signature (the third part) is standard base64"),
    (f"{part({'alg': 'HS256'})}.{part({})}.a b", "holds characters that base64url never uses"),
    (f"{part({'alg': 'HS256'})}.bm90IGpzb24.sig", "its payload (the second part) does not decode to JSON"),
    (f"{part([1, 2])}.{part({})}.sig", "its header (the first part) decodes to JSON that is not an object"),
])
def test_read_says_what_is_wrong_with_a_shape(value, words):
    with pytest.raises(tokens.TokenShapeError, match=words.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        tokens.read(value)


def test_signed_tokens_verify_with_pyjwt_and_unsigned_ones_are_made_by_hand():
    claims = {"sub": "7", "exp": int(time.time()) + 60}
    for alg in tokens.HMAC_ALGORITHMS:
        made = tokens.sign({"alg": alg, "typ": "JWT"}, claims, KEY)
        assert pyjwt.decode(made, KEY, algorithms=[alg]) == claims
    none = tokens.unsigned({"alg": "none"}, claims)
    assert none.endswith(".") and tokens.read(none).signature == b""
    assert pyjwt.decode(none, options={"verify_signature": False}) == claims
    with pytest.raises(ValueError, match="not an HMAC algorithm"):
        tokens.sign({"alg": "RS256"}, claims, KEY)


def test_a_none_token_is_never_signed_with_anything():
    token = tokens.read(tokens.unsigned({"alg": "none"}, {"sub": "7"}))
    assert not tokens.signed_with(token, KEY) and not tokens.signed_with(token, "")


# ---- judging an issued token --------------------------------------------------------------------

def problem(token, **options):
    given = dict(key=KEY, key_name="JWT_SECRET", algorithms=["HS256"], max_lifetime=900, audience=None,
                 issuer=None, expected={}, now=NOW)
    return rules.issued_problem(token, **{**given, **options})


def test_a_good_token_has_no_problem_and_extra_claims_are_fine():
    assert problem(genuine(name="Ann", jti="x1", scope="read")) is None
    assert problem(genuine(aud=[AUD, "other"], iss=ISS), audience=AUD, issuer=ISS) is None
    assert problem(genuine(), expected={"email": "ann@example.com", "sub": "7"}) is None


@pytest.mark.parametrize("make, words", [
    (lambda: tokens.read(tokens.unsigned({"alg": "none"}, {"exp": NOW + 60})),
     "it is not signed (its header says alg 'none'): sign it with HS256 and JWT_SECRET"),
    (lambda: tokens.read(tokens.unsigned({"alg": "NONE"}, {"exp": NOW + 60})), "its header says alg 'NONE'"),
    (lambda: tokens.read(tokens.unsigned({"typ": "JWT"}, {"exp": NOW + 60})), "its header has no alg"),
    (lambda: tokens.read(pyjwt.encode({"exp": NOW + 60}, KEY, algorithm="HS512")),
     "its header says alg 'HS512'; this lab allows only HS256"),
    (lambda: tokens.read(pyjwt.encode({"exp": NOW + 60}, "another-key-" * 4, algorithm="HS256")),
     "its signature does not match the lab's secret: sign tokens with the value of the JWT_SECRET environment "
     "variable, not a key written in your code"),
])
def test_the_algorithm_and_the_signature_are_judged(make, words):
    assert words in problem(make())


@pytest.mark.parametrize("claims, words", [
    ({"iat": NOW}, "it has no exp (expiry time)"),
    ({"exp": "soon"}, 'its exp is "soon"; it must be a number: seconds since 1970-01-01 UTC'),
    ({"exp": True}, "its exp is true; it must be a number"),
    ({"exp": (NOW + 900) * 1000}, "in milliseconds; JWT times are in seconds since 1970-01-01 UTC (in JavaScript: "
                                  "Math.floor(Date.now() / 1000))"),
    ({"iat": NOW - 1000, "exp": NOW - 100}, "it had already expired when your app gave it (its exp is 100 s (1.7 "
                                            "minutes) ago)"),
    ({"iat": NOW, "exp": NOW + 86400}, "its exp is 86400 s (24 hours) after its iat; this lab allows at most 900 s "
                                       "(15 minutes)"),
    ({"exp": NOW + 3600}, "its exp is 3600 s (1 hour) from now"),
    # an iat set late, to look short-lived: the time from now still counts
    ({"iat": NOW + 85500, "exp": NOW + 86400}, "its exp is 86400 s (24 hours) from now"),
    ({"iat": NOW, "exp": NOW + 902}, "its exp is 902 s (15 minutes) after its iat"),
])
def test_expiry_problems(claims, words):
    assert words in rules.expiry_problem(claims, 900, NOW)


@pytest.mark.parametrize("claims", [
    {"iat": NOW, "exp": NOW + 900},
    {"iat": NOW - 2, "exp": NOW + 898},   # issued a moment before the check read it
    {"iat": NOW, "exp": NOW + 901},       # a second of rounding
    {"exp": NOW + 904},                   # no iat: within the leeway from now
    {"iat": NOW, "exp": NOW + 60.5},      # a NumericDate may have a fraction
])
def test_expiry_within_the_limit_passes(claims):
    assert rules.expiry_problem(claims, 900, NOW) is None


def test_without_a_limit_only_a_future_exp_is_asked():
    assert rules.expiry_problem({"exp": NOW + 10 * 86400}, None, NOW) is None
    assert "no exp" in rules.expiry_problem({}, None, NOW)


@pytest.mark.parametrize("claims, audience, issuer, words", [
    ({}, AUD, None, "it has no aud (audience); this lab's tokens are for 'labs-api'"),
    ({"aud": "other"}, AUD, None, "its aud is \"other\"; expected 'labs-api'"),
    ({"aud": ["a", "b"]}, AUD, None, "its aud is [\"a\", \"b\"]"),
    ({}, None, ISS, "it has no iss (issuer); expected 'https://auth.example'"),
    ({"iss": "https://auth.example/"}, None, ISS, "its iss is \"https://auth.example/\""),
])
def test_audience_and_issuer(claims, audience, issuer, words):
    assert words in (rules.audience_problem(claims, audience) or rules.issuer_problem(claims, issuer))


def test_expected_claims_compare_as_json():
    assert rules.expected_claims_problem({"n": 1.0, "ok": True}, {"n": 1, "ok": True}) is None
    assert rules.expected_claims_problem({"ok": 1}, {"ok": True}) == "its ok claim is 1; expected true"
    assert rules.expected_claims_problem({}, {"email": "a@b"}) == 'it has no email claim; expected "a@b"'
    # The subject is a string (RFC 7519): a numeric user id is expected as its text, and a numeric sub is refused.
    assert rules.expected_claims_problem({"sub": "7"}, {"sub": 7}) is None
    assert rules.expected_claims_problem({"sub": "8"}, {"sub": 7}) == 'its sub claim is "8"; expected "7"'
    assert rules.expected_claims_problem({"sub": 7}, {"sub": 7}).startswith("its sub claim is 7, not a string")


@pytest.mark.parametrize("seconds, shown", [
    (45, "45 s"), (60, "60 s (1 minute)"), (900, "900 s (15 minutes)"), (899, "899 s (15 minutes)"),
    (5400, "5400 s (1.5 hours)"), (86400, "86400 s (24 hours)"), (7 * 86400, "604800 s (7 days)"),
])
def test_durations_in_words(seconds, shown):
    assert rules.duration(seconds) == shown


# ---- the tokens jwt.verified sends --------------------------------------------------------------

def fresh(**options):
    claims = forgeries.fresh_claims(genuine().claims, now=time.time(), audience=options.get("audience"),
                                    issuer=options.get("issuer"))
    return claims, {p.name: p for p in forgeries.probes({"alg": "HS256", "typ": "JWT"}, claims, KEY,
                                                          key_name="JWT_SECRET", algorithms=["HS256"], **options)}


def decode(token: str, **options):
    """PyJWT's verification, as a careful app would call it."""
    return pyjwt.decode(token, KEY, algorithms=["HS256"], options={"require": ["exp"]}, **options)


def test_fresh_claims_are_the_genuine_ones_issued_now():
    now = time.time()
    old = {"sub": "7", "role": "user", "iat": 1000, "exp": 1900, "nbf": 1000, "jti": "j"}
    claims = forgeries.fresh_claims(old, now=now, audience=AUD, issuer=ISS)
    assert {k: claims[k] for k in ("sub", "role", "jti")} == {"sub": "7", "role": "user", "jti": "j"}
    assert now - 10 < claims["iat"] <= now and claims["nbf"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == 900 - 600  # the genuine token's life, at most 5 minutes
    assert claims["aud"] == AUD and claims["iss"] == ISS
    short = forgeries.fresh_claims({"iat": 0, "exp": 5}, now=now, audience=None, issuer=None)
    assert short["exp"] - short["iat"] == 30  # never so short that it expires on the way


def test_the_minted_token_is_valid_and_every_forgery_is_refused_by_pyjwt_for_its_one_reason():
    claims, probes = fresh(audience=AUD, issuer=ISS, require_exp=True, refuse_other_algorithms=True)
    assert decode(probes["minted"].token, audience=AUD, issuer=ISS) == claims
    assert probes["minted"].accept and not any(p.accept for n, p in probes.items() if n != "minted")
    assert probes["no-token"].token is None
    reasons = {
        "alg-none": pyjwt.InvalidAlgorithmError, "alg-None": pyjwt.InvalidAlgorithmError,
        "alg-NONE": pyjwt.InvalidAlgorithmError, "alg-HS384": pyjwt.InvalidAlgorithmError,
        "alg-HS512": pyjwt.InvalidAlgorithmError, "no-signature": pyjwt.InvalidSignatureError,
        "tampered": pyjwt.InvalidSignatureError, "other-key": pyjwt.InvalidSignatureError,
        "expired": pyjwt.ExpiredSignatureError, "no-exp": pyjwt.MissingRequiredClaimError,
        "wrong-aud": pyjwt.InvalidAudienceError, "wrong-iss": pyjwt.InvalidIssuerError,
    }
    assert set(probes) == set(reasons) | {"minted", "no-token"}
    for name, error in reasons.items():
        with pytest.raises(error):
            decode(probes[name].token, audience=AUD, issuer=ISS)


def test_each_forgery_differs_from_the_valid_token_in_one_way_only():
    claims, probes = fresh(audience=AUD, issuer=ISS, require_exp=True, refuse_other_algorithms=True)
    valid = tokens.read(probes["minted"].token)
    for name, probe in probes.items():
        if probe.token is None or name == "minted":
            continue
        token = tokens.read(probe.token)
        changed_header = {k for k in valid.header.keys() | token.header.keys() if valid.header.get(k) != token.header.get(k)}
        changed_claims = {k for k in claims.keys() | token.claims.keys() if claims.get(k) != token.claims.get(k)}
        expected = {
            "alg-none": ({"alg"}, set()), "alg-None": ({"alg"}, set()), "alg-NONE": ({"alg"}, set()),
            "alg-HS384": ({"alg"}, set()), "alg-HS512": ({"alg"}, set()), "no-signature": (set(), set()),
            "tampered": (set(), {"role"}), "other-key": (set(), set()), "expired": (set(), {"iat", "exp"}),
            "no-exp": (set(), {"exp"}), "wrong-aud": (set(), {"aud"}), "wrong-iss": (set(), {"iss"}),
        }[name]
        assert (changed_header, changed_claims) == expected, name
    assert tokens.read(probes["tampered"].token).signature == valid.signature  # the genuine signature, kept
    assert tokens.read(probes["no-signature"].token).signature == b""
    expired = tokens.read(probes["expired"].token).claims
    assert expired["exp"] < time.time() - 3000 and expired["exp"] - expired["iat"] == claims["exp"] - claims["iat"]


def test_only_the_forgeries_a_lab_asks_for_are_sent():
    _, probes = fresh()
    assert set(probes) == {"minted", "no-token", "alg-none", "alg-None", "alg-NONE", "no-signature", "tampered",
                           "other-key", "expired"}


@pytest.mark.parametrize("claims, change, words", [
    ({"role": "user"}, {"role": "admin"}, "role changed from 'user' to 'admin'"),
    ({"role": "admin"}, {"role": "superuser"}, "role changed from 'admin' to 'superuser'"),
    ({"admin": False}, {"admin": True}, "admin changed from false to true"),
    ({"roles": ["reader"]}, {"roles": ["reader", "admin"]}, "admin added to its roles"),
    ({"sub": "7"}, {"sub": "7", "role": "admin"}, "a role claim of 'admin' added"),
])
def test_tampering_raises_a_privilege_and_keeps_the_user(claims, change, words):
    changed, said = forgeries.tampered(claims)
    assert changed == {**claims, **change} and said == words


@pytest.mark.parametrize("accept, status, words", [
    (True, 200, None), (True, 204, None), (False, 401, None),
    (True, 401, "GET /me refused the probe (it answered 401; expected a success, 2xx): fix it"),
    (False, 200, "the probe was accepted by GET /me (it answered 200; expected 401): fix it"),
    (False, 403, "the probe got 403 from GET /me; expected 401: a missing token, or one that cannot be trusted, gets "
                 "401 (Unauthorized); 403 (Forbidden) is for a known user who may not do this"),
    (False, 500, "the probe got 500 from GET /me, an error in your app; expected 401: refuse it as a bad token"),
    (False, 404, "the probe got 404 from GET /me; expected 401"),
])
def test_verdicts(accept, status, words):
    probe = forgeries.Probe("p", "t", accept, "the probe", "fix it")
    assert verdict(probe, status, "GET /me") == words


# ---- the check types' parameters -----------------------------------------------------------------

BASE = {"setting": "app_url", "steps": [{"method": "POST", "path": "/login", "json": {"email": "${email}"}}],
        "let": {"email": "a-${random}@example.com"}}


@pytest.mark.parametrize("type_name, extra, words", [
    ("jwt.issued", {"algorithms": ["RS256"]}, "signed with HMAC"),
    ("jwt.issued", {"secret": "jwt_secret"}, "is not a lab secret's name"),
    ("jwt.issued", {"token": "a..b"}, "is not a path"),
    ("jwt.issued", {"max_lifetime": 0}, "greater than 0"),
    ("jwt.issued", {"claims": {"email": "${nope}"}}, "claims: ${nope} is not defined"),
    ("jwt.issued", {"steps": [{"path": "/login", "json": {"e": "${nope}"}}]}, "step 1: ${nope} is not defined"),
    ("jwt.issued", {"steps": []}, "at least 1 item"),
    ("jwt.issued", {"setting": None}, "give url or setting"),
    ("jwt.verified", {}, "protected"),
    ("jwt.verified", {"protected": {"path": "/me", "headers": {"authorization": "x"}}}, "sends the Authorization"),
    ("jwt.verified", {"protected": {"path": "/users/${id}"}}, "protected: ${id} is not defined"),
])
def test_bad_parameters_are_refused(type_name, extra, words):
    with pytest.raises(pydantic.ValidationError, match=words.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")):
        registry.get(type_name).model_validate({**BASE, **extra})


def test_saved_values_may_be_used_later():
    steps = [{"method": "POST", "path": "/register", "json": {"email": "${email}"}, "save": {"id": "id"}},
             {"method": "POST", "path": "/login", "json": {"email": "${email}"}}]
    registry.get("jwt.verified").model_validate({**BASE, "steps": steps, "protected": {"path": "/users/${id}"}})
    registry.get("jwt.issued").model_validate({**BASE, "steps": steps, "claims": {"sub": "${id}", "email": "${email}"}})


def test_a_lab_file_with_both_checks_loads(tmp_path):
    import yaml

    from labctl.core.loader import load_lab_dir

    folder = tmp_path / "jwt-lab"
    folder.mkdir()
    (folder / "one.md").write_text("# Tokens\n")
    login = {**BASE, "token": "access_token", "secret": "JWT_SECRET", "algorithms": ["HS256"]}
    (folder / "lab.yaml").write_text(yaml.safe_dump({
        "id": "jwt-lab", "title": "Tokens", "stage": 6, "summary": "JWT.", "minutes": 10,
        "settings": {"app_url": {"description": "Where your app listens", "kind": "url",
                                 "default": "http://127.0.0.1:8000"}},
        "secrets": {"JWT_SECRET": {"description": "signs the access tokens your app issues"}},
        "tasks": [{"id": "one", "title": "Tokens", "instructions": "one.md", "hints": ["h"], "checks": [
            {"type": "jwt.issued", **login, "max_lifetime": 900},
            {"type": "jwt.verified", **login, "protected": {"method": "GET", "path": "/me"}, "require_exp": True},
        ], "solution": [{"config": {"app_url": "http://127.0.0.1:8000"}}]}],
    }))
    lab = load_lab_dir(folder)
    assert [c.type for c in lab.tasks[0].checks] == ["jwt.issued", "jwt.verified"]
