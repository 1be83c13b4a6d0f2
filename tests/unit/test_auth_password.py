"""Pure logic of the auth family's password-storage check: stored formats read and verified with real hashes,
the minimum parameters (OWASP's tables and the frameworks' defaults), naming the wrong formats, judging rows."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import argon2
import bcrypt
import pydantic
import pytest
from argon2.low_level import Type, hash_secret

from labctl.check_families.auth import hashes, judge, policy, stored, weak
from labctl.check_families.auth.password_storage import PasswordStorage, new_password

PASSWORD = new_password()
OTHER = new_password()


def argon2_hash(password: str, *, m: int, t: int, p: int = 1, kind: Type = Type.ID) -> str:
    return hash_secret(password.encode(), secrets.token_bytes(16), time_cost=t, memory_cost=m, parallelism=p,
                       hash_len=32, type=kind).decode()


def werkzeug(password: str, method: str) -> str:
    """What Werkzeug's generate_password_hash writes, made the way werkzeug/security.py makes it."""
    salt = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))
    name, *args = method.split(":")
    if name == "scrypt":
        n, r, p = map(int, args)
        digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p)
        return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"
    digest_name, iterations = args
    digest = hashlib.pbkdf2_hmac(digest_name, password.encode(), salt.encode(), int(iterations))
    return f"pbkdf2:{digest_name}:{iterations}${salt}${digest.hex()}"


def django_pbkdf2(password: str, iterations: int, digest: str = "sha256") -> str:
    """Django's PBKDF2PasswordHasher.encode: algorithm$iterations$salt$base64(hash)."""
    salt = secrets.token_urlsafe(16)[:22]
    data = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations)
    return f"pbkdf2_{digest}${iterations}${salt}${base64.b64encode(data).decode()}"


def django_scrypt(password: str, n: int = 2**14, r: int = 8, p: int = 5) -> str:
    """Django's ScryptPasswordHasher.encode: scrypt$N$salt$r$p$base64(hash of 64 bytes)."""
    salt = secrets.token_hex(11)
    data = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=2**27, dklen=64)
    return f"scrypt${n}${salt}${r}${p}${base64.b64encode(data).decode()}"


def aspnet_v3(password: str, prf: int = 2, iterations: int = 100_000) -> str:
    """ASP.NET Core Identity's PasswordHasher V3 (.NET 7+ defaults): base64 of 0x01, PRF, iterations, salt
    length (big-endian), salt, subkey."""
    salt = secrets.token_bytes(16)
    subkey = hashlib.pbkdf2_hmac(("sha1", "sha256", "sha512")[prf], password.encode(), salt, iterations, 32)
    head = bytes([1]) + b"".join(n.to_bytes(4, "big") for n in (prf, iterations, len(salt)))
    return base64.b64encode(head + salt + subkey).decode()


def ab64(data: bytes) -> str:
    """passlib's adapted base64: no padding, . for +."""
    return base64.b64encode(data).decode().rstrip("=").replace("+", ".")


def bcrypt_hash(password: str, cost: int, prefix: bytes = b"2b") -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost, prefix=prefix)).decode()


# ---- recognising and verifying the formats ------------------------------------------------------

