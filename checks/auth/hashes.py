"""Stored password hashes labctl recognises as slow and salted: their spellings, parameters and verification.

Every format below carries its algorithm and parameters in the stored text, so the check reads them from
the value itself and verifies it against the password it registered (policy.py says which parameters
are strong enough):

- bcrypt: `$2a$`, `$2b$`, `$2y$` + cost + 53 characters (every bcrypt library; PHP's password_hash writes
  `$2y$`), verified with bcrypt.checkpw: of the password, or of its SHA-256 in hex or base64 (the usual way
  past bcrypt's 72-byte limit). Also Django's `bcrypt$<bcrypt>` and `bcrypt_sha256$<bcrypt>` (bcrypt of the
  hex SHA-256 of the password).
- Argon2: the PHC string `$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>` (argon2-cffi, PHP, Node's argon2,
  Go, Rust; `$argon2i$` and `$argon2d$` too), read with argon2.extract_parameters and verified with
  argon2-cffi's PasswordHasher.verify. Also Django's `argon2$argon2id$...`.
- scrypt: Werkzeug's `scrypt:N:r:p$<salt>$<hex>` (the salt's text is the salt), Django's
  `scrypt$N$<salt>$r$p$<base64>`, and the PHC string `$scrypt$ln=<log2 N>,r=...,p=...$<salt>$<hash>` (passlib,
  Rust), verified with hashlib.scrypt.
- PBKDF2: Werkzeug's `pbkdf2:<digest>:<iterations>$<salt>$<hex>`, Django's `pbkdf2_sha256$<iterations>$<salt>$
  <base64>` (and pbkdf2_sha1), and the PHC strings `$pbkdf2-sha256$<iterations>$<salt>$<hash>` (passlib; `$pbkdf2$`
  is its SHA-1) and `$pbkdf2-sha256$i=<iterations>,l=<length>$...` (Rust), verified with hashlib.pbkdf2_hmac.
- ASP.NET Core Identity's PasswordHasher: base64 of 0x01, the PRF, iterations and salt length (big-endian
  32-bit numbers), the salt and the subkey (V3), or of 0x00, a 16-byte salt and a 32-byte subkey (V2:
  HMAC-SHA1, 1,000 iterations), verified with hashlib.pbkdf2_hmac.
- Spring Security's DelegatingPasswordEncoder writes `{id}` before any of these: `{bcrypt}$2a$10$...`.

A value whose verification would cost more than labctl spends on one (bcrypt cost above 14, Argon2 above
2 GiB, scrypt above 1 GiB, PBKDF2 above 10,000,000 iterations) is reported by `too_costly`, not verified.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from .policy import Argon2Params, BcryptParams, Params, Pbkdf2Params, ScryptParams

# What labctl spends on verifying one stored value (the check verifies two, within its time limit).
MAX_BCRYPT_COST = 14  # each verify up to three times (the password, its SHA-256 hex and base64): ~1 s at 14
MAX_ARGON2_KIB = 2 * 1024 * 1024  # RFC 9106's first recommendation (2 GiB, t=1) stays verifiable
MAX_ARGON2_KIB_PASSES = 4 * 1024 * 1024
MAX_SCRYPT_NR = 2**23  # 128 * N * r bytes = 1 GiB
MAX_SCRYPT_WORK = 2**24  # N * r * p
MAX_PBKDF2_ITERATIONS = 10_000_000

_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_SPRING_ID = re.compile(r"\{([A-Za-z0-9_.-]{1,20})\}(.*)", re.DOTALL)
_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/.]+={0,2}")
_ARGON2 = re.compile(r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")
_PBKDF2_DIGESTS = ("sha1", "sha256", "sha512")


@dataclass(frozen=True)
class SlowHash:
    """A stored value in a recognised slow-hash format."""

    spelling: str  # how the learner would name the format: "bcrypt", "Werkzeug's scrypt"
    params: Params
    _check: Callable[[str], bool]

    def verify(self, password: str) -> bool:
        """Whether this is a hash of `password`. Call too_costly first: this spends what the parameters ask."""
        return self._check(password)


def too_costly(params: Params) -> str | None:
    """Why verifying a hash with these parameters would cost more than a check may spend, or None."""
    if isinstance(params, BcryptParams) and params.cost > MAX_BCRYPT_COST:
        return f"bcrypt cost {params.cost} is above {MAX_BCRYPT_COST}, the most labctl verifies"
    if isinstance(params, Argon2Params) and (params.memory_kib > MAX_ARGON2_KIB
                                             or params.memory_kib * params.time_cost > MAX_ARGON2_KIB_PASSES):
        return (f"Argon2 with m={params.memory_kib} KiB and t={params.time_cost} is more than labctl verifies "
                f"(up to {MAX_ARGON2_KIB} KiB, and m*t up to {MAX_ARGON2_KIB_PASSES})")
    if isinstance(params, ScryptParams) and (params.n * params.r > MAX_SCRYPT_NR
                                             or params.n * params.r * params.p > MAX_SCRYPT_WORK):
        return f"scrypt with N={params.n}, r={params.r}, p={params.p} is more than labctl verifies (up to 1 GiB)"
    if isinstance(params, Pbkdf2Params) and params.iterations > MAX_PBKDF2_ITERATIONS:
        return f"PBKDF2 with {params.iterations:,} iterations is more than labctl verifies ({MAX_PBKDF2_ITERATIONS:,})"
    return None


def recognise(value: str) -> SlowHash | None:
    """The slow hash a stored value is, or None when it is in no format listed above."""
    text = value.strip()
    spring = _SPRING_ID.fullmatch(text)
    if spring:
        inner = _recognise(spring.group(2))
        if inner is None:
            return None
        return SlowHash(f"Spring Security's {{{spring.group(1)}}} {inner.spelling}", inner.params, inner._check)
    return _recognise(text)


def _recognise(text: str) -> SlowHash | None:
    for parse in (_bcrypt, _django_bcrypt, _argon2, _werkzeug, _django_pbkdf2, _django_scrypt, _phc_scrypt,
                  _phc_pbkdf2, _aspnet):
        found = parse(text)
        if found is not None:
            return found
    return None


# ---- bcrypt ------------------------------------------------------------------------------------

def _bcrypt_check(stored: str, *prepares: Callable[[str], bytes]) -> Callable[[str], bool]:
    def check(password: str) -> bool:
        import bcrypt

        # bcrypt reads 72 bytes at most; bcrypt 5 refuses longer secrets instead of cutting them.
        return any(bcrypt.checkpw(prepare(password)[:72], stored.encode("ascii")) for prepare in prepares)

    return check


def _sha256_hex(password: str) -> bytes:
    return hashlib.sha256(password.encode()).hexdigest().encode()


def _sha256_base64(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def _bcrypt(text: str) -> SlowHash | None:
    """bcrypt of the password, or of its SHA-256 (hex or base64): the usual way past bcrypt's 72 bytes."""
    m = _BCRYPT.fullmatch(text)
    if not m:
        return None
    return SlowHash("bcrypt", BcryptParams(int(m.group(1))),
                    _bcrypt_check(text, str.encode, _sha256_hex, _sha256_base64))


