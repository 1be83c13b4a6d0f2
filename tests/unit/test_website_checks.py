"""The pure parts of the website.* checks and of the box's listening sockets: certificates, redirects, environment files and
`ss` lines, judged without a box (the live tests in tests/live/test_site_checks.py run each check for real)."""
from __future__ import annotations

import datetime

import pytest

from labctl.check_families.linux.common import parse_listeners
from labctl.check_families.website.common import Answer
from labctl.check_families.website.proxy import env_value
from labctl.check_families.website.redirect import SiteRedirect
from labctl.check_families.website.tls import SiteTls


def certificate(*, cn="localhost", san=("localhost",), key="rsa2048", days=(-1, 30)) -> bytes:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    private = {"rsa2048": lambda: rsa.generate_private_key(65537, 2048),
               "rsa1024": lambda: rsa.generate_private_key(65537, 1024),
               "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
               "ed25519": ed25519.Ed25519PrivateKey.generate}[key]()
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1])))
    if san is not None:
        names = []
        for item in san:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(item)))
            except ValueError:
                names.append(x509.DNSName(item))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(private, None if key == "ed25519" else hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("options", [
    {}, {"san": ("127.0.0.1",)}, {"san": None}, {"key": "p256", "san": None}, {"san": ("example.com", "localhost")},
])
def test_tls_accepts_a_good_self_signed_certificate(options):
    assert SiteTls(service="box").problem(certificate(**options)) is None


@pytest.mark.parametrize("options,message", [
    ({"days": (-30, -1)}, "expired on"),
    ({"days": (2, 30)}, "is not valid before"),
    ({"cn": "example.com", "san": None}, "is for example.com (its common name, CN)"),
    ({"san": ("example.com",)}, "is for example.com (its subjectAltName)"),
    ({"key": "rsa1024"}, "an RSA key of 1024 bits; expected at least 2048"),
    ({"key": "ed25519"}, "key; expected RSA (rsa:2048) or EC (P-256)"),
])
def test_tls_refuses_a_bad_certificate(options, message):
    problem = SiteTls(service="box").problem(certificate(**options))
    assert problem is not None and message in problem, problem
    assert "openssl req -x509" in problem  # says how to make a good one


def redirect(location: str | None, status: int = 301) -> str | None:
    answer = Answer(status, {"Location": location} if location else {}, "", "http://127.0.0.1:8080/a?b=1")
    want = "https://localhost:8443/a?b=1"
    return SiteRedirect(service="box").problem(answer, "localhost", 8443, "/a?b=1", want)


@pytest.mark.parametrize("location,status,message", [
    ("https://localhost/a?b=1", 301, "without a port"),
    ("https://localhost:443/a?b=1", 301, "redirects to port 443; the box's HTTPS is published on port 8443"),
    ("https://localhost:8080/a?b=1", 302, "redirects to port 8080"),
    ("https://localhost:8443/", 301, "are not kept"),
    ("https://localhost:8443/a", 301, "are not kept"),
    ("https://127.0.0.1:8443/a?b=1", 301, "redirects to host 127.0.0.1, but the client asked for localhost"),
    ("http://localhost:8443/a?b=1", 301, "expected an https:// address"),
    ("https://localhost:8443/a?b=1", 200, "answered 200; expected a redirect"),
    (None, 301, "answered 301 with no Location"),
])
def test_redirect_names_each_mistake(location, status, message):
    problem = redirect(location, status)
    assert problem is not None and message in problem, problem
    assert "return 301 https://$host:8443$request_uri;" in problem


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_accepts_each_code_with_the_exact_location(status):
    assert redirect("https://localhost:8443/a?b=1", status) is None


@pytest.mark.parametrize("content,value", [
    ("APP_SECRET=abc\n", "abc"),
    ('# comment\nAPP_SECRET="a b c"\n', "a b c"),
    ("APP_SECRET='x'\nAPP_SECRET=y\n", "y"),
    ("  APP_SECRET = spaced\n", "spaced"),
    ("OTHER_APP_SECRET=no\n", None),
    ("#APP_SECRET=commented\n", None),
])
def test_env_value_reads_as_systemd_does(content, value):
    assert env_value(content, "APP_SECRET") == value


def test_parse_listeners_reads_owner_and_address():
    text = (
        "LISTEN 0 5 127.0.0.1:8000 0.0.0.0:* uid:999 ino:1 sk:c2 cgroup:unreachable:1 <->\n"
        'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=133,fd=5)) ino:2 sk:c4 <->\n'
        'LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=17,fd=4)) ino:3 v6only:1 <->\n'
        "LISTEN 0 5 [::1]:8001 [::]:* uid:1000 ino:4 <->\n"
        "Failed to find cgroup2 mount\n")
    found = {(item.address, item.port): item for item in parse_listeners(text)}
    assert found[("127.0.0.1", 8000)].uid == 999 and found[("127.0.0.1", 8000)].loopback
    assert found[("0.0.0.0", 80)].uid == 0 and found[("0.0.0.0", 80)].pids == (133,)
    assert found[("0.0.0.0", 80)].programs == ("nginx",) and not found[("0.0.0.0", 80)].loopback
    assert not found[("[::]", 22)].loopback
    assert found[("[::1]", 8001)].loopback and found[("[::1]", 8001)].uid == 1000
    assert len(found) == 4