RIGHT_FORMATS = [
    ("bcrypt $2b$ cost 11", lambda pw: bcrypt_hash(pw, 11), "bcrypt", policy.BcryptParams(11)),
    ("PHP password_hash default", lambda pw: "$2y$" + bcrypt_hash(pw, 10)[4:], "bcrypt", policy.BcryptParams(10)),
    ("bcrypt $2a$ (Go, Java)", lambda pw: bcrypt_hash(pw, 10, b"2a"), "bcrypt", policy.BcryptParams(10)),
    ("Spring DelegatingPasswordEncoder", lambda pw: "{bcrypt}" + bcrypt_hash(pw, 10, b"2a"),
     "Spring Security's {bcrypt} bcrypt", policy.BcryptParams(10)),
    ("Django bcrypt_sha256", lambda pw: "bcrypt_sha256$" + bcrypt.hashpw(
        hashlib.sha256(pw.encode()).hexdigest().encode(), bcrypt.gensalt(10)).decode(),
     "Django's bcrypt_sha256", policy.BcryptParams(10)),
    ("argon2-cffi default", lambda pw: argon2.PasswordHasher().hash(pw), "Argon2 ($argon2id$)",
     policy.Argon2Params("argon2id", 65536, 3, 4)),
    ("PHP PASSWORD_ARGON2ID", lambda pw: argon2_hash(pw, m=65536, t=4), "Argon2 ($argon2id$)",
     policy.Argon2Params("argon2id", 65536, 4, 1)),
    ("PHP PASSWORD_ARGON2I", lambda pw: argon2_hash(pw, m=65536, t=4, kind=Type.I), "Argon2 ($argon2i$)",
     policy.Argon2Params("argon2i", 65536, 4, 1)),
    ("Django Argon2PasswordHasher", lambda pw: "argon2" + argon2_hash(pw, m=102400, t=2, p=8),
     "Django's argon2 ($argon2id$)", policy.Argon2Params("argon2id", 102400, 2, 8)),
    ("Werkzeug 3 default", lambda pw: werkzeug(pw, "scrypt:32768:8:1"), "Werkzeug's scrypt",
     policy.ScryptParams(2**15, 8, 1)),
    ("Werkzeug pbkdf2", lambda pw: werkzeug(pw, "pbkdf2:sha256:600000"), "Werkzeug's pbkdf2",
     policy.Pbkdf2Params("sha256", 600_000)),
    ("Django 4.2 default", lambda pw: django_pbkdf2(pw, 600_000), "Django's pbkdf2_sha256",
     policy.Pbkdf2Params("sha256", 600_000)),
    ("Django 5.2 default", lambda pw: django_pbkdf2(pw, 1_000_000), "Django's pbkdf2_sha256",
     policy.Pbkdf2Params("sha256", 1_000_000)),
    ("Django scrypt (5.1)", lambda pw: django_scrypt(pw), "Django's scrypt", policy.ScryptParams(2**14, 8, 5)),
    ("ASP.NET Core Identity (.NET 7+)", lambda pw: aspnet_v3(pw), "ASP.NET Core Identity's PBKDF2 (V3)",
     policy.Pbkdf2Params("sha512", 100_000)),
]


@pytest.mark.parametrize("label, make, spelling, params", RIGHT_FORMATS, ids=[r[0] for r in RIGHT_FORMATS])
def test_right_formats_are_recognised_verified_and_strong_enough(label, make, spelling, params):
    stored_value = make(PASSWORD)
    found = hashes.recognise(stored_value)
    assert found is not None, stored_value
    assert found.spelling == spelling and found.params == params
    assert hashes.too_costly(found.params) is None
    assert found.verify(PASSWORD) is True
    assert found.verify(OTHER) is False
    assert policy.floor_problem(found.params) is None


def test_phc_scrypt_and_pbkdf2_strings_are_read():
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=5, maxmem=2**26, dklen=32)
    found = hashes.recognise(f"$scrypt$ln=14,r=8,p=5${ab64(salt)}${ab64(key)}")
    assert found.params == policy.ScryptParams(2**14, 8, 5) and found.verify(PASSWORD) and not found.verify(OTHER)
    # the parameters in another order, as some libraries write them
    found = hashes.recognise(f"$scrypt$ln=14,p=5,r=8${ab64(salt)}${ab64(key)}")
    assert found.params == policy.ScryptParams(2**14, 8, 5)
    key = hashlib.pbkdf2_hmac("sha512", PASSWORD.encode(), salt, 210_000)
    for settings in ("210000", "i=210000,l=64"):  # passlib's, then Rust's
        text = f"$pbkdf2-sha512${settings}${ab64(salt)}${ab64(key)}"
        found = hashes.recognise(text)
        assert found.params == policy.Pbkdf2Params("sha512", 210_000) and found.verify(PASSWORD)
        assert policy.floor_problem(found.params) is None
    key = hashlib.pbkdf2_hmac("sha1", PASSWORD.encode(), salt, 29_000)
    found = hashes.recognise(f"$pbkdf2$29000${ab64(salt)}${ab64(key)}")
    assert found.params == policy.Pbkdf2Params("sha1", 29_000) and found.verify(PASSWORD)
    assert "below the minimum of 1,300,000 iterations for HMAC-SHA1" in policy.floor_problem(found.params)


