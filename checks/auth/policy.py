"""How slow a stored password hash must be: the minimum parameters per algorithm, and where each comes from.

A hash passes when it is at or above one of its algorithm's floors: every parameter of that floor is met.
The floors are OWASP's Password Storage Cheat Sheet (its tables of equal-cost settings, as of May 2023),
plus the current default of a major framework where that default is below them, so that a learner who
keeps their framework's default passes.

- **Argon2id**: m (memory, KiB) and t (passes) at or above one of OWASP's rows: m=47104 (46 MiB) t=1,
  m=19456 (19 MiB) t=2, m=12288 (12 MiB) t=3, m=9216 (9 MiB) t=4, m=7168 (7 MiB) t=5. OWASP lists p=1; any
  p >= 1 is accepted (more lanes split the same memory and passes; they do not make a guess cheaper).
  The defaults of argon2-cffi (m=65536 t=3 p=4), PHP's PASSWORD_ARGON2ID (m=65536 t=4 p=1) and Django's
  Argon2PasswordHasher (m=102400 t=2 p=8) are all above.
- **Argon2i**: accepted at or above PHP's PASSWORD_ARGON2I default, m=65536 (64 MiB) t=4 (php.net,
  password_hash: PASSWORD_ARGON2_DEFAULT_MEMORY_COST and _TIME_COST), the one widespread default that uses
  it. OWASP's table is for Argon2id: Argon2i's data-independent memory access is open to time-memory
  trade-off attacks at few passes (RFC 9106 recommends Argon2id), so that table is not taken for it. A
  weaker Argon2i is told to switch to Argon2id.
- **Argon2d**: never (its memory access depends on the password: side channels; not meant for passwords).
- **scrypt**: memory 128·N·r bytes and p at or above one of OWASP's rows: N=2^17 r=8 p=1, N=2^16 r=8 p=2,
  N=2^15 r=8 p=3, N=2^14 r=8 p=5, N=2^13 r=8 p=10; or Werkzeug 3's default (`generate_password_hash`'s
  "scrypt", N=2^15 r=8 p=1: werkzeug/security.py), below OWASP's table but the default of Flask apps.
  N and r are compared as their product: both scale memory and work alike (N=2^14 r=16 stands for
  N=2^15 r=8). Django's ScryptPasswordHasher (N=2^14 r=8 p=5 since Django 5.1) meets OWASP's row.
- **bcrypt** ($2a$, $2b$, $2y$): cost >= 10: OWASP ("a work factor of 10 or more"), which is also PHP's
  PASSWORD_BCRYPT default before PHP 8.4 (12 since) and Spring Security's BCryptPasswordEncoder default
  strength.
- **PBKDF2**: iterations at or above OWASP's: HMAC-SHA1 1,300,000, HMAC-SHA256 600,000, HMAC-SHA512
  210,000; or, for HMAC-SHA512, ASP.NET Core Identity's default since .NET 7 (PasswordHasher V3: 100,000
  iterations; PasswordHasher.cs), below OWASP's but what every ASP.NET Core app gets. Django 4.2 LTS's default
  (pbkdf2_sha256, 600,000; 720,000 in 5.0, 870,000 in 5.1, 1,000,000 in 5.2) and Werkzeug's
  DEFAULT_PBKDF2_ITERATIONS (600,000 since 2.3; 1,000,000 in 3.1) meet OWASP's. Other digests (SHA-224,
  SHA-384, MD5...) are not in OWASP's table and are not accepted.

`floor_problem` says what is too weak, in words a beginner can act on; None when the hash is strong enough.
"""
from __future__ import annotations

from dataclasses import dataclass

KIB_PER_MIB = 1024

# (m in KiB, t): OWASP's Argon2id rows.
ARGON2ID_FLOORS: tuple[tuple[int, int], ...] = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
# PHP's PASSWORD_ARGON2I default.
ARGON2I_FLOOR: tuple[int, int] = (65536, 4)

# (N, r, p): OWASP's scrypt rows, then Werkzeug 3's default.
SCRYPT_OWASP: tuple[tuple[int, int, int], ...] = (
    (2**17, 8, 1), (2**16, 8, 2), (2**15, 8, 3), (2**14, 8, 5), (2**13, 8, 10))
SCRYPT_WERKZEUG: tuple[int, int, int] = (2**15, 8, 1)
SCRYPT_FLOORS: tuple[tuple[int, int, int], ...] = SCRYPT_OWASP + (SCRYPT_WERKZEUG,)

BCRYPT_MIN_COST = 10

# hashlib's digest name -> OWASP's minimum PBKDF2 iterations, then the frameworks' defaults below it.
PBKDF2_OWASP: dict[str, int] = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}
PBKDF2_FRAMEWORK: dict[str, tuple[int, str]] = {"sha512": (100_000, "ASP.NET Core Identity's default")}
PBKDF2_MIN_ITERATIONS: dict[str, int] = {
    digest: min(owasp, PBKDF2_FRAMEWORK.get(digest, (owasp, ""))[0]) for digest, owasp in PBKDF2_OWASP.items()}
# As OWASP writes them: PBKDF2-HMAC-SHA256.
DIGEST_TITLES = {"md5": "MD5", "sha1": "SHA1", "sha224": "SHA224", "sha256": "SHA256", "sha384": "SHA384",
                 "sha512": "SHA512"}

ADVICE = "store a slow salted hash instead (bcrypt, Argon2id, scrypt or your framework's password hasher)"


@dataclass(frozen=True)
class Argon2Params:
    variant: str  # "argon2id", "argon2i", "argon2d"
    memory_kib: int
    time_cost: int
    parallelism: int