def _django_bcrypt(text: str) -> SlowHash | None:
    """Django's BCryptSHA256PasswordHasher (bcrypt of the SHA-256 hex digest) and BCryptPasswordHasher."""
    name, sep, rest = text.partition("$")
    m = _BCRYPT.fullmatch(rest) if sep else None
    if not m or name not in ("bcrypt", "bcrypt_sha256"):
        return None
    if name == "bcrypt":
        return SlowHash("Django's bcrypt", BcryptParams(int(m.group(1))), _bcrypt_check(rest, str.encode))
    return SlowHash("Django's bcrypt_sha256", BcryptParams(int(m.group(1))), _bcrypt_check(rest, _sha256_hex))


# ---- Argon2 ------------------------------------------------------------------------------------

def _argon2(text: str) -> SlowHash | None:
    spelling = "Argon2"
    if text.startswith("argon2$argon2"):  # Django's Argon2PasswordHasher: its name, then argon2-cffi's string
        text, spelling = text[len("argon2"):], "Django's argon2"
    if not _ARGON2.fullmatch(text):
        return None
    from argon2 import Type, extract_parameters
    from argon2.exceptions import InvalidHashError

    try:
        found = extract_parameters(text)
    except (InvalidHashError, ValueError):
        return None
    variant = {Type.ID: "argon2id", Type.I: "argon2i", Type.D: "argon2d"}[found.type]

    def check(password: str) -> bool:
        from argon2 import PasswordHasher
        from argon2.exceptions import VerificationError

        try:
            return PasswordHasher().verify(text, password)
        except (VerificationError, InvalidHashError):
            return False

    params = Argon2Params(variant, found.memory_cost, found.time_cost, found.parallelism)
    return SlowHash(f"{spelling} (${variant}$)", params, check)