@pytest.mark.parametrize("value", [
    "", "hunter2", "$2b$12$tooshort", "$2x$10$" + "a" * 53, "$2b$1x$" + "a" * 53, "{bcrypt}not-a-hash",
    "$argon2id$v=19$m=65536,t=3,p=4$notbase64!$x", "scrypt:32768:8$salt$abcd", "scrypt:32767:8:1$salt$abcd",
    "pbkdf2:sha256:600000$salt$nothex", "pbkdf2:md5:600000$salt$abcd", "pbkdf2_sha256$x$salt$abcd",
    "pbkdf2_sha256$600000$$abcd", "scrypt$16384$salt$8$x$abcd", "$scrypt$ln=x,r=8,p=1$c2FsdA$abcd",
    "$pbkdf2-sha256$i=x$c2FsdA$abcd", "$6$saltsalt$" + "x" * 86, "5f4dcc3b5aa765d61d8327deb882cf99",
])
def test_other_values_are_not_recognised(value):
    assert hashes.recognise(value) is None


def test_bcrypt_of_the_passwords_sha256_verifies_and_of_other_digests_does_not():
    digest = hashlib.sha256(PASSWORD.encode()).digest()
    for secret in (digest.hex().encode(), base64.b64encode(digest)):
        assert hashes.recognise(bcrypt.hashpw(secret, bcrypt.gensalt(4)).decode()).verify(PASSWORD)
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest().encode()
    assert not hashes.recognise(bcrypt.hashpw(md5, bcrypt.gensalt(4)).decode()).verify(PASSWORD)


def test_a_hash_of_another_password_does_not_verify():
    for make in (lambda: bcrypt_hash(OTHER, 10), lambda: argon2_hash(OTHER, m=19456, t=2),
                 lambda: werkzeug(OTHER, "scrypt:32768:8:1"), lambda: django_pbkdf2(OTHER, 600_000)):
        found = hashes.recognise(make())
        assert found is not None and found.verify(PASSWORD) is False


def test_verification_is_bounded():
    assert hashes.too_costly(policy.BcryptParams(14)) is None
    assert "above 14" in hashes.too_costly(policy.BcryptParams(15))
    assert hashes.too_costly(policy.Argon2Params("argon2id", 2 * 1024 * 1024, 1, 4)) is None  # RFC 9106's first
    assert hashes.too_costly(policy.Argon2Params("argon2id", 4 * 1024 * 1024, 1, 1)) is not None
    assert hashes.too_costly(policy.Argon2Params("argon2id", 1024 * 1024, 5, 1)) is not None
    assert hashes.too_costly(policy.ScryptParams(2**20, 8, 1)) is None
    assert hashes.too_costly(policy.ScryptParams(2**21, 8, 1)) is not None
    assert hashes.too_costly(policy.Pbkdf2Params("sha256", 10_000_001)) is not None


# ---- the minimums -------------------------------------------------------------------------------

@pytest.mark.parametrize("m, t", policy.ARGON2ID_FLOORS)
def test_each_owasp_argon2id_row_passes_and_just_below_it_fails(m, t):
    assert policy.floor_problem(policy.Argon2Params("argon2id", m, t, 1)) is None
    assert policy.floor_problem(policy.Argon2Params("argon2id", m, t, 4)) is None
    weaker_memory = policy.floor_problem(policy.Argon2Params("argon2id", m - 1, t, 1))
    # m just below a row can still meet a row with more passes only if t is higher: t is the row's here
    assert weaker_memory is not None and "below OWASP's minimums for Argon2id" in weaker_memory
    if t > 1:
        assert policy.floor_problem(policy.Argon2Params("argon2id", m, t - 1, 1)) is not None


def test_the_real_argon2id_table_boundaries():
    assert policy.floor_problem(policy.Argon2Params("argon2id", 65536, 1, 1)) is None  # above row 1
    assert policy.floor_problem(policy.Argon2Params("argon2id", 12288, 2, 1)) is not None  # row 3 needs t=3
    assert policy.floor_problem(policy.Argon2Params("argon2id", 16384, 2, 1)) is not None  # Spring's argon2 default
    problem = policy.floor_problem(policy.Argon2Params("argon2id", 8192, 2, 1))
    assert problem.startswith("Argon2id with m=8192 KiB (8 MiB), t=2, p=1 is below OWASP's minimums")


