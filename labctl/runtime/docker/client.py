"""Open a docker SDK client on the first endpoint that answers, and translate its errors."""
from __future__ import annotations

import platform
from contextlib import contextmanager
from typing import Iterator, Mapping

from labctl.core.errors import EngineUnavailableError, LabctlError
from labctl.runtime.docker.endpoint import Candidate, candidates, what_to_do

PING_TIMEOUT = 5
API_TIMEOUT = 120


def _client_for(candidate: Candidate, environ: Mapping[str, str], timeout: int):
    import docker

    env = {"DOCKER_HOST": candidate.url}
    for key in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        if environ.get(key):
            env[key] = environ[key]
    return docker.from_env(environment=env, timeout=timeout)


def connect(environ: Mapping[str, str]):
    """(client, candidate) for the first endpoint that answers a ping. Raises EngineUnavailableError."""
    import docker.errors
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
    import docker.errors
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
