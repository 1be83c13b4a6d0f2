"""Open a docker SDK client on the first endpoint that answers, and translate its errors."""
from __future__ import annotations

import platform
import sys
from contextlib import contextmanager
from typing import Iterator, Mapping

from labctl.core.errors import EngineUnavailableError, LabctlError
from labctl.runtime.docker.endpoint import Candidate, candidates, what_to_do

PING_TIMEOUT = 5
API_TIMEOUT = 120


def _sdk():
    """The docker SDK, imported without paramiko (about 100 ms) unless something loaded it already.

    docker.transport imports its SSH adapter, and so paramiko, whenever paramiko is installed; a failed
    import only means "no ssh:// support" to the SDK. Only ssh:// endpoints need it: _enable_ssh adds it back.
    """
    if "docker.api.client" not in sys.modules and "paramiko" not in sys.modules:
        sys.modules["paramiko"] = None  # type: ignore[assignment]  # makes `import paramiko` raise ImportError
        try:
            import docker.errors  # noqa: F401
        finally:
            if "paramiko" in sys.modules and sys.modules["paramiko"] is None:
                del sys.modules["paramiko"]
    import docker
    import docker.errors  # noqa: F401

    return docker


def _enable_ssh() -> None:
    """Give the SDK its SSH adapter if _sdk() left it out; without paramiko the SDK says to install it."""
    import docker.api.client as api_client

    if hasattr(api_client, "SSHHTTPAdapter"):
        return
    try:
        from docker.transport.sshconn import SSHHTTPAdapter
    except ImportError:
        return
    api_client.SSHHTTPAdapter = SSHHTTPAdapter


def _client_for(candidate: Candidate, environ: Mapping[str, str], timeout: int):
    docker = _sdk()
    if candidate.url.startswith("ssh://"):
        _enable_ssh()
    env = {"DOCKER_HOST": candidate.url}
    for key in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        if environ.get(key):
            env[key] = environ[key]
    return docker.from_env(environment=env, timeout=timeout)


def connect(environ: Mapping[str, str]):
    """(client, candidate) for the first endpoint that answers a ping. Raises EngineUnavailableError."""
    docker = _sdk()
    import requests.exceptions

    tried = []
    for candidate in candidates(environ):
        try:
            client = _client_for(candidate, environ, PING_TIMEOUT)
            client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            tried.append(f"{candidate.url} ({candidate.how}): {_reason(exc)}")
            if candidate.explicit:
                break
            continue
        client.api.timeout = API_TIMEOUT
        return client, candidate
    detail = "; ".join(tried) if tried else "no socket found"
    raise EngineUnavailableError(
        f"no container engine answers (tried {detail})",
        what_to_do(platform.system()),
    )


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Permission denied", "Connection refused", "No such file or directory", "timed out"):
        if marker.lower() in text.lower():
            return marker.lower()
    return text.splitlines()[0][:160] if text else type(exc).__name__


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn docker SDK and transport errors into labctl errors that say what happened."""
    docker = _sdk()
    import requests.exceptions

    try:
        yield
    except docker.errors.NotFound as exc:
        raise LabctlError(f"{action}: {_explanation(exc)}") from exc
    except docker.errors.APIError as exc:
        raise LabctlError(f"{action}: the engine said: {_explanation(exc)}") from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise EngineUnavailableError(f"{action}: lost the connection to the container engine ({_reason(exc)})",
                                     "Check the engine is still running (`labctl doctor`), then try again.") from exc
    except docker.errors.DockerException as exc:
        raise LabctlError(f"{action}: {exc}") from exc


def _explanation(exc) -> str:
    explanation = getattr(exc, "explanation", None) or str(exc)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation).strip()