def test_argon2i_needs_phps_default_and_argon2d_never_passes():
    assert policy.floor_problem(policy.Argon2Params("argon2i", 65536, 4, 1)) is None
    assert policy.floor_problem(policy.Argon2Params("argon2i", 131072, 5, 2)) is None
    for m, t in ((65536, 3), (65535, 4), (19456, 2)):  # the last meets the Argon2id table, not Argon2i's floor
        problem = policy.floor_problem(policy.Argon2Params("argon2i", m, t, 1))
        assert "below the minimum accepted for Argon2i" in problem and "use Argon2id" in problem
    assert "Argon2d is not meant for passwords" in policy.floor_problem(policy.Argon2Params("argon2d", 1 << 20, 4, 1))
    found = hashes.recognise(argon2_hash(PASSWORD, m=65536, t=3, kind=Type.I))
    assert found.params.variant == "argon2i" and policy.floor_problem(found.params) is not None
    found = hashes.recognise(argon2_hash(PASSWORD, m=8192, t=4, kind=Type.D))
    assert found.params.variant == "argon2d" and found.verify(PASSWORD)


@pytest.mark.parametrize("n, r, p", policy.SCRYPT_OWASP + (policy.SCRYPT_WERKZEUG,))
def test_each_scrypt_floor_passes_and_halving_n_fails(n, r, p):
    assert policy.floor_problem(policy.ScryptParams(n, r, p)) is None
    lower = policy.floor_problem(policy.ScryptParams(n // 2, r, p))
    # halving N meets another floor only where a row with that N and at most this p exists
    owns = any(fn <= n // 2 and fp <= p for fn, fr, fp in policy.SCRYPT_FLOORS)
    assert (lower is None) == owns


def test_scrypt_counts_n_and_r_together_and_refuses_weak_settings():
    assert policy.floor_problem(policy.ScryptParams(2**14, 16, 1)) is None  # the memory of N=2^15 r=8
    assert policy.floor_problem(policy.ScryptParams(2**16, 8, 1)) is None  # Spring's default: above Werkzeug's
    problem = policy.floor_problem(policy.ScryptParams(2**14, 8, 1))  # Node's crypto.scrypt default
    assert problem.startswith("scrypt with N=16384 (2^14), r=8, p=1 is below the minimums")
    assert "Werkzeug's default N=2^15 r=8 p=1" in problem
    assert policy.floor_problem(policy.ScryptParams(2**14, 8, 4)) is not None
    assert policy.floor_problem(policy.ScryptParams(2**14, 8, 5)) is None
    found = hashes.recognise(werkzeug(PASSWORD, "scrypt:16384:8:1"))
    assert found.verify(PASSWORD) and policy.floor_problem(found.params) is not None


def test_bcrypt_cost_minimum():
    assert policy.floor_problem(policy.BcryptParams(10)) is None
    problem = policy.floor_problem(policy.BcryptParams(9))
    assert problem.startswith("bcrypt with cost 9 is below the minimum cost of 10")
    found = hashes.recognise(bcrypt_hash(PASSWORD, 4))
    assert found.params == policy.BcryptParams(4) and found.verify(PASSWORD)
    assert "cost 4 is below the minimum cost of 10" in policy.floor_problem(found.params)


@pytest.mark.parametrize("digest, minimum", sorted(policy.PBKDF2_MIN_ITERATIONS.items()))
def test_pbkdf2_minimum_per_digest(digest, minimum):
    assert policy.floor_problem(policy.Pbkdf2Params(digest, minimum)) is None
    problem = policy.floor_problem(policy.Pbkdf2Params(digest, minimum - 1))
    assert f"below the minimum of {minimum:,} iterations" in problem


def test_pbkdf2_sha512_takes_aspnet_cores_default_and_its_older_formats_fail():
    assert policy.floor_problem(policy.Pbkdf2Params("sha512", 210_000)) is None  # OWASP's
    assert policy.floor_problem(policy.Pbkdf2Params("sha512", 100_000)) is None  # ASP.NET Core Identity's
    problem = policy.floor_problem(policy.Pbkdf2Params("sha512", 99_999))
    assert "(ASP.NET Core Identity's default; OWASP asks 210,000): raise the iterations to 210,000" in problem
    found = hashes.recognise(aspnet_v3(PASSWORD, prf=1, iterations=10_000))  # .NET 6 and before
    assert found.params == policy.Pbkdf2Params("sha256", 10_000) and found.verify(PASSWORD)
    assert policy.floor_problem(found.params) is not None
    salt = secrets.token_bytes(16)
    v2 = base64.b64encode(b"\0" + salt + hashlib.pbkdf2_hmac("sha1", PASSWORD.encode(), salt, 1000, 32)).decode()
    found = hashes.recognise(v2)
    assert found.spelling == "ASP.NET Core Identity's PBKDF2 (V2)" and found.verify(PASSWORD)
    assert "below the minimum of 1,300,000 iterations for HMAC-SHA1" in policy.floor_problem(found.params)
    assert hashes.recognise(base64.b64encode(hashlib.sha512(PASSWORD.encode()).digest()).decode()) is None


def test_pbkdf2_with_other_digests_or_old_defaults_fails():
    assert "use HMAC-SHA256" in policy.floor_problem(policy.Pbkdf2Params("sha384", 10_000_000))
    found = hashes.recognise(werkzeug(PASSWORD, "pbkdf2:sha256:260000"))  # Werkzeug 2.0's default
    assert found.verify(PASSWORD) and "260,000 iterations is below the minimum of 600,000" in \
        policy.floor_problem(found.params)
    found = hashes.recognise(django_pbkdf2(PASSWORD, 600_000, "sha1"))  # Django's SHA-1 hasher
    assert found.spelling == "Django's pbkdf2_sha1" and found.verify(PASSWORD)
    assert policy.floor_problem(found.params) is not None


# ---- naming the wrong formats -------------------------------------------------------------------

def test_the_password_itself_is_found_in_every_encoding():
    data = PASSWORD.encode()
    assert weak.exposure(PASSWORD, PASSWORD) == "as plain text"
    assert weak.exposure(f"{{noop}}{PASSWORD}", PASSWORD) == "as plain text"  # Spring's NoOpPasswordEncoder
    assert weak.exposure(PASSWORD.lower(), PASSWORD) == "as plain text"
    assert weak.exposure(data.hex().upper(), PASSWORD) == "hex-encoded"
    assert weak.exposure(base64.b64encode(data).decode(), PASSWORD) == "base64-encoded"
    assert weak.exposure(base64.urlsafe_b64encode(data).decode().rstrip("="), PASSWORD) == "base64-encoded"
    assert weak.exposure(base64.b64encode(b"ann@example.com:" + data).decode(), PASSWORD) == "base64-encoded"
    assert weak.exposure(bcrypt_hash(PASSWORD, 4), PASSWORD) is None
    assert weak.exposure(base64.b64encode(OTHER.encode()).decode(), PASSWORD) is None


@pytest.mark.parametrize("value, words", [
    (lambda: hashlib.md5(PASSWORD.encode()).hexdigest(), "an unsalted MD5 hex digest"),
    (lambda: hashlib.sha1(PASSWORD.encode()).hexdigest().upper(), "an unsalted SHA-1 hex digest"),
    (lambda: hashlib.sha256(PASSWORD.encode()).hexdigest(), "an unsalted SHA-256 hex digest"),
    (lambda: hashlib.sha512(PASSWORD.encode()).hexdigest(), "an unsalted SHA-512 hex digest"),
    (lambda: base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode(),
     "an unsalted SHA-256 base64 digest"),
    (lambda: "sha1$$" + hashlib.sha1(PASSWORD.encode()).hexdigest(), "an unsalted SHA-1 hex digest"),  # Django
    (lambda: "md5$Xy12ab$" + hashlib.md5(("Xy12ab" + PASSWORD).encode()).hexdigest(), "a salted MD5 hash"),  # Django
    (lambda: "sha256$Qw3rty$" + hmac.new(b"Qw3rty", PASSWORD.encode(), "sha256").hexdigest(),
     "a salted SHA-256 hash"),  # old Werkzeug
    (lambda: "a1b2c3d4e5f60718" + hashlib.sha256(bytes.fromhex("a1b2c3d4e5f60718") + PASSWORD.encode()).hexdigest(),
     "a salted SHA-256 hash"),  # salt bytes and digest side by side in hex
])
def test_fast_digests_are_named(value, words):
    assert words in weak.fast_digest(value(), PASSWORD)
    assert weak.fast_digest(value(), OTHER) is None


def test_a_fast_hash_salted_with_another_column_is_named():
    salt = secrets.token_hex(8)
    digest = hashlib.sha512((PASSWORD + salt).encode()).hexdigest()
    assert weak.fast_digest(digest, PASSWORD) is None  # the salt is elsewhere in the row
    assert "a salted SHA-512 hash" in weak.fast_digest(digest, PASSWORD, others=[salt, "ann@example.com"])
    raw = hashlib.sha256(PASSWORD.encode()).digest()
    assert weak.fast_digest("\\x" + raw.hex(), PASSWORD, raw=raw) == "an unsalted SHA-256 digest as raw bytes"


def test_slow_hashes_are_not_fast_digests_and_crypt_formats_are_named():
    slow_ones = (bcrypt_hash(PASSWORD, 10), argon2_hash(PASSWORD, m=19456, t=2), werkzeug(PASSWORD, "scrypt:32768:8:1"))
    for value in slow_ones:
        assert weak.fast_digest(value, PASSWORD, others=["ann@example.com"]) is None
    assert weak.crypt_name("$6$rounds=5000$saltsalt$" + "x" * 86) == "SHA-512-crypt ($6$)"
    assert weak.crypt_name("$1$saltsalt$" + "x" * 22) == "MD5-crypt ($1$)"
    assert weak.crypt_name("$P$B" + "x" * 30) == "phpass ($P$, iterated MD5)"
    assert weak.crypt_name(bcrypt_hash(PASSWORD, 4)) is None


def test_needles_find_the_password_and_its_digests_lower_cased():
    found = weak.needles(PASSWORD)
    assert PASSWORD.lower() in found and PASSWORD.encode().hex() in found
    assert hashlib.sha256(PASSWORD.encode()).hexdigest() in found
    assert all(n == n.lower() for n in found)


def test_shapes_describe_without_showing():
    assert weak.shape(hashlib.sha256(b"x").hexdigest()) == "64 hexadecimal characters (as long as a SHA-256 digest)"
    assert weak.shape(bcrypt_hash(PASSWORD, 4)) == "a 60-character value starting $2b$"
    assert weak.shape(werkzeug(PASSWORD, "scrypt:32768:8:1")).startswith("a 162-character value starting scrypt:")
    assert weak.shape(PASSWORD) == f"a {len(PASSWORD)}-character value"
    assert not weak.hash_like("member") and not weak.hash_like("2024-05-01T10:00:00+00:00")
    assert not weak.hash_like("0b7a6a5e-2d0c-4a39-9a3c-34f1d7f0b0a1")  # a uuid is no hash
    assert weak.hash_like(hashlib.md5(b"x").hexdigest()) and weak.hash_like(bcrypt_hash(PASSWORD, 4))


def test_new_passwords_are_fresh_and_meet_common_rules():
    seen = {new_password() for _ in range(50)}
    assert len(seen) == 50
    for pw in seen:
        assert len(pw) == 23 and len(pw.encode()) <= 72  # bcrypt reads 72 bytes
        assert any(c.isupper() for c in pw) and any(c.islower() for c in pw) and any(c.isdigit() for c in pw)
        assert not set(pw) & set("\"'\\$`!%_ ")  # nothing special in JSON, shells, SQL or LIKE


# ---- judging rows -------------------------------------------------------------------------------

def row(table: str, via: str | None = None, **values: str) -> judge.Row:
    return judge.Row(table, tuple(judge.Cell(table, k, v) for k, v in values.items()), via)


def two_users(make, table: str = "users", **extra) -> tuple[judge.User, judge.User]:
    a, b = "ann@example.com", "bob@example.com"
    return (judge.User("the first test user", a, (row(table, email=a, password_hash=make(), **extra),)),
            judge.User("the second test user", b, (row(table, email=b, password_hash=make(), **extra),)))


def test_exposure_anywhere_names_the_user_or_says_whose_row_it_is_not():
    users = two_users(lambda: bcrypt_hash(PASSWORD, 4))
    assert judge.exposed(list(users[0].rows + users[1].rows), users, PASSWORD) is None
    log = row("audit", body=f'{{"password": "{PASSWORD}"}}')
    problem = judge.exposed([*users[0].rows, log], users, PASSWORD)
    assert problem.message.startswith("the test users' password is stored as plain text in audit.body "
                                      "(in a row without their email)")
    plain = two_users(lambda: PASSWORD)
    problem = judge.exposed(list(plain[1].rows), plain, PASSWORD)
    assert problem.message.startswith("the password of the second test user (bob@example.com) is stored as plain "
                                      "text in users.password_hash: store a slow salted hash instead")
    digest_log = row("audit", body=hashlib.md5(PASSWORD.encode()).hexdigest())
    assert "an unsalted MD5 hex digest in audit.body" in judge.exposed([digest_log], users, PASSWORD).message


def test_slow_verdicts():
    good = two_users(lambda: bcrypt_hash(PASSWORD, 10))
    verdict = judge.slow(good[0], PASSWORD)
    assert isinstance(verdict, judge.Stored) and verdict.cell.where == "users.password_hash"
    weak_one = judge.slow(two_users(lambda: bcrypt_hash(PASSWORD, 4))[0], PASSWORD)
    assert weak_one.message == ("the password of the first test user (ann@example.com) is stored as bcrypt in "
                                "users.password_hash: bcrypt with cost 4 is below the minimum cost of 10: raise the "
                                "cost (the number after $2b$) to 10 or more, e.g. 12")
    other = judge.slow(two_users(lambda: bcrypt_hash(OTHER, 10))[0], PASSWORD)
    assert other.message.startswith("users.password_hash holds bcrypt (cost 10) for the first test user "
                                    "(ann@example.com), but not of the password sent when registering")
    none = judge.slow(two_users(lambda: hashlib.sha256(b"pepper" + PASSWORD.encode()).hexdigest())[0], PASSWORD)
    assert none.cell is None and none.message.startswith(
        "the row of the first test user (ann@example.com) (users) holds no password hash labctl recognises; found "
        "users.password_hash: 64 hexadecimal characters (as long as a SHA-256 digest)")
    with pytest.raises(judge.TooCostly, match="bcrypt cost 16 is above 14"):
        judge.slow(judge.User("u", "a@x", (row("users", email="a@x", h="$2b$16$" + "a" * 53),)), PASSWORD)


def test_a_weak_hash_beside_a_strong_one_fails():
    user = judge.User("the first test user", "ann@example.com", (row(
        "users", email="ann@example.com", password_hash=bcrypt_hash(PASSWORD, 10),
        legacy_hash=werkzeug(PASSWORD, "pbkdf2:sha256:150000")),))
    assert "users.legacy_hash" in judge.slow(user, PASSWORD).message


def test_same_value_compares_the_hashes_or_else_hash_like_columns():
    fixed = bcrypt.gensalt(10)
    same = two_users(lambda: bcrypt.hashpw(PASSWORD.encode(), fixed).decode(), tenant="a" * 40, role="member")
    cells = tuple(judge.slow(u, PASSWORD).cell for u in same)
    problem = judge.same_value(*same, cells)
    assert problem.message.startswith("both test users have the same stored value in users.password_hash")
    salted = two_users(lambda: bcrypt_hash(PASSWORD, 10), tenant="a" * 40)
    cells = tuple(judge.slow(u, PASSWORD).cell for u in salted)
    assert judge.same_value(*salted, cells) is None  # the shared tenant token is not the hash
    peppered = two_users(lambda: hashlib.sha256(b"pepper" + PASSWORD.encode()).hexdigest(), tenant="b" * 40)
    problem = judge.same_value(*peppered, (None, None))
    assert problem.cell.column == "password_hash"  # named like a password: said before the tenant token


def test_fast_names_the_digest_of_a_users_row():
    users = two_users(lambda: hashlib.sha256(PASSWORD.encode()).hexdigest())
    assert judge.fast(users[0], PASSWORD).message.startswith(
        "the password of the first test user (ann@example.com) is stored as an unsalted SHA-256 hex digest in "
        "users.password_hash: a fast hash is tried by GPUs at billions a second")
    salt = "9f8e7d6c"
    salted = judge.User("the first test user", "ann@example.com", (row(
        "users", email="ann@example.com", salt=salt, password=hashlib.sha1((salt + PASSWORD).encode()).hexdigest()),))
    assert "a salted SHA-1 hash" in judge.fast(salted, PASSWORD).message
    assert judge.fast(two_users(lambda: bcrypt_hash(PASSWORD, 10))[0], PASSWORD) is None


# ---- what the database gave back, and the evidence -----------------------------------------------

def test_rows_from_jsonb_read_bytea_and_json_leaves():
    table = stored.Table("public", "users", 1, ("email",), ("email", "h", "data"), frozenset({"h"}))
    hashed = bcrypt_hash(PASSWORD, 4)
    got = stored.row_from_json(table, {"id": 7, "email": "a@x", "h": "\\x" + hashed.encode().hex(),
                                       "data": {"secret": {"hash": hashed}, "tags": ["x", None]}, "gone": None})
    cells = {c.column: c for c in got.cells}
    assert cells["h"].text == hashed and cells["h"].raw == hashed.encode()
    assert cells["data.secret.hash"].text == hashed and cells["data.tags[0]"].text == "x"
    assert cells["id"].text == "7" and "gone" not in cells and got.holds("A@X")
    binary = stored.row_from_json(table, {"h": "\\x00ff10"})
    assert binary.cells[0].text == "\\x00ff10" and binary.cells[0].raw == b"\x00\xff\x10"


def test_tables_are_named_as_learners_write_them_and_queries_quote_what_they_must():
    public = stored.Table("public", "users", 1, ("email",), ("email", "pass%word"), frozenset())
    other = stored.Table("app", "User Accounts", 2, ("Email",), ("Email",), frozenset())
    assert public.shown == "users" and other.shown == 'app."User Accounts"'
    scan = stored._scan_sql(public)
    assert 'FROM ONLY "public"."users" t' in scan and '"pass%%word"' in scan and "LIMIT 20" in scan
    assert stored.email_sql(other, ["Email"], ["Ann@X"]) == \
        'SELECT * FROM app."User Accounts" WHERE lower("Email") = \'ann@x\''


def test_psql_lines_can_be_pasted():
    assert stored.psql_line("SELECT * FROM users WHERE lower(email) = 'a@x'") == \
        'psql "$DATABASE_URL" -c "SELECT * FROM users WHERE lower(email) = \'a@x\'"'
    assert stored.psql_line('SELECT * FROM "T$1"') == 'psql "$DATABASE_URL" -c "SELECT * FROM \\"T\\$1\\""'
    assert stored.psql_line("SELECT '!'") == "psql \"$DATABASE_URL\" -c 'SELECT '\"'\"'!'\"'\"''"


# ---- the check's parameters ---------------------------------------------------------------------

def test_the_default_request_and_its_validation():
    check = PasswordStorage.model_validate({"setting": "app_url"})
    assert check.registration.method == "POST" and check.registration.path == "/register"
    assert check.registration.json_body == {"email": "${email}", "password": "${password}"}
    form = PasswordStorage.model_validate({"url": "http://127.0.0.1:8000", "register": {
        "path": "/signup", "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "body": "email=${email}&password=${password}&name=${random}"}})
    assert form.registration.json_body is None
    sent = form.registration.filled({"email": "a@x", "password": "p"})
    assert sent.body.startswith("email=a@x&password=p&name=") and len(sent.body) > len("email=a@x&password=p&name=")


@pytest.mark.parametrize("params, words", [
    ({}, "give url or setting"),
    ({"url": "http://127.0.0.1:1", "setting": "app_url"}, "give url or setting"),
    ({"url": "http://example.com/"}, "labs may only call"),
    ({"setting": "app_url", "register": {"json": {"email": "${email}"}}}, "register must send ${password}"),
    ({"setting": "app_url", "register": {"json": {"email": "${email}", "password": "${pass}"}}},
     "${pass} is not defined"),
    ({"setting": "app_url", "email": "ann@example.com"}, "email must draw a fresh value"),
    ({"setting": "app_url", "status": 99}, "HTTP status codes"),
])
def test_bad_parameters_are_refused(params, words):
    with pytest.raises(pydantic.ValidationError) as info:
        PasswordStorage.model_validate(params)
    assert words in str(info.value)


def _lab_with_check(tmp_path, check: dict, *, settings: bool = True):
    """pg-only with an app_url setting and the check as its task's only check."""
    import shutil
    from pathlib import Path

    import yaml

    target = tmp_path / "pg-only"
    shutil.copytree(Path(__file__).parents[1] / "labs" / "pg-only", target)
    data = yaml.safe_load((target / "lab.yaml").read_text())
    if settings:
        data["settings"] = {"app_url": {"description": "Where your app listens", "kind": "url",
                                        "default": "http://127.0.0.1:8000"}}
    data["tasks"][0]["checks"] = [check]
    (target / "lab.yaml").write_text(yaml.safe_dump(data))
    return target


def test_a_lab_file_with_the_check_loads_and_names_its_errors(tmp_path):
    from labctl.core.errors import LabFileError
    from labctl.core.loader import load_lab_dir

    entry = {"type": "auth.password_storage", "setting": "app_url",
             "register": {"path": "/api/register", "json": {"email": "${email}", "password": "${password}",
                                                            "name": "Test ${random}"}}, "status": [201]}
    lab = load_lab_dir(_lab_with_check(tmp_path / "ok", entry))
    check = lab.tasks[0].checks[0].check
    assert check.service == "postgres" and check.registration.path == "/api/register"
    with pytest.raises(LabFileError) as info:
        load_lab_dir(_lab_with_check(tmp_path / "bad", entry, settings=False))
    assert info.value.field.startswith("tasks[0].checks[0].setting")
    assert "'app_url' is not a setting" in info.value.message