@dataclass(frozen=True)
class ScryptParams:
    n: int
    r: int
    p: int


@dataclass(frozen=True)
class BcryptParams:
    cost: int


@dataclass(frozen=True)
class Pbkdf2Params:
    digest: str  # hashlib's name: sha1, sha256, sha512
    iterations: int


Params = Argon2Params | ScryptParams | BcryptParams | Pbkdf2Params


def _mib(kib: int) -> str:
    mib = kib / KIB_PER_MIB
    return f"{mib:g} MiB" if mib == int(mib) else f"{mib:.1f} MiB"


def _power(n: int) -> str:
    """32768 -> '32768 (2^15)'; a number that is no power of two as it is."""
    return f"{n} (2^{n.bit_length() - 1})" if n > 0 and n & (n - 1) == 0 else str(n)


def settings(params: Params) -> str:
    """The parameters alone: 'cost 12', 'm=65536 KiB (64 MiB), t=3, p=4', 'HMAC-SHA256, 600,000 iterations'."""
    if isinstance(params, BcryptParams):
        return f"cost {params.cost}"
    if isinstance(params, Argon2Params):
        return f"m={params.memory_kib} KiB ({_mib(params.memory_kib)}), t={params.time_cost}, p={params.parallelism}"
    if isinstance(params, ScryptParams):
        return f"N={_power(params.n)}, r={params.r}, p={params.p}"
    return f"HMAC-{DIGEST_TITLES.get(params.digest, params.digest.upper())}, {params.iterations:,} iterations"


def describe(params: Params) -> str:
    """The algorithm and its parameters as a learner reads them: 'bcrypt with cost 12'."""
    if isinstance(params, BcryptParams):
        return f"bcrypt with {settings(params)}"
    if isinstance(params, Argon2Params):
        name = {"argon2id": "Argon2id", "argon2i": "Argon2i", "argon2d": "Argon2d"}[params.variant]
        return f"{name} with {settings(params)}"
    if isinstance(params, ScryptParams):
        return f"scrypt with {settings(params)}"
    title = DIGEST_TITLES.get(params.digest, params.digest.upper())
    return f"PBKDF2-HMAC-{title} with {params.iterations:,} iterations"


def floor_problem(params: Params) -> str | None:
    """None when the parameters meet a floor of their algorithm; else what is too weak and what to use."""
    if isinstance(params, BcryptParams):
        if params.cost >= BCRYPT_MIN_COST:
            return None
        return (f"{describe(params)} is below the minimum cost of {BCRYPT_MIN_COST}: raise the cost (the number "
                f"after $2b$) to {BCRYPT_MIN_COST} or more, e.g. 12")
    if isinstance(params, Argon2Params):
        return _argon2_problem(params)
    if isinstance(params, ScryptParams):
        return _scrypt_problem(params)
    return _pbkdf2_problem(params)


def _argon2_problem(params: Argon2Params) -> str | None:
    m, t = params.memory_kib, params.time_cost
    if params.variant == "argon2d":
        return (f"{describe(params)}: Argon2d is not meant for passwords (its memory access depends on the "
                "password, which leaks through side channels); use Argon2id")
    if params.variant == "argon2i":
        floor_m, floor_t = ARGON2I_FLOOR
        if m >= floor_m and t >= floor_t:
            return None
        return (f"{describe(params)} is below the minimum accepted for Argon2i (m={floor_m} KiB, t={floor_t}: "
                "PHP's default); use Argon2id, which OWASP recommends, with m=19456 KiB and t=2 or more")
    if any(m >= floor_m and t >= floor_t for floor_m, floor_t in ARGON2ID_FLOORS):
        return None
    rows = ", ".join(f"m={fm} KiB with t={ft}" for fm, ft in ARGON2ID_FLOORS)
    return (f"{describe(params)} is below OWASP's minimums for Argon2id (one of: {rows}): use m=19456 KiB and "
            "t=2 or more (the defaults of argon2-cffi, PHP and Django are)")


def _scrypt_problem(params: ScryptParams) -> str | None:
    if params.n < 2 or params.r < 1 or params.p < 1:
        return f"{describe(params)} is not a valid scrypt setting"
    if any(params.n * params.r >= n * r and params.p >= p for n, r, p in SCRYPT_FLOORS):
        return None
    rows = ", ".join(f"N=2^{n.bit_length() - 1} r={r} p={p}" for n, r, p in SCRYPT_OWASP)
    return (f"{describe(params)} is below the minimums (OWASP's {rows}, or Werkzeug's default N=2^15 r=8 p=1): "
            "raise N to 2^17 with r=8 and p=1")


def _pbkdf2_problem(params: Pbkdf2Params) -> str | None:
    minimum = PBKDF2_MIN_ITERATIONS.get(params.digest)
    if minimum is None:
        return (f"{describe(params)}: PBKDF2 is accepted with HMAC-SHA256 (600,000 iterations or more), "
                "HMAC-SHA512 (210,000) or HMAC-SHA1 (1,300,000); use HMAC-SHA256")
    if params.iterations >= minimum:
        return None
    framework = PBKDF2_FRAMEWORK.get(params.digest)
    source = f" ({framework[1]}; OWASP asks {PBKDF2_OWASP[params.digest]:,})" if framework else ""
    return (f"{describe(params)} is below the minimum of {minimum:,} iterations for "
            f"HMAC-{DIGEST_TITLES[params.digest]}{source}: raise the iterations to "
            f"{PBKDF2_OWASP[params.digest]:,} or more")
