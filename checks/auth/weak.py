"""Naming what a wrongly stored password is, so the message says exactly what the learner did.

- The password itself: as plain text, hex-encoded or base64-encoded (also inside a longer value, and a
  value that decodes to text holding it). Encodings are not hashes: anyone can decode them.
- A fast digest of it: MD5, SHA-1, SHA-2 or SHA-3, as hex, base64 or raw bytes; unsalted, or salted with a
  value found beside it (a salt column, the email, a part of the value itself such as Django's md5$salt$hex
  or old Werkzeug's sha256$salt$hmac): salt + password, password + salt, or an HMAC either way.
- A crypt(3) format that is salted but fast or old: MD5-crypt ($1$, $apr1$), SHA-crypt ($5$, $6$), phpass
  ($P$, $H$).

`shape` says what a value looks like without printing it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

FAST_DIGESTS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512")
TITLES = {"md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
          "sha512": "SHA-512", "sha3_256": "SHA3-256", "sha3_512": "SHA3-512"}
# Hex lengths of the fast digests, to say what a value is as long as.
_HEX_LENGTHS = {32: "an MD5", 40: "a SHA-1", 56: "a SHA-224", 64: "a SHA-256", 96: "a SHA-384", 128: "a SHA-512"}
_CRYPT = (("$apr1$", "Apache's MD5-crypt ($apr1$)"), ("$1$", "MD5-crypt ($1$)"), ("$5$", "SHA-256-crypt ($5$)"),
          ("$6$", "SHA-512-crypt ($6$)"), ("$P$", "phpass ($P$, iterated MD5)"), ("$H$", "phpass ($H$, iterated MD5)"))
_SEPARATORS = re.compile(r"[\s$:;,|.{}]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
MAX_SALTS = 40
MAX_SALT_LENGTH = 128


def _b64_forms(data: bytes) -> list[str]:
    """How bytes look in base64: standard and URL-safe, padding dropped (a value may pad or not)."""
    return list({base64.b64encode(data).decode().rstrip("="), base64.urlsafe_b64encode(data).decode().rstrip("=")})


def needles(password: str) -> list[str]:
    """Lower-cased texts whose presence in a stored value shows the password: itself, its hex and base64, and
    the hex of its unsalted fast digests. For a database-wide search; `exposure` and `fast_digest` confirm."""
    data = password.encode()
    found = [password.lower(), data.hex()] + [f.lower() for f in _b64_forms(data)]
    found += [hashlib.new(name, data).hexdigest() for name in FAST_DIGESTS]
    return list(dict.fromkeys(found))


def _decodings(text: str) -> list[tuple[str, str]]:
    """(how, decoded text) for each token of the value that is hex or base64 of some text."""
    out: list[tuple[str, str]] = []
    for token in set(_SEPARATORS.split(text)) | {text.strip()}:
        if len(token) < 8:
            continue
        if _HEX.fullmatch(token) and len(token) % 2 == 0:
            out.append(("hex-encoded", bytes.fromhex(token).decode("utf-8", "replace")))
        if _B64_TOKEN.fullmatch(token):
            body = token.rstrip("=")
            for alphabet in (None, b"-_"):
                try:
                    data = base64.b64decode(body + "=" * (-len(body) % 4), altchars=alphabet, validate=True)
                except (binascii.Error, ValueError):
                    continue
                out.append(("base64-encoded", data.decode("utf-8", "replace")))
    return out


def exposure(text: str, password: str) -> str | None:
    """How the value shows the password ('as plain text', 'hex-encoded', 'base64-encoded'), or None."""
    lowered, secret = text.lower(), password.lower()
    if secret in lowered:
        return "as plain text"
    data = password.encode()
    if data.hex() in lowered:
        return "hex-encoded"
    if any(form in text for form in _b64_forms(data)):
        return "base64-encoded"
    for how, decoded in _decodings(text):
        if secret in decoded.lower():
            return how
    return None


def _shows(digest: bytes, text: str, raw: bytes | None) -> str | None:
    """How a value holds the digest: 'hex', 'base64', 'raw bytes', or None."""
    if raw is not None and digest in raw:
        return "raw bytes"
    if digest.hex() in text.lower():
        return "hex"
    if any(form in text for form in _b64_forms(digest)):
        return "base64"
    return None


def _salts(text: str, others: list[str]) -> list[bytes]:
    """Candidate salts: the row's other values and the parts of the value itself, as text and decoded."""
    candidates: list[str] = [o for o in others if 0 < len(o) <= MAX_SALT_LENGTH]
    candidates += [t for t in _SEPARATORS.split(text) if 0 < len(t) <= MAX_SALT_LENGTH]
    stripped = text.strip()
    if _HEX.fullmatch(stripped):  # salt and digest written side by side as one hex string
        for length in sorted({len(h) for h in (hashlib.new(n).hexdigest() for n in FAST_DIGESTS)}):
            if len(stripped) > length:
                candidates += [stripped[:-length], stripped[length:]]
    out: list[bytes] = []
    for c in dict.fromkeys(candidates):
        out.append(c.encode())
        if _HEX.fullmatch(c) and len(c) % 2 == 0:
            out.append(bytes.fromhex(c))
    return list(dict.fromkeys(out))[:MAX_SALTS * 2]


