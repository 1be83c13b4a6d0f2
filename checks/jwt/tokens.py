"""JSON Web Tokens as the jwt checks read and make them: the three parts of a token, and HMAC signatures.

Base64url and the HMAC algorithms are PyJWT's (imported when first used: it loads in ~90 ms). A token with
`alg: none` is put together here, since good libraries refuse to make one.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# The lab makes one shared secret per instance, so its tokens are signed with HMAC.
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class TokenShapeError(ValueError):
    """A value that is not a JWT; the message says why, in words for a beginner."""


@dataclass(frozen=True)
class Token:
    """A token's parts: the header and claims decoded, the signature as bytes, and what it signs."""

    text: str
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.header.get("alg")


def _b64encode(data: bytes) -> str:
    from jwt.utils import base64url_encode

    return base64url_encode(data).decode("ascii")


def _b64decode(part: str) -> bytes:
    from jwt.utils import base64url_decode

    return base64url_decode(part.encode("ascii"))


def _json_part(obj: dict[str, Any]) -> str:
    return _b64encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _part_problem(part: str, which: str) -> str | None:
    if "=" in part:
        return f"its {which} ends with = padding; a JWT's parts are base64url without padding"
    if "+" in part or "/" in part:
        return f"its {which} is standard base64 (with + or /); a JWT's parts are base64url (with - and _)"
    if not _BASE64URL.fullmatch(part):
        return f"its {which} holds characters that base64url never uses"
    return None


def _object(part: str, which: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise TokenShapeError(f"its {which} does not decode to JSON") from None
    if not isinstance(value, dict):
        raise TokenShapeError(f"its {which} decodes to JSON that is not an object ({{...}})")
    return value


def read(value: Any) -> Token:
    """The parts of a compact JWT (header.payload.signature), without checking its signature.

    Raises TokenShapeError saying what is wrong with its shape.
    """
    if not isinstance(value, str):
        kind = {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        raise TokenShapeError(f"it is {kind}, not a token (a string)")
    text = value.strip()
    if text.lower().startswith("bearer "):
        raise TokenShapeError("it starts with 'Bearer '; give the token alone (the client adds Bearer when it sends it)")
    parts = text.split(".")
    if len(parts) != 3:
        raise TokenShapeError(f"it has {len(parts)} part{'s' if len(parts) != 1 else ''} separated by dots; "
                              "a JWT has three: header.payload.signature")
    for part, which in zip(parts, ("header (the first part)", "payload (the second part)", "signature (the third part)")):
        problem = _part_problem(part, which)
        if problem:
            raise TokenShapeError(problem)
    header = _object(parts[0], "header (the first part)")
    claims = _object(parts[1], "payload (the second part)")
    try:
        signature = _b64decode(parts[2])
    except ValueError:
        raise TokenShapeError("its signature (the third part) is not base64url") from None
    return Token(text, header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _hmac(alg: str):
    from jwt.algorithms import get_default_algorithms

    if alg not in HMAC_ALGORITHMS:
        raise ValueError(f"{alg!r} is not an HMAC algorithm ({', '.join(HMAC_ALGORITHMS)})")
    return get_default_algorithms()[alg]


def sign(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    """A token with this header and these claims, signed with `key` by the HMAC algorithm its header names."""
    algorithm = _hmac(header["alg"])
    signing_input = f"{_json_part(header)}.{_json_part(claims)}"
    signature = algorithm.sign(signing_input.encode("ascii"), algorithm.prepare_key(key))
    return f"{signing_input}.{_b64encode(signature)}"


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """header.payload. with an empty signature, whatever the header says (`alg: none`, or a stripped HS256)."""
    return f"{_json_part(header)}.{_json_part(claims)}."


def with_payload(token: str, claims: dict[str, Any]) -> str:
    """The token with its payload replaced and its header and signature kept as they were."""
    header, _, signature = token.split(".")
    return f"{header}.{_json_part(claims)}.{signature}"


def signed_with(token: Token, key: str) -> bool:
    """Whether the token's signature is the HMAC of its header and payload with `key`, by the algorithm its
    header names (an HMAC one; anything else is never signed with a shared secret)."""
    if token.alg not in HMAC_ALGORITHMS:
        return False
    algorithm = _hmac(token.alg)
    return algorithm.verify(token.signing_input, algorithm.prepare_key(key), token.signature)
