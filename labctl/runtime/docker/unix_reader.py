"""Read-only Engine API calls over a unix socket with http.client: what `status` and `check` need.

Importing docker-py (with requests and urllib3) costs about 55 ms, a sixth of `labctl status`. The few
read calls those commands make (list containers by label) go through this instead when the engine is
reached through a unix socket. Everything else, and every tcp://, ssh:// or TLS endpoint, uses the SDK.
"""
from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlencode

from labctl.core.errors import EngineUnavailableError, LabctlError


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class UnixReader:
    def __init__(self, path: str, timeout: float = 30.0):
        self.path = path
        self.timeout = timeout

    def get(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        body = self._request(endpoint, params)
        return json.loads(body) if body else None

    def _request(self, endpoint: str, params: dict[str, Any] | None = None) -> bytes:
        connection = _UnixConnection(self.path, self.timeout)
        query = f"?{urlencode(params)}" if params else ""
        try:
            connection.request("GET", endpoint + query)
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            raise EngineUnavailableError(f"lost the connection to the container engine at unix://{self.path} "
                                         f"({exc.strerror or exc})",
                                         "Check the engine is still running (`labctl doctor`), then try again.") from exc
        finally:
            connection.close()
        if response.status >= 400:
            try:
                message = json.loads(body).get("message", "")
            except ValueError:
                message = body.decode(errors="replace")[:200]
            raise LabctlError(f"the engine said: {message or response.reason} (GET {endpoint})")
        return body

    def ping(self) -> bool:
        try:
            return self._request("/_ping").strip() == b"OK"
        except LabctlError:
            return False

    def containers(self, filters: dict[str, str | list[str]]) -> list[dict]:
        """Like docker-py's APIClient.containers(all=True, filters=...): the engine's container summaries."""
        encoded = {key: value if isinstance(value, list) else [value] for key, value in filters.items()}
        return self.get("/containers/json", {"all": "1", "filters": json.dumps(encoded)}) or []


def reader_for(environ: dict[str, str]) -> UnixReader | None:
    """A reader for the engine labctl would use, when that is a unix socket that answers; else None."""
    from labctl.runtime.docker.endpoint import candidates

    found = candidates(environ)
    if found and found[0].url.startswith("unix://"):
        reader = UnixReader(found[0].url[len("unix://"):])
        if reader.ping():
            return reader
    return None
