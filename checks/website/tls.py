"""website.tls: the box's published HTTPS port speaks TLS with a certificate a browser on this machine could be
told to trust: in date, for localhost or 127.0.0.1, with a key of at least 2048 bits (RSA) or 256 (EC).
Self-signed is expected: the chain is not verified, the certificate itself is read (with cryptography, which
labctl's SSH client already needs)."""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl

from pydantic import Field

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .common import SiteCheck

MAKE = ('sudo openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" '
        '-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout KEY -out CERT')


@register("website.tls", service_kind="linuxbox")
class SiteTls(SiteCheck):
    names: list[str] = Field(["localhost", "127.0.0.1"], min_length=1,
                             description="The certificate must be for at least one of these (SAN, or CN without SAN).")
    min_rsa_bits: int = Field(2048, ge=1024)
    min_ec_bits: int = Field(256, ge=160)

    def describe(self) -> str:
        return f"HTTPS answers with a valid certificate for {' or '.join(self.names)}"

    def run(self, ctx: CheckContext) -> Outcome:
        host, port = ctx.service(self.service).host, self.published(ctx, "https")  # type: ignore[arg-type]
        evidence = f"openssl s_client -connect {host}:{port} -servername localhost </dev/null | openssl x509 -noout -text"
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE  # self-signed: the certificate is judged below, not its chain
        timeout = min(float(self.timeout or ctx.timeout), 10.0)
        try:
            with socket.create_connection((host, port), timeout=timeout) as raw:
                with tls.wrap_socket(raw, server_hostname="localhost") as conn:
                    der = conn.getpeercert(binary_form=True)
        except ssl.SSLError as exc:
            return failed(f"no TLS answer on {self.where(ctx, 'https')} ({exc.reason or exc}): nothing listens on port 443 in "
                          "the box, or not with TLS. The server block for it needs `listen 443 ssl;` with ssl_certificate "
                          "and ssl_certificate_key; then `sudo nginx -t && sudo systemctl reload nginx`", evidence=evidence)
        except (OSError, socket.timeout) as exc:
            return failed(self.no_answer(ctx, "https", f"no TLS connection to {host}:{port} ({exc})"), evidence=evidence)
        if not der:
            return failed(f"{self.where(ctx, 'https')} sent no certificate", evidence=evidence)
        problem = self.problem(der)
        if problem:
            return failed(f"the certificate on {self.where(ctx, 'https')} {problem}", evidence=evidence)
        return passed(f"HTTPS on port {port} has a valid certificate for {' or '.join(self.names)}", evidence=evidence)

    def problem(self, der: bytes) -> str | None:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID

        cert = x509.load_der_x509_certificate(der)
        now = datetime.datetime.now(datetime.timezone.utc)
        after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
        before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
        remake = f"Make a new one: {MAKE}, then `sudo systemctl reload nginx`"
        if after <= now:
            return f"expired on {after:%Y-%m-%d %H:%M} UTC. {remake}"
        if before > now + datetime.timedelta(minutes=5):
            return f"is not valid before {before:%Y-%m-%d %H:%M} UTC. {remake}"
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = [name.lower() for name in san.get_values_for_type(x509.DNSName)]
            ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
            names, source = dns + ips, "its subjectAltName"
        except x509.ExtensionNotFound:
            names = [a.value.lower() for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
            source = "its common name, CN"
        wanted = {n.lower() if not _is_ip(n) else str(ipaddress.ip_address(n)) for n in self.names}
        if not wanted & set(names):
            return (f"is for {', '.join(names) or 'no name'} ({source}); expected {' or '.join(self.names)}, the names this "
                    f"machine reaches the box by. {remake}")
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < self.min_rsa_bits:
            return f"has an RSA key of {key.key_size} bits; expected at least {self.min_rsa_bits}. {remake}"
        if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < self.min_ec_bits:
            return f"has an EC key of {key.curve.key_size} bits; expected at least {self.min_ec_bits}. {remake}"
        if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            return f"has a {type(key).__name__} key; expected RSA (rsa:2048) or EC (P-256). {remake}"
        return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
