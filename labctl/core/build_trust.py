"""The certificate authorities the host trusts for HTTPS, handed to a local image build that fetches from a
package registry (PyPI, npm), and to the install command of a graded submission's sandbox, so both work
behind a TLS-inspecting proxy exactly where the host's own pip and npm work.

A build context opts in by holding BUILD_CA_FILE (a placeholder in the repository); labctl sends the host's
certificates in its place. They are public certificates, they never count towards the image's tag (the
image's content does not depend on them), and a multi-stage Dockerfile keeps them out of the final image.
"""
from __future__ import annotations

import os
import re
import ssl
from pathlib import Path
from typing import Mapping

from labctl.core.env_names import ENV_BUILD_CA

BUILD_CA_FILE = "build-ca.pem"
# Where the host says its trust lies, most specific first; then OpenSSL's default bundle.
TRUST_VARIABLES = (ENV_BUILD_CA, "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS")
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----")


def host_bundle_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The first readable file the host's settings name, else OpenSSL's default CA file, else None."""
    environ = os.environ if environ is None else environ
    candidates = [environ.get(name, "") for name in TRUST_VARIABLES]
    defaults = ssl.get_default_verify_paths()
    candidates += [defaults.cafile or "", defaults.openssl_cafile or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def host_certificates(environ: Mapping[str, str] | None = None) -> bytes:
    """The PEM certificates of the host's bundle (nothing else from the file: no keys, no comments),
    or b"" when the host names none or the file cannot be read."""
    path = host_bundle_path(environ)
    if path is None:
        return b""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES)
    except OSError:
        return b""
    return b"".join(match.group(0).replace(b"\r\n", b"\n") + b"\n" for match in _CERTIFICATE.finditer(data))


# What the usual installers read for their certificate authorities: Python's ssl, pip, requests, curl, git,
# Node and npm, Go (SSL_CERT_FILE). Given to a sandbox's install command only, never to the graded run.
INSTALLER_TRUST_VARIABLES = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO",
                             "NODE_EXTRA_CA_CERTS", "npm_config_cafile")


def installer_trust(path: str, certificates: bytes) -> dict[str, str]:
    """The environment that points every usual installer at the certificates placed at path ({} when there
    are none: the image's own store then stands)."""
    return {name: path for name in INSTALLER_TRUST_VARIABLES} if certificates else {}