# ---- scrypt and PBKDF2 -------------------------------------------------------------------------

def _equal(derived: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(derived, expected)


def _scrypt_check(salts: tuple[bytes, ...], params: ScryptParams, expected: bytes) -> Callable[[str], bool]:
    def check(password: str) -> bool:
        # OpenSSL's need: 128*r*(N+2) for V, 128*r*p for B; a little more for its own bookkeeping.
        maxmem = 128 * params.r * (params.n + 2) + 128 * params.r * params.p + 2**16
        return any(_equal(hashlib.scrypt(password.encode(), salt=salt, n=params.n, r=params.r, p=params.p,
                                         maxmem=maxmem, dklen=len(expected)), expected) for salt in salts)

    return check


def _pbkdf2_check(salts: tuple[bytes, ...], params: Pbkdf2Params, expected: bytes) -> Callable[[str], bool]:
    def check(password: str) -> bool:
        return any(_equal(hashlib.pbkdf2_hmac(params.digest, password.encode(), salt, params.iterations,
                                              dklen=len(expected)), expected) for salt in salts)

    return check


def _scrypt_params(n: int, r: int, p: int) -> ScryptParams | None:
    # N must be a power of two above 1 (hashlib refuses anything else).
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        return None
    return ScryptParams(n, r, p)


def _werkzeug(text: str) -> SlowHash | None:
    """Werkzeug's generate_password_hash: method$salt$hexdigest, the salt's text used as it is."""
    if text.count("$") != 2:
        return None
    method, salt, digest = text.split("$")
    if not salt or not _HEX.fullmatch(digest) or len(digest) % 2:
        return None
    expected = bytes.fromhex(digest)
    words = method.split(":")
    if words[0] == "scrypt" and len(words) == 4 and all(w.isdigit() for w in words[1:]):
        params = _scrypt_params(*(int(w) for w in words[1:]))
        if params is None:
            return None
        return SlowHash("Werkzeug's scrypt", params, _scrypt_check((salt.encode(),), params, expected))
    if words[0] == "pbkdf2" and len(words) == 3 and words[1] in _PBKDF2_DIGESTS + ("sha224", "sha384") \
            and words[2].isdigit():
        params = Pbkdf2Params(words[1], int(words[2]))
        return SlowHash("Werkzeug's pbkdf2", params, _pbkdf2_check((salt.encode(),), params, expected))
    return None


def _b64(text: str) -> bytes | None:
    """Standard base64, with or without padding; passlib's variant writes . for +."""
    if not _B64.fullmatch(text):
        return None
    stripped = text.rstrip("=").replace(".", "+")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _django_pbkdf2(text: str) -> SlowHash | None:
    """Django's PBKDF2PasswordHasher: pbkdf2_sha256$iterations$salt$base64 (the salt's text as it is)."""
    parts = text.split("$")
    if len(parts) != 4 or parts[0] not in ("pbkdf2_sha256", "pbkdf2_sha1") or not parts[1].isdigit() or not parts[2]:
        return None
    expected = _b64(parts[3])
    if not expected:
        return None
    params = Pbkdf2Params(parts[0].split("_")[1], int(parts[1]))
    return SlowHash(f"Django's {parts[0]}", params, _pbkdf2_check((parts[2].encode(),), params, expected))


def _django_scrypt(text: str) -> SlowHash | None:
    """Django's ScryptPasswordHasher: scrypt$N$salt$r$p$base64."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(parts[i].isdigit() for i in (1, 3, 4)) or not parts[2]:
        return None
    expected = _b64(parts[5])
    params = _scrypt_params(int(parts[1]), int(parts[3]), int(parts[4]))
    if not expected or params is None:
        return None
    return SlowHash("Django's scrypt", params, _scrypt_check((parts[2].encode(),), params, expected))


def _phc_fields(text: str, ident: str) -> tuple[str, str, str] | None:
    """(parameters, salt, hash) of `$ident$parameters$salt$hash`."""
    parts = text.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != ident:
        return None
    return parts[2], parts[3], parts[4]


def _phc_salts(salt: str) -> tuple[bytes, ...]:
    """The salt's bytes (its base64 decoded), then its text: implementations differ on which they hash."""
    decoded = _b64(salt)
    return (decoded, salt.encode()) if decoded else (salt.encode(),)


def _phc_scrypt(text: str) -> SlowHash | None:
    fields = _phc_fields(text, "scrypt")
    if fields is None:
        return None
    pairs = dict(item.partition("=")[::2] for item in fields[0].split(","))
    expected = _b64(fields[2])
    if not expected or not all(pairs.get(k, "").isdigit() for k in ("ln", "r", "p")) or int(pairs["ln"]) > 40:
        return None
    params = _scrypt_params(2 ** int(pairs["ln"]), int(pairs["r"]), int(pairs["p"]))
    if params is None:
        return None
    return SlowHash("scrypt ($scrypt$)", params, _scrypt_check(_phc_salts(fields[1]), params, expected))


def _phc_pbkdf2(text: str) -> SlowHash | None:
    for ident, digest in (("pbkdf2-sha256", "sha256"), ("pbkdf2-sha512", "sha512"), ("pbkdf2", "sha1")):
        fields = _phc_fields(text, ident)
        if fields is not None:
            break
    else:
        return None
    settings, salt, digest_text = fields
    if settings.isdigit():  # passlib: the iterations alone
        iterations = int(settings)
    else:  # Rust's pbkdf2: i=600000,l=32
        pairs = dict(item.partition("=")[::2] for item in settings.split(","))
        if not pairs.get("i", "").isdigit():
            return None
        iterations = int(pairs["i"])
    expected = _b64(digest_text)
    if not expected:
        return None
    params = Pbkdf2Params(digest, iterations)
    return SlowHash(f"PBKDF2 (${ident}$)", params, _pbkdf2_check(_phc_salts(salt), params, expected))


# ASP.NET Core's KeyDerivationPrf: HMACSHA1 = 0, HMACSHA256 = 1, HMACSHA512 = 2.
_ASPNET_PRF = {0: "sha1", 1: "sha256", 2: "sha512"}


def _aspnet(text: str) -> SlowHash | None:
    """ASP.NET Core Identity's PasswordHasher (PasswordHasher.cs): V3 carries its PRF, iterations and salt."""
    if len(text) < 60 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", text):
        return None
    data = _b64(text)
    if not data:
        return None
    if data[0] == 0 and len(data) == 49:  # V2: HMAC-SHA1, 1,000 iterations, 16-byte salt, 32-byte subkey
        params, salt, subkey, version = Pbkdf2Params("sha1", 1000), data[1:17], data[17:], "V2"
    elif data[0] == 1 and len(data) >= 13:
        prf, iterations, salt_length = (int.from_bytes(data[i:i + 4], "big") for i in (1, 5, 9))
        salt, subkey = data[13:13 + salt_length], data[13 + salt_length:]
        if prf not in _ASPNET_PRF or iterations < 1 or not 8 <= salt_length <= 64 or len(subkey) < 16:
            return None
        params, version = Pbkdf2Params(_ASPNET_PRF[prf], iterations), "V3"
    else:
        return None
    return SlowHash(f"ASP.NET Core Identity's PBKDF2 ({version})", params, _pbkdf2_check((salt,), params, subkey))