def fast_digest(text: str, password: str, *, raw: bytes | None = None, others: list[str] = ()) -> str | None:
    """What fast digest of the password the value holds ('an unsalted SHA-256 hex digest', 'a salted MD5
    hash'), or None. `others`: the row's other values, tried as salts."""
    data = password.encode()
    for name in FAST_DIGESTS:
        how = _shows(hashlib.new(name, data).digest(), text, raw)
        if how is not None:
            return f"an unsalted {TITLES[name]} {'digest as ' + how if how == 'raw bytes' else how + ' digest'}"
    for salt in _salts(text, list(others)):
        for name in FAST_DIGESTS:
            digests = (hashlib.new(name, salt + data).digest(), hashlib.new(name, data + salt).digest(),
                       hmac.new(salt, data, name).digest(), hmac.new(data, salt, name).digest())
            if any(_shows(d, text, raw) for d in digests):
                return f"a salted {TITLES[name]} hash (one fast {TITLES[name]} of salt and password)"
    return None


def crypt_name(text: str) -> str | None:
    """The name of an old or fast crypt(3) format the value is in, or None."""
    stripped = text.strip()
    for prefix, name in _CRYPT:
        if stripped.startswith(prefix) and len(stripped) > len(prefix) + 8:
            return name
    return None


def hash_like(text: str) -> bool:
    """Whether a value looks like hash material (long hex or base64, or a $-structured format): what two
    users must not share."""
    stripped = text.strip()
    if len(stripped) < 20 or any(c.isspace() for c in stripped):
        return False
    if _HEX.fullmatch(stripped) or stripped.count("$") >= 2:
        return True
    return bool(_B64_TOKEN.fullmatch(stripped) and re.search(r"\d", stripped) and re.search(r"[A-Za-z]", stripped)
                and not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                                     stripped))


def shape(text: str) -> str:
    """What a value looks like, without printing it: '64 hexadecimal characters (as long as a SHA-256 digest)'."""
    stripped = text.strip()
    n = len(stripped)
    if n == 0:
        return "empty"
    if _HEX.fullmatch(stripped):
        like = _HEX_LENGTHS.get(n)
        return f"{n} hexadecimal characters" + (f" (as long as {like} digest)" if like else "")
    m = re.match(r"(\{[A-Za-z0-9_.-]+\})?(\$[A-Za-z0-9_-]+\$|[A-Za-z0-9_]+[:$])", stripped)
    if m and ("$" in stripped or ":" in stripped):
        return f"a {n}-character value starting {m.group(0)}"
    if _B64_TOKEN.fullmatch(stripped):
        return f"{n} base64 characters"
    return f"a {n}-character value"
